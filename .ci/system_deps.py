"""Install the system programs chainrule uses, when they are missing: `python .ci/system_deps.py dot chromium`.

Graphviz's `dot` renders graphs (the demo and the lessons need it); Chromium runs
the pages and widgets in a real browser for the tests (only `make test` asks for
it). On Debian and Ubuntu this installs them with apt-get (as root, or through
sudo); elsewhere it says what to install and stops.
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
        subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
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
