"""Install the system programs chainrule uses, when they are missing: `python .ci/system_deps.py dot chromium`.

Graphviz's `dot` renders graphs (the demo and the lessons need it); Chromium runs
the pages and widgets in a real browser for the tests (only `make test` asks for
it). On Debian and Ubuntu this installs them with apt-get (as root, or through
sudo); elsewhere it says what to install and stops.

Why a lock timeout: on a fresh machine apt is often busy (unattended upgrades
hold the dpkg lock for minutes). apt-get waits for the lock up to
LOCK_TIMEOUT_S seconds; if it still fails, one line says what to do instead of
a traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# program on PATH -> (Debian packages that provide it, install hint for other systems)
NEEDED = {
    "dot": (["graphviz"], "Graphviz: https://graphviz.org/download/ (macOS: brew install graphviz)"),
    "chromium": (["chromium"], "Chromium (macOS: brew install --cask chromium)"),
}
LOCK_TIMEOUT_S = 300


def main(programs: list[str]) -> int:
    unknown = [p for p in programs if p not in NEEDED]
    if unknown or not programs:
        print(f"usage: system_deps.py PROGRAM... (one or more of {', '.join(NEEDED)}), got {programs}")
        return 2
    missing = {prog: NEEDED[prog] for prog in programs if shutil.which(prog) is None}
    if not missing:
        return 0
    packages = [p for pkgs, _ in missing.values() for p in pkgs]
    if shutil.which("apt-get"):
        prefix = [] if os.geteuid() == 0 else (["sudo"] if shutil.which("sudo") else None)
        if prefix is None:
            print(f"chainrule needs {', '.join(missing)}: run  apt-get install -y {' '.join(packages)}  as root")
            return 1
        print(f"installing {' '.join(packages)} with apt-get ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        apt = [*prefix, "apt-get", "-o", f"DPkg::Lock::Timeout={LOCK_TIMEOUT_S}"]
        steps = [(["update", "-qq"], None),
                 (["install", "-y", "-qq", "--no-install-recommends", *packages], subprocess.DEVNULL)]
        for args, out in steps:
            if subprocess.run([*apt, *args], env=env, stdout=out, check=False).returncode != 0:
                print(
                    f"chainrule could not install {' '.join(packages)} with apt-get (another program "
                    f"may hold the dpkg lock for more than {LOCK_TIMEOUT_S} s): wait for it to finish, "
                    f"then run `sudo apt-get install -y {' '.join(packages)}` and the make command again"
                )
                return 1
        still = [prog for prog in missing if shutil.which(prog) is None]
        if still:
            print(f"apt-get finished but {', '.join(still)} is still not on PATH")
            return 1
        return 0
    for prog, (_, hint) in missing.items():
        print(f"chainrule needs the program `{prog}`: install {hint}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
