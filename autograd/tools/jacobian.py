"""Jacobians: every partial derivative of several outputs with respect to several inputs.

What you can do with it::

    x, y = Value(2.0, label='x'), Value(3.0, label='y')
    J = jacobian([x * y, x + y], [x, y])     # [[3.0, 2.0], [1.0, 1.0]]: J[i][j] = d out_i / d in_j

A layer of a network maps a vector to a vector, so its derivative is a matrix: the
Jacobian. ``jacobian(layer_outputs, layer_inputs)`` is the matrix that carries a gradient
back through the layer; ``jacobian(layer_outputs, layer.parameters())`` is the one the
weight update uses.

How: reverse mode, one backward sweep per output. Each sweep gives one *row* (the
gradient of one output with respect to every input at once), so a loss, one output,
needs a single sweep however many parameters it has: that is why training runs
backward. Forward mode (:func:`autograd.jvp`) gives one *column* per sweep instead.
No ``.grad`` is changed (each row comes from :func:`autograd.grad`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core.engine import Value, grad

__all__ = ["jacobian"]


def jacobian(outputs: Value | Iterable[Value], inputs: Iterable[Value],
             create_graph: bool = False) -> list[list[Any]]:
    """The matrix ``J[i][j] = d outputs[i] / d inputs[j]`` as a list of rows, one backward per output.

    ``outputs`` is a Value or a list of Values, ``inputs`` a list of Values (leaves or
    inner nodes: the derivative with respect to an inner node holds everything else
    fixed, as ``grad`` does). An input an output does not use gets 0. With
    ``create_graph=True`` each entry is a Value, to differentiate again.
    """
    for name, given in (("outputs", outputs), ("inputs", inputs)):
        if isinstance(given, (set, frozenset, dict)):  # no order: the rows or columns would come in any order
            raise TypeError(f"jacobian: {name} must be a list or a tuple of Values (in the order you want "
                            f"them), got a {type(given).__name__}, which has no order")
    if isinstance(outputs, Value):
        outs = [outputs]
    else:
        try:
            outs = list(outputs)
        except TypeError:
            raise TypeError(f"jacobian: outputs must be a Value or a list of Values, got "
                            f"{type(outputs).__name__}") from None
    try:
        ins = list(inputs)
    except TypeError:
        raise TypeError(f"jacobian: inputs must be a list of Values, got {type(inputs).__name__}") from None
    for name, items in (("outputs", outs), ("inputs", ins)):
        for i, v in enumerate(items):
            if not isinstance(v, Value):
                raise TypeError(f"jacobian: {name}[{i}] must be a Value, got {type(v).__name__}: {v!r:.60}")
    if not outs:
        raise ValueError("jacobian: outputs is empty; give at least one Value")
    if create_graph.__class__ is not bool:
        raise TypeError(f"jacobian: create_graph must be True or False, got {create_graph!r:.60}")
    return [grad(out, ins, create_graph=create_graph) for out in outs]
