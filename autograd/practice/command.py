"""``chainrule check FILE``: grade a learner's Python file or exercise notebook, offline.

    chainrule check my_engine.py          # every Value-like class: check_engine; op functions: check_op
    chainrule check workbook.ipynb --json # the notebook's cells in order, graded by its own check cells

The file runs in a fresh namespace, its code guarded (a loop that never ends is stopped), in this
process: grade only files you would run yourself. Exit status 0 when every check passed, 1 when one
failed, 2 for a file that cannot be read or run. Added to the ``chainrule`` command through the
``chainrule.commands`` entry point.
"""

from __future__ import annotations

import argparse
import ast
import json
import types
from pathlib import Path
from typing import Any

from .cases import METHODS
from .checks import check_op
from .engine import check_engine
from .guard import Stopped, guarded
from .links import OPS
from .report import Report

__all__ = ["add_command", "grade", "load"]

SUBMISSION = "learner_submission"  # the module name a graded file runs as


def add_command(sub: Any) -> None:
    """Add ``check`` to the ``chainrule`` command's subcommands (an argparse subparsers object)."""
    check = sub.add_parser(
        "check",
        help="grade a learner's Value class and ops (a .py file or a notebook)",
        description="Run a learner's file or exercise notebook and check every Value class "
        "in it (its ops, then its backward()) and every op function against chainrule's "
        "op table; exit 0 only when everything passes.",
    )
    check.add_argument("file", metavar="FILE", help="a .py file or an .ipynb notebook")
    check.add_argument("--json", action="store_true", help="print the reports as JSON")
    check.add_argument(
        "--hints",
        type=int,
        choices=(1, 2, 3, 4),
        default=4,
        help="how many grades of hints to show: 1 idea, 2 rule, 3 numbers, 4 the line (default 4)",
    )
    check.set_defaults(run=_run)


def load(path: Path) -> tuple[dict[str, Any], list[Report]]:
    """Run the file, or the notebook's code cells in order (IPython's % and ! lines left out); return
    its names and the reports its cells show (a notebook's check cells: a Report as a cell's last
    expression), so that a workbook is graded by its own checks."""
    text = path.read_text(encoding="utf-8")
    cells = [text]
    if path.suffix == ".ipynb":
        cells = [
            "\n".join(
                line
                for line in (s if isinstance(s, str) else "".join(s)).splitlines()
                if not line.lstrip().startswith(("%", "!"))
            )
            for s in (c["source"] for c in json.loads(text).get("cells", []) if c.get("cell_type") == "code")
        ]
    module = types.ModuleType(SUBMISSION)
    module.__file__ = str(path)
    shown: list[Report] = []
    for cell in cells:
        tree = ast.parse(cell, str(path))
        last = tree.body[-1] if path.suffix == ".ipynb" and tree.body else None
        if isinstance(last, ast.Expr):  # the cell's last expression: what Jupyter would show
            tree.body.pop()
        guarded(f"running {path.name}", exec, compile(tree, str(path), "exec"), module.__dict__)
        if isinstance(last, ast.Expr):
            value = guarded(
                f"running {path.name}",
                eval,
                compile(ast.Expression(last.value), str(path), "eval"),
                module.__dict__,
            )
            if isinstance(value, Report):
                shown.append(value)
    return module.__dict__, shown


def _is_value(x: Any) -> bool:
    """A class of the learner's whose instances hold ``data`` and ``grad`` (a micrograd-family Value)."""
    if not isinstance(x, type) or x.__module__ != SUBMISSION:
        return False
    try:
        made = guarded(f"making {x.__name__}(1.0)", x, 1.0)
    except (Exception, Stopped):
        return False
    return hasattr(made, "data") and hasattr(made, "grad")


def grade(names: dict[str, Any], hints: int = 4) -> list[Report]:
    """The reports for a learner's names: check_engine for each Value-like class with a ``backward()``,
    check_op for each function named after an op (``exp``, ``mul``, ``rsub``...) that was not checked
    with its class already, built with the learner's first Value-like class."""
    values = [x for x in names.values() if _is_value(x)]
    engines = [cls for cls in values if callable(getattr(cls, "backward", None))]
    reports = [check_engine(cls, hints=hints) for cls in engines]
    for name, fn in names.items():
        if not isinstance(fn, types.FunctionType) or fn.__module__ != SUBMISSION or not values:
            continue
        if any(getattr(cls, m, None) is fn for cls in engines for m in dir(cls)):
            continue  # checked with its class already
        if name in OPS or f"__{name}__" in METHODS:
            reports.append(check_op(fn, value=values[0], hints=hints))
    return reports


def _run(args: argparse.Namespace) -> int:
    """Grade the file; ops the learner's code adds to the op table (define_op) are taken out again
    afterwards, so that grading leaves chainrule as it found it."""
    table = dict(OPS)
    try:
        return _grade_file(Path(args.file), args)
    finally:
        OPS.clear()
        OPS.update(table)


def _grade_file(path: Path, args: argparse.Namespace) -> int:
    try:
        names, shown = load(path)
    except (OSError, UnicodeDecodeError, ValueError, SyntaxError) as e:
        print(f"chainrule check: cannot read {path}: {e}", flush=True)
        return 2
    except (Exception, Stopped) as e:  # the learner's file itself failed to run
        print(f"chainrule check: {path} did not run: {type(e).__name__}: {e}", flush=True)
        return 2
    reports = shown or grade(names, args.hints)  # a notebook's own check cells, else every class and op
    if not reports:
        print(
            f"chainrule check: found nothing to grade in {path}: no class whose instances have data and "
            "grad, or no backward() and no function named after an op (exp, mul, rsub...)"
        )
        return 2
    ok = all(reports)
    if args.json:
        print(
            json.dumps({"file": str(path), "passed": ok, "reports": [r.to_dict() for r in reports]}, indent=1)
        )
    else:
        print("\n\n".join(str(r) for r in reports))
    return 0 if ok else 1
