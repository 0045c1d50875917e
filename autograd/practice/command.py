"""``chainrule check FILE``: grade a learner's Python file or exercise notebook, offline.

    chainrule check my_engine.py          # every Value-like class: check_engine; op functions: check_op
    chainrule check workbook.ipynb --json # the notebook's code cells, run in order; a JSON report

The file runs in a fresh namespace, its code guarded (a loop that never ends is stopped), in this
process: grade only files you would run yourself. Exit status 0 when every check passed, 1 when one
failed, 2 for a file that cannot be read or run. Added to the ``chainrule`` command through the
``chainrule.commands`` entry point.
"""

from __future__ import annotations

import argparse
import json
import types
from pathlib import Path
from typing import Any

from .checks import check_op
from .engine import check_engine
from .guard import Stopped, guarded
from .links import OPS
from .report import Report

__all__ = ["add_command", "grade", "load"]


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


def load(path: Path) -> dict[str, Any]:
    """Run the file (or the notebook's code cells, IPython's % and ! lines left out) and return its names."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text).get("cells", [])
        sources = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells
            if c.get("cell_type") == "code"
        ]
        text = "\n\n".join(
            "\n".join(line for line in s.splitlines() if not line.lstrip().startswith(("%", "!")))
            for s in sources
        )
    module = types.ModuleType("learner_submission")
    module.__file__ = str(path)
    code = compile(text, str(path), "exec")
    guarded(f"running {path.name}", exec, code, module.__dict__)
    return module.__dict__


def _is_engine(x: Any) -> bool:
    return (
        isinstance(x, type)
        and callable(getattr(x, "__add__", None))
        and callable(getattr(x, "__mul__", None))
        and ("backward" in x.__dict__ or any("backward" in k.__dict__ for k in x.__mro__[1:-1]))
        and not (x.__module__ or "").startswith(("autograd", "nn"))
    )


def grade(names: dict[str, Any], hints: int = 4) -> list[Report]:
    """The reports for a learner's names: check_engine for each Value-like class, check_op for each
    function named like an op of the table (``exp``, ``tanh``...) taking a Value."""
    reports: list[Report] = []
    classes = [x for x in names.values() if _is_engine(x)]
    for cls in classes:
        reports.append(check_engine(cls, hints=hints))
    for name, fn in names.items():
        attached = any(getattr(cls, name, None) is fn for cls in classes)  # checked with its class already
        if isinstance(fn, types.FunctionType) and name in OPS and classes and not attached:
            reports.append(check_op(fn, op=name, value=classes[0], hints=hints))
    return reports


def _run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        names = load(path)
    except (OSError, UnicodeDecodeError, ValueError, SyntaxError) as e:
        print(f"chainrule check: cannot read {path}: {e}", flush=True)
        return 2
    except (Exception, Stopped) as e:  # the learner's file itself failed to run
        print(f"chainrule check: {path} did not run: {type(e).__name__}: {e}", flush=True)
        return 2
    reports = grade(names, args.hints)
    if not reports:
        print(f"chainrule check: found no Value class (with __add__, __mul__ and backward) in {path}")
        return 2
    ok = all(reports)
    if args.json:
        print(
            json.dumps({"file": str(path), "passed": ok, "reports": [r.to_dict() for r in reports]}, indent=1)
        )
    else:
        print("\n\n".join(str(r) for r in reports))
    return 0 if ok else 1
