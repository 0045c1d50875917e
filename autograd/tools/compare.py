"""The engine's gradients next to PyTorch's, for the same function (needs the ``torch`` extra).

What you can do with it::

    from autograd import compare_torch
    compare_torch(lambda x, y: (x * y + 1).tanh() / (x ** 2 + 1), [0.5, -2.0])

prints (and in Jupyter shows as a table) the value and each input's gradient as
this engine computes them and as PyTorch does, in float64, with their difference.
The function is written once, with operators and the methods both libraries share
(``x.exp()``, ``x.log()``, ``x.tanh()``, ``x.sigmoid()``, ``x.relu()``,
``x.sqrt()``, ``x.sin()``, ``x.cos()``, ``abs(x)``, ``x ** k``), and runs on
Values here and on tensors there.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.engine import Value
from ..core.extras import need

__all__ = ["compare_torch", "Comparison"]


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_torch` found: ``rows`` of (what, engine, torch), and the largest difference."""

    rows: tuple[tuple[str, float, float], ...]

    @property
    def largest_difference(self) -> float:
        return max(abs(a - b) for _, a, b in self.rows)

    def __str__(self) -> str:
        lines = [f"{'':12} {'chainrule':>22} {'PyTorch':>22} {'difference':>12}"]
        for what, a, b in self.rows:
            lines.append(f"{what:12} {a:22.15g} {b:22.15g} {abs(a - b):12.3g}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td>{html.escape(w)}</td><td>{a:.15g}</td><td>{b:.15g}</td><td>{abs(a - b):.3g}</td></tr>"
            for w, a, b in self.rows
        )
        return ("<table><thead><tr><th></th><th>chainrule</th><th>PyTorch</th><th>difference</th></tr>"
                f"</thead><tbody>{cells}</tbody></table>")


def compare_torch(fn: Callable[..., Any], inputs: Sequence[float],
                  names: Sequence[str] | None = None) -> Comparison:
    """``fn(*inputs)`` and its gradient, by this engine and by PyTorch (float64), side by side."""
    torch = need("torch", "compare_torch")
    if not callable(fn):
        raise TypeError(f"compare_torch: fn must be a function of the inputs, got {type(fn).__name__}")
    xs = [float(x) for x in inputs]
    if not xs or not all(math.isfinite(x) for x in xs):
        raise ValueError(f"compare_torch: inputs must be one or more finite numbers, got {inputs!r:.80}")
    labels = list(names) if names is not None else [f"x{i}" for i in range(len(xs))]
    if len(labels) != len(xs):
        raise ValueError(f"compare_torch: {len(labels)} names for {len(xs)} inputs")
    vs = [Value(x, label=n) for x, n in zip(xs, labels)]
    out = fn(*vs)
    if not isinstance(out, Value):
        raise TypeError(f"compare_torch: fn must return a Value, got {type(out).__name__}")
    out.backward()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    t_out = fn(*ts)
    t_out.backward()
    rows = [("value", out.data, float(t_out.item()))]
    rows += [(f"d/d{n}", float(v.grad), float(t.grad.item()) if t.grad is not None else 0.0)
             for n, v, t in zip(labels, vs, ts)]
    return Comparison(tuple(rows))
