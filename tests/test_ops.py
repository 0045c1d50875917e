"""Every op of the table, checked against independent references.

One row per op: how to call it on Values, the same function in ``math`` (forward
reference), the same function in sympy (derivative reference), and the domain
to draw inputs from. Each row is checked for its value, its first derivatives
and its second derivatives, against central differences (``gradcheck``) and
against sympy's symbolic derivatives, on hypothesis-drawn inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value, grad, gradcheck, ops

A, B, C, D, E = sp.symbols("a b c d e", real=True)
SYMS = (A, B, C, D, E)


@dataclass
class Row:
    op: str  # the op's name in ops.OPS, or "pow_const"
    call: Callable[..., Value]  # on Values
    ref: Callable[..., float]  # the same function on floats, from math
    sym: Callable[..., Any]  # the same function on sympy symbols
    domain: list[tuple[float, float]]  # per input: drawn from [lo, hi]
    avoid_zero: bool = False  # keep inputs away from a kink at 0

    @property
    def arity(self) -> int:
        return len(self.domain)


def sym_sigmoid(a: Any) -> Any:
    return 1 / (1 + sp.exp(-a))


def math_sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a))


WIDE = (-5.0, 5.0)
POS = (0.2, 5.0)

ROWS = [
    Row("add", lambda a, b: a + b, lambda a, b: a + b, lambda a, b: a + b, [WIDE, WIDE]),
    Row("sub", lambda a, b: a - b, lambda a, b: a - b, lambda a, b: a - b, [WIDE, WIDE]),
    Row("mul", lambda a, b: a * b, lambda a, b: a * b, lambda a, b: a * b, [WIDE, WIDE]),
    Row("div", lambda a, b: a / b, lambda a, b: a / b, lambda a, b: a / b, [WIDE, POS]),
    Row("neg", lambda a: -a, lambda a: -a, lambda a: -a, [WIDE]),
    Row("pow", lambda a, b: a**b, lambda a, b: a**b, lambda a, b: a**b, [POS, (-3.0, 3.0)]),
    Row("pow_const", lambda a: a**2, lambda a: a**2, lambda a: a**2, [WIDE]),
    Row("pow_const", lambda a: a**3, lambda a: a**3, lambda a: a**3, [WIDE]),
    Row("pow_const", lambda a: a**-1, lambda a: a**-1, lambda a: a**-1, [POS]),
    Row("pow_const", lambda a: a**0.5, lambda a: a**0.5, lambda a: sp.sqrt(a), [POS]),
    Row("pow_const", lambda a: a**-2.5, lambda a: a**-2.5, lambda a: a ** sp.Rational(-5, 2), [POS]),
    Row("exp", lambda a: a.exp(), math.exp, sp.exp, [WIDE]),
    Row("log", lambda a: a.log(), math.log, sp.log, [(0.1, 10.0)]),
    Row("tanh", lambda a: a.tanh(), math.tanh, sp.tanh, [WIDE]),
    Row("sigmoid", lambda a: a.sigmoid(), math_sigmoid, sym_sigmoid, [(-8.0, 8.0)]),
    Row("relu", lambda a: a.relu(), lambda a: max(a, 0.0), lambda a: sp.Max(a, 0), [WIDE], avoid_zero=True),
    Row("abs", lambda a: abs(a), abs, sp.Abs, [WIDE], avoid_zero=True),
    Row("sqrt", lambda a: a.sqrt(), math.sqrt, sp.sqrt, [(0.1, 10.0)]),
    Row("sin", lambda a: a.sin(), math.sin, sp.sin, [WIDE]),
    Row("cos", lambda a: a.cos(), math.cos, sp.cos, [WIDE]),
    Row(
        "dot",
        lambda a, b, c, d, e: autograd.dot([a, b], [c, d], e),
        lambda a, b, c, d, e: a * c + b * d + e,
        lambda a, b, c, d, e: a * c + b * d + e,
        [WIDE] * 5,
    ),
    Row(
        "dot",
        lambda a, b, c, d: autograd.dot([a, b], [c, d]),
        lambda a, b, c, d: a * c + b * d,
        lambda a, b, c, d: a * c + b * d,
        [WIDE] * 4,
    ),
]

IDS = [f"{r.op}-{i}" for i, r in enumerate(ROWS)]


def points(row: Row) -> st.SearchStrategy[list[float]]:
    def one(lo: float, hi: float) -> st.SearchStrategy[float]:
        s = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
        return s.filter(lambda x: abs(x) > 1e-2) if row.avoid_zero else s

    return st.tuples(*[one(lo, hi) for lo, hi in row.domain]).map(list)


def close(x: float, y: float, tol: float = 1e-9) -> bool:
    return abs(x - y) <= tol * (1 + abs(y))


def test_every_op_has_a_row() -> None:
    assert set(ops.OPS) | {"pow_const"} == {r.op for r in ROWS}


def test_every_op_is_documented_with_its_derivative() -> None:
    for op in [*ops.OPS.values(), ops.pow_const(3)]:
        assert op.__doc__ and "d/d" in op.__doc__, op.name


@pytest.mark.parametrize("row", ROWS, ids=IDS)
@given(data=st.data())
def test_forward_matches_math(row: Row, data: st.DataObject) -> None:
    xs = data.draw(points(row))
    out = row.call(*[Value(x) for x in xs])
    assert isinstance(out, Value)
    assert close(out.data, row.ref(*xs), 1e-12)
    assert out._op.name == ("pow" if row.op == "pow_const" else row.op)  # type: ignore[attr-defined]


@pytest.mark.parametrize("row", ROWS, ids=IDS)
@given(data=st.data())
def test_first_and_second_derivatives_match_central_differences(row: Row, data: st.DataObject) -> None:
    xs = data.draw(points(row))
    assert gradcheck(row.call, xs, order=2)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
@given(data=st.data())
def test_first_and_second_derivatives_match_sympy(row: Row, data: st.DataObject) -> None:
    xs = data.draw(points(row))
    syms = SYMS[: row.arity]
    expr = row.sym(*syms)
    at = dict(zip(syms, xs))
    vs = [Value(x) for x in xs]
    out = row.call(*vs)
    firsts = grad(out, vs, create_graph=True)
    for i, s in enumerate(syms):
        want = float(sp.diff(expr, s).subs(at).evalf())
        assert close(firsts[i].data, want), (row.op, "d/d", s, firsts[i].data, want)
        seconds = grad(firsts[i], vs)
        for j, t in enumerate(syms):
            want2 = float(sp.diff(expr, s, t).subs(at).evalf())
            assert close(seconds[j], want2, 1e-8), (row.op, "d2/d", s, t, seconds[j], want2)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_backward_agrees_with_grad(row: Row) -> None:
    xs = [(lo + hi) / 2 + 0.3 for lo, hi in row.domain]
    vs = [Value(x) for x in xs]
    out = row.call(*vs)
    expected = grad(out, vs)
    out.backward()
    for v, g in zip(vs, expected):
        assert v.grad == g


# --- kinks: relu and abs at exactly 0 take derivative 0 -------------------------------


@pytest.mark.parametrize("x, grad_relu", [(0.0, 0.0), (-0.0, 0.0), (1e-300, 1.0), (-1e-300, 0.0)])
def test_relu_kink_convention(x: float, grad_relu: float) -> None:
    a = Value(x)
    out = a.relu()
    out.backward()
    assert out.data == max(x, 0.0)
    assert a.grad == grad_relu


@pytest.mark.parametrize("x, sign", [(0.0, 0.0), (-0.0, 0.0), (2.0, 1.0), (-2.0, -1.0)])
def test_abs_kink_convention(x: float, sign: float) -> None:
    a = Value(x)
    abs(a).backward()
    assert a.grad == sign


def test_pow_value_exponent_derivative_is_a_pow_b_ln_a() -> None:
    a, b = Value(2.0), Value(3.0)
    (a**b).backward()
    assert a.grad == pytest.approx(3 * 2.0**2)
    assert b.grad == pytest.approx(2.0**3 * math.log(2.0))


def test_pow_with_zero_base_has_zero_exponent_derivative() -> None:
    a, b = Value(0.0), Value(2.0)
    (a**b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_sigmoid_is_stable_at_large_inputs() -> None:
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(-1000.0).sigmoid().data == 0.0
    a = Value(-800.0)
    a.sigmoid().backward()
    assert a.grad == 0.0


def test_module_functions_work_on_numbers_and_values() -> None:
    for name in ["exp", "log", "tanh", "sigmoid", "relu", "sqrt", "sin", "cos"]:
        f = getattr(autograd, name)
        assert isinstance(f(Value(0.7)), Value)
        assert f(0.7) == f(Value(0.7)).data
    assert autograd.power(2.0, 3) == 8.0
    assert autograd.power(Value(2.0), 3).data == 8.0


def test_graph_labels_match_micrograd() -> None:
    a = Value(2.0)
    labels = [(a + 1)._op, (a * 2)._op, a.relu()._op, (a**2)._op, a.tanh()._op]
    assert labels == ["+", "*", "ReLU", "**2", "tanh"]
    assert (a**2)._op == (a**2.0)._op  # one op per exponent
