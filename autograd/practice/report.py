"""What a check found: a :class:`Report` (truthy exactly when everything passed) of :class:`Failure` s.

Each failure names the op (``'exp'``; ``'backward'`` for the walk), the misconception (``kind``) and
four hints, graded from the idea to the line to fix; ``str(report)`` prints them (as many grades as
the check was asked for, all four by default), ``report.solution()`` the corrected lines, only when
asked, and in Jupyter the report shows the learner's own graph with the wrong edge highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..see.palette import WHITE
from .links import html_text

__all__ = ["Failure", "Report", "GRADES"]

#: The four grades of hints, in the order they are given.
GRADES = ("idea", "rule", "numbers", "where")


@dataclass
class Failure:
    """One thing wrong: ``op`` (the table's name, or ``'backward'``), ``kind`` (the misconception's short
    name, or ``'wrong'``), ``title`` (it in words), ``hints`` (idea, rule, numbers, where: the line to
    fix), ``solution`` (the right line), and the picture's ingredients (``graph``: see
    :mod:`autograd.practice.graph`). ``message`` is the hints as the report shows them."""

    op: str
    kind: str
    title: str
    hints: tuple[str, str, str, str]
    solution: str = ""
    graph: Any = None
    level: int = 4

    @property
    def message(self) -> str:
        return "\n".join(f"{i + 1}. {GRADES[i]}: {h}" for i, h in enumerate(self.hints[: self.level]) if h)


@dataclass
class Report:
    """The result of :func:`check_op` or :func:`check_engine`: ``failures``, ``passed`` (what was checked
    and right), ``skipped`` (what could not be checked, and why) and ``notes`` (advice that is not a
    failure); ``points``: how many test points the ops were run at. ``bool(report)`` is True exactly
    when there is no failure."""

    subject: str
    failures: list[Failure] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    points: int = 0

    def __bool__(self) -> bool:
        return not self.failures

    @property
    def kinds(self) -> list[str]:
        """The misconception of each failure, in order."""
        return [f.kind for f in self.failures]

    def __str__(self) -> str:
        n = len(self.passed)
        checks = f"{n} check{'s' if n != 1 else ''} passed"
        problems = f"{len(self.failures)} problem{'s' if len(self.failures) > 1 else ''}"
        points = f", {self.points} test points" if self.points else ""
        head = f"{self.subject}: {'everything passed' if self else problems} ({checks}{points})"
        lines = [head]
        for f in self.failures:
            lines += ["", f"✗ {f.op}: {f.title}   [{f.kind}]"]
            lines += ["  " + line for line in f.message.splitlines()]
            if f.solution:
                lines.append("  (report.solution() shows the corrected line)")
        if self.passed:
            lines += ["", "✓ " + ", ".join(self.passed)]
        lines += [f"- not checked: {text}" for text in self.skipped]
        lines += [f"! {text}" for text in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def solution(self) -> str:
        """The corrected line of each failure (ask for it only after trying the hints)."""
        shown = "\n".join(f"{f.op}: {f.solution}" for f in self.failures if f.solution)
        if shown or not self.failures:
            return shown or "nothing to correct"
        return "no corrected line for this check: the hints' numbers and formulas are the way to it"

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (``chainrule check --json``)."""
        return {
            "subject": self.subject,
            "passed": bool(self),
            "checks_passed": self.passed,
            "skipped": self.skipped,
            "notes": self.notes,
            "failures": [
                {
                    "op": f.op,
                    "kind": f.kind,
                    "title": f.title,
                    "hints": dict(zip(GRADES, f.hints)),
                    "solution": f.solution,
                }
                for f in self.failures
            ],
        }

    def _repr_html_(self) -> str:
        from .graph import failure_svg  # Graphviz only when a picture is asked for

        text = "\n".join(html_text(line) for line in str(self).splitlines())  # line breaks kept, not shown
        parts = [f"<pre style='white-space:pre-wrap'>{text}</pre>"]
        for f in self.failures[:3]:
            svg = failure_svg(f)
            if svg:
                whose = "the function's graph" if f.graph[0] == "grads" else "your graph"
                parts.append(
                    f"<div><b>{html_text(f.op)}: {whose}, the wrong edge highlighted</b>"
                    f"<div style='overflow:auto;background:{WHITE}'>{svg}</div></div>"
                )
        return "<div class='cr-practice'>" + "".join(parts) + "</div>"
