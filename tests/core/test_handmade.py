"""micrograd's own way of adding an op: ``Value(data, children, op)`` and a ``_backward`` closure.

The lecture writes its ops as methods that build the output node by hand. Written as
functions outside the class, the same code must give the lecture's numbers here, and every
tool must treat such a node honestly.
"""

from __future__ import annotations

import copy
import math
import pickle
from typing import Any

import pytest
import sympy as sp

from autograd import Value, backward_steps, draw_dot, explain, formula, grad, jvp, topological_order
from autograd.core.engine import local_derivatives

# --- the lecture's ops, exactly as written there (outside the class) -----------------------------


def tanh(self: Value) -> Value:
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward  # type: ignore[method-assign]
    return out


def exp(self: Value) -> Value:
    x = self.data
    out = Value(math.exp(x), (self,), "exp")

    def _backward() -> None:
        self.grad += out.data * out.grad

    out._backward = _backward  # type: ignore[method-assign]
    return out


def power(self: Value, other: float) -> Value:
    assert isinstance(other, (int, float)), "only supporting int/float powers for now"
    out = Value(self.data**other, (self,), f"**{other}")

    def _backward() -> None:
        self.grad += other * (self.data ** (other - 1)) * out.grad

    out._backward = _backward  # type: ignore[method-assign]
    return out


def mul(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self, other), "*")

    def _backward() -> None:
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward  # type: ignore[method-assign]
    return out


def truediv(self: Value, other: Value) -> Value:  # self / other
    return self * power(other, -1)


def lecture_neuron(activation: Any) -> tuple[Value, list[Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = activation(n)
    o.label = "o"
    o.backward()
    return o, [x1, w1, x2, w2]


LECTURE_GRADS = (-1.5, 1.0, 0.5, 0.0)  # x1, w1, x2, w2


@pytest.mark.parametrize(
    "activation",
    [tanh, lambda n: truediv(exp(2 * n) - 1, exp(2 * n) + 1), lambda n: n.tanh()],
    ids=["tanh by hand", "exp and division by hand", "the built-in tanh"],
)
def test_the_lectures_ops_written_by_hand_give_the_lectures_gradients(activation: Any) -> None:
    o, leaves = lecture_neuron(activation)
    assert o.data == pytest.approx(0.7071067811865476, rel=1e-12)
    assert tuple(v.grad for v in leaves) == pytest.approx(LECTURE_GRADS, abs=1e-12)


def test_a_closure_is_called_exactly_as_micrograd_calls_it() -> None:
    # the lecture's famous bug: `=` in place of `+=` loses one path of a + a, as in micrograd
    def add_with_the_bug(self: Value, other: Value) -> Value:
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad = 1.0 * out.grad
            other.grad = 1.0 * out.grad

        out._backward = _backward  # type: ignore[method-assign]
        return out

    a = Value(3.0)
    add_with_the_bug(a, a).backward()
    assert a.grad == 1.0  # what micrograd gives with that closure (the right answer is 2)
    b = Value(3.0)
    (b + b).backward()
    assert b.grad == 2.0


def test_constructor_follows_micrograds_argument_order() -> None:
    a, b = Value(2.0), Value(3.0)
    v = Value(6.0, (a, b), "*", "v")
    assert (v.data, v._prev, v._op, v.label) == (6.0, (a, b), "*", "v")
    assert Value(6.0, _children=(a, b), _op="*")._prev == (a, b)
    assert Value(6.0, _prev=(a, b))._prev == (a, b)  # the old keyword still works
    assert Value(6.0, [a, b])._prev == (a, b) and Value(6.0, {a})._prev == (a,)
    with pytest.raises(TypeError, match="once"):
        Value(6.0, (a,), _prev=(b,))


@pytest.mark.parametrize(
    "call, arg",
    [
        (lambda a: Value(1.0, label=(a,)), "label"),  # a confused positional call
        (lambda a: Value(1.0, "a"), "_children"),  # the old order: a label where the children go
        (lambda a: Value(1.0, (a, 2.0)), "each of _children"),
        (lambda a: Value(1.0, (a,), 3), "_op"),
        (lambda a: Value(1.0, (a,), "*", 5), "label"),
    ],
)
def test_a_wrong_argument_names_itself_and_the_order(call: Any, arg: str) -> None:
    order = r"Value\(data, _children=\(\), _op='', label=''\)"
    with pytest.raises(TypeError, match=rf"Value: {arg} must be .*{order}"):
        call(Value(1.0))


def test_free_attributes_can_be_set_as_on_micrograds_values() -> None:
    v = Value(1.0)
    v.name = "w"
    v.note = {"layer": 1}
    assert (v.name, v.note) == ("w", {"layer": 1})
    w = copy.deepcopy(v)
    assert (w.name, w.note) == ("w", {"layer": 1}) and w.note is not v.note
    assert pickle.loads(pickle.dumps(v)).name == "w"


def test_the_tools_read_a_hand_made_nodes_local_derivatives_from_its_closure() -> None:
    x, y = Value(0.3, label="x"), Value(-1.2, label="y")
    t = tanh(mul(x, y))
    t.label = "t"
    out = t * x
    out.label = "out"
    m = t._prev[0]
    before = [v.grad for v in topological_order(out)]
    assert local_derivatives(t) == pytest.approx((1 - t.data**2,), rel=1e-15)
    assert local_derivatives(m) == (y.data, x.data)
    assert [v.grad for v in topological_order(out)] == before  # probing puts every grad back
    # the picture labels each edge with the closure's derivative
    src = draw_dot(out, edge_labels=True).source
    assert f"= {1 - t.data ** 2:.4g}" in src and "= -1.2 " in src and "= 0.3 " in src
    # explain, backward_steps and jvp agree with backward()
    (gx,) = grad(out, [x])
    assert explain(out, x).gradient == pytest.approx(gx, rel=1e-14)
    steps = list(backward_steps(out))
    assert {s.parent: s.parent_grad for s in steps}[x] == pytest.approx(gx, rel=1e-14)
    assert jvp(out, {x: 1.0}) == pytest.approx(gx, rel=1e-14)
    # a formula writes an op it does not know as a call, a symbol in parentheses
    assert formula(out).text == "out = tanh((x * y)) * x"
    X, Y = sp.symbols("x y")
    want = sp.diff(sp.tanh(X * Y) * X, X).subs({X: 0.3, Y: -1.2})
    assert gx == pytest.approx(float(want), rel=1e-12)


def test_a_parent_used_twice_by_a_closure_gets_its_whole_derivative_on_the_first_edge() -> None:
    x = Value(1.5, label="x")
    sq = mul(x, x)
    assert local_derivatives(sq) == (3.0, 0.0)  # the closure adds both shares into one number
    assert explain(sq, x).gradient == 3.0 == grad(sq, [x])[0]


def test_what_a_closure_cannot_do_is_refused_clearly() -> None:
    x = Value(0.5)
    with pytest.raises(TypeError, match="create_graph=True cannot differentiate through the hand-written op"):
        grad(tanh(x), [x], create_graph=True)
    bare = Value(1.0, (x,), "mystery")  # a node built by hand with no closure
    with pytest.raises(TypeError, match="made by 'mystery', which is not an op of the table, and has no"):
        bare.backward()
    with pytest.raises(TypeError, match="closure you wrote"):
        copy.deepcopy(tanh(x))
    with pytest.raises(TypeError, match="closure you wrote"):
        pickle.dumps(tanh(x))
