"""A Value is not a plain number: ``float(v)``, ``round(v)``, ``v > 0``, ``max(a, b)`` say to use ``v.data``.

Refused rather than converted (see ``autograd.core.handmade.not_a_number``): a Value that became a
float by itself would let ``math.exp(v)`` drop out of the graph with a wrong gradient and no error.
Identity hashing stays: ``==`` is ``is``, so Values live in sets and dicts.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Callable

import pytest

from autograd import Value

a, b = Value(2.0, label="a"), Value(-3.0, label="b")

CALLS: dict[str, tuple[Callable[[], Any], str]] = {
    "float(v)": (lambda: float(a), "v.data"),
    "int(v)": (lambda: int(a), "int(v.data)"),
    "round(v)": (lambda: round(a), "round(v.data)"),
    "round(v, 2)": (lambda: round(a, 2), "round(v.data)"),
    "math.exp(v)": (lambda: math.exp(a), "v.exp()"),
    "max(a, b)": (lambda: max(a, b), "key=lambda v: v.data"),
    "min(a, b)": (lambda: min(a, b), "v.data < w.data"),
    "sorted([a, b])": (lambda: sorted([a, b]), "v.data < w.data"),
    **{f"v {name} 0": ((lambda op=op: op(a, 0)), "compare the numbers") for name, op in
       (("<", operator.lt), ("<=", operator.le), (">", operator.gt), (">=", operator.ge))},
    "0 < v": (lambda: 0 < a, "v.data > w.data"),
    "v > w": (lambda: a > b, "compare the numbers"),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_a_value_used_as_a_number_says_what_to_write(call: str) -> None:
    f, hint = CALLS[call]
    with pytest.raises(TypeError) as info:
        f()
    message = str(info.value)
    assert "a Value is not a plain number" in message and hint in message, message
    assert (a.data, a.grad, b.data, b.grad) == (2.0, 0.0, -3.0, 0.0)  # a refused call changes nothing


def test_identity_hashing_and_the_numbers_stay() -> None:
    c = Value(2.0)
    assert a != c and a == a and len({a, c, a}) == 2 and {a: 1}[a] == 1  # == is identity
    assert a.data > b.data and max(a, b, key=lambda v: v.data) is a and a.item() == 2.0
    assert bool(Value(0.0)) is True  # truthiness is Python's default: `if v:` is not a test of the number
