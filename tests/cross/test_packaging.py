"""The package as a user installs it: a wheel that passes twine's checks and runs the README's tour,
and, without any extra, features that say which extra they need.

Both tests make fresh virtual environments (no system site-packages), so they see only what
pip installs into them from this checkout.
"""

from __future__ import annotations

import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_every_folder_of_the_packages_is_listed() -> None:
    """setuptools prints a screen of warnings ("Package would be ignored") during ``make demo`` for
    any folder of autograd or nn, data folders too, that pyproject's ``packages`` leaves out."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
                 ["packages"])
    folders = {
        ".".join(d.relative_to(ROOT).parts)
        for top in ("autograd", "nn") for d in [ROOT / top, *(ROOT / top).rglob("*")]
        if d.is_dir() and d.name != "__pycache__" and any(f.is_file() for f in d.iterdir())
    }
    assert folders == listed


def _venv(where: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    return where / "bin" / "python"


def _run(*cmd: object, cwd: Path | None = None) -> str:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd, timeout=600)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def _readme_tour() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = text.split("## A ten-line tour", 1)[1]
    return re.search(r"```python\n(.*?)```", tour, re.S).group(1)  # type: ignore[union-attr]


def test_the_wheel_passes_twine_and_runs_the_readme_tour(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    out = _run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", dist, ROOT, cwd=tmp_path)
    warned = re.search(r"DeprecationWarning|BuildBackendWarning|SetuptoolsWarning|UserWarning", out)
    assert not warned, out[-3000:]
    wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    assert "PASSED" in _run(sys.executable, "-m", "twine", "check", "--strict", *wheels, *sdists)
    with zipfile.ZipFile(wheels[0]) as wheel:  # the HTML views' CSS and JavaScript, as package data
        assert {"autograd/see/assets/theme.css", "autograd/see/assets/player.js"} <= set(wheel.namelist())
    py = _venv(tmp_path / "env")
    _run(py, "-m", "pip", "install", "--quiet", wheels[0])
    assets = ("from autograd.see.html import PLAYER_JS, THEME_CSS\n"
              "print('rootId' in PLAYER_JS, '.cr-ui' in THEME_CSS)")
    assert _run(py, "-c", assets, cwd=tmp_path).split() == ["True", "True"]
    tour = tmp_path / "tour.py"
    tour.write_text(_readme_tour(), encoding="utf-8")
    printed = _run(py, tour, cwd=tmp_path)  # outside the checkout: the installed package is used
    assert "6.0 -4.0" in printed and "sum over paths: dL/da = 6" in printed
    assert _run(py, "-m", "autograd.cli", "--version").strip().startswith("chainrule 0.")
    commands = _run(tmp_path / "env" / "bin" / "chainrule", "--help")
    assert "demo" in commands and "check" in commands  # nn's and autograd.practice's, by entry point


FEATURES = {  # a feature that needs an extra, the call that uses it, and the extra it must name
    "plot_derivative": ("import autograd; autograd.plot_derivative(lambda x: x * x, (-1, 1))", "plot"),
    "nn.see.plot": ("import nn; nn.plot.history(nn.History())", "plot"),
    "trace": ("import autograd; autograd.trace(lambda x: x[0], 1)", "fast"),
    "fit(vectorize=True)": ("import nn; nn.fit(nn.MLP(1, [1]), [[0.0]], [0.0], vectorize=True)", "fast"),
    "to_torch": ("import nn; nn.to_torch(nn.MLP(1, [1]))", "torch"),
    "compare_torch": ("from autograd import compare_torch; compare_torch(lambda x: x, [1.0])", "torch"),
    "load_digits": ("import nn; nn.data.load_digits()", "digits"),
    "chainrule demo": ("import autograd.cli as c; raise SystemExit(c.main(['demo', '--steps', '1']))",
                       "plot"),
}


def test_without_extras_the_engine_works_and_each_feature_names_its_extra(tmp_path: Path) -> None:
    py = _venv(tmp_path / "env")
    _run(py, "-m", "pip", "install", "--quiet", ROOT)
    core = ("from autograd import Value, explain; import nn\n"
            "a, b = Value(2.0, label='a'), Value(-3.0, label='b'); L = a * b + 1; L.backward()\n"
            "print(a.grad, b.grad, explain(L, a).gradient, nn.MLP(2, [3, 1])([1.0, 2.0]).data is not None)\n"
            "print(L.draw(edge_labels=True).source.count('->'))")
    assert _run(py, "-c", core, cwd=tmp_path).split()[:4] == ["-3.0", "2.0", "-3.0", "True"]
    for name, (code, extra) in FEATURES.items():
        done = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path,
                              timeout=300)
        message = done.stdout + done.stderr
        assert done.returncode != 0, f"{name} ran without its extra"
        assert f'pip install "chainrule[{extra}]"' in message, f"{name}: {message[-600:]}"
        assert "Traceback" not in message or "MissingExtraError" in message, f"{name}: {message[-600:]}"
