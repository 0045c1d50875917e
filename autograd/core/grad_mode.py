"""When ops record the graph: ``no_grad`` turns recording off in a block, ``enable_grad`` back on.

    with no_grad():
        y = x * 2          # a leaf: no graph, nothing to backpropagate (an update step, an evaluation)

Both work as decorators too (``@no_grad()``). The switch is :data:`autograd.core.engine.recording`, a
context variable, so a block in one thread or asyncio task leaves every other one recording."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from .engine import recording

__all__ = ["no_grad", "enable_grad", "is_grad_enabled"]


@contextmanager
def _recording_as(state: Any) -> Iterator[None]:
    token = recording.set(state)
    try:
        yield
    finally:
        recording.reset(token)


def no_grad() -> Any:
    """Stop recording (ops make leaves) in this thread and task: ``with no_grad():``, ``@no_grad()``."""
    return _recording_as(False)


def enable_grad() -> Any:
    """Turn graph recording back on inside a ``no_grad`` block (context manager and decorator)."""
    return _recording_as(True)


def is_grad_enabled() -> bool:
    """Whether ops record the graph here (False inside ``no_grad``)."""
    return recording.get() is not False
