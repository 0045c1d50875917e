"""A real JupyterLab for the browser tests: started on 127.0.0.1, in a temporary folder, and stopped.

``lab_session(folder)`` is a context manager: it writes nothing outside ``folder``, starts
JupyterLab on a free port with a random token and this checkout on the kernel's import path,
opens headless Chromium (as tests/see/test_player.py does) and yields a :class:`Lab` whose ``open``
runs a notebook's cells in the page. Everything is stopped on the way out, test failed or not.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STARTUP_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_notebook(path: Path, cells: list[str]) -> None:
    """A notebook of code cells (with the python3 kernel), unexecuted."""
    nb = {
        "cells": [{"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "outputs": [],
                   "execution_count": None, "source": src} for i, src in enumerate(cells)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


class Lab:
    """The running JupyterLab and a browser page on it."""

    def __init__(self, base: str, token: str, page: Any, root: Path) -> None:
        self.base, self.token, self.page, self.root = base, token, page, root

    def open(self, name: str, timeout: float = 120) -> None:
        """Open notebook ``name`` (in the server's folder), wait for its kernel, run all its cells."""
        page = self.page
        page.goto(f"{self.base}/lab/tree/{name}?token={self.token}")
        page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')",
                               timeout=timeout * 1000)
        self.wait_idle(timeout)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_timeout(300)
        self.wait_idle(timeout)

    def wait_idle(self, timeout: float = 120) -> None:
        """Wait until the notebook's kernel has started and has nothing left to run."""
        self.page.wait_for_function(
            """() => { const w = window.jupyterapp.shell.currentWidget;
                       const k = w && w.sessionContext && w.sessionContext.session
                                 && w.sessionContext.session.kernel;
                       const running = Array.from(document.querySelectorAll('.jp-InputArea-prompt'))
                                            .some(e => e.textContent.includes('*'));
                       return k && k.status === 'idle' && !running; }""",
            timeout=timeout * 1000)

    def theme(self, name: str) -> None:
        """Switch JupyterLab's theme ('JupyterLab Light' or 'JupyterLab Dark') and wait until it shows."""
        light = "true" if "Light" in name else "false"
        command = f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{name}'}})"
        self.page.evaluate(f"() => {command}")
        self.page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'", timeout=30000)
        self.page.wait_for_timeout(500)


def _shut_down_kernels(base: str, token: str) -> None:
    """Ask the server to stop every kernel it started (it would on SIGTERM too; this does not wait for it)."""
    try:
        with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=5) as r:
            kernels = json.loads(r.read())
        for k in kernels:
            req = urllib.request.Request(f"{base}/api/kernels/{k['id']}?token={token}", method="DELETE")
            urllib.request.urlopen(req, timeout=20).close()
    except OSError:
        pass  # the server is gone already: so are its kernels


@contextmanager
def lab_session(folder: Path, viewport: tuple[int, int] = (1280, 720)) -> Iterator[Lab]:
    """JupyterLab serving ``folder / 'root'``, and a Chromium page on it (see the module docstring)."""
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"the browser tests need Chromium at {CHROMIUM}; `make test` installs it")
    from playwright.sync_api import sync_playwright

    root = folder / "root"
    root.mkdir(parents=True, exist_ok=True)
    settings = folder / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path,
               JUPYTER_CONFIG_DIR=str(folder / "config"), JUPYTER_DATA_DIR=str(folder / "data"),
               JUPYTER_RUNTIME_DIR=str(folder / "runtime"), IPYTHONDIR=str(folder / "ipython"),
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    args = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={folder / 'settings'}",
            f"--LabApp.workspaces_dir={folder / 'workspaces'}", "--LabApp.expose_app_in_browser=True",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    log = open(folder / "jupyterlab.log", "w", encoding="utf-8")  # noqa: SIM115  (closed below)
    server = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if server.poll() is not None:
                said = (folder / "jupyterlab.log").read_text()[-2000:]
                raise RuntimeError(f"JupyterLab exited at start: {said}")
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start within {STARTUP_SECONDS} s") from None
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
                yield Lab(base, token, page, root)
            finally:
                browser.close()
    finally:
        _shut_down_kernels(base, token)
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()


@contextmanager
def notebook_in_lab(folder: Path, name: str, cells: list[str]) -> Iterator[Lab]:
    """JupyterLab with one notebook of ``cells`` written as ``name``, opened and run, its file
    browser folded away so the notebook has the page's width (what each browser test starts from)."""
    (folder / "root").mkdir(parents=True, exist_ok=True)
    write_notebook(folder / "root" / name, cells)
    with lab_session(folder) as session:
        session.open(name)
        session.page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        yield session


def screenshot(lab: Lab, selector: str, name: str) -> Path:
    """A screenshot of the page (1280x720) with ``selector`` scrolled to the top of the notebook's view;
    kept in the folder CHAINRULE_SCREENSHOTS names, when it is set."""
    lab.page.locator(selector).first.evaluate("e => e.scrollIntoView({block: 'start'})")
    lab.page.wait_for_timeout(300)
    path = lab.root.parent / f"{name}.png"
    lab.page.screenshot(path=str(path))
    keep = os.environ.get("CHAINRULE_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path
