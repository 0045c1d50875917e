"""Plot a function of one variable next to its derivative, computed by the engine; and the blocks of a
big graph (attention maps, gradient sizes).

What you can do with it::

    fig = plot_derivative(lambda x: 3 * x**2 - 4 * x + 5, (-5, 5), at=3.0)
    fig.savefig('f.png')     # or leave ``fig`` as a cell's last expression in Jupyter
    plot_attention(loss)     # a graph built inside track_blocks(): each head's attention weights
    plot_block_grads(loss, 'loss > pos_id=3 > forward > li=0')   # |grad| through each block, as bars

The top panel draws f, the bottom panel f' as ``backward()`` computes it at
every point. With ``at=x0``, the top panel also draws the tangent at x0 whose
slope is the finite difference (f(x0 + h) - f(x0 - h)) / 2h, and both panels
mark x0 with the two slopes: the nudge-it-and-see picture that the chain rule
makes exact.

matplotlib is imported only when a plot is made, so the engine does not need it.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from ..core.checks import count, real
from ..core.engine import Value
from ..core.extras import need
from ..core.walk import grad_number, graph_order
from . import palette
from .text import format_number

__all__ = ["plot_derivative", "plot_attention", "plot_block_grads"]

_LOOP = re.compile(r"\w+=-?\d+")  # a loop iteration's step in a block path: h=2


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


# --- pictures of a graph's blocks (a graph built inside autograd.track_blocks()) --------------------

_FONT = 11  # points: 15 px at matplotlib's 100 dpi, never under 12 px


def _blues() -> Any:
    colors = need("matplotlib.colors", "plot_attention")
    return colors.LinearSegmentedColormap.from_list("chainrule_blue", [palette.WHITE, palette.BLUE])


def _attention_pattern(root: Value) -> tuple[str, ...]:
    """The blocks of the first ``softmax`` call made inside two loops, every iteration: ``h=*``."""
    from .blocks import block_of
    for v in graph_order(root, "plot_attention"):
        b = block_of(v)
        if b is None:
            continue
        for k, step in enumerate(b.path):
            loops = [s for s in b.path[:k] if _LOOP.fullmatch(s)]
            if "softmax" in step and len(loops) >= 2:
                return tuple(s.split("=")[0] + "=*" if _LOOP.fullmatch(s) else s for s in b.path[:k + 1])
    raise ValueError("plot_attention: found no softmax call made inside two loops (positions and heads); "
                     "name the blocks with block='... > pos_id=* > ... > h=* > _softmax'")


def plot_attention(root: Value, block: Any = None, *, labels: Any = None) -> Any:
    """The attention weights of each head as heatmaps: one panel per head, a row per query position,
    a column per key position it attends to (blue, deeper for a larger weight; blank: not attended).

    ``root`` is a graph built inside ``autograd.track_blocks()``; ``block`` names the softmax blocks,
    with ``*`` for the iterations that make rows and panels: the first ``name=*`` gives the rows
    (``pos_id=*``), the last the panels (``h=*``). By default, the first ``softmax`` call made
    inside two loops. The weights are the numbers each softmax call returned (its results, in the
    order it made them). ``labels`` names the positions (the document's characters). Returns the
    Figure."""
    from .blocks import SEP, block_outputs, parse_path
    if not isinstance(root, Value):
        raise TypeError(f"plot_attention: root must be a Value, got {type(root).__name__}: {root!r:.80}")
    pattern = _attention_pattern(root) if block is None else parse_path("plot_attention", block)
    loops = [i for i, s in enumerate(pattern) if s.endswith("=*")]
    if not loops:
        raise ValueError(f"plot_attention: block {SEP.join(pattern)!r} has no loop step with '=*' "
                         "to make the rows (e.g. pos_id=*)")
    Figure = need("matplotlib.figure", "plot_attention").Figure
    found = block_outputs(root, pattern)
    rows_at, panels_at = loops[0], loops[-1]
    grid: dict[tuple[int, int], list[float]] = {}
    for path, nodes in found.items():
        row = int(path[rows_at].split("=")[1])
        key = (row, int(path[panels_at].split("=")[1]) if panels_at != rows_at else 0)
        if key in grid:
            raise ValueError(f"plot_attention: several blocks match {SEP.join(pattern)!r} for the same row "
                             "and panel; write the other steps out instead of '*'")
        grid[key] = [v.data for v in nodes]
    rows = sorted({r for r, _ in grid})
    panels = sorted({p for _, p in grid})
    width = max(len(w) for w in grid.values())
    if labels is not None:
        labels = [str(x) for x in labels]
    fig = Figure(figsize=(min(3.2 * len(panels), 13.0), 3.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    cmap = _blues()
    image = None
    for ax, panel in zip(axes, panels):
        data = [[math.nan] * width for _ in rows]
        for i, r in enumerate(rows):
            for j, w in enumerate(grid.get((r, panel), [])):
                data[i][j] = w
        image = ax.imshow(data, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
        name = pattern[panels_at].split("=")[0]
        title = f"{name}={panel}" if panels_at != rows_at else SEP.join(pattern[-2:])
        ax.set_title(title, fontsize=_FONT + 1)
        ax.set_xticks(range(width))
        ax.set_yticks(range(len(rows)))
        ax.set_xticklabels(labels[:width] if labels else range(width), fontsize=_FONT)
        ax.set_yticklabels([labels[r] if labels and r < len(labels) else r for r in rows], fontsize=_FONT)
        ax.set_xlabel("attends to (key position)", fontsize=_FONT)
    axes[0].set_ylabel(f"query ({pattern[rows_at].split('=')[0]})", fontsize=_FONT)
    if image is not None:
        bar = fig.colorbar(image, ax=list(axes), shrink=0.9)
        bar.ax.tick_params(labelsize=_FONT)
        bar.set_label("attention weight", fontsize=_FONT)
    fig.suptitle(f"attention weights: {SEP.join(pattern)}", fontsize=_FONT + 1)
    return fig


def plot_block_grads(root: Value, block: Any = None) -> Any:
    """The size of the gradient through each block of the block view of ``root`` (zoomed into
    ``block``, as ``draw_dot(root, view='blocks', block=block)``) as a bar chart: the norm of the grads
    of each block's outputs after ``backward()``, on a log scale when they span more than 100x.
    Returns the Figure."""
    from .blocks import SEP, block_view, short_site
    if not isinstance(root, Value):
        raise TypeError(f"plot_block_grads: root must be a Value, got {type(root).__name__}: {root!r:.80}")
    Figure = need("matplotlib.figure", "plot_block_grads").Figure
    plan = block_view(root, block, max_nodes=0)  # never node by node: one bar per box
    boxes = [b for b in plan.boxes if b.kind == "block"]
    if not boxes:
        raise ValueError(f"plot_block_grads: block {SEP.join(plan.path)!r} has no blocks inside it to "
                         "compare")
    norms = [b.grad_norm() for b in boxes]
    names = [b.name + (f"  {short_site(b.site, 30)}" if b.site and "=" not in b.name else "") for b in boxes]
    fig = Figure(figsize=(9.0, 0.42 * len(boxes) + 1.4), layout="constrained")
    ax = fig.subplots()
    ax.barh(range(len(boxes)), norms, color=palette.BLUE)
    ax.set_yticks(range(len(boxes)))
    ax.set_yticklabels(names, fontsize=_FONT, fontfamily="monospace")
    ax.invert_yaxis()  # the first block on top, as in the picture of the graph
    positive = [x for x in norms if x > 0]
    if positive and max(positive) > 100 * min(positive):
        ax.set_xscale("log")
    for i, x in enumerate(norms):
        ax.text(x, i, f" {format_number(x)}", va="center", fontsize=_FONT, color=palette.INK)
    ax.tick_params(axis="x", labelsize=_FONT)
    ax.set_xlabel("|grad| through the block (norm of its outputs' grads)", fontsize=_FONT)
    ax.set_title(f"{SEP.join(plan.path) or 'the whole graph'}", fontsize=_FONT + 1)
    return fig
