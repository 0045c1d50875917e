"""microgpt's way of writing an op, ``Value(out, children, local_grads)``, row by row of the op table.

microgpt gives each node its local derivatives as numbers, one per child. Here every op of the
table is written that way from ``math`` (not from the table's rules), and each such node must have
the table op's number, its local derivatives (as the tools read them), its gradients after
``backward()``, and be drawn, explained and pushed forward like any node. Every node, however made,
answers microgpt's ``_children`` and ``_local_grads``. And a node made microgpt's way works with
every tool just as one made micrograd's way (with a ``_backward`` closure) does.
"""

from __future__ import annotations

import copy
import math
import pickle
from typing import Any, Callable

import pytest

import autograd
import autograd.replay
from autograd import Value, draw_dot, explain, formula, grad, jvp
from autograd.core.engine import local_derivatives
from tests.support.op_rows import MICROGPT, ROWS, Row


def microgpt_op(row: Row) -> Callable[..., Value]:
    if row.op == "pow_const":
        k = row.exponent
        assert k is not None
        return lambda a: Value(a.data**k, (a,), (k * a.data ** (k - 1),))
    return MICROGPT[row.op]


def test_every_row_is_written_microgpts_way() -> None:
    assert not {row.op for row in ROWS} - {"pow_const", *MICROGPT}


def _close(x: float, y: float) -> bool:
    return x == pytest.approx(y, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_an_op_written_microgpts_way_is_the_tables_op(row: Row) -> None:
    xs = [Value(x, label=f"x{i}") for i, x in enumerate(row.point())]
    ours, theirs = row.call(*xs), microgpt_op(row)(*xs)
    assert theirs._children == ours._children == tuple(xs) and theirs._prev == tuple(xs)
    assert _close(theirs.data, ours.data)
    assert all(map(_close, theirs._local_grads, ours._local_grads))
    assert theirs._local_grads == tuple(float(d) for d in local_derivatives(theirs))
    # gradients through each, inside a bigger graph (sent on with a factor and added to a parent)
    outs = [(node * 1.5 + xs[0]).tanh() for node in (ours, theirs)]
    want, got = (grad(out, xs) for out in outs)
    assert all(map(_close, got, want))
    outs[1].backward()
    assert all(map(_close, [x.grad for x in xs], want))
    # every tool reads its local derivatives as for any node
    for x, g in zip(xs, want):
        assert _close(explain(outs[1], x).gradient, g)
        assert _close(jvp(outs[1], {x: 1.0}), g)
    assert "f(" in formula(theirs).text
    labels = draw_dot(theirs, edge_labels=True).source
    assert all(f"= {d:.4g}" in labels for d in theirs._local_grads if d)


def test_every_node_answers_children_and_local_grads() -> None:
    a, b = Value(2.0), Value(-3.0)
    for node, grads in [(a * b, (-3.0, 2.0)), (a.tanh(), (1 - math.tanh(2.0) ** 2,)), (a, ())]:
        assert node._children == node._prev and node._local_grads == pytest.approx(grads, rel=1e-15)


@pytest.mark.parametrize("bad, message", [
    (lambda a: Value(1.0, (a,), (1.0, 2.0)), r"one local derivative per child \(1\), got 2"),
    (lambda a: Value(1.0, (a,), ("x",)), "each of local_grads: data must be a real number"),
    (lambda a: Value(1.0, (a,), 5), "_op must be a str .* or a tuple of numbers"),
])
def test_wrong_local_grads_are_refused_by_name(bad: Callable[[Value], Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        bad(Value(1.0))


def test_given_numbers_cannot_be_differentiated_again() -> None:
    x = Value(0.5)
    with pytest.raises(TypeError, match="create_graph=True cannot differentiate through a node whose local"):
        grad(MICROGPT["tanh"](x), [x], create_graph=True)


# --- every tool, microgpt's way next to micrograd's way and the table's op ------------------------


def _by_micrograd(a: Value) -> Value:
    """tanh written the lecture's way: a node with a ``_backward`` closure."""
    t = math.tanh(a.data)
    out = Value(t, (a,), "tanh")

    def _backward() -> None:
        a.grad += (1 - t * t) * out.grad

    out._backward = _backward  # type: ignore[method-assign]
    return out


WAYS: dict[str, Callable[[Value], Value]] = {
    "the table's op": lambda a: a.tanh(), "micrograd's way": _by_micrograd,
    "microgpt's way": MICROGPT["tanh"],
}


def _f(tanh: Callable[[Value], Value], x: Value, y: Value) -> Value:
    return tanh(x * y) * x + y


def _anomaly(tanh: Callable[[Value], Value]) -> tuple[bool, float]:
    """Inside detect_anomaly: is the NaN a node makes stopped in the forward pass; and a clean backward.

    (A hand-made node, either way, is reported where an op of the table first uses its NaN, the
    ``* 2.0`` here: anomaly mode checks the table's ops as they run, not numbers given by hand.)"""
    with autograd.detect_anomaly():
        try:
            tanh(Value(math.nan)) * 2.0
            caught = False
        except autograd.AnomalyError as e:
            caught = "anomaly in the forward pass" in str(e)
        x = Value(0.3)
        _f(tanh, x, Value(-1.2)).backward()
    return caught, round(x.grad, 12)


def _replay(tanh: Callable[[Value], Value]) -> Any:
    np = pytest.importorskip("numpy")
    try:
        tape = autograd.trace(lambda xs: _f(tanh, xs[0], xs[1]), 2)
    except autograd.replay.UntraceableError as e:  # a node computed from .data is frozen, so refused
        return "refused: " + ("reading .data of a traced value" if "reading .data" in str(e) else str(e))
    return [round(float(y), 12) for y in tape(np.array([[0.3, -1.2], [0.5, 0.1]]))]


def _jacobian(tanh: Callable[[Value], Value]) -> list[list[float]]:
    x, y = Value(0.3), Value(-1.2)
    return [[round(d, 12) for d in row] for row in autograd.jacobian([_f(tanh, x, y)], [x, y])]


TOOLS: dict[str, Callable[[Callable[[Value], Value]], Any]] = {
    "backward_steps": lambda t: [round(s.parent_grad, 12) for s in autograd.backward_steps(
        _f(t, Value(0.3), Value(-1.2)))],
    "play": lambda t: len(autograd.play(_f(t, Value(0.3), Value(-1.2))).steps),
    "jacobian": lambda t: _jacobian(t),
    "gradcheck (first order)": lambda t: autograd.gradcheck(lambda x, y: _f(t, x, y), [0.3, -1.2], order=1),
    "detect_anomaly": _anomaly,
    "trace (the replay)": _replay,
}
#: What the table's op can do and a hand-made node cannot: a node made from .data is frozen in a replay.
HAND_MADE = {"trace (the replay)": "refused: reading .data of a traced value"}


@pytest.mark.parametrize("tool", TOOLS)
def test_a_microgpt_style_node_works_with_every_tool_as_a_micrograd_style_one(tool: str) -> None:
    got = {way: TOOLS[tool](tanh) for way, tanh in WAYS.items()}
    assert got["microgpt's way"] == got["micrograd's way"]
    assert got["microgpt's way"] == HAND_MADE.get(tool, got["the table's op"])


def test_a_microgpt_style_graph_copies_and_pickles_unlike_a_closure() -> None:
    x = Value(0.3, label="x")
    out = _f(MICROGPT["tanh"], x, Value(-1.2))
    for twin in (copy.deepcopy(out), pickle.loads(pickle.dumps(out))):
        assert twin.data == out.data and twin._prev[0]._local_grads == out._prev[0]._local_grads
        assert grad(twin, [twin._prev[0]._prev[1]]) == grad(out, [x])
