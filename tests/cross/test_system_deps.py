"""`.ci/system_deps.py` when apt is busy: it waits for the dpkg lock, then says in one line what to do."""

from __future__ import annotations

import importlib.util
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("system_deps", ROOT / ".ci" / "system_deps.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_busy_apt_ends_in_one_line_not_a_traceback(tmp_path, monkeypatch):
    # A fake apt-get that records its arguments and fails as apt does when the lock stays taken.
    log = tmp_path / "calls"
    fake = tmp_path / "apt-get"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\necho "E: Could not get lock" >&2\nexit 100\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    (tmp_path / "sudo").chmod(0o755)
    script = (
        "import importlib.util, shutil, sys\n"
        f"spec = importlib.util.spec_from_file_location('sd', {str(ROOT / '.ci' / 'system_deps.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "real = shutil.which\n"
        "shutil.which = lambda p: None if p == 'dot' else real(p)\n"
        "sys.exit(m.main(['dot']))\n"
    )
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip() and not line.startswith("installing")]
    assert len(lines) == 1, done.stdout
    assert "dpkg lock" in lines[0] and "apt-get install -y graphviz" in lines[0]
    # apt-get was told to wait for the lock rather than fail at once.
    assert f"DPkg::Lock::Timeout={_load().LOCK_TIMEOUT_S}" in log.read_text()
