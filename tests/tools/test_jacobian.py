"""autograd.jacobian: every partial derivative of several outputs, one reverse sweep per output,
checked against hand-derived matrices, forward mode (one column per sweep), central differences
and second derivatives; .grad is left alone; bad input is refused by name.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, jacobian, jvp

finite = st.floats(-3, 3, allow_nan=False)


def test_a_small_jacobian_by_hand() -> None:
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    J = jacobian([x * y, x + y, (x * x).sin()], [x, y])
    assert J == [[3.0, 2.0], [1.0, 1.0], [math.cos(4.0) * 4.0, 0.0]]


def test_one_output_gives_one_row_and_unused_inputs_get_zero() -> None:
    x, y, z = Value(1.5), Value(-2.0), Value(7.0)
    assert jacobian(x * y, [x, y, z]) == [[-2.0, 1.5, 0.0]]


@given(st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=4),
       st.lists(finite, min_size=3, max_size=3))
def test_the_jacobian_of_a_linear_map_is_its_matrix(A: list[list[float]], point: list[float]) -> None:
    xs = [Value(v) for v in point]
    outs = [sum((a * x for a, x in zip(row, xs)), Value(0.0)) for row in A]
    assert jacobian(outs, xs) == [[pytest.approx(a, abs=1e-12) for a in row] for row in A]


@given(st.lists(finite, min_size=3, max_size=3))
def test_rows_by_reverse_mode_equal_columns_by_forward_mode(point: list[float]) -> None:
    a, b, c = (Value(v) for v in point)
    outs = [(a * b).tanh() + c, (a - c).sigmoid() * b, (b * b + 1.0).log()]
    J = jacobian(outs, [a, b, c])
    for j, leaf in enumerate((a, b, c)):
        column = [jvp(out, {leaf: 1.0}) for out in outs]
        assert [row[j] for row in J] == [pytest.approx(v, abs=1e-12) for v in column]


def test_central_differences_agree() -> None:
    point = [0.3, -0.8]

    def outputs(vs: list[Any]) -> list[Any]:
        p, q = vs
        return [(p * q).exp(), p / (1.0 + q * q), (p + q).tanh()]

    xs = [Value(v) for v in point]
    J = jacobian(outputs(xs), xs)
    eps = 1e-6
    for j in range(2):
        up, down = list(point), list(point)
        up[j] += eps
        down[j] -= eps
        hi, lo = outputs([Value(v) for v in up]), outputs([Value(v) for v in down])
        for i in range(3):
            assert J[i][j] == pytest.approx((hi[i].data - lo[i].data) / (2 * eps), abs=1e-7)


def test_inner_nodes_and_the_grads_left_alone() -> None:
    x = Value(0.5)
    h = x * 3.0
    out = h.tanh()
    x.grad, h.grad = 11.0, 22.0
    (row,) = jacobian([out], [h, x])
    assert row == [pytest.approx(1 - math.tanh(1.5) ** 2), pytest.approx(3 * (1 - math.tanh(1.5) ** 2))]
    assert (x.grad, h.grad) == (11.0, 22.0)


def test_create_graph_gives_values_whose_jacobian_is_the_hessian() -> None:
    x, y = Value(1.2), Value(-0.7)
    f = x * x * y + (x * y).sin()
    (gradient,) = jacobian(f, [x, y], create_graph=True)
    assert all(isinstance(g, Value) for g in gradient)
    H = jacobian(gradient, [x, y])
    c = math.cos(x.data * y.data)
    s = math.sin(x.data * y.data)
    expected = [[2 * y.data - y.data ** 2 * s, 2 * x.data + c - x.data * y.data * s],
                [2 * x.data + c - x.data * y.data * s, -x.data ** 2 * s]]
    assert H == [[pytest.approx(v, abs=1e-12) for v in row] for row in expected]


V = Value(1.0)


@pytest.mark.parametrize("call, error, match", [
    (lambda: jacobian(3.0, [V]), TypeError, "outputs must be a Value or a list of Values, got float"),
    (lambda: jacobian([V, 2.0], [V]), TypeError, "outputs\\[1\\] must be a Value, got float"),
    (lambda: jacobian([V], [V, "x"]), TypeError, "inputs\\[1\\] must be a Value, got str"),
    (lambda: jacobian([V], 5), TypeError, "inputs must be a list of Values, got int"),
    (lambda: jacobian([], [V]), ValueError, "outputs is empty"),
    (lambda: jacobian(V, [V], create_graph=1), TypeError, "create_graph must be True or False"),
])
def test_bad_arguments_are_refused_by_name(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=f"jacobian: {match}"):
        call()
