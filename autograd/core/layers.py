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
import operator
from collections.abc import Sequence
from itertools import chain
from typing import Any

from .engine import Value, apply, make_node, recording
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
    node at once, its number summed as DOT sums it, from the inputs' numbers read once for all
    rows (make bench: the fused forward pass 2x faster than one ``dot`` call per row). Inside
    ``no_grad`` each is a leaf holding that number; a watcher (anomaly mode, the replay) gets
    each node through ``apply``."""
    if set(map(type, chain(*rows, [b for b in biases if b is not None]))) != _VALUE:  # numbers among them
        rows, biases = [_values(row) for row in rows], [b if b is None else _values([b])[0] for b in biases]
    state = recording.get()
    if state is not True and state is not False:  # a watcher: it makes each node (and reads no number here)
        return [apply(DOT, *row, *xs, *([] if b is None else [b])) for row, b in zip(rows, biases)]
    xs_t, xdata, out = tuple(xs), [x.data for x in xs], []
    for row, b in zip(rows, biases):
        parents = (*row, *xs_t) if b is None else (*row, *xs_t, b)
        number = weighted_sum(map(_data, row), xdata) if b is None else \
            weighted_sum(map(_data, row), xdata, b.data)
        out.append(make_node(DOT, parents, number) if state is True else Value(number))
    return out


_VALUE, _data = {Value}, operator.attrgetter("data")


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
