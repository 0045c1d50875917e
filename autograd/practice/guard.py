"""Run a learner's code with a budget, so that a loop that never ends is stopped and reported.

A learner's ``_backward`` may loop forever (``while node._prev: ...`` with the wrong variable) and
a ``backward()`` may call itself without end. :func:`guarded` runs a call with a trace function
that counts the bytecode instructions Python executes and stops the call with :class:`Stopped`
once the budget is spent; a ``RecursionError`` is turned into :class:`Stopped` too, with
``recursion=True``.

Why instructions and not lines: ``while True: pass`` is one line that jumps to itself, and Python
reports no new line for it. Why a count and not seconds: a count does not depend on how busy the
machine is, so the same code is stopped at the same place on every run (and no test can fail
because a machine is slow). The trace function is only installed while the learner's code runs,
and is put back as it was; chainrule's own functions called meanwhile are not counted.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, TypeVar

from .learner import LIBRARY, code_line

__all__ = ["Stopped", "guarded", "STEPS"]

T = TypeVar("T")

#: Bytecode instructions a guarded call may run (a 1,500-node chain through micrograd's class and
#: its backward() take about 0.1 M).
STEPS = 2_000_000


class Stopped(Exception):
    """The learner's code ran out of its budget of steps, or hit Python's recursion limit."""

    def __init__(self, what: str, recursion: bool = False) -> None:
        self.what, self.recursion = what, recursion
        reason = (
            "hit Python's recursion limit (a function that calls itself, once per node or without end)"
            if recursion
            else f"did not finish within {STEPS:,} steps of Python (a loop that never ends?)"
        )
        super().__init__(f"{what} {reason}; it was stopped")

    @property
    def kind(self) -> str:
        """The misconception: ``'recursion'`` or ``'hang'``."""
        return "recursion" if self.recursion else "hang"

    def line(self) -> str:
        """The learner's line the code was stuck on: a loop's own line (the budget ran out there), or
        for a recursion the call its deepest stack repeated most ('' when unknown)."""
        stuck = self.__context__ if self.recursion else self
        return code_line(None, stuck, repeated=self.recursion) if stuck is not None else ""


def guarded(what: str, fn: Callable[..., T], *args: Any, steps: int | None = None) -> T:
    """``fn(*args)``, stopped with :class:`Stopped` after ``steps`` lines (default :data:`STEPS`) or at
    the recursion limit; ``what`` names the call in the message ("your backward()")."""
    budget = [STEPS if steps is None else steps]

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "opcode":
            budget[0] -= 1
            if budget[0] < 0:
                raise Stopped(what)
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename.startswith(LIBRARY):
            return None  # chainrule's own code (the reference the learner's is compared with) runs untraced
        frame.f_trace_opcodes = True
        return local

    before = sys.gettrace()
    sys.settrace(tracer)
    try:
        return fn(*args)
    except RecursionError:
        raise Stopped(what, recursion=True) from None
    finally:
        sys.settrace(before)
