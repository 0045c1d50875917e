"""The tape replays a scalar graph over a batch: same values, same gradients as the scalar engine."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value, grad, no_grad, ops
from autograd.replay import Tape, UntraceableError, trace
from nn.module import ACTIVATIONS
from nn.vectorized import FitStep
from tests.support.op_rows import ROWS, Row

# --- the scalar reference -------------------------------------------------------------


def scalar_reference(
    fn: Callable[[list[Value]], Any], X: np.ndarray, G: np.ndarray, params: list[Value]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``fn`` example by example in the scalar engine.

    Returns the outputs (batch, k), the gradient sum_i sum_j G[i, j] d out_ij / d p
    for each parameter, and the sum of the absolute values of those terms (the
    scale a float sum's rounding error is relative to).
    """
    outs, total, scale = [], np.zeros(len(params)), np.zeros(len(params))
    for row, g_row in zip(X, G):
        result = fn([Value(float(v)) for v in row])
        result = [result] if isinstance(result, Value) else result
        outs.append([v.data for v in result])
        for v, g in zip(result, g_row):
            d = np.array(grad(v, params))
            total += g * d
            scale += np.abs(g * d)
    return np.array(outs), total, scale


def replay(fn: Callable[[list[Value]], Any], X: np.ndarray, G: np.ndarray, params: list[Value]):
    """The tape's outputs (batch, k) and the gradients it adds to ``params``."""
    tape = trace(fn, X.shape[1], example=[float(v) for v in X[0]])
    for p in params:
        p.grad = 0.0
    out = tape(X)
    tape.backward(G if out.ndim == 2 else G[:, 0])
    got = np.array([p.grad for p in params])
    return (out if out.ndim == 2 else out[:, None]), got


def assert_same(fn: Callable[[list[Value]], Any], X: np.ndarray, G: np.ndarray, params: list[Value]) -> None:
    out, got = replay(fn, X, G, params)
    ref_out, ref_grad, scale = scalar_reference(fn, X, G, params)
    # the matrix products add in another order than the scalar dot: a few ulps of terms of size ~1
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-15)
    # Sums of per-example terms: equal within 1e-9 of the size of what was added up, plus each
    # local derivative's own rounding: NumPy's tanh and math.tanh may differ in the last bit, and
    # 1 - out*out near saturation turns that bit into an absolute error of about 1e-16 per unit
    # of upstream gradient (so 1e-15 * sum |G| allows it, and nothing bigger).
    slack = 1e-15 * np.abs(G).sum()
    assert np.all(np.abs(got - ref_grad) <= 1e-9 * scale + slack + 1e-300), (got, ref_grad)


# --- every op against the scalar engine -------------------------------------------------

#: The rows of op_rows.ROWS with one and with two inputs; dot (any number of inputs) has its own test below.
UNARY = [row for row in ROWS if row.arity == 1 and not row.variadic]
BINARY = [row for row in ROWS if row.arity == 2 and not row.variadic]


def replay_values(row: Row, i: int) -> st.SearchStrategy[float]:
    """Input i of the row: anywhere in its domain, and 0 itself where the domain has it (kinks included)."""
    d = row.domain[i]
    return st.one_of(st.just(0.0), d.floats()) if 0.0 in d else d.floats()


def test_every_op_has_a_replay_test() -> None:
    untested = [row.id for row in ROWS if row not in UNARY + BINARY and row.the_op is not ops.DOT]
    assert not untested, f"rows of op_rows.ROWS that no replay test covers (3 or more inputs): {untested}"
    assert {row.op for row in UNARY + BINARY} | {ops.DOT.name, "pow_const"} == set(ops.OPS) | {"pow_const"}


def test_a_hand_written_op_is_refused_by_the_replay() -> None:
    def cube(x: Value) -> Value:
        out = Value(x.data**3, (x,), "cube")
        out._backward = lambda: None
        return out

    w = Value(2.0)
    with pytest.raises(TypeError, match="'cube' is an op written by hand.*define_op"):
        trace(lambda x: cube(w) * x[0], 1)  # (on a traced input it could not even read .data)
    with pytest.raises(UntraceableError):
        trace(lambda x: cube(x[0]), 1)


def batches(width: int, values: st.SearchStrategy[float] | list[st.SearchStrategy[float]]) -> Any:
    columns = values if isinstance(values, list) else [values] * width
    return st.lists(st.tuples(*columns), min_size=1, max_size=6).map(lambda rows: np.array(rows, dtype=float))


@pytest.mark.parametrize("row", UNARY, ids=[row.id for row in UNARY])
@given(data=st.data())
def test_unary_op_replays_like_the_scalar_engine(row: Row, data: Any) -> None:
    f, domain = row.call, replay_values(row, 0)
    X = data.draw(batches(2, [domain, st.floats(-2, 2)]))
    w = Value(data.draw(domain))
    G = np.resize(data.draw(batches(2, st.sampled_from([1.0, -0.5, 0.0, 2.0]))), X.shape)
    # the op on an input, and on a parameter (computed once, then used by every example)
    assert_same(lambda x: [f(x[0]), f(w) * x[1]], X, G, [w])


@pytest.mark.parametrize("row", BINARY, ids=[row.id for row in BINARY])
@given(data=st.data())
def test_binary_op_replays_like_the_scalar_engine(row: Row, data: Any) -> None:
    f, left, right = row.call, replay_values(row, 0), replay_values(row, 1)
    X = data.draw(batches(2, [left, right]))
    w_left, w_right = Value(data.draw(left)), Value(data.draw(right))
    G = np.resize(data.draw(batches(3, st.sampled_from([1.0, -0.5, 0.0, 2.0]))), (len(X), 3))
    assert_same(lambda x: [f(x[0], x[1]), f(x[0], w_right), f(w_left, x[1])], X, G, [w_left, w_right])


@given(X=batches(3, st.floats(-5, 5)), ws=st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_dot_replays_like_the_scalar_engine(X: np.ndarray, ws: list[float]) -> None:
    w = [Value(v) for v in ws]
    b = Value(0.25)

    def fns(x: list[Value]) -> list[Value]:
        return [
            autograd.dot(w, x, b),  # weights first: a matrix product
            autograd.dot(x, w),  # inputs first: a matrix product too
            autograd.dot(w[::-1], x),  # weights first again, in the same wave as the one above
            autograd.dot(x, x[::-1], w[0]),  # inputs on both sides: elementwise, then summed
            autograd.dot([w[0], x[1]], [x[0], w[1]]),  # mixed sides
            autograd.dot(w, w, x[0]),  # parameters only, plus an input as bias
        ]

    assert_same(fns, X, np.ones((len(X), 6)), w + [b])


# --- whole models -------------------------------------------------------------------------


def scalar_loss_grads(model: nn.Module, X: list, y: list, loss: Callable, l2: float) -> tuple[float, list]:
    model.zero_grad()
    total = loss([model(x) for x in X], y)
    if l2:
        total = total + nn.losses.l2(model.parameters(), l2)
    total.backward()
    return total.data, [p.grad for p in model.parameters()]


LOSS_CASES = [
    ("mse", 1, lambda rng: rng.uniform(-1, 1)),
    ("mae", 1, lambda rng: rng.uniform(-1, 1)),
    ("hinge", 1, lambda rng: rng.choice([-1.0, 1.0])),
    ("binary_cross_entropy", 1, lambda rng: rng.choice([0.0, 1.0])),
    ("cross_entropy", 3, lambda rng: float(rng.randrange(3))),
    ("mse", 2, lambda rng: [rng.uniform(-1, 1), rng.uniform(-1, 1)]),
]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss, n_out, target", LOSS_CASES, ids=[f"{c[0]}-{c[1]}" for c in LOSS_CASES])
@settings(max_examples=8)
@given(batch=batches(3, st.floats(-2, 2)), seed=st.integers(0, 2**16))
def test_mlp_with_each_activation_and_loss(
    activation: str, loss: str, n_out: int, target: Callable, batch: np.ndarray, seed: int
) -> None:
    rng = random.Random(seed)
    model = nn.MLP(3, [5, 4, n_out], activation=activation, seed=seed)
    X = batch.tolist()
    y = [target(rng) for _ in X]
    loss_fn = nn.losses.LOSSES[loss]
    want_value, want = scalar_loss_grads(model, X, y, loss_fn, 1e-3)
    step = FitStep(model, loss_fn, model.parameters(), lambda: nn.losses.l2(model.parameters(), 1e-3))
    for _ in range(2):  # the loss runs on scalar leaves first, then traced (when it can be)
        value, preds = step(X, y)
        got = [p.grad for p in model.parameters()]
        assert value == pytest.approx(want_value, rel=1e-12)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)
    with no_grad():
        expected = [model(x) for x in X]
    flat = [[v.data for v in e] if isinstance(e, list) else e.data for e in expected]
    np.testing.assert_allclose(preds, flat, rtol=1e-12, atol=1e-15)  # NumPy's tanh may differ by an ulp


def test_fit_step_handles_changing_targets_and_untraceable_losses() -> None:
    rng = random.Random(3)
    model = nn.MLP(2, [4, 1], seed=2)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(6)]
    def branching(p: Any, t: Any) -> Value:  # a loss that decides in Python from a prediction's number
        return nn.losses.mse(p, t) if sum(v.data for v in p) > -1e300 else nn.losses.mae(p, t)

    traceable = (nn.losses.mse, nn.losses.binary_cross_entropy)  # bce: softplus is one op, no branch
    for loss in (*traceable, branching):
        step = FitStep(model, loss, model.parameters())
        for y in ([0.0, 1.0] * 3, [0.0, 1.0] * 3, [1.0, 1.0, 0.0] * 2):  # same targets, then new ones
            want_value, want = scalar_loss_grads(model, X, y, loss, 0.0)
            value, _ = step(X, y)
            assert value == pytest.approx(want_value, rel=1e-12)
            np.testing.assert_allclose([p.grad for p in model.parameters()], want, rtol=1e-9, atol=1e-15)
        assert len(step._loss_tapes) == (1 if loss in traceable else 0)  # traced once it came twice


@given(X=batches(2, st.floats(-3, 3)), labels=st.lists(st.sampled_from([-1.0, 1.0]), min_size=6, max_size=6))
def test_traced_per_example_loss_matches_the_scalar_engine(X: np.ndarray, labels: list[float]) -> None:
    model = nn.MLP(2, [8, 8, 1], seed=11)
    params = model.parameters()
    XY = np.c_[X, np.resize(labels, len(X))]

    def hinge_plus_l2(x: list[Value]) -> Value:
        return (1 + -x[2] * model(x[:2])).relu() + 1e-4 * sum(p * p for p in params)

    def squared_error(x: list[Value]) -> Value:
        return (model(x[:2]) - x[2]) ** 2

    G = np.full((len(XY), 1), 1.0 / len(XY))
    assert_same(hinge_plus_l2, XY, G, params)
    assert_same(squared_error, XY, G, params)


@pytest.mark.parametrize("loss, batch_size", [("hinge", None), ("binary_cross_entropy", 8)])
def test_fit_vectorized_matches_scalar_fit_after_50_steps(loss: str, batch_size: int | None) -> None:
    X, y = nn.data.make_moons(40, noise=0.1, seed=0, zero_one=loss != "hinge")
    epochs = 50 if batch_size is None else 50 * batch_size // len(X)  # 50 steps either way
    ends = []
    for vectorize in (False, True):
        model = nn.MLP(2, [8, 8, 1], seed=5)
        opt = nn.optim.SGD(model.parameters(), lr=0.1)
        history = nn.fit(model, X, y, loss=loss, l2=1e-4, optimizer=opt, epochs=epochs, progress=False,
                         batch_size=batch_size, seed=3, vectorize=vectorize)
        ends.append(([p.data for p in model.parameters()], history.loss, history["accuracy"]))
    (p_scalar, loss_scalar, acc_scalar), (p_tape, loss_tape, acc_tape) = ends
    np.testing.assert_allclose(p_tape, p_scalar, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(loss_tape, loss_scalar, rtol=1e-9)
    assert acc_tape == acc_scalar


# --- captured leaves, structure, shapes ---------------------------------------------------


def test_parameter_updates_between_replays_are_seen() -> None:
    w, b = Value(2.0), Value(-1.0)
    tape = trace(lambda x: (w * x[0] + b).tanh(), 1)
    X = np.array([[0.5], [-1.0], [2.0]])
    first = tape(X)
    w.data, b.data = -0.75, 0.3
    second = tape(X)
    np.testing.assert_allclose(second, [math.tanh(-0.75 * v + 0.3) for v in X[:, 0]], rtol=1e-15)
    assert not np.allclose(first, second)
    tape.backward()
    assert w.grad == pytest.approx(sum((1 - math.tanh(-0.75 * v + 0.3) ** 2) * v for v in X[:, 0]), rel=1e-12)


def test_a_layer_becomes_one_matrix_product_and_chains_become_one_sum() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    tape = trace(lambda x: model(x) + sum(p * p for p in model.parameters()), 2)
    kinds = [line.split(" = ")[1].split(":")[0] for line in tape.steps()]
    assert kinds.count("matrix product") == 3
    assert kinds.count("sum") == 1
    assert len(kinds) <= 10, tape.steps()


def test_an_unfused_mlp_becomes_one_product_and_one_sum_per_layer() -> None:
    model = nn.MLP(2, [6, 6, 1], seed=4, fused=False)  # micrograd's graph: b + w1*x1 + w2*x2 + ...
    tape = trace(model, 2)
    kinds = [line.split(" = ")[1].split(" ")[0] for line in tape.steps()]
    assert kinds == ["'*'", "sum:", "'ReLU'", "'*'", "sum:", "'ReLU'", "'*'", "sum:"]
    X = np.array([[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]])
    assert_same(model, X, np.ones((3, 1)), model.parameters())


def test_shared_nodes_and_repeated_terms_accumulate() -> None:
    w = Value(0.5)
    tied = [w, w, Value(2.0)]  # the same weight twice in one neuron, and in both neurons

    def fn(x: list[Value]) -> list[Value]:
        h = [autograd.dot(tied, x), autograd.dot([w, w, w], x)]
        s = x[0] + x[0] + x[0] + h[0] + h[0] * h[1]  # one sum with a repeated term
        return [s, h[1], x[2], w]  # outputs may be inputs and parameters too

    X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0], [4.0, -2.0, 1.0]])
    assert_same(fn, X, np.array([[1.0, 2.0, -1.0, 0.5]] * 3), [w, tied[2]])


def test_a_deep_chain_replays_without_recursion() -> None:
    def fn(x: list[Value]) -> Value:
        v = x[0]
        for _ in range(3000):
            v = (v * 0.999).tanh()
        return v

    tape = trace(fn, 1)
    X = np.array([[0.3], [-2.0]])
    expected = []
    for row in X:
        v = row[0]
        for _ in range(3000):
            v = math.tanh(v * 0.999)
        expected.append(v)
    np.testing.assert_allclose(tape(X), expected, rtol=1e-12)
    tape.backward()


def test_outputs_have_the_documented_shapes() -> None:
    w = Value(1.5)
    one = trace(lambda x: x[0] * w, 2)
    two = trace(lambda x: [x[0] * w, x[1]], 2)
    X = np.arange(8.0).reshape(4, 2)
    assert one(X).shape == (4,) and two(X).shape == (4, 2)
    np.testing.assert_array_equal(two(X)[:, 1], X[:, 1])
    constant = trace(lambda x: w * w, 0)
    assert constant().tolist() == [2.25]
    constant.backward(1.0)
    assert w.grad == 3.0


# --- what cannot be traced is refused ------------------------------------------------------

REFUSED: dict[str, Callable[[list[Value]], Any]] = {
    "bool": lambda x: x[0].relu() if x[0] else x[0],
    "lt": lambda x: x[0] if x[0] < 0 else -x[0],
    "gt": lambda x: x[0] if x[0] > 0 else -x[0],
    "le": lambda x: x[0] if x[0] <= 0 else -x[0],
    "ge": lambda x: x[0] if x[0] >= 0 else -x[0],
    "eq": lambda x: x[0] if x[0] == 0.5 else -x[0],
    "ne": lambda x: x[0] if x[0] != 0.5 else -x[0],
    "float": lambda x: Value(math.exp(x[0])),
    "int": lambda x: x[0] * int(x[0]),
    "index": lambda x: x[0] * [1, 2, 3][x[0]],
    "round": lambda x: x[0] * round(x[0]),
    "data": lambda x: x[0] * 2 if x[0].data > 0 else x[0],
    "item": lambda x: Value(x[0].item()),
    "derived": lambda x: (x[0] * 3 + 1).relu() if (x[0] * 3 + 1).data > 0 else x[0],
    "no_grad": lambda x: _under_no_grad(x[0]),
    "set data": lambda x: setattr(x[0], "data", 1.0),
    # Python's max() compares the numbers (cross_entropy used to; it now uses the logaddexp op)
    "max of values": lambda x: max(x[0], 2 * x[0]) - x[0],
}


def _under_no_grad(v: Value) -> Value:
    with no_grad():
        return v * 2


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_untraceable_patterns_are_refused(name: str) -> None:
    with pytest.raises(UntraceableError, match="trace"):
        trace(REFUSED[name], 1)


def test_a_traced_value_used_after_its_trace_is_refused() -> None:
    kept: list[Value] = []
    trace(lambda x: kept.append(x[0] * 2) or kept[0], 1)
    with pytest.raises(UntraceableError, match="outside the traced function"):
        kept[0] + 1
    assert "Traced" in repr(kept[0])


def test_what_is_allowed_while_tracing() -> None:
    seen = {}

    def fn(x: list[Value]) -> Value:
        v = x[0] * 2
        seen["in a set"] = v in {v}
        seen["same node"] = v == v and v != x[0]
        seen["label"] = x[0].label
        return v

    tape = trace(fn, 1)
    assert seen == {"in a set": True, "same node": True, "label": "x[0]"}
    assert tape(np.array([[3.0]])).tolist() == [6.0]
    w = Value(2.0)
    with no_grad():  # trace records the graph even where recording is off
        assert trace(lambda x: x[0] * w, 1)(np.array([[3.0]])).tolist() == [6.0]
    with autograd.detect_anomaly():  # and a watcher of new nodes keeps watching
        assert autograd.trace(lambda x: (x[0] * w).tanh(), 1)(np.array([[0.0]])).tolist() == [0.0]


# --- errors follow the scalar engine ---------------------------------------------------


def test_a_domain_error_in_a_replay_names_the_op_and_the_example() -> None:
    tape = trace(lambda x: x[0].log(), 1)
    with pytest.raises(ValueError, match=r"log.*-2\.0.*example 2"):
        tape(np.array([[1.0], [3.0], [-2.0]]))
    div = trace(lambda x: 1.0 / x[0], 1)
    with pytest.raises(ZeroDivisionError, match="div.*example 1"):
        div(np.array([[1.0], [0.0]]))


def test_quiet_special_values_stay_quiet_as_in_the_scalar_engine() -> None:
    tape = trace(lambda x: x[0] * x[0], 1)  # overflows to inf, as float arithmetic does
    assert tape(np.array([[1e200], [2.0]])).tolist() == [math.inf, 4.0]
    w = Value(2.0)
    tape = trace(lambda x: x[0] * w, 1)
    tape(np.array([[1e300], [1.0]]))
    tape.backward(np.array([1e10, 1.0]))  # 1e10 * 1e300 overflows on the way to w.grad
    assert w.grad == math.inf


def test_an_infinite_local_derivative_raises_only_where_a_gradient_arrives() -> None:
    w = Value(1.0)
    tape = trace(lambda x: (x[0] * w).sqrt(), 1)
    X = np.array([[4.0], [0.0]])
    tape(X)
    with pytest.raises(ZeroDivisionError, match="sqrt: in the backward pass.*example 1"):
        tape.backward(np.array([1.0, 1.0]))
    w.grad = 0.0
    tape(X)
    tape.backward(np.array([1.0, 0.0]))  # the example at 0 gets no gradient: nothing to pass on
    assert w.grad == 1.0  # d sqrt(x w)/dw = x / (2 sqrt(x w)) at x = 4, w = 1


# --- bad input -----------------------------------------------------------------------------


def test_bad_arguments_get_clear_errors() -> None:
    w = Value(1.0)
    tape = trace(lambda x: x[0] * w, 2)
    with pytest.raises(ValueError, match=r"tape: expected X of shape \(batch, 2\)"):
        tape(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="tape: X must be an array of real numbers.*got strings"):
        tape([["a", "b"]])
    fresh: Tape = trace(lambda x: x[0] * w, 2)
    with pytest.raises(RuntimeError, match="replay a batch first"):
        fresh.backward()
    tape(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"grad_out of shape \(3,\)"):
        tape.backward(np.ones(4))
    with pytest.raises(ValueError, match="n_inputs"):
        trace(lambda x: x[0], -1)
    with pytest.raises(TypeError, match="must return a Value"):
        trace(lambda x: 3.0, 1)
    with pytest.raises(ValueError, match="example"):
        trace(lambda x: x[0], 2, example=[1.0])
    with pytest.raises(ValueError, match="log.*example="):
        trace(lambda x: (x[0] - 1).log(), 1)
    assert trace(lambda x: (x[0] - 1).log(), 1, example=[2.0])(np.array([[3.0]])).tolist() == [math.log(2.0)]


def test_import_autograd_works_without_numpy() -> None:
    code = "import sys; sys.modules['numpy'] = None; import autograd; print(autograd.Value(2.0) * 3)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "6.0" in result.stdout
