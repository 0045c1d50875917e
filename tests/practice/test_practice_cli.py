"""``chainrule check``: a folder of sample submissions graded, with the exit status and the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograd.core.ops import OPS
from tests.support.helpers import run_cli

SUBMISSIONS = sorted((Path(__file__).parent / "submissions").glob("*.py"))


def _expected(path: Path) -> list[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: the first line says what the grade must be"
    return first.removeprefix("# expect: ").split()


def test_the_folder_has_right_wrong_and_broken_submissions() -> None:
    codes = {_expected(p)[0] for p in SUBMISSIONS}
    assert codes == {"0", "1", "2"}


@pytest.mark.parametrize("path", SUBMISSIONS, ids=lambda p: p.name)
def test_each_submission_gets_its_grade(path: Path) -> None:
    want = _expected(path)
    code, out, err = run_cli(["check", str(path), "--json"])
    assert code == int(want[0]), out + err
    if code == 2:
        assert path.name in out and "did not run" in out
        return
    report = json.loads(out)
    assert report["passed"] is (code == 0)
    failures = [(f["op"], f["kind"]) for r in report["reports"] for f in r["failures"]]
    assert failures == ([] if code == 0 else [(want[1], want[2])])


WORKBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks" / "workbooks").glob("*.ipynb"))


@pytest.mark.parametrize("workbook", WORKBOOKS, ids=lambda p: p.stem)
def test_an_unanswered_workbook_is_graded_by_its_own_checks(workbook: Path) -> None:
    table = dict(OPS)
    code, out, _ = run_cli(["check", str(workbook), "--json"])
    assert OPS == table  # workbook 1 defines an op: grading leaves the op table as it was
    report = json.loads(out)
    kinds = {f["kind"] for r in report["reports"] for f in r["failures"]}
    exercises = workbook.read_text(encoding="utf-8").count("# EXERCISE ")  # each followed by its check
    assert code == 1 and kinds == {"unfinished"} and len(report["reports"]) == exercises


def test_plain_text_and_notebooks(tmp_path: Path) -> None:
    source = (Path(__file__).parent / "submissions" / "wrong_exp.py").read_text(encoding="utf-8")
    code, out, _ = run_cli(
        ["check", str(Path(__file__).parent / "submissions" / "wrong_exp.py"), "--hints", "3"]
    )
    assert code == 1 and "[upstream]" in out and "3. numbers:" in out and "4. where" not in out
    cells = [
        {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None},
        {
            "cell_type": "code",
            "metadata": {},
            "source": "%matplotlib inline\nx = 1",
            "outputs": [],
            "execution_count": None,
        },
    ]
    nb = tmp_path / "work.ipynb"
    nb.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    code, out, _ = run_cli(["check", str(nb)])
    assert code == 1 and "[upstream]" in out
    (tmp_path / "syntax.py").write_text("class Value(:\n")
    code, out, _ = run_cli(["check", str(tmp_path / "syntax.py")])
    assert code == 2 and "cannot read" in out and "syntax" in out
    code, out, _ = run_cli(["check", str(tmp_path / "missing.py")])
    assert code == 2 and "cannot read" in out
