"""How ``nn`` objects look in Jupyter: a model's parts and parameter count, a training history.

    model                      # in a cell: the model, its parts and how many parameters each has
    model.parameter_table()    # every named parameter with its number and gradient
    history                    # the last epoch's loss and metrics, and a small loss curve

The plain ``repr`` of each stays as it was; these are what Jupyter shows instead. The
pictures are inline SVG drawn in the page's own colour, so they need no plotting
library and read in light and dark themes.
"""

from __future__ import annotations

import math
from typing import Any

from autograd.see.display import html_table
from autograd.see.text import shown as number  # a number as every picture writes it, else its repr

__all__ = ["module_html", "ParameterTable", "history_html", "sparkline"]


def _children(module: Any) -> list[tuple[str, Any]]:
    """The modules a module is made of, with their names (``layers.0``, ``neurons.3``, ``body``)."""
    def is_module(v: Any) -> bool:
        return callable(getattr(v, "named_parameters", None))

    found = []
    for name, value in vars(module).items():
        if is_module(value):
            found.append((name, value))
        elif isinstance(value, (list, tuple)) and value and all(is_module(v) for v in value):
            found += [(f"{name}.{i}", v) for i, v in enumerate(value)]
    return found


def module_html(module: Any) -> str:
    """A model as a table of its parts (name, what it is, parameters), with the total in the caption."""
    total = len(module.parameters())
    rows = [(name, repr(child), len(child.parameters())) for name, child in _children(module)]
    caption = f"{module!r}: {total} parameter{'s' if total != 1 else ''}"
    if not rows:
        return html_table(["parameters"], [[total]], caption)
    return html_table(["part", "module", "parameters"], rows, caption)


class ParameterTable:
    """Every named parameter of a model with its number and gradient (``model.parameter_table()``)."""

    def __init__(self, module: Any) -> None:
        self.rows = [(name, p.data, p.grad) for name, p in module.named_parameters()]

    def __repr__(self) -> str:
        width = max((len(n) for n, _, _ in self.rows), default=4)
        lines = [f"{'name':{width}}  {'data':>12}  {'grad':>12}"]
        lines += [f"{n:{width}}  {number(d):>12}  {number(g):>12}" for n, d, g in self.rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return html_table(["name", "data", "grad"], [(n, number(d), number(g)) for n, d, g in self.rows])


def sparkline(values: list[float], width: int = 220, height: int = 48) -> str:
    """A small inline SVG line through ``values`` (finite ones only), drawn in the text colour."""
    pts = [(i, v) for i, v in enumerate(values) if math.isfinite(v)]
    if len(pts) < 2:
        return ""
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span, last = (hi - lo) or 1.0, max(i for i, _ in pts) or 1
    coords = " ".join(f"{2 + (width - 4) * i / last:.1f},{height - 2 - (height - 4) * (v - lo) / span:.1f}"
                      for i, v in pts)
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="loss per epoch">'
            f'<polyline points="{coords}" fill="none" stroke="currentColor" stroke-width="1.5"/></svg>')


def history_html(history: Any) -> str:
    """A training history: epochs, the last loss and metrics, and the loss curve."""
    rows: list[tuple[str, str]] = [("epochs", str(history.epochs))]
    if history.loss:
        rows.append(("loss", f"{number(history.loss[-1])} (first {number(history.loss[0])})"))
    rows += [(name, number(vals[-1])) for name, vals in history.metrics.items() if vals]
    if history.interrupted:
        rows.append(("stopped", "interrupted"))
    table = html_table(["", "last epoch"], rows, "History")
    return f"<div>{table}{sparkline(history.loss)}</div>" if history.loss else table
