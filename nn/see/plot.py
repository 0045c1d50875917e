"""Pictures of training: decision boundaries, loss curves, gradient norms (needs matplotlib).

What you can do with it::

    history = nn.fit(model, X, y, loss='hinge', epochs=100, grad_norms=True)
    nn.plot.decision_boundary(model, X, y)     # the regions the model assigns to each class
    nn.plot.history(history)                   # loss and metrics per epoch
    nn.plot.grad_norms(history)                # how large each layer's gradient was

Every function returns the matplotlib ``Figure`` (save it with
``fig.savefig('out.png')``) and accepts an ``ax`` to draw into an existing
plot. matplotlib and NumPy are imported only when a function is called, so
``import nn`` works without them (install the ``plot`` extra).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from autograd import Value, no_grad
from autograd.core.checks import count, real
from autograd.core.extras import need
from autograd.see import palette

from ..data import as_list
from ..module import Module
from ..train import History

__all__ = ["decision_boundary", "history", "grad_norms"]


def _coordinate(v: Any) -> float:
    v = v.data if isinstance(v, Value) else v
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"decision_boundary: points and labels must be numbers, got {type(v).__name__}: "
                        f"{v!r:.40}")
    if not math.isfinite(v):
        raise ValueError(f"decision_boundary: points and labels must be finite numbers, got {v!r}")
    return float(v)


def _argmax(xs: list[float]) -> int:
    return max(range(len(xs)), key=xs.__getitem__)


def _axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, Any]:
    plt = need("matplotlib.pyplot", "nn.see.plot")

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def decision_boundary(model: Module, X: Sequence[Sequence[float]], y: Sequence[float], ax: Any = None,
                      resolution: int = 60, margin: float = 0.5) -> Any:
    """Shade the plane by the class ``model`` predicts there, with the data points on top.

    For a model with one output the class is the sign of the score (the line
    where the score crosses 0 is the boundary); for several outputs it is the
    index of the largest. ``resolution`` is the number of grid points per side
    (each is one forward pass, so keep it modest). Works for 2-D inputs only.
    """
    need("matplotlib.pyplot", "nn.see.plot.decision_boundary")  # the message names the plot extra
    np = need("numpy", "nn.see.plot.decision_boundary")

    if not isinstance(model, Module):
        raise TypeError(f"decision_boundary: model must be an nn.Module, got {type(model).__name__}")
    rows = [as_list("decision_boundary", f"X[{i}]", x)
            for i, x in enumerate(as_list("decision_boundary", "X", X))]
    y = as_list("decision_boundary", "y", y)
    if not rows or any(len(p) != 2 for p in rows):
        raise ValueError("decision_boundary: expected a non-empty list of 2-D points [x1, x2]")
    if len(rows) != len(y):
        raise ValueError(f"decision_boundary: X has {len(rows)} points but y has {len(y)} labels")
    pts = [[_coordinate(v) for v in p] for p in rows]
    y = [_coordinate(t) for t in y]
    margin = real("decision_boundary", "margin", margin, 0.0)
    resolution = count("decision_boundary", "resolution", resolution, least=2)
    xs = np.array(pts)
    labels = np.array([float(t) for t in y])
    lo, hi = xs.min(axis=0) - margin, xs.max(axis=0) + margin
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    with no_grad():
        outs = [model([float(a), float(b)]) for a, b in zip(g1.ravel(), g2.ravel())]
    names: list[str] = []
    if isinstance(outs[0], list):
        # a NaN output has no class: its point is left blank (NaN), not painted as class 0
        classes = np.array([_argmax([v.data for v in o]) if all(v.data == v.data for v in o) else np.nan
                            for o in outs], dtype=float)
        levels = np.arange(len(outs[0]) + 1) - 0.5
        shade = classes
    else:
        shade = np.array([1.0 if o.data > 0 else 0.0 if o.data == o.data else np.nan for o in outs])
        levels = np.array([-0.5, 0.5, 1.5])
        names = ["-1", "+1"] if (labels < 0).any() else ["0", "1"]
        labels = (labels > 0).astype(float)
    fig, ax = _axes(ax, (5.5, 5.0))
    k = max(len(levels) - 1, 2)
    # the palette's class colours: index 1 (+1, or 1) blue and index 0 (-1, or 0) red when k = 2
    colors = [palette.for_class(i, k) for i in range(k)]
    from matplotlib.colors import ListedColormap

    ax.contourf(g1, g2, shade.reshape(g1.shape), levels=levels, cmap=ListedColormap(colors), alpha=0.35)
    for c in range(k):
        mask = labels == c
        if mask.any():
            ax.scatter(xs[mask, 0], xs[mask, 1], s=22, color=colors[c], edgecolors=palette.INK,
                       linewidths=0.5, label=names[c] if names else f"class {c}")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title("decision boundary")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def history(hist: History, ax: Any = None) -> Any:
    """The loss per epoch (left axis) and every metric per epoch (right axis)."""
    if not isinstance(hist, History):
        raise TypeError(f"history: expected the History returned by nn.fit, got {type(hist).__name__}")
    fig, ax = _axes(ax, (6.5, 4.0))
    epochs = range(1, hist.epochs + 1)
    (line,) = ax.plot(epochs, hist.loss, color=palette.INK, label="loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    handles = [line]
    if hist.metrics:
        right = ax.twinx()
        for i, (name, values) in enumerate(hist.metrics.items()):
            (m,) = right.plot(epochs, values, color=palette.OTHERS[i % len(palette.OTHERS)], label=name)
            handles.append(m)
        right.set_ylabel(", ".join(hist.metrics))
    ax.legend(handles=handles, loc="center right")
    ax.set_title("training history" + (" (interrupted)" if hist.interrupted else ""))
    return fig


def grad_norms(hist: History, ax: Any = None) -> Any:
    """Each layer's gradient norm per epoch, on a log scale: vanishing or exploding gradients show here.

    Needs a history from ``nn.fit(..., grad_norms=True)``.
    """
    if not isinstance(hist, History):
        raise TypeError(f"grad_norms: expected the History returned by nn.fit, got {type(hist).__name__}")
    if not hist.grad_norms:
        raise ValueError("grad_norms: the history has no gradient norms; use nn.fit(..., grad_norms=True)")
    fig, ax = _axes(ax, (6.5, 4.0))
    for i, (name, values) in enumerate(hist.grad_norms.items()):
        ax.plot(range(1, len(values) + 1), values, label=name, color=palette.OTHERS[i % len(palette.OTHERS)])
    if all(v > 0 for values in hist.grad_norms.values() for v in values):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm $\\|\\partial L / \\partial \\theta\\|_2$")
    ax.set_title("gradient norm per layer")
    ax.legend(fontsize="small")
    return fig
