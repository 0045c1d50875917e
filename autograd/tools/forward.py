"""Forward mode: push a small change of the inputs through the graph, front to back.

What you can do with it::

    x, y = Value(2.0, label='x'), Value(3.0, label='y')
    f = x * y + x.sin()
    jvp(f, {x: 1.0})            # df/dx = y + cos(x), in one forward sweep
    jvp(f, {x: 1.0, y: 2.0})    # the directional derivative along (1, 2)

Reverse mode (``backward``) starts from the output and gives d f / d input for
every input in one sweep. Forward mode starts from the inputs: give each input
a tangent (how fast it moves), and each node's tangent is the sum over its
parents of d node / d parent times the parent's tangent. One sweep gives one
directional derivative, ``sum of grad_i * tangent_i``. So for one output and n
inputs, reverse mode needs one sweep where forward mode needs n: that is why
training uses backward. Forward mode wins the other way round, with few inputs
and many outputs.

Both sweeps use the same local derivatives, from the op table.
"""

from __future__ import annotations

import math
import numbers
from typing import Mapping

from ..core.engine import Value
from ..core.walk import graph_order, local_numbers

__all__ = ["jvp"]


def jvp(output: Value, tangents: Mapping[Value, float]) -> float:
    """The directional derivative of ``output`` along ``tangents``, by one forward sweep.

    ``tangents`` maps leaves of ``output``'s graph to numbers: ``{x: 1.0}``
    gives d output / d x. Leaves not in the mapping stay fixed (tangent 0); a
    leaf the output does not depend on contributes nothing. The result equals
    ``sum(grad_i * tangents[x_i])`` with the gradients of ``output.backward()``.
    No ``.grad`` is changed.
    """
    if not isinstance(output, Value):
        raise TypeError(f"jvp: output must be a Value, got {type(output).__name__}: {output!r:.80}")
    if not isinstance(tangents, Mapping):
        raise TypeError(f"jvp: tangents must be a dict from Values to numbers, got {type(tangents).__name__}")
    seeds: dict[Value, float] = {}
    for x, t in tangents.items():
        if not isinstance(x, Value):
            raise TypeError(f"jvp: every key of tangents must be a Value, got {type(x).__name__}: {x!r:.80}")
        if x._prev:
            raise ValueError(
                f"jvp: tangents may be given for leaves only (inputs and parameters), "
                f"got a node made by {str(x._op)!r}: {x!r:.80}"
            )
        if isinstance(t, bool) or not isinstance(t, numbers.Real):
            raise TypeError(
                f"jvp: the tangent of {x!r:.60} must be a number, got {type(t).__name__}: {t!r:.60}"
            )
        seeds[x] = float(t)
    dot: dict[Value, float] = {}
    failed: ArithmeticError | ValueError | None = None  # the first slope with no float value (sqrt's at 0)
    for v in graph_order(output, "jvp"):
        if not v._prev:
            dot[v] = seeds.get(v, 0.0)
            continue
        # d v = sum over parents p of (d v / d p) * d p: the chain rule, front to back. A term with a
        # zero factor passes nothing on, as a zero gradient does in backward(), so a node that no
        # tangent reaches needs no local derivative at all.
        tangents_in = [dot[p] for p in v._prev]
        if not any(tangents_in):
            dot[v] = 0.0
            continue
        try:
            ds = local_numbers(v, strict=True)
        except (ArithmeticError, ValueError) as e:  # go on with IEEE's inf or nan; the error waits
            failed = failed or e
            ds = local_numbers(v)
        total = 0.0
        for d, tp in zip(ds, tangents_in):
            if tp != 0.0 and d != 0.0:
                total += d * tp
        dot[v] = total
    if failed is not None and not math.isfinite(dot[output]):
        # the slope reached the output: backward() would need it too, and raise
        raise type(failed)(f"jvp: {failed} (a non-zero tangent carries it to the output)") from None
    return dot[output]
