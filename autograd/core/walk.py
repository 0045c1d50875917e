"""Walking a graph safely, for the tools built on the engine (forward mode, the pictures, training).

What you can do with it::

    order = graph_order(L, "my_tool")   # parents first; a ValueError naming my_tool on a cycle
    local_numbers(L)                    # the numbers backward() multiplies along L's edges
    grad_number(p, "SGD")               # p.grad as a float, or a TypeError naming SGD
    describe(v)                         # how an error message names a node: 'a' or "a tanh node (data 0.5)"

They live in the core because tools, the replay and ``nn`` use them and may import only the core.
Numbers in messages are written exactly (:func:`autograd.core.ops.exact_number`), as the core writes them.
"""

from __future__ import annotations

import math
from typing import Any

from .engine import Value, local_derivatives, topological_order
from .ops import exact_number

__all__ = ["graph_order", "local_numbers", "grad_number", "describe", "op_name"]


def op_name(v: Value) -> str:
    """The name of the op that made ``v``: its table name (``tanh``), or the string of a hand-made op."""
    op = v._op
    return getattr(op, "name", None) or str(op) or ("?" if v._prev else "leaf")


def describe(v: Value) -> str:
    """A node as an error message names it: its label, or its op and number."""
    if v.label:
        return repr(v.label[:60])
    what = f"a {op_name(v)} node" if v._prev else "a leaf"
    try:
        data = exact_number(float(v.data))
    except (TypeError, ValueError):
        data = f"{v.data!r:.40}"
    return f"{what} (data {data})"


def graph_order(root: Value, where: str) -> list[Value]:
    """:func:`autograd.topological_order` of ``root`` (parents first), checked to be one: a
    ValueError naming ``where`` if following ``_prev`` from a node leads back to it.

    Why check: only a ``_prev`` changed by hand makes such a cycle, and the engine's walk ends
    on one too, but the order it gives then puts a node before one of its parents, so a tool
    built on it would read an entry that is not there yet, or compute a number that means
    nothing. The check is one set operation per node."""
    if not isinstance(root, Value):
        raise TypeError(f"{where}: expected a Value, got {type(root).__name__}: {root!r:.80}")
    order = topological_order(root)
    done: set[Value] = set()
    add, all_done = done.add, done.issuperset
    for v in order:
        if not all_done(v._prev):
            parent = next(p for p in v._prev if p not in done)
            raise ValueError(
                f"{where}: the graph has a cycle: {describe(v)} is computed from {describe(parent)}, "
                f"which is itself computed from {describe(v)} (through _prev); a computation graph has no "
                "cycles, so check any _prev set by hand")
        add(v)
    return order


def grad_number(v: Value, where: str) -> float:
    """``v.grad`` as a float (a Value's number for a gradient made with ``create_graph``), or the
    TypeError the optimizers give for a gradient that is not a number (``p.grad = None``)."""
    g = v.grad
    if g.__class__ is float:
        return g
    g = g.data if isinstance(g, Value) else g
    if isinstance(g, (str, bytes)) or not hasattr(g, "__float__"):
        raise TypeError(f"{where}: the node {describe(v)} has grad {g!r:.40}; expected a number "
                        "(run backward() first, or set it to 0.0)")
    return float(g)


def local_numbers(v: Value, strict: bool = False) -> tuple[float, ...]:
    """:func:`autograd.core.engine.local_derivatives` as floats: the numbers ``backward()`` multiplies
    along each edge, as the tools show them.

    Where the op's rule has no float value at this point (sqrt's slope at 0 is ``0.5 / 0``), the
    entry is what IEEE arithmetic makes of the same rule (``inf`` for sqrt at 0, ``nan`` for the
    log of a negative base), computed with NumPy when it is installed (``nan`` without it), and
    ``strict=True`` raises the rule's error instead, naming the op. Why not always raise:
    ``backward()`` skips a node whose gradient is 0 (a zero gradient passes nothing on), so it
    succeeds where this slope is never used, and a picture or an explanation of that graph
    should too; where a non-zero gradient does reach the node, ``backward()`` raises, and so
    does every tool that runs it."""
    try:
        return tuple(float(d) for d in local_derivatives(v))
    except (ArithmeticError, ValueError) as e:
        if strict:
            if isinstance(e, ArithmeticError):
                raise type(e)(f"{op_name(v)}: local derivative: {e}") from None
            raise
        return _ieee_local(v)


def _ieee_local(v: Value) -> tuple[float, ...]:
    """The op's rule evaluated on NumPy numbers, where 1/0 is inf instead of an error."""
    nan = (math.nan,) * len(v._prev)
    local: Any = getattr(v._op, "local", None)
    if local is None:
        return nan  # a hand-written closure computes in Python floats only
    try:
        import numpy as np
    except ImportError:
        return nan
    try:
        with np.errstate(all="ignore"):
            ds = local(np.asarray(v.data), *[np.asarray(p.data) for p in v._prev])
        return tuple(float(d) for d in ds)
    except Exception:  # a rule that cannot run on arrays: no number to show
        return nan
