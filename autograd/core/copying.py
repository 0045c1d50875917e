"""``copy.deepcopy`` and ``pickle`` for Values: whole graphs, however deep, ops included.

Python copies an object by first copying what it refers to, so a node would
copy its parents, which copy theirs, and so on: a chain of 100,000 nodes would
exceed the recursion limit. Here the node that is copied first lists every node
it depends on, parents first; by the time each of those is copied, its parents
already are, so nothing recurses. The copy of a graph is a graph with the same
shape, numbers, labels, ops and free attributes, and nodes shared by the
things copied together stay shared. Ops are copied as themselves (one object
per op; a pickled graph that uses an op from ``define_op`` needs that op
defined again before it is loaded).

A node built by hand with a ``_backward`` closure cannot be copied: the closure
would still refer to the original nodes, and a copy's gradients would go there.
"""

from __future__ import annotations

import copyreg
import threading
from typing import Any, cast

from .engine import Value, topological_order
from .ops import Op

_covered = threading.local()  # ids of the nodes whose parents-first list is being written, per thread


def _reduce(v: Value) -> tuple[Any, ...]:
    extra = cast(Any, object.__getstate__(v))[0]  # the free attributes, or None (asking creates no dict)
    if v._op.__class__ is not Op and extra and "_backward" in extra:
        raise TypeError(f"cannot copy or pickle a node whose _backward is a closure you wrote ({v._op!r}): "
                        "it refers to the original nodes; define the op with autograd.define_op instead")
    ids: set[int] = getattr(_covered, "ids", set())
    if id(v) in ids:  # part of a graph being written: its parents are written already
        ids.discard(id(v))
        first: list[Value] = []
    else:
        first = topological_order(v)[:-1]
        _covered.ids = {id(u) for u in first}
    fields = {"data": v.data, "grad": v.grad, "_op": v._op, "_a": v._a, "_b": v._b}  # a label is in extra
    return _rebuild, (first,), (extra, fields)  # the state pickle and copy set: free attributes, then slots


def _rebuild(first: list[Value]) -> Value:
    """A blank node; ``first`` (its ancestors, parents first) is there only to be copied before it."""
    return Value.__new__(Value)


copyreg.pickle(Value, _reduce)
