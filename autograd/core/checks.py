"""The checks of arguments, one of each, for autograd and nn alike.

Every public function checks what it is given before it changes anything, and says which
function and which argument is wrong and what was expected::

    n = count("Layer", "nin", nin)                       # an int >= 1 (NumPy integers too)
    lr = real("SGD", "lr", lr, low=0.0, low_open=True)   # a finite float > 0
    flag("draw_dot", edge_labels=edge_labels)            # True or False
    rankdir = choice("draw_dot", "rankdir", rankdir, ("LR", "TB", "RL", "BT"))

A value of the wrong kind (a string for a size, a bool for a number) is a TypeError; a value
of the right kind outside its range is a ValueError. Booleans are never numbers here, though
Python counts ``True`` as 1: ``Layer(True, 3)`` is almost always a mistake.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

__all__ = ["count", "real", "flag", "choice", "memory_available"]


def _kind(x: Any) -> str:
    return f"{type(x).__name__}: {x!r:.60}"


def count(where: str, name: str, n: Any, least: int = 1, *, or_none: bool = False) -> int:
    """``n`` as an int >= ``least`` (NumPy integers too). ``or_none=True`` is for a limit that None
    lifts (``max_nodes=None``): the caller passes None on, and the message offers it."""
    expected = "a positive integer" if least == 1 else f"an integer >= {least}"
    expected += " or None" if or_none else ""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{where}: {name} must be {expected}, got {_kind(n)}")
    if n < least:
        raise ValueError(f"{where}: {name} must be {expected}, got {n!r:.60}")
    return int(n)


def real(where: str, name: str, x: Any, low: float = -math.inf, high: float = math.inf, *,
         low_open: bool = False, high_open: bool = False) -> float:
    """``x`` as a finite float within the bounds (closed unless low_open/high_open); NumPy floats too."""
    bounds = [f"{'>' if low_open else '>='} {low:g}"] if low > -math.inf else []
    bounds += [f"{'<' if high_open else '<='} {high:g}"] if high < math.inf else []
    expected = "a finite number" + (f" {' and '.join(bounds)}" if bounds else "")
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: {name} must be {expected}, got {_kind(x)}")
    f = float(x)
    inside = (low < f if low_open else low <= f) and (f < high if high_open else f <= high)
    if not (math.isfinite(f) and inside):
        raise ValueError(f"{where}: {name} must be {expected}, got {x!r:.60}")
    return f


def flag(where: str, **flags: Any) -> None:
    """Each of ``flags`` must be True or False."""
    for name, given in flags.items():
        if not isinstance(given, bool):
            raise TypeError(f"{where}: {name} must be True or False, got {_kind(given)}")


def choice(where: str, name: str, x: Any, options: Iterable[Any]) -> Any:
    """``x`` if it is one of ``options`` (compared by equality, strings and None alike), else a ValueError."""
    options = list(options)
    if not any(x is o or (type(x) is type(o) and x == o) for o in options):
        listed = ", ".join(map(repr, options[:-1])) + (" or " if len(options) > 1 else "") + repr(options[-1])
        raise ValueError(f"{where}: {name} must be {listed}, got {x!r:.60}")
    return x


def memory_available() -> int | None:
    """The bytes the system says can still be allocated (Linux's MemAvailable), or None elsewhere."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return None
