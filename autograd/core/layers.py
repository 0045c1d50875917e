"""Weighted sums, the arithmetic of a neuron: ``dot`` for one, ``dots`` for a layer of them.

    z = dot(ws, xs, b)                 # w_1 x_1 + ... + w_n x_n + b, as one node
    zs = dots(rows, xs, biases)        # one such node per row: a layer's neurons
    z = dot(ws, xs, b, fused=False)    # the same sum as micrograd builds it, one node per * and +

One ``dot`` node (the op ``DOT`` of the table) keeps a neuron's graph small enough
to read and quick to differentiate; ``fused=False`` builds the long way, node for
node what ``sum((w * x for w, x in zip(ws, xs)), b)`` gives, so that every product
of a neuron can be seen in a picture. Both give the same gradients.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from .engine import Value, apply, recording
from .ops import DOT, weighted_sum

__all__ = ["dot", "dots"]


def dot(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None, fused: bool = True) -> Value:
    """The weighted sum ``w_1*x_1 + ... + w_n*x_n (+ bias)`` (numbers are accepted anywhere a Value is).

    Fused, it is one node whose parents are ``(*ws, *xs)`` and then ``bias``; its local
    derivatives are d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1. With ``fused=False`` it is
    ``((bias + w_1*x_1) + w_2*x_2) + ...``, one node per product and per sum (without a
    bias the chain starts at the first product).
    """
    ws, xs = _items("dot", "ws", ws), _items("dot", "xs", xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot: expected ws and xs of the same length, got {len(ws)} weights and {len(xs)} "
                         "inputs")
    if fused:
        return _layer([ws], _values(xs), [bias])[0]
    terms = [w * x for w, x in zip(_values(ws), _values(xs))]
    if bias is not None:
        terms.insert(0, _values([bias])[0])
    return sum(terms[1:], terms[0]) if terms else Value(0.0)


def dots(rows: Sequence[Sequence[Any]], xs: Sequence[Any], biases: Sequence[Any] | None = None,
         fused: bool = True) -> list[Value]:
    """``[dot(row, xs, bias) for row, bias in zip(rows, biases)]``: the weighted sums of a layer."""
    rows = _items("dots", "rows", rows)
    xs = _values(_items("dots", "xs", xs))  # a leaf per number, once for all rows
    if biases is None:
        biases = [None] * len(rows)
    elif len(biases) != len(rows):
        raise ValueError(f"dots: expected one bias per row, got {len(biases)} biases for {len(rows)} rows")
    for i, row in enumerate(rows):
        if len(row) != len(xs):
            raise ValueError(f"dots: expected every row to have one weight per input, got {len(row)} weights "
                             f"in row {i} and {len(xs)} inputs")
    if fused:
        return _layer(rows, xs, biases)
    return [dot(row, xs, bias, fused) for row, bias in zip(rows, biases)]


def _layer(rows: list[Any], xs: list[Value], biases: Sequence[Any]) -> list[Value]:
    """The fused nodes of ``dots`` (and of ``dot``, a layer of one row): each row becomes its DOT
    node at once, its number summed by DOT's own :func:`weighted_sum` from the inputs' numbers read
    once for all rows, the node's slots filled as :func:`make_node` fills them (spelled out here:
    tests/core/test_fast_paths.py compares the two). Why not a ``make_node`` call per row after a type check
    of every weight: with :func:`each`, this loop took the fused demo step's forward pass from 94 to 80
    million instructions (callgrind), what had left ``nn.MLP`` slower than at commit 507c22a (make
    bench's row "fused nn.MLP ... against commit 507c22a"). Inside ``no_grad``
    each is a leaf holding that number; a watcher (anomaly mode, the replay) gets each node through
    ``apply``."""
    state = recording.get()
    if state is not True and state is not False:  # a watcher: it makes each node (and reads no number here)
        return [apply(DOT, *_values(row), *xs, *([] if b is None else _values([b])))
                for row, b in zip(rows, biases)]
    xs_t, xdata, out = tuple(xs), [x.data for x in xs], []
    for row, b in zip(rows, biases):
        ws = [w.data for w in row if w.__class__ is Value]
        if len(ws) != len(row) or (b is not None and b.__class__ is not Value):  # numbers among them
            row, b = _values(row), (b if b is None else _values([b])[0])
            ws = [w.data for w in row]
        if state is False:
            out.append(Value(weighted_sum(ws, xdata) if b is None else weighted_sum(ws, xdata, b.data)))
            continue
        v = _new(Value)
        if b is None:
            v.data = weighted_sum(ws, xdata)
            v._a = (*row, *xs_t)
        else:
            v.data = weighted_sum(ws, xdata, b.data)
            v._a = (*row, *xs_t, b)
        v.grad = 0.0
        v._op = DOT
        v._b = None
        out.append(v)
    return out


_new = object.__new__


def _values(xs: list[Any]) -> list[Value]:
    """Each item as a Value: a number becomes a constant leaf; anything else is refused by name."""
    return [x if isinstance(x, Value) else _constant(x) for x in xs]


def _constant(x: Any) -> Value:
    if isinstance(x, numbers.Real):
        return Value(x)
    raise TypeError(f"{DOT.name}: expected a number or a Value, got {type(x).__name__}: {x!r:.60}")


def _items(fn: str, arg: str, xs: Any) -> list[Any]:
    """A sequence of numbers or Values as a list; an array or a single number is refused by name."""
    if hasattr(xs, "__array_ufunc__") and not isinstance(xs, (list, tuple)):
        raise TypeError(f"{fn}: {arg} must be a list of numbers or Values, got an array; pass its items "
                        "(list(...))")
    try:
        return list(xs)
    except TypeError:
        raise TypeError(f"{fn}: {arg} must be a list of numbers or Values, got {type(xs).__name__}") from None
