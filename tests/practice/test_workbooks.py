"""The workbooks: saved unanswered and in step with their sources; run in CI twice, with the reference
solutions put in (every check passes) and with each catalogued wrong solution (its check names the
misconception). The solutions live in tests/support/workbook_answers.py, not in the learners' notebooks."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

from tests.support.workbook_answers import ANSWERS

ROOT = Path(__file__).resolve().parents[2]
WORKBOOKS = ROOT / "notebooks" / "workbooks"

_spec = importlib.util.spec_from_file_location("notebook_build", ROOT / "notebooks" / "build.py")
assert _spec is not None and _spec.loader is not None
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

NAMES = sorted(p.stem for p in (WORKBOOKS / "src").glob("[0-9][0-9]_*.py"))
MARK = re.compile(r"^# EXERCISE (\w+)$", re.M)


def _exercises(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(cell index, exercise name) of each exercise cell; the check is the next cell."""
    return [(i, m.group(1)) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for m in [MARK.search(c.source)] if m]


def _output(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif out.output_type == "error":
            parts.append(f"ERROR {out.ename}: {out.evalue}")
    return "".join(parts)


def _kinds(text: str) -> list[str]:
    return re.findall(r"^✗ .*\[(\w+)\]$", text, re.M)


def test_every_workbook_is_saved_unanswered_and_matches_its_source() -> None:
    assert NAMES == sorted(ANSWERS), "every workbook has its answers in tests/support/workbook_answers.py"
    for name in NAMES:
        nb = nbformat.read(WORKBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        source = build.parse((WORKBOOKS / "src" / f"{name}.py").read_text(encoding="utf-8"))
        saved = [("md" if c.cell_type == "markdown" else "code", c.source) for c in nb.cells]
        assert saved == source, f"{name}.ipynb is out of date: run notebooks/build.py {name[:2]}"
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{name}: has outputs"
        exercises = _exercises(nb)
        assert [e for _, e in exercises] == list(ANSWERS[name]), f"{name}: exercises and answers differ"
        for i, exercise in exercises:
            assert "NotImplementedError" in nb.cells[i].source or "write " in nb.cells[i].source, \
                f"{name}: {exercise} is not saved unanswered"
            assert "check_" in nb.cells[i + 1].source, f"{name}: {exercise} has no check cell after it"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_workbook_with_references_passes_and_each_wrong_solution_is_named(name: str) -> None:
    nb = nbformat.read(WORKBOOKS / f"{name}.ipynb", as_version=4)
    exercises = _exercises(nb)
    for i, exercise in exercises:
        nb.cells[i].source = f"# EXERCISE {exercise}\n" + ANSWERS[name][exercise][0]
    wrong: list[tuple[int, str, str]] = []  # (index of the appended check cell, exercise, misconception)
    for i, exercise in exercises:
        for kind, code in ANSWERS[name][exercise][1].items():
            nb.cells.append(nbformat.v4.new_code_cell(code))
            nb.cells.append(nbformat.v4.new_code_cell(nb.cells[i + 1].source))
            wrong.append((len(nb.cells) - 1, exercise, kind))
        nb.cells.append(nbformat.v4.new_code_cell(ANSWERS[name][exercise][0]))  # the right one back
    build.execute(nb, cwd=WORKBOOKS, timeout=120)
    for i, exercise in exercises:
        text = _output(nb.cells[i + 1])
        assert "everything passed" in text and not _kinds(text), f"{exercise}:\n{text}"
    for index, exercise, kind in wrong:
        text = _output(nb.cells[index])
        assert _kinds(text) == [kind], f"{exercise}, wrong solution '{kind}':\n{text}"


POINTER = re.compile(r"[Ee]xercise (\d+) of\s+workbook (\d+)(?:\s+\(`(notebooks/workbooks/[\w.]+)`\))?")


def test_each_try_this_pointer_names_an_exercise_with_a_check() -> None:
    """A lesson's "exercise N of workbook M" names a workbook that exists, a section "## N." there with
    an exercise cell and a check cell after it (and the file, when the lesson writes its path)."""
    found = 0
    for lesson in sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py")):
        prose = " ".join(s for k, s in build.parse(lesson.read_text(encoding="utf-8")) if k == "md")
        for number, workbook, path in POINTER.findall(prose):
            found += 1
            name = next((n for n in NAMES if n.startswith(f"{int(workbook):02d}_")), None)
            assert name, f"{lesson.name}: there is no workbook {workbook}"
            assert not path or path == f"notebooks/workbooks/{name}.ipynb", f"{lesson.name}: {path}"
            cells = build.parse((WORKBOOKS / "src" / f"{name}.py").read_text(encoding="utf-8"))
            heads = [i for i, (k, s) in enumerate(cells) if k == "md" and s.startswith(f"## {number}.")]
            head = heads[0] if heads else None
            assert head is not None, f"{lesson.name}: workbook {workbook} has no exercise {number}"
            rest = [s for k, s in cells[head + 1:] if k == "code"]
            at = next(i for i, s in enumerate(rest) if MARK.search(s))
            assert "check_" in rest[at + 1], f"{lesson.name}: exercise {number} of workbook {workbook}"
    assert found >= 6
