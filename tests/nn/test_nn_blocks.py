"""The blocks of nn.blocks and the views of nn.inspect: values and gradients against NumPy written
from the textbook formulas, second derivatives against central differences, the batch replay
against the scalar engine, names, modes, truncation, and bad input that changes nothing.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest

import nn
from autograd import Value, grad, gradcheck, jacobian, topological_order, trace
from autograd.replay import UntraceableError


def _values(xs: list[float], prefix: str = "x") -> list[Value]:
    return [Value(x, label=f"{prefix}{i}") for i, x in enumerate(xs)]


def _data(out: Any) -> list[float]:
    return [v.data for v in (out if isinstance(out, list) else [out])]


# --- Sequential ----------------------------------------------------------------------------


def test_sequential_is_its_layers_one_after_the_other_with_mlp_names() -> None:
    a, b = nn.Layer(2, 3, activation="tanh", seed=0), nn.Layer(3, 1, activation="linear", seed=1)
    model = nn.Sequential(a, b)
    x = [0.4, -0.7]
    expected = b(a(x)).data
    out = model(x)
    assert isinstance(out, Value) and out.data == expected
    names = [n for n, _ in model.named_parameters()]
    assert names[0] == "layers.0.neurons.0.w.0" and names[-1] == "layers.1.neurons.0.b"
    assert all(p.label == n for n, p in model.named_parameters())
    assert out.label == "layers.1.neurons.0"  # the neuron's name, as in nn.MLP
    assert nn.Sequential([a.__class__(2, 2, seed=0)]).nin == 2  # a list works too


def test_sequential_matches_an_mlp_of_the_same_layers() -> None:
    mlp = nn.MLP(3, [4, 2], activation="tanh", seed=3)
    seq = nn.Sequential(*mlp.layers)
    x = [0.1, 0.5, -0.2]
    assert _data(seq(x)) == _data(mlp(x))
    assert [n for n, _ in seq.named_parameters()] == [n for n, _ in mlp.named_parameters()]


def test_sequential_forward_batch_equals_calls_one_by_one_without_batch_norm() -> None:
    model = nn.Sequential(nn.Layer(2, 3, activation="tanh", seed=0), nn.Residual(nn.Layer(3, 3, seed=1)),
                          nn.LayerNorm(3), nn.Layer(3, 2, activation="linear", seed=2))
    X = [[0.1, 0.2], [-1.0, 0.5], [2.0, -0.3]]
    assert [_data(o) for o in model.forward_batch(X)] == [_data(model(x)) for x in X]


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.Sequential(), ValueError, "at least one module"),
    (lambda: nn.Sequential(nn.Layer(2, 3), "relu"), TypeError, "layer 1 must be an nn module, got str"),
    (lambda: nn.Sequential(nn.Layer(2, 3), nn.Layer(4, 1)), ValueError, "layer 0 gives 3 outputs but layer 1 "
                                                                         "takes 4 inputs"),
    (lambda: nn.Sequential(nn.LayerNorm(3), nn.BatchNorm(2)), ValueError, "gives 3 outputs"),
])
def test_sequential_refuses_bad_stacks(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_sequential_refuses_the_same_module_twice() -> None:
    layer = nn.Layer(2, 2, seed=0)
    with pytest.raises(ValueError, match="the same module object is given twice"):
        nn.Sequential(layer, layer)
    assert all(p.label.startswith("neurons.") for p in layer.parameters())  # not renamed by the refusal


def test_sequential_refuses_a_wrong_input_and_changes_nothing() -> None:
    bn = nn.BatchNorm(2)
    model = nn.Sequential(nn.Layer(2, 2, seed=0), bn)
    before = (list(bn.running_mean), list(bn.running_var))
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        model.forward_batch([[0.1, 0.2], [0.3, 0.4, 0.5]])
    with pytest.raises(TypeError, match="expected a list of 2 inputs"):
        model(0.5)
    with pytest.raises(TypeError, match="expected a list of examples"):
        model.forward_batch(3.0)
    assert (bn.running_mean, bn.running_var) == before


def test_fit_reports_one_gradient_norm_per_layer_of_a_sequential() -> None:
    X, y = nn.data.make_moons(16, noise=0.1, seed=0)
    model = nn.Sequential(nn.Layer(2, 4, activation="tanh", seed=0), nn.Residual(nn.Layer(4, 4, seed=1)),
                          nn.Layer(4, 1, activation="linear", seed=2))
    history = nn.fit(model, X, y, epochs=2, progress=False, grad_norms=True)
    assert list(history.grad_norms) == ["layers.0", "layers.1", "layers.2"]
    assert all(v[-1] > 0 for v in history.grad_norms.values())


# --- Residual --------------------------------------------------------------------------------


def test_residual_adds_its_input_and_its_jacobian_is_the_identity_plus_the_body() -> None:
    body = nn.Layer(3, 3, activation="tanh", seed=0)
    block = nn.Residual(body)
    xs = _values([0.3, -0.4, 0.9])
    out = block(xs)
    assert _data(out) == pytest.approx([x.data + f.data for x, f in zip(xs, body(xs))], abs=1e-15)
    J = np.array(jacobian(block(xs), xs))
    Jf = np.array(jacobian(body(xs), xs))
    assert np.abs(J - Jf - np.eye(3)).max() < 1e-15
    assert [v.label for v in out] == ["out.0", "out.1", "out.2"]
    assert [n for n, _ in block.named_parameters()][0] == "body.neurons.0.w.0"


def test_residual_names_inside_a_sequential_and_second_derivatives() -> None:
    model = nn.Sequential(nn.Layer(2, 2, activation="tanh", seed=0),
                          nn.Residual(nn.Layer(2, 2, activation="tanh", seed=1)), nn.Layer(2, 1, seed=2))
    assert "layers.1.body.neurons.1.w.0" in dict(model.named_parameters())
    assert model.layers[1](_values([0.1, 0.2]))[0].label == "layers.1.out.0"
    # d/dx and d2/dx2 of the whole stack against central differences
    assert gradcheck(lambda a, b: model([a, b]), [0.3, -0.6], order=2)


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.Residual(nn.Layer(2, 3)), ValueError, "as many outputs as it takes inputs.*2 inputs and 3"),
    (lambda: nn.Residual("layer"), TypeError, "body must be an nn module, got str"),
    (lambda: nn.Residual(nn.Layer(2, 2))([1.0]), ValueError, "expected 2 inputs, got 1"),
])
def test_residual_refuses(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


# --- LayerNorm ---------------------------------------------------------------------------------


def _layer_norm_numpy(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float, g_y: np.ndarray
                      ) -> tuple[np.ndarray, ...]:
    """Layer norm forward and backward, from the formulas (written independently of the engine)."""
    mu, var = x.mean(), x.var()
    sigma = np.sqrt(var + eps)
    xhat = (x - mu) / sigma
    y = gamma * xhat + beta
    g_xhat = g_y * gamma
    g_x = (g_xhat - g_xhat.mean() - xhat * (g_xhat * xhat).mean()) / sigma
    return y, g_x, g_y * xhat, g_y


def test_layer_norm_matches_numpy_forward_and_backward() -> None:
    ln = nn.LayerNorm(5, eps=1e-3)
    rng = np.random.default_rng(0)
    for g, b in zip(ln.gamma, ln.beta):
        g.data, b.data = float(rng.uniform(0.5, 1.5)), float(rng.normal())
    x = rng.normal(size=5) * 3
    g_y = rng.normal(size=5)
    xs = _values(list(x))
    out = ln(xs)
    loss = sum((gy * o for gy, o in zip(g_y, out)), Value(0.0))  # so that dL/dy = g_y
    loss.backward()
    y, g_x, g_gamma, g_beta = _layer_norm_numpy(x, np.array([g.data for g in ln.gamma]),
                                                np.array([b.data for b in ln.beta]), 1e-3, g_y)
    assert np.abs(np.array(_data(out)) - y).max() < 1e-12
    assert np.abs(np.array([v.grad for v in xs]) - g_x).max() < 1e-12
    assert np.abs(np.array([g.grad for g in ln.gamma]) - g_gamma).max() < 1e-12
    assert np.abs(np.array([b.grad for b in ln.beta]) - g_beta).max() < 1e-12


def test_layer_norm_output_has_mean_0_and_variance_1_and_second_derivatives() -> None:
    out = _data(nn.LayerNorm(4, eps=1e-12)([1.0, 2.0, 3.0, 10.0]))
    assert abs(sum(out) / 4) < 1e-12 and abs(sum(v * v for v in out) / 4 - 1) < 1e-9
    ln = nn.LayerNorm(3)
    assert gradcheck(lambda a, b, c: ln([a, b, c])[0] * ln([a, b, c])[2], [0.5, -1.0, 2.0], order=2)


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.LayerNorm(0), ValueError, "size must be a positive integer, got 0"),
    (lambda: nn.LayerNorm(2.0), TypeError, "size must be a positive integer, got float"),
    (lambda: nn.LayerNorm(2, eps=0), ValueError, "eps must be a finite number > 0"),
    (lambda: nn.LayerNorm(2, eps="1e-5"), TypeError, "eps must be a finite number > 0, got str"),
    (lambda: nn.LayerNorm(2)([1.0]), ValueError, "expected 2 inputs, got 1"),
])
def test_layer_norm_refuses(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


# --- BatchNorm -----------------------------------------------------------------------------------


def test_batch_norm_in_training_mode_matches_numpy_and_updates_the_running_averages() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(6, 3)) * 2 + 1
    G = rng.normal(size=(6, 3))  # dL/dy
    bn = nn.BatchNorm(3, momentum=0.2, eps=1e-4)
    for g, b in zip(bn.gamma, bn.beta):
        g.data, b.data = float(rng.uniform(0.5, 1.5)), float(rng.normal())
    gamma, beta = np.array([g.data for g in bn.gamma]), np.array([b.data for b in bn.beta])
    xs = [_values(list(row), f"x{i}.") for i, row in enumerate(X)]
    outs = bn.forward_batch(xs)
    loss = sum((float(G[i, j]) * outs[i][j] for i in range(6) for j in range(3)), Value(0.0))
    loss.backward()
    for j in range(3):  # each feature over the batch is a layer norm of that column
        y, g_x, g_gamma, g_beta = _layer_norm_numpy(X[:, j], gamma[j], beta[j], 1e-4, G[:, j])
        assert np.abs(np.array([o[j].data for o in outs]) - y).max() < 1e-12
        assert np.abs(np.array([row[j].grad for row in xs]) - g_x).max() < 1e-12
        assert abs(bn.gamma[j].grad - g_gamma.sum()) < 1e-12 and abs(bn.beta[j].grad - g_beta.sum()) < 1e-12
    assert bn.running_mean == pytest.approx(0.2 * X.mean(axis=0), abs=1e-15)
    assert bn.running_var == pytest.approx(0.8 + 0.2 * X.var(axis=0, ddof=1), abs=1e-15)  # unbiased


def test_batch_norm_in_evaluation_mode_uses_the_running_averages_example_by_example() -> None:
    bn = nn.BatchNorm(2, eps=1e-5)
    bn.running_mean[:] = [1.0, -2.0]
    bn.running_var[:] = [4.0, 0.25]
    bn.gamma[1].data = 3.0
    bn.beta[0].data = 0.5
    assert bn.eval() is bn and not bn.training
    out = _data(bn([3.0, -1.0]))
    assert out == pytest.approx([(3 - 1) / math.sqrt(4 + 1e-5) + 0.5, 3 * (-1 + 2) / math.sqrt(0.25 + 1e-5)],
                                abs=1e-14)
    assert [_data(o) for o in bn.forward_batch([[3.0, -1.0]])] == [out]  # a batch of one is fine here
    assert bn.running_mean == [1.0, -2.0]  # evaluation never changes them
    assert bn.train().training


def test_batch_norm_gradients_couple_the_examples_and_survive_second_derivatives() -> None:
    bn = nn.BatchNorm(1)
    # d/dx_0 of example 1's output is not 0: the batch mean and variance depend on x_0
    a, b, c = _values([0.5, -1.0, 2.0])
    out = bn.forward_batch([[a], [b], [c]])
    (da,) = grad(out[1], [a])
    assert abs(da.data if isinstance(da, Value) else da) > 0.01
    assert gradcheck(lambda p, q, r: bn.forward_batch([[p], [q], [r]])[0] * 2.0, [0.5, -1.0, 2.0], order=2)


def test_batch_norm_refuses_a_single_example_in_training_mode_and_changes_nothing() -> None:
    bn = nn.BatchNorm(2)
    with pytest.raises(ValueError, match="training mode it normalises over a batch.*forward_batch.*eval"):
        bn([1.0, 2.0])
    with pytest.raises(ValueError, match="at least 2 examples, got 1"):
        bn.forward_batch([[1.0, 2.0]])
    with pytest.raises(ValueError, match="expected 2 inputs, got 1"):
        bn.forward_batch([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="mode must be True or False"):
        bn.train("no")  # type: ignore[arg-type]
    assert bn.running_mean == [0.0, 0.0] and bn.running_var == [1.0, 1.0] and bn.training


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.BatchNorm(3, momentum=1.5), ValueError,
     "momentum must be a finite number >= 0 and <= 1, got 1.5"),
    (lambda: nn.BatchNorm(3, momentum=None), TypeError,
     "momentum must be a finite number >= 0 and <= 1, got NoneType"),
    (lambda: nn.BatchNorm(3, eps=-1.0), ValueError, "eps must be a finite number > 0"),
    (lambda: nn.BatchNorm(True), TypeError, "size must be a positive integer, got bool"),
])
def test_batch_norm_refuses_bad_settings(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_fit_trains_training_mode_batch_norm_on_whole_batches() -> None:
    X, y = nn.data.make_moons(8, noise=0.1, seed=0)

    def make() -> nn.Sequential:
        return nn.Sequential(nn.Layer(2, 3, seed=0), nn.BatchNorm(3), nn.Layer(3, 1, "linear", seed=1))

    model, by_hand = make(), make()
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"BatchNorm \(layers.1\) normalises over each batch.*batch_size=3"):
        nn.fit(model, X[:7], y[:7], epochs=1, batch_size=3, progress=False)  # 7 = 3 + 3 + 1: one alone
    assert [p.data for p in model.parameters()] == before and model.named_buffers() == by_hand.named_buffers()
    history = nn.fit(model, X, y, epochs=2, progress=False)  # full batch: forward_batch, as by hand
    opt = nn.optim.SGD(by_hand.parameters(), lr=0.1)
    for _ in range(2):
        loss = nn.losses.mse(by_hand.forward_batch(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert history.epochs == 2
    assert [p.data for p in model.parameters()] == [p.data for p in by_hand.parameters()]
    assert model.named_buffers() == by_hand.named_buffers()
    model.eval()  # with the running statistics it trains example by example, in the replay too
    history = nn.fit(model, X, y, epochs=2, progress=False, vectorize=True)
    assert history.epochs == 2


def test_train_and_eval_reach_every_batch_norm_in_a_stack() -> None:
    inner = nn.BatchNorm(2)
    model = nn.Sequential(nn.Layer(2, 2, seed=0), nn.Residual(nn.Sequential(nn.Layer(2, 2, seed=1), inner)))
    model.eval()
    assert not inner.training and not model.training
    model.train()
    assert inner.training


# --- RNNCell and RNN -------------------------------------------------------------------------------


def _rnn_numpy(model: nn.RNN, seq: list[float], target: float, cut: int | None = None
               ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """An RNN's output and its BPTT gradients (squared error), from the equations; ``cut`` truncates."""
    Wx = np.array([[w.data for w in row] for row in model.cell.wx])
    Wh = np.array([[w.data for w in row] for row in model.cell.wh])
    b = np.array([v.data for v in model.cell.b])
    Wout = np.array([w.data for w in model.readout.neurons[0].w])
    h = [np.zeros(len(b))]
    for x in seq:
        h.append(np.tanh(Wx[:, 0] * x + Wh @ h[-1] + b))
    y = float(Wout @ h[-1] + model.readout.neurons[0].b.data)
    T = len(seq)
    first = 1 if cut is None else cut
    delta = {T: Wout * 2 * (y - target) * (1 - h[T] ** 2)}
    for t in range(T - 1, first - 1, -1):
        delta[t] = (Wh.T @ delta[t + 1]) * (1 - h[t] ** 2)
    dWh = sum(np.outer(delta[t], h[t - 1]) for t in range(first, T + 1))
    dWx = sum(np.outer(delta[t], [seq[t - 1]]) for t in range(first, T + 1))
    db = sum(delta[t] for t in range(first, T + 1))
    return y, np.asarray(dWx), np.asarray(dWh), np.asarray(db), h


@pytest.mark.parametrize("bptt_steps", [None, 8, 3, 1])
def test_rnn_output_and_bptt_gradients_match_numpy(bptt_steps: int | None) -> None:
    model = nn.RNN(1, 5, seed=4, bptt_steps=bptt_steps)
    seq = [0.7, -0.2, 0.4, 0.9, -0.6, 0.1, 0.3]
    run = model.unroll(seq)
    loss = (run.outputs[0] - 0.25) ** 2
    model.zero_grad()
    loss.backward()
    cut = run.cut
    assert cut == (None if bptt_steps is None or bptt_steps >= 7 else 7 - bptt_steps + 1)
    y, dWx, dWh, db, h = _rnn_numpy(model, seq, 0.25, cut)
    assert abs(run.outputs[0].data - y) < 1e-12  # truncation never changes the forward pass
    assert np.abs(np.array([[w.grad for w in row] for row in model.cell.wx]) - dWx).max() < 1e-12
    assert np.abs(np.array([[w.grad for w in row] for row in model.cell.wh]) - dWh).max() < 1e-12
    assert np.abs(np.array([v.grad for v in model.cell.b]) - db).max() < 1e-12
    assert [np.abs(np.array([v.data for v in step]) - h[t]).max() < 1e-12 for t, step in
            enumerate(run.hidden, 1)] == [True] * 7
    norms = run.grad_norms()
    window = 7 if cut is None else 7 - cut + 1
    assert all(n == 0.0 for n in norms[: 7 - window]) and all(n > 0 for n in norms[7 - window:])


def test_rnn_second_derivatives_against_central_differences() -> None:
    model = nn.RNN(1, 3, seed=0)
    assert gradcheck(lambda a, b, c: model([a, b, c]), [0.4, -0.3, 0.8], order=2)
    w = model.cell.wh[0][1]

    def loss_of_weight(v: Value) -> Value:
        saved = w.data
        model.cell.wh[0][1] = v  # the shared weight, at every step
        try:
            return model([0.4, -0.3, 0.8]) ** 2
        finally:
            model.cell.wh[0][1] = w
            w.data = saved
    assert gradcheck(loss_of_weight, [w.data], order=2)


def test_rnn_cell_is_the_formula_with_named_rows() -> None:
    cell = nn.RNNCell(2, 3, seed=1)
    x, h = [0.5, -1.0], [0.1, 0.2, -0.3]
    out = cell(x, h)
    for i, v in enumerate(out):
        z = sum(w.data * xi for w, xi in zip(cell.wx[i], x))
        z += sum(w.data * hi for w, hi in zip(cell.wh[i], h))
        assert v.data == pytest.approx(math.tanh(z + cell.b[i].data), abs=1e-15)
        assert v.label == f"neurons.{i}"
    names = [n for n, _ in cell.named_parameters()]
    assert names[:4] == ["neurons.0.wx.0", "neurons.0.wx.1", "neurons.0.wh.0", "neurons.0.wh.1"]
    assert len(names) == len(cell.parameters()) == 3 * (2 + 3 + 1)
    assert _data(cell(x)) == _data(cell(x, [0.0, 0.0, 0.0]))  # h defaults to zeros


def test_rnn_reads_flat_and_nested_sequences_and_names_its_parts() -> None:
    model = nn.RNN(2, 3, nout=2, seed=0)
    nested = model([[0.1, 0.2], [0.3, -0.4]])
    flat = model([0.1, 0.2, 0.3, -0.4])
    assert isinstance(nested, list) and _data(nested) == _data(flat)
    assert [layer.name for layer in model.layers] == ["cell", "readout"]
    assert "cell.neurons.2.wh.1" in dict(model.named_parameters())
    run = model.unroll([[0.1, 0.2], [0.3, -0.4]])
    assert [v.label for v in run.inputs[1]] == ["x2[0]", "x2[1]"] and run.steps == 2
    assert [v.label for v in run.hidden[0]] == ["cell.neurons.0", "cell.neurons.1", "cell.neurons.2"]


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.RNN(1, 2)([]), ValueError, "the sequence is empty"),
    (lambda: nn.RNN(2, 2)([0.1, 0.2, 0.3]), ValueError, "a multiple of nin = 2 numbers, got 3"),
    (lambda: nn.RNN(2, 2)([[0.1, 0.2], [0.3]]), ValueError, "step 2.*expected 2 inputs, got 1"),
    (lambda: nn.RNN(1, 2)(0.5), TypeError, "expected a sequence"),
    (lambda: nn.RNN(1, 2)("abc"), TypeError, "expected a sequence"),
    (lambda: nn.RNN(1, 2, bptt_steps=0), ValueError, "bptt_steps must be a positive integer, got 0"),
    (lambda: nn.RNN(1, 2, bptt_steps=2.5), TypeError, "bptt_steps must be a positive integer, got float"),
    (lambda: nn.RNN(1, 2, activation="gelu"), ValueError,
     "activation must be 'linear', .* or 'tanh', got 'gelu'"),
    (lambda: nn.RNN(1, 2, init="zeros"), ValueError, "init must be one of"),
    (lambda: nn.RNNCell(2, 2)([0.1, 0.2], [0.3]), ValueError, "RNNCell \\(h\\): expected 2 inputs, got 1"),
])
def test_rnn_refuses(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_truncation_shrinks_the_graph() -> None:
    seq = [random.uniform(-1, 1) for _ in range(10)]
    sizes = []
    for k in (None, 5, 2):
        run = nn.RNN(1, 4, seed=0, bptt_steps=k).unroll(seq)
        sizes.append(len(topological_order(run.outputs[0])))
    assert sizes[0] > sizes[1] > sizes[2]


# --- the batch replay ---------------------------------------------------------------------------------


def _replay_matches_scalar(model: Any, X: np.ndarray) -> None:
    tape = trace(model, X.shape[1])
    out = tape(X)
    scalar = np.array([_data(model(list(x))) for x in X])
    assert np.abs(out.reshape(scalar.shape) - scalar).max() < 1e-12
    model.zero_grad()
    tape.backward()
    replayed = [p.grad for p in model.parameters()]
    model.zero_grad()
    for x in X:
        out_x = model(list(x))
        total = out_x if isinstance(out_x, Value) else sum(out_x[1:], out_x[0])
        total.backward()
    assert np.abs(np.array(replayed) - [p.grad for p in model.parameters()]).max() < 1e-10


def test_the_replay_runs_residual_layer_norm_and_evaluation_batch_norm() -> None:
    bn = nn.BatchNorm(3)
    model = nn.Sequential(nn.Layer(2, 3, activation="tanh", seed=0), nn.Residual(nn.Layer(3, 3, seed=1)),
                          nn.LayerNorm(3), bn, nn.Layer(3, 2, activation="linear", seed=2))
    X = np.random.default_rng(0).normal(size=(7, 2))
    model.forward_batch([list(x) for x in X])  # running statistics from a batch, then evaluation mode
    model.eval()
    _replay_matches_scalar(model, X)
    model.train()
    with pytest.raises(ValueError, match="training mode it normalises over a batch"):
        trace(model, 2)


def test_the_replay_runs_an_rnn_and_refuses_a_truncated_one() -> None:
    X = np.random.default_rng(1).normal(size=(5, 6))
    _replay_matches_scalar(nn.RNN(1, 4, seed=0), X)
    _replay_matches_scalar(nn.RNN(2, 3, nout=2, seed=1), X)  # 3 steps of 2 numbers each
    with pytest.raises(UntraceableError, match="bptt_steps=2 makes the state entering step 5 a constant.*"
                                               "vectorize=False"):
        trace(nn.RNN(1, 4, seed=0, bptt_steps=2), 6)


def test_fit_with_the_replay_trains_an_rnn_exactly_as_the_scalar_loop() -> None:
    rng = random.Random(0)
    X = [[rng.choice([-1.0, 1.0]) for _ in range(5)] for _ in range(12)]
    y = [x[1] for x in X]
    models = [nn.RNN(1, 4, seed=3) for _ in range(2)]
    for model, vectorize in zip(models, (False, True)):
        nn.fit(model, X, y, optimizer=nn.optim.Adam(model.parameters(), lr=0.01), epochs=5, progress=False,
               vectorize=vectorize)
    a, b = (np.array([p.data for p in m.parameters()]) for m in models)
    assert np.abs(a - b).max() < 1e-10


# --- nn.inspect -------------------------------------------------------------------------------------------


def test_layer_gradients_are_the_outer_products_of_the_deltas() -> None:
    model = nn.MLP(3, [4, 2], activation="tanh", seed=0)
    X = [[0.1, 0.2, 0.3], [-0.5, 0.4, 1.0], [0.9, -0.9, 0.0]]
    loss = nn.losses.mse([model(x) for x in X], [[0.5, -0.5]] * 3)
    views = nn.inspect.layer_gradients(model, loss)
    assert [v.name for v in views] == ["layers.0", "layers.1"]
    inputs = [np.array(X).T, np.array(views[0].a).T]  # each layer's input, one column per example
    for view, A in zip(views, inputs):
        D = np.array(view.delta).T
        assert D.shape == (len(view.W), 3)
        assert np.abs(np.array(view.dW) - D @ A.T).max() < 1e-14
        assert np.abs(np.array(view.db) - D.sum(axis=1)).max() < 1e-14
    assert np.abs(np.tanh(np.array(views[0].z)) - np.array(views[0].a)).max() < 1e-15  # a = tanh(z)
    assert views[1].z == views[1].a  # the output layer is linear
    assert all(p.grad == 0.0 for p in model.parameters())  # computed by grad(): .grad left alone


def test_layer_gradients_without_a_loss_read_the_grads_and_find_nested_layers() -> None:
    body = nn.Sequential(nn.LayerNorm(3), nn.Layer(3, 3, seed=1))
    model = nn.Sequential(nn.Layer(2, 3, seed=0), nn.Residual(body), nn.Layer(3, 1, "linear", seed=2))
    model([0.5, -0.5]).backward()
    views = nn.inspect.layer_gradients(model)
    assert [v.name for v in views] == ["layers.0", "layers.1.body.layers.1", "layers.2"]
    assert views[2].dW == [[p.grad for p in model.layers[2].neurons[0].w]] and views[2].delta == []


def test_layer_gradients_of_an_rnn_give_one_delta_per_time_step() -> None:
    model = nn.RNN(1, 3, seed=0)
    run = model.unroll([0.2, -0.1, 0.5, 0.3])
    loss = (run.outputs[0] - 1.0) ** 2
    cell, readout = nn.inspect.layer_gradients(model, loss)
    assert cell.name == "cell" and len(cell.delta) == 4 and len(cell.W[0]) == 1 + 3
    zs = [v._prev[0] for v in run.hidden[2]]  # step 3's weighted sums
    assert cell.delta[2] == pytest.approx([float(g) for g in grad(loss, zs)], abs=1e-15)
    assert len(readout.delta) == 1


def test_inspect_refuses_what_it_cannot_read() -> None:
    with pytest.raises(TypeError, match="output must be a Value \\(the loss\\) or None, got float"):
        nn.inspect.layer_gradients(nn.MLP(2, [1]), 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="model must be an nn module"):
        nn.inspect.dense_layers("mlp")  # type: ignore[arg-type]
    rnn = nn.RNN(1, 2, seed=0)
    with pytest.raises(TypeError, match="draw_unrolled: model must be an nn.RNN"):
        nn.inspect.draw_unrolled(nn.MLP(2, [1]), rnn.unroll([0.1]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="run must be what model.unroll"):
        nn.inspect.draw_unrolled(rnn, [0.1])  # type: ignore[arg-type]


def test_draw_unrolled_has_one_box_per_step_and_marks_the_cut() -> None:
    model = nn.RNN(1, 3, seed=0, bptt_steps=2)
    run = model.unroll([0.1, 0.2, 0.3, 0.4])
    loss = (run.outputs[0] - 1.0) ** 2
    loss.backward()
    source = nn.inspect.draw_unrolled(model, run, loss).source
    assert all(f"step {t} |" in source for t in range(1, 5)) and "step 5" not in source
    assert source.count("cut: a constant") == 1 and "h2 -> h3" in source
    assert source.count('\\|dL/dh\\| = 0"') == 2  # the two steps before the window got no gradient
    assert "shared by every step" in source and "loss |" in source
