"""Every code block of the README runs as pasted, and what it says it prints is what it prints.

The blocks are read from README.md itself, so a block edited there is the block tested here:
Python blocks run as scripts in an empty folder; the block of output under the tour is compared
with what the tour prints; the shell block's commands are Makefile targets (checked with
``make -n``: running ``make test`` inside the tests would run the tests inside themselves); the
command line shown for ``chainrule`` runs too.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, re.S | re.M)
PYTHON = [code for kind, code in BLOCKS if kind == "python"]
SHELL = [code for kind, code in BLOCKS if kind == "" and code.lstrip().startswith("make ")]
OUTPUT = [code for kind, code in BLOCKS if kind == "" and not code.lstrip().startswith("make ")]


def run_python(code: str, folder: Path) -> str:
    script = folder / "block.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=folder,
                          timeout=300)
    assert done.returncode == 0, f"the README block failed as pasted:\n{code}\n{done.stderr[-2000:]}"
    return done.stdout


def test_every_block_is_one_of_the_kinds_tested_here() -> None:
    assert len(BLOCKS) == len(PYTHON) + len(SHELL) + len(OUTPUT)
    assert len(PYTHON) >= 2 and len(SHELL) == 1 and len(OUTPUT) == 1


@pytest.mark.parametrize("index", range(len(PYTHON)))
def test_each_python_block_runs_as_pasted(index: int, tmp_path: Path) -> None:
    run_python(PYTHON[index], tmp_path)


def test_the_tour_prints_what_the_readme_shows(tmp_path: Path) -> None:
    tour = README.split("## A ten-line tour", 1)[1]
    code = re.search(r"```python\n(.*?)```", tour, re.S).group(1)  # type: ignore[union-attr]
    printed = run_python(code, tmp_path)
    assert printed.startswith("6.0 -4.0\n")  # as the tour's comment says
    assert OUTPUT[0].strip() in printed  # the explanation shown under it, line for line


def test_adding_an_op_prints_the_numbers_its_comments_give(tmp_path: Path) -> None:
    block = next(code for code in PYTHON if "define_op(" in code)
    grad_line, values_line = run_python(block, tmp_path).splitlines()
    comment = re.search(r"swish'\(1\.5\) = ([\d.]+)\.\.\.", block)
    assert comment is not None and grad_line.startswith(comment.group(1))


def test_the_shell_block_names_makefile_targets() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.fail("the README's commands need make")
    for line in SHELL[0].strip().splitlines():
        command = line.split("#")[0].split()
        assert command[0] == "make" and len(command) == 2, line
        done = subprocess.run([make, "-n", command[1]], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert done.returncode == 0, done.stderr


def test_the_command_line_shown_runs(tmp_path: Path) -> None:
    shown = re.search(r"`(chainrule draw [^`]*)`", README.replace("\n", " "))
    assert shown is not None
    argv = shlex.split(shown.group(1))[1:]
    done = subprocess.run([sys.executable, "-m", "autograd.cli", *argv], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "graph.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
