"""Plot a function of one variable next to its derivative, computed by the engine.

What you can do with it::

    fig = plot_derivative(lambda x: 3 * x**2 - 4 * x + 5, (-5, 5), at=3.0)
    fig.savefig('f.png')     # or leave ``fig`` as a cell's last expression in Jupyter

The top panel draws f, the bottom panel f' as ``backward()`` computes it at
every point. With ``at=x0``, the top panel also draws the tangent at x0 whose
slope is the finite difference (f(x0 + h) - f(x0 - h)) / 2h, and both panels
mark x0 with the two slopes: the nudge-it-and-see picture that the chain rule
makes exact.

matplotlib is imported only when a plot is made, so the engine does not need it.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ..core.checks import count, real
from ..core.engine import Value
from ..core.extras import need
from ..core.walk import grad_number
from . import palette
from .text import format_number

__all__ = ["plot_derivative"]


def _call(f: Callable[[Value], Any], x: float) -> tuple[float, float]:
    """f(x) and f'(x) from the engine; NaN for both where f is not defined."""
    v = Value(x, label="x")
    try:
        y = f(v)
    except (ValueError, ArithmeticError):
        return math.nan, math.nan
    if isinstance(y, Value):
        try:
            y.backward()
        except (ValueError, ArithmeticError):  # f is defined here but has no slope (sqrt at 0): a gap
            return float(y.data), math.nan
        return float(y.data), grad_number(v, "plot_derivative")
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        return float(y), 0.0  # f ignored its input: a constant
    raise TypeError(f"plot_derivative: f must return a Value or a number, got {type(y).__name__}: {y!r:.80}")


def plot_derivative(
    f: Callable[[Value], Any],
    x_range: tuple[float, float] = (-5.0, 5.0),
    at: float | None = None,
    *,
    num: int = 201,
    h: float = 1e-4,
) -> Any:
    """Draw f and its derivative f' (from the engine) over ``x_range``; returns the Figure.

    ``f`` takes one Value and returns a Value, e.g. ``lambda x: x.tanh()``.
    Points where f is undefined (``log`` of a negative number) are left blank.
    ``at`` adds the finite-difference slope with step ``h`` at that point, and
    the tangent line it gives. ``num`` is the number of points sampled.
    """
    if not callable(f):
        raise TypeError(f"plot_derivative: f must be a function of one Value, got {type(f).__name__}")
    try:
        if isinstance(x_range, (str, bytes, dict)) or any(isinstance(x, (str, bytes)) for x in x_range):
            raise TypeError
        lo, hi = (float(x_range[0]), float(x_range[1]))
        if len(x_range) != 2:
            raise ValueError
    except (TypeError, ValueError, IndexError):
        raise TypeError(f"plot_derivative: x_range must be a pair (low, high), got {x_range!r:.80}") from None
    if not lo < hi:
        raise ValueError(f"plot_derivative: x_range must have low < high, got {x_range!r}")
    num = count("plot_derivative", "num", num, least=2)
    h = real("plot_derivative", "h", h, low=0.0, low_open=True)
    if at is not None:
        at = real("plot_derivative", "at", at)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"plot_derivative: x_range must hold finite numbers, got {x_range!r:.80}")

    Figure = need("matplotlib.figure", "plot_derivative").Figure

    xs = [lo + (hi - lo) * i / (num - 1) for i in range(num)]
    ys, dys = zip(*[_call(f, x) for x in xs])
    fig = Figure(figsize=(7, 5.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(xs, ys, color=palette.INK, label="f(x)")
    bottom.plot(xs, dys, color=palette.OTHERS[0], label="f'(x) from backward()")
    for ax in (top, bottom):
        ax.axhline(0.0, color=palette.FRAME, linewidth=0.6)
        ax.grid(alpha=0.3)
    top.set_ylabel("f(x)")
    bottom.set_ylabel("f'(x)")
    bottom.set_xlabel("x")
    if at is not None:
        x0 = float(at)
        y0, engine_slope = _call(f, x0)
        fd = (_call(f, x0 + h)[0] - _call(f, x0 - h)[0]) / (2 * h)
        span = (hi - lo) / 6
        top.plot([x0 - span, x0 + span], [y0 - fd * span, y0 + fd * span], "--", color=palette.OTHERS[2],
                 label=f"tangent at x = {format_number(x0)}, finite-difference slope {format_number(fd)}")
        top.plot([x0], [y0], "o", color=palette.OTHERS[2])
        bottom.plot([x0], [engine_slope], "o", color=palette.OTHERS[2],
                    label=f"f'({format_number(x0)}) = {format_number(engine_slope)} (backward), "
                          f"{format_number(fd)} (finite difference)")
    top.legend(loc="best", fontsize=9)
    bottom.legend(loc="best", fontsize=9)
    return fig
