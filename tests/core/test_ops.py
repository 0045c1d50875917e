"""Every op of the table, checked against independent references.

The rows come from ``op_rows.ROWS`` (the one table of op test rows): how to call
each op on Values, the same function in ``math`` (forward reference), in sympy
(derivative reference) and in mpmath, and the domain to draw inputs from. Each
row is checked for its value, its first derivatives and its second derivatives,
against central differences (``gradcheck``) and against sympy's symbolic
derivatives, on hypothesis-drawn inputs.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import mpmath
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value, grad, gradcheck, ops
from tests.support.op_rows import ROWS, Row, row_template

SYMS = sp.symbols("a b c d e", real=True)
IDS = [row.id for row in ROWS]


def close(x: float, y: float, tol: float = 1e-9) -> bool:
    return abs(x - y) <= tol * (1 + abs(y))


def test_every_op_has_a_row() -> None:
    rows = {row.op for row in ROWS}
    missing = sorted(set(ops.OPS) - rows)
    unknown = sorted(rows - set(ops.OPS) - {"pow_const"})
    assert rows | {"pow_const"} == set(ops.OPS) | {"pow_const"}, (
        "tests/support/op_rows.py must have one row per op of ops.OPS, and no other.\n"
        + "".join(f"  {name!r} has no row: add to ROWS in tests/support/op_rows.py\n"
                  f"    {row_template(name)}\n"
                  for name in missing)
        + "".join(f"  the row {name!r} names no op of ops.OPS: rename it or remove it\n" for name in unknown)
    )


def test_every_op_is_documented_with_its_derivative() -> None:
    for op in [*ops.OPS.values(), ops.pow_const(3)]:
        assert op.__doc__ and "d/d" in op.__doc__, op.name


@pytest.mark.parametrize("row", ROWS, ids=IDS)
@given(data=st.data())
def test_forward_matches_math(row: Row, data: st.DataObject) -> None:
    xs = data.draw(row.points())
    out = row.call(*[Value(x) for x in xs])
    assert isinstance(out, Value)
    assert row.made(out), (row.id, out._op)
    assert close(out.data, row.ref(*xs), 1e-12)
    assert row.the_op(*xs) == out.data  # the op on floats: the same number
    assert close(float(row.mp(*[mpmath.mpf(x) for x in xs])), out.data, 1e-12)  # the fuzzer's reference too


@pytest.mark.parametrize(
    "row, spelling", [(row, s) for row in ROWS for s in row.spellings],
    ids=[f"{row.id}-{i}" for row in ROWS for i in range(len(row.spellings))],
)
def test_every_spelling_builds_the_same_node(row: Row, spelling: object) -> None:
    xs = row.point()
    vs, ws = [Value(x) for x in xs], [Value(x) for x in xs]
    want, got = row.call(*vs), spelling(*ws)  # type: ignore[operator]
    assert row.made(want) and row.made(got) and got.data == want.data
    assert grad(got, ws) == grad(want, vs)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
@given(data=st.data())
def test_first_and_second_derivatives_match_central_differences(row: Row, data: st.DataObject) -> None:
    xs = data.draw(row.points())
    assert gradcheck(row.call, xs, order=2)


@functools.cache
def symbolic(row: Row) -> tuple[Any, list[Any], list[list[Any]]]:
    """The row's sympy expression, its first derivatives and its second ones (computed once per row)."""
    syms = SYMS[: row.arity]
    expr = row.sym(*syms)
    firsts = [sp.diff(expr, s) for s in syms]
    return expr, firsts, [[sp.diff(d, t) for t in syms] for d in firsts]


def check_against_sympy(row: Row, xs: list[float], second: bool = True) -> None:
    expr, d1, d2 = symbolic(row)
    at = dict(zip(SYMS, xs))
    vs = [Value(x) for x in xs]
    out = row.call(*vs)
    assert close(out.data, float(expr.evalf(subs=at)), 1e-12), (row.id, out.data)
    firsts = grad(out, vs, create_graph=True)
    for i in range(row.arity):
        want = float(d1[i].evalf(subs=at))
        first = firsts[i].data if isinstance(firsts[i], Value) else firsts[i]
        assert close(first, want), (row.id, "d/d", SYMS[i], first, want)
        if not second:
            continue
        seconds = grad(firsts[i], vs) if isinstance(firsts[i], Value) else [0.0] * len(vs)
        for j in range(row.arity):
            want2 = float(d2[i][j].evalf(subs=at))
            assert close(seconds[j], want2, 1e-8), (row.id, "d2/d", SYMS[i], SYMS[j], seconds[j], want2)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
@given(data=st.data())
def test_first_and_second_derivatives_match_sympy(row: Row, data: st.DataObject) -> None:
    check_against_sympy(row, data.draw(row.points()))


AT_ZERO = [row for row in ROWS if not row.kink and all(0.0 in d for d in row.domain)]


@pytest.mark.parametrize("row", AT_ZERO, ids=[row.id for row in AT_ZERO])
def test_derivatives_at_zero(row: Row) -> None:
    """Where 0 is in the domain (x**0 and x**1 included), the derivatives there are sympy's."""
    xs = [0.0] * row.arity
    smooth = 0.0 not in row.d2_undefined_at
    check_against_sympy(row, xs, second=smooth)
    if smooth and all(d.lo < 0 for d in row.domain):  # central differences need both sides of 0
        assert gradcheck(row.call, xs, order=2)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_backward_agrees_with_grad(row: Row) -> None:
    xs = row.point()
    vs = [Value(x) for x in xs]
    out = row.call(*vs)
    expected = grad(out, vs)
    out.backward()
    for v, g in zip(vs, expected):
        assert v.grad == g


# --- kinks: relu and abs at exactly 0 take derivative 0, step and sign derivative 0 everywhere ---------

KINKS = [row for row in ROWS if row.kink]


@pytest.mark.parametrize("row", KINKS, ids=[row.id for row in KINKS])
@pytest.mark.parametrize("x", [0.0, -0.0])
def test_every_kink_takes_derivative_0_at_0(row: Row, x: float) -> None:
    vs = [Value(x)]
    out = row.call(*vs)
    assert out.data == row.ref(x)
    (first,) = grad(out, vs, create_graph=True)
    assert (first.data if isinstance(first, Value) else first) == 0.0
    assert (grad(first, vs)[0] if isinstance(first, Value) else 0.0) == 0.0


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


@pytest.mark.parametrize("x, step, sign", [(0.0, 0.0, 0.0), (-0.0, 0.0, 0.0), (1e-300, 1.0, 1.0),
                                           (-1e-300, 0.0, -1.0), (3.0, 1.0, 1.0), (-3.0, 0.0, -1.0)])
def test_step_and_sign_conventions(x: float, step: float, sign: float) -> None:
    """step is relu's derivative and sign abs's: 0 at 0, and their own derivative is 0."""
    for op, want in ((ops.STEP, step), (ops.SIGN, sign)):
        a = Value(x)
        out = op(a)
        out.backward()
        assert (out.data, a.grad) == (want, 0.0), op.name
        relu_or_abs = Value(x)
        (ops.RELU if op is ops.STEP else ops.ABS)(relu_or_abs).backward()
        assert relu_or_abs.grad == want
    assert math.isnan(ops.STEP(math.nan)) and math.isnan(ops.SIGN(math.nan))


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
    """The functions ``autograd.ops`` exports (``exp``, ``log``...) are ops, and ``autograd`` exports them."""
    functions = [getattr(ops, n) for n in ops.__all__ if n.islower() and isinstance(getattr(ops, n), ops.Op)]
    rows = {row.the_op: row for row in ROWS if not row.variadic}
    assert functions and all(f in rows for f in functions)
    for f in functions:
        assert getattr(autograd, f.name) is f
        x = rows[f].point()[0]
        assert isinstance(f(Value(x)), Value)
        assert f(x) == f(Value(x)).data
    assert autograd.power(2.0, 3) == 8.0
    assert autograd.power(Value(2.0), 3).data == 8.0


def test_graph_labels_match_micrograd() -> None:
    a = Value(2.0)
    labels = [(a + 1)._op, (a * 2)._op, a.relu()._op, (a**2)._op, a.tanh()._op]
    assert labels == ["+", "*", "ReLU", "**2", "tanh"]
    assert (a**2)._op == (a**2.0)._op  # one op per exponent
