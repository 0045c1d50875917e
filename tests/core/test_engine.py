"""Small graphs built by hand: how gradients flow, accumulate and are reset."""

from __future__ import annotations

import asyncio
import math
import threading
from contextlib import nullcontext
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from autograd import (
    GradcheckError,
    Value,
    dot,
    dots,
    enable_grad,
    grad,
    gradcheck,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from autograd.core.engine import make_node
from autograd.core.ops import MUL, RELU, TANH, Op

finite = st.floats(-4, 4, allow_nan=False, allow_infinity=False)

# --- construction -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, stored",
    [(3, 3.0), (2.5, 2.5), (True, 1.0), (np.float32(1.5), 1.5), (np.int64(7), 7.0), (Fraction(1, 4), 0.25),
     (Decimal("0.5"), 0.5), (np.float64(-2.0), -2.0)],
)
def test_data_accepts_real_numbers_and_stores_a_float(data: object, stored: float) -> None:
    v = Value(data)
    assert type(v.data) is float and v.data == stored


@pytest.mark.parametrize("bad", ["3", None, [1.0], (1.0,), 1j, {}, np.array([1.0, 2.0])])
def test_data_rejects_non_numbers_naming_the_type(bad: object) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_data_rejects_a_value() -> None:
    with pytest.raises(TypeError, match="got a Value"):
        Value(Value(1.0))


def test_attributes_and_repr() -> None:
    a = Value(2.0, label="a")
    assert (a.data, a.grad, a.label, a._prev, a._op) == (2.0, 0.0, "a", (), "")
    a.data, a.grad = 5.0, 1.5  # freely assignable, as in the micrograd lecture
    assert repr(a) == "Value(data=5.0, grad=1.5, label='a')"
    assert repr(Value(1.0)) == "Value(data=1.0, grad=0.0)"
    assert a.item() == 5.0


def test_parents_are_an_ordered_tuple_with_repeats() -> None:
    x, y = Value(3.0), Value(4.0)
    assert (x * x)._prev == (x, x)
    assert (y - x)._prev == (y, x)
    assert (2 - x)._prev[1] is x and (2 - x)._prev[0].data == 2.0


def test_values_hash_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert len({a, b, a}) == 2
    assert (a == b) is False


# --- ops with numbers on either side -----------------------------------------------------


def test_numbers_on_either_side() -> None:
    a = Value(2.0)
    cases = {
        "a+3": (a + 3, 5.0), "3+a": (3 + a, 5.0), "a-3": (a - 3, -1.0), "3-a": (3 - a, 1.0),
        "a*3": (a * 3, 6.0), "3*a": (3 * a, 6.0), "a/4": (a / 4, 0.5), "4/a": (4 / a, 2.0),
        "a**3": (a**3, 8.0), "3**a": (3**a, 9.0), "-a": (-a, -2.0), "+a": (+a, 2.0),
    }
    for name, (v, want) in cases.items():
        assert isinstance(v, Value) and v.data == want, name


def test_rpow_differentiates_the_exponent() -> None:
    x = Value(1.5)
    (2**x).backward()
    assert x.grad == pytest.approx(2**1.5 * math.log(2))


def test_python_sum_over_values() -> None:
    xs = [Value(float(i)) for i in range(5)]
    s = sum(xs)
    assert isinstance(s, Value) and s.data == 10.0
    s.backward()
    assert [x.grad for x in xs] == [1.0] * 5


def test_numpy_scalars_mix_with_values() -> None:
    a = Value(2.0)
    assert (a * np.float64(3.0)).data == 6.0
    assert (np.float32(3.0) + a).data == 5.0 if isinstance(np.float32(3.0) + a, Value) else True


# --- dot ------------------------------------------------------------------------------------


def test_dot_is_one_node_with_all_inputs_as_parents() -> None:
    ws = [Value(1.0), Value(-2.0)]
    xs = [Value(3.0), Value(0.5)]
    b = Value(0.25)
    out = dot(ws, xs, b)
    assert out.data == 1 * 3 - 2 * 0.5 + 0.25
    assert out._prev == (*ws, *xs, b) and out._op == "dot"
    out.backward()
    assert [w.grad for w in ws] == [3.0, 0.5]
    assert [x.grad for x in xs] == [1.0, -2.0]
    assert b.grad == 1.0


def test_dot_accepts_numbers_and_no_bias() -> None:
    w = Value(2.0)
    out = dot([w, 3.0], [4.0, Value(1.0)])
    assert out.data == 11.0 and len(out._prev) == 4
    out.backward()
    assert w.grad == 4.0


def test_dot_length_mismatch_says_what_was_expected() -> None:
    with pytest.raises(ValueError, match="same length.*2 weights and 3 inputs"):
        dot([1.0, 2.0], [1.0, 2.0, 3.0])


# --- backward on hand-built graphs ----------------------------------------------------------


def test_reuse_adds_gradients() -> None:
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert (a.grad, b.grad, c.grad) == (4.0, 2.0, 1.0)


def test_x_times_x() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_diamond() -> None:
    a, b = Value(2.0), Value(-3.0)
    f = (a * b) * (a + b)  # f = a^2 b + a b^2
    f.backward()
    assert a.grad == pytest.approx(2 * 2 * -3 + 9)
    assert b.grad == pytest.approx(4 + 2 * 2 * -3)


def test_lecture_expression() -> None:
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    L = (a * b + c) * f
    L.backward()
    assert (L.data, a.grad, b.grad, c.grad, f.grad) == (-8.0, 6.0, -4.0, -2.0, 4.0)


def test_million_node_chain_has_no_recursion_limit() -> None:
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    assert y.data == 1_000_000.5


def test_deep_chain_of_products() -> None:
    x = Value(1.0001)
    y = x
    for _ in range(5000):
        y = y * x
    y.backward()
    assert x.grad == pytest.approx(5001 * 1.0001**5000, rel=1e-9)


def test_backward_twice_doubles_leaf_grads_and_keeps_intermediates() -> None:
    x = Value(3.0)
    t = x * x
    y = t * x
    y.backward()
    assert (x.grad, t.grad) == (27.0, 3.0)
    y.backward()
    assert x.grad == 54.0  # leaves accumulate, exactly twice
    assert t.grad == 3.0  # intermediates hold the latest pass only


def test_second_pass_after_zeroing_leaves_gives_the_same_gradient() -> None:
    # micrograd keeps old gradients in intermediate nodes and gives 45 here.
    x = Value(3.0)
    y = x * x * x
    y.backward()
    x.grad = 0.0
    y.backward()
    assert x.grad == 27.0


def test_backward_of_a_leaf_accumulates() -> None:
    x = Value(2.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_topological_order_puts_parents_first_and_is_deterministic() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    pos = {v: i for i, v in enumerate(order)}
    assert len(order) == 5 and order[-1] is e
    assert all(pos[p] < pos[v] for v in order for p in v._prev)
    assert topological_order(e) == order


@given(finite, finite)
def test_sum_and_product_rules(x: float, y: float) -> None:
    a, b = Value(x), Value(y)
    (a * b + a).backward()
    assert a.grad == pytest.approx(y + 1) and b.grad == pytest.approx(x)


@given(st.floats(-2, 2))
def test_chain_rule_through_composition(x: float) -> None:
    a = Value(x)
    y = (a * a).sin().exp()
    y.backward()
    assert a.grad == pytest.approx(math.exp(math.sin(x * x)) * math.cos(x * x) * 2 * x, rel=1e-12, abs=1e-12)


# --- higher order -------------------------------------------------------------------------


def test_third_derivative_through_create_graph_matches_sympy() -> None:
    s = sp.Symbol("x", real=True)
    expr = sp.tanh(s) * sp.exp(s / 2) + s**3 * sp.sin(s)
    x0 = 0.7
    x = Value(x0)
    y = x.tanh() * (x / 2).exp() + x**3 * x.sin()
    d1 = grad(y, [x], create_graph=True)[0]
    d2 = grad(d1, [x], create_graph=True)[0]
    d3 = grad(d2, [x])[0]
    for got, k in [(d1.data, 1), (d2.data, 2), (d3, 3)]:
        assert got == pytest.approx(float(sp.diff(expr, s, k).subs(s, x0)), rel=1e-10)


def test_backward_create_graph_gives_values_that_differentiate_again() -> None:
    x = Value(2.0)
    y = x**3
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 12.0
    (d2,) = grad(x.grad, [x])
    assert d2 == 12.0


def test_grad_leaves_every_grad_alone() -> None:
    a, b = Value(2.0), Value(5.0)
    c = a * b
    a.grad, b.grad, c.grad = 0.25, -1.0, 7.0
    assert grad(c, [a, b]) == [5.0, 2.0]
    assert (a.grad, b.grad, c.grad) == (0.25, -1.0, 7.0)


def test_grad_gives_zero_for_an_unrelated_input() -> None:
    a, other = Value(2.0), Value(1.0)
    assert grad(a * a, [a, other]) == [4.0, 0.0]
    g = grad(a * a, [other], create_graph=True)[0]
    assert isinstance(g, Value) and g.data == 0.0


def test_grad_of_constant_derivative_is_a_value_with_create_graph() -> None:
    x = Value(1.0)
    (g,) = grad(x + 1, [x], create_graph=True)
    assert isinstance(g, Value) and g.data == 1.0


def test_grad_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="output must be a Value"):
        grad(1.0, [])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value"):
        grad(Value(1.0), [Value(1.0), 2.0])  # type: ignore[list-item]


# --- no_grad -------------------------------------------------------------------------------


def test_no_grad_records_no_parents() -> None:
    a = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        b = (a * 3).tanh()
        with enable_grad():
            c = a * 3
    assert is_grad_enabled()
    assert (b._prev, b._op) == ((), "")
    assert c._prev == (a, c._prev[1])
    d = a * 3
    assert d._prev[0] is a


def test_no_grad_as_decorator() -> None:
    @no_grad()
    def f(x: Value) -> Value:
        return x * x

    assert f(Value(3.0))._prev == ()
    assert (Value(3.0) * 2)._prev != ()


def test_no_grad_restores_state_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            Value(1.0) / 0
    assert is_grad_enabled()


def test_no_grad_is_per_thread() -> None:
    inside, other_checked = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def worker() -> None:
        inside.wait()
        seen["other"] = bool((Value(1.0) * 2)._prev)
        other_checked.set()

    t = threading.Thread(target=worker)
    t.start()
    with no_grad():
        inside.set()
        other_checked.wait(5)
        seen["main"] = bool((Value(1.0) * 2)._prev)
    t.join()
    assert seen == {"other": True, "main": False}


def test_no_grad_is_per_asyncio_task() -> None:
    async def main() -> tuple[bool, bool]:
        started = asyncio.Event()
        release = asyncio.Event()

        async def quiet() -> bool:
            with no_grad():
                started.set()
                await release.wait()
                return bool((Value(1.0) * 2)._prev)

        async def loud() -> bool:
            await started.wait()
            recorded = bool((Value(1.0) * 2)._prev)
            release.set()
            return recorded

        return tuple(await asyncio.gather(quiet(), loud()))  # type: ignore[return-value]

    assert asyncio.run(main()) == (False, True)


# --- gradcheck ----------------------------------------------------------------------------


def test_gradcheck_passes_on_correct_rules_to_second_order() -> None:
    assert gradcheck(lambda x, y: (x * y).tanh() + x.exp() / y, [0.3, 1.2], order=2)
    assert gradcheck(lambda x: x.sin() * x.cos(), [Value(0.4)], order=3)


def test_gradcheck_catches_a_wrong_rule_and_names_it() -> None:
    wrong = Op("mul", MUL.forward, lambda out, a, b: (b, 2 * a), label="*", precedence=2,
               doc="a deliberately wrong product rule")

    def f(x: Value, y: Value) -> Value:
        return make_node(wrong, (x, y))  # type: ignore[no-any-return]

    with pytest.raises(GradcheckError, match=r"order 1 .*inputs\[1\] \(= 3.0\).*engine gives 4.0.*give 2.0"):
        gradcheck(f, [2.0, 3.0])


def test_gradcheck_catches_a_wrong_second_derivative() -> None:
    # A rule whose first derivative is right but built from floats, so its own derivative is lost.
    wrong = Op("sq", lambda a: a * a, lambda out, a: (2.0 * (a if isinstance(a, float) else a.data),),
               doc="square whose derivative forgets its own graph")
    assert gradcheck(lambda x: make_node(wrong, (x,)), [1.5], order=1)  # its first derivative is right
    with pytest.raises(GradcheckError, match="order 2"):
        gradcheck(lambda x: make_node(wrong, (x,)), [1.5])  # the default checks the second order too


def test_gradcheck_bad_arguments() -> None:
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 1.0, [1.0])  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match=r"inputs\[0\]"):
        gradcheck(lambda x: x, ["a"])
    with pytest.raises(ValueError, match="order"):
        gradcheck(lambda x: x, [1.0], order=0)


# --- errors name the op, the value and the domain ----------------------------------------


@pytest.mark.parametrize(
    "make, exc, pattern",
    [
        (lambda: Value(0.0).log(), ValueError, r"log: .*> 0, got 0.0"),
        (lambda: Value(-1.0).log(), ValueError, r"log: .*got -1.0"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt: .*>= 0, got -1.0"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"div: division by zero"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, r"div: division by zero"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow: 0 \*\* -1.0 .*non-zero base"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, r"pow: -8.0 \*\* 0.333.*integer exponent"),
        (lambda: Value(-8.0) ** Value(0.5), ValueError, r"pow: .*integer exponent"),
        (lambda: Value(1e3).exp(), OverflowError, r"exp: exp\(1000.0\) overflows"),
        (lambda: Value(10.0) ** 400, OverflowError, r"pow: 10.0 \*\* 400.0 overflows"),
        (lambda: Value(1.0) + "a", TypeError, r"add: expected a number or a Value, got str"),
        (lambda: "a" * Value(1.0), TypeError, r"mul: expected a number or a Value, got str"),
        (lambda: Value(1.0) ** "2", TypeError, r"pow: expected a number or a Value, got str"),
        (lambda: Value(1.0) - None, TypeError, r"sub: expected a number or a Value, got NoneType"),
    ],
)
def test_errors_name_the_op_and_the_domain(make: object, exc: type[Exception], pattern: str) -> None:
    with pytest.raises(exc, match=pattern):
        make()  # type: ignore[operator]


def test_backward_errors_name_the_op() -> None:
    a = Value(0.0)
    y = a.sqrt()
    with pytest.raises(ZeroDivisionError, match="sqrt: in the backward pass"):
        y.backward()
    b, e = Value(-2.0), Value(2.0)
    with pytest.raises(ValueError, match="pow: the derivative .* exponent .* base >= 0"):
        (b**e).backward()


def test_nan_and_inf_propagate() -> None:
    nan, inf = float("nan"), float("inf")
    assert math.isnan((Value(nan) * 2).data)
    assert math.isnan(Value(nan).relu().data)
    assert math.isnan(abs(Value(nan)).data)
    assert Value(inf).exp().data == inf
    assert Value(-inf).exp().data == 0.0
    assert Value(inf).log().data == inf
    assert Value(inf).tanh().data == 1.0
    x = Value(nan)
    (x * 3).backward()
    assert x.grad == 3.0
    y = Value(nan)
    y.relu().backward()
    assert math.isnan(y.grad)


# --- micrograd compatibility ----------------------------------------------------------------


def test_micrograd_sanity_check_expression() -> None:
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert (y.data, x.grad) == (-20.0, 46.0)


def test_micrograd_readme_expression() -> None:
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_lecture_tanh_neuron_stepped_by_hand() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    for node in [o, n, b, x1w1x2w2, x2w2, x1w1]:
        node._backward()
    assert n.grad == pytest.approx(0.5)
    assert x1.grad == pytest.approx(-1.5)
    assert w1.grad == pytest.approx(1.0)
    assert x2.grad == pytest.approx(0.5)
    assert w2.grad == 0.0
    # and the same numbers from one call
    for v in [x1, x2, w1, w2, b]:
        v.grad = 0.0
    o.backward()
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))


def test_backward_by_hand_pushes_once_per_call() -> None:
    a = Value(2.0)
    y = a * 3
    y.grad = 1.0
    y._backward()
    y._backward()
    assert a.grad == 6.0  # each call adds one more share, exactly as micrograd's does


# --- dots: a layer's weighted sums ----------------------------------------------------------


def test_dots_makes_the_nodes_dot_makes() -> None:
    rows = [[Value(0.5), Value(-1.0)], [Value(2.0), Value(0.25)]]
    biases = [Value(0.1), Value(-0.3)]
    xs = [Value(3.0), 4.0]
    outs = dots(rows, xs, biases)
    singles = [dot(r, [xs[0], outs[0]._prev[3]], b) for r, b in zip(rows, biases)]
    for out, single, r, b in zip(outs, singles, rows, biases):
        assert out._op == "dot" and out._prev == single._prev
        assert out._prev[:2] == tuple(r) and out._prev[-1] is b
        assert out.data == single.data
    assert outs[0]._prev[3] is outs[1]._prev[3]  # the number 4.0 became one shared leaf
    total = outs[0] * outs[1]
    grads = grad(total, [*rows[0], *rows[1], *biases, xs[0]])
    expected = grad(singles[0] * singles[1], [*rows[0], *rows[1], *biases, xs[0]])
    assert grads == expected


def test_dots_without_biases_and_with_numbers_in_a_row() -> None:
    w = Value(2.0)
    outs = dots([[w, 3.0], [1.0, 1.0]], [Value(1.0), Value(2.0)])
    assert [o.data for o in outs] == [8.0, 3.0] and all(len(o._prev) == 4 for o in outs)


def test_dots_errors_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match="one weight per input, got 1 weights in row 1 and 2 inputs"):
        dots([[1.0, 2.0], [1.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="one bias per row, got 1 biases for 2 rows"):
        dots([[1.0], [2.0]], [1.0], [0.0])
    with pytest.raises(TypeError, match="dot: expected a number or a Value, got str"):
        dots([[1.0]], ["a"])


# --- the node-by-node weighted sum and the layer activation ------------------------------------


def _same_graph(a: Value, b: Value, leaves_identical: bool = True) -> None:
    """Assert that two graphs have the same shape, ops and numbers (leaves: the very same objects)."""
    stack = [(a, b)]
    while stack:
        u, v = stack.pop()
        if not u._prev and leaves_identical:
            assert u is v
            continue
        assert (u._op, u.data, len(u._prev)) == (v._op, v.data, len(v._prev))
        assert u is not v or not u._prev
        stack.extend(zip(u._prev, v._prev))


def test_unfused_dot_builds_micrograds_chain_node_for_node() -> None:
    ws = [Value(0.3), Value(-1.7), Value(2.5)]
    xs = [Value(1.1), Value(0.4), Value(-0.9)]
    b = Value(0.2)
    out = dot(ws, xs, b, fused=False)
    _same_graph(out, sum((w * x for w, x in zip(ws, xs)), b))
    # ((b + w0*x0) + w1*x1) + w2*x2: the bias first, then one '*' and one '+' per input
    assert out._op == "+" and out._prev[1]._op == "*" and out._prev[1]._prev == (ws[2], xs[2])
    assert [v._op for v in topological_order(out) if v._prev] == ["*", "+", "*", "+", "*", "+"]
    # the same gradients as the operator-built graph
    assert grad(out * out, ws + xs + [b]) == grad(
        sum((w * x for w, x in zip(ws, xs)), b) ** 2, ws + xs + [b]
    )


def test_unfused_dot_without_a_bias_starts_at_the_first_product() -> None:
    ws, xs = [Value(2.0), Value(3.0)], [Value(5.0), Value(7.0)]
    out = dot(ws, xs, fused=False)
    _same_graph(out, ws[0] * xs[0] + ws[1] * xs[1])
    assert out.data == 31.0
    assert dot([], [], fused=False).data == 0.0
    b = Value(4.0)
    assert dot([], [], b, fused=False) is b  # the sum of no products plus b is b, as sum([], b) gives


def test_unfused_dot_with_numbers_and_under_no_grad_and_anomaly_mode() -> None:
    w, x = Value(2.0), Value(3.0)
    out = dot([w, 0.5], [x, 4.0], 1.0, fused=False)
    assert out.data == 1.0 + 6.0 + 2.0
    out.backward()
    assert (w.grad, x.grad) == (3.0, 2.0)
    with no_grad():
        plain = dot([w], [x], Value(1.0), fused=False)
    assert plain.data == 7.0 and plain._prev == ()
    from autograd import detect_anomaly

    with detect_anomaly():
        watched = dot([w], [x], fused=False)
    assert watched.data == 6.0 and watched._prev == (w, x)


def test_unfused_dots_build_what_unfused_dot_builds_row_by_row() -> None:
    rows = [[Value(0.5), Value(-1.0)], [Value(2.0), 0.25]]
    biases = [Value(0.1), Value(-0.3)]
    xs = [Value(3.0), Value(4.0)]
    for out, row, b in zip(dots(rows, xs, biases, fused=False), rows, biases):
        expected = dot(row, xs, b, fused=False)
        if all(isinstance(w, Value) for w in row):
            _same_graph(out, expected)
        else:  # a number weight becomes a new constant leaf in each graph
            _same_graph(out, expected, leaves_identical=False)
    with pytest.raises(ValueError, match="one weight per input, got 1 weights in row 1 and 2 inputs"):
        dots([[1.0, 2.0], [1.0]], xs, fused=False)


WEIGHTED_SUMS: dict[str, Any] = {  # each way to ask for one weighted sum, with one weight given as a number
    "dot": lambda ws, xs, b: dot(ws, xs, b),
    "dot, fused=False": lambda ws, xs, b: dot(ws, xs, b, fused=False),
    "dots": lambda ws, xs, b: dots([ws], xs, [b])[0],
    "dots, fused=False": lambda ws, xs, b: dots([ws], xs, [b], fused=False)[0],
}


@pytest.mark.parametrize("mode", ["recording", "no_grad", "detect_anomaly"])
@pytest.mark.parametrize("how", list(WEIGHTED_SUMS))
def test_every_weighted_sum_is_a_value_with_the_same_number_in_every_mode(how: str, mode: str) -> None:
    """Numbers anywhere, in every recording mode: always a Value, with one number (fused or not)."""
    from autograd import detect_anomaly

    w, x = Value(2.0), Value(3.0)
    context = {"recording": nullcontext, "no_grad": no_grad, "detect_anomaly": detect_anomaly}[mode]
    with context():
        out = WEIGHTED_SUMS[how]([w, 0.5], [x, 4.0], 1.0)
        plain = WEIGHTED_SUMS[how]([1.5], [2.0], None)  # nothing but numbers
    assert isinstance(out, Value) and out.data == 2.0 * 3.0 + 0.5 * 4.0 + 1.0
    assert isinstance(plain, Value) and plain.data == 3.0
    assert (out._prev == ()) == (mode == "no_grad")
    if mode != "no_grad":
        out.backward()
        assert (w.grad, x.grad) == (3.0, 2.0)


@pytest.mark.parametrize("how", list(WEIGHTED_SUMS))
@pytest.mark.parametrize("bad", [np.array(1.0), np.array([1.0, 2.0]), "a", None, [1.0]])
def test_every_weighted_sum_refuses_an_item_that_is_not_a_number(how: str, bad: Any) -> None:
    one = [Value(1.0)]
    for ws, xs, b in (([bad], one, None), (one, [bad], None), (one, one, bad)):
        if b is None and bad is None:
            continue  # no bias is a bias of None
        with pytest.raises(TypeError, match=r"dot: expected a number or a Value, got "):
            WEIGHTED_SUMS[how](ws, xs, b)


@pytest.mark.parametrize("op", [RELU, TANH])
def test_calling_an_op_builds_the_node_the_method_builds(op: Op) -> None:
    xs = [Value(-1.5), Value(0.0), Value(0.7)]
    for x in xs:
        out, alone = op(x), getattr(x, op.name)()
        assert (out._op, out._prev, out.data, out.grad, out.label) == (op, (x,), alone.data, 0.0, "")
        assert op(x.data) == alone.data  # on a number, the op is its checked forward
    with no_grad():
        assert all(op(x)._prev == () for x in xs)
    for context in (enable_grad, no_grad):
        with context(), pytest.raises(TypeError, match=f"{op.name}: expected numbers, Values or NumPy"):
            op("1.0")
