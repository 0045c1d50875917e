"""The pieces of nn check alike: the blocks refuse the inputs nn.Layer refuses, build their weights
and switch their modes with nn.Module's helpers, and read gradients and memory as the rest of the
package does, with the same messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest

import nn
import nn.module
from autograd import Value

USUAL = r"has grad None; expected a number \(run backward\(\) first, or set it to 0\.0\)"


# --- inputs: what nn.Layer refuses, every block refuses ------------------------------------------


#: Two items each, so a block of two inputs would have run on the keys, the members or the letters.
NOT_A_LIST: dict[str, Any] = {
    "dict": {0.5: 1.0, -1.0: 2.0},
    "set": {0.5, -1.0},
    "frozenset": frozenset({0.5, -1.0}),
    "str": "ab",
    "bytes": b"ab",
}

#: Each block kind fed ``x`` where it reads one example (or one sequence, or one batch).
FEEDS: dict[str, Callable[[Any], Any]] = {
    "Layer": lambda x: nn.Layer(2, 1, seed=0)(x),  # the sibling whose check the blocks share
    "Sequential": lambda x: nn.Sequential(nn.Layer(2, 1, seed=0))(x),
    "Sequential.forward_batch, an example": lambda x: nn.Sequential(nn.Layer(2, 1, seed=0)).forward_batch(
        [[0.1, 0.2], x]),
    "Sequential.forward_batch, the batch": lambda x: nn.Sequential(nn.Layer(2, 1, seed=0)).forward_batch(x),
    "Residual": lambda x: nn.Residual(nn.Layer(2, 2, seed=0))(x),
    "Residual.forward_batch": lambda x: nn.Residual(nn.Layer(2, 2, seed=0)).forward_batch([x, [0.1, 0.2]]),
    "LayerNorm": lambda x: nn.LayerNorm(2)(x),
    "BatchNorm, evaluation mode": lambda x: nn.BatchNorm(2).eval()(x),
    "BatchNorm.forward_batch": lambda x: nn.BatchNorm(2).forward_batch([[0.1, 0.2], x]),
    "RNNCell, x": lambda x: nn.RNNCell(2, 2, seed=0)(x),
    "RNNCell, h": lambda x: nn.RNNCell(2, 2, seed=0)([0.1, 0.2], x),
    "RNN, the sequence": lambda x: nn.RNN(2, 2, seed=0)(x),
    "RNN, a step": lambda x: nn.RNN(2, 2, seed=0)([x, [0.1, 0.2]]),
}


@pytest.mark.parametrize("kind", list(NOT_A_LIST))
@pytest.mark.parametrize("block", list(FEEDS))
def test_every_block_refuses_a_dict_a_set_or_a_str_as_an_example(block: str, kind: str) -> None:
    bad = NOT_A_LIST[kind]
    with pytest.raises(TypeError, match=rf"expected a (list|sequence) .*got {kind}(: |$)"):
        FEEDS[block](bad)


KEPT: list[tuple[Callable[[], Any], str]] = [
    (lambda: nn.Sequential(nn.Layer(2, 1, seed=0))("ab"),
     "Sequential: expected a list of 2 inputs (numbers or Values), got str: 'ab'"),
    (lambda: nn.RNN(1, 2, seed=0)(0.5), "RNN: expected a sequence (a list of steps), got float: 0.5"),
    (lambda: nn.LayerNorm(2)(Value(1.0)),
     "LayerNorm: expected a list of 2 inputs (numbers or Values), got Value: Value("),
    (lambda: nn.Sequential(nn.Layer(2, 1, seed=0)).forward_batch({0: [0.1, 0.2]}),
     "Sequential.forward_batch: expected a list of examples (each a list of inputs), got dict"),
]


@pytest.mark.parametrize("call, message", KEPT)
def test_the_refusals_made_before_keep_their_messages(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(TypeError, match="^" + re.escape(message)):
        call()


def test_lists_tuples_and_flat_sequences_still_run() -> None:
    model = nn.Sequential(nn.Layer(2, 1, seed=0))
    assert model([0.1, 0.2]).data == model((0.1, 0.2)).data
    rnn = nn.RNN(2, 2, seed=0)
    assert rnn([0.1, 0.2, 0.3, 0.4]).data == rnn([[0.1, 0.2], (0.3, 0.4)]).data


# --- RNNCell's weights and activation: nn.Layer's helpers -------------------------------------------


@pytest.mark.parametrize("bad", [math.inf, math.nan, "0.5", None])
def test_an_rnn_cell_refuses_an_init_that_gives_no_finite_number_as_a_layer_does(bad: Any) -> None:
    def init(rng: Any, fan_in: int, fan_out: int) -> Any:
        return bad

    with pytest.raises(TypeError) as layer:
        nn.Layer(2, 2, init=init)
    assert str(layer.value).startswith("init: the init function must return a finite number, got ")
    for build in (lambda: nn.RNNCell(2, 2, init=init), lambda: nn.RNN(2, 2, init=init)):
        with pytest.raises(TypeError) as block:
            build()
        assert str(block.value) == str(layer.value)


def test_an_rnn_cell_still_draws_its_weights_in_order_and_labels_its_outputs() -> None:
    draws: list[tuple[int, int]] = []

    def init(rng: Any, fan_in: int, fan_out: int) -> float:
        draws.append((fan_in, fan_out))
        return 0.25 * len(draws)

    cell = nn.RNNCell(2, 3, activation="linear", init=init)
    assert draws == [(5, 3)] * (3 * 2 + 3 * 3)
    assert [w.data for w in cell.wx[0]] == [0.25, 0.5] and cell.wh[2][2].data == 0.25 * 15
    out = cell([1.0, 0.0])
    assert [v.label for v in out] == ["neurons.0", "neurons.1", "neurons.2"]
    assert [v.data for v in out] == [0.25, 0.75, 1.25]  # linear: the weighted sums themselves
    negative = nn.RNNCell(2, 3, activation="relu", init=lambda r, a, b: -1.0)
    assert [v.data for v in negative([1.0, 1.0])] == [0.0] * 3


def test_an_rnn_refuses_an_unknown_init_with_the_modules_message() -> None:
    with pytest.raises(ValueError) as layer:
        nn.Layer(2, 2, init="zeros")
    with pytest.raises(ValueError) as rnn:
        nn.RNN(2, 2, init="zeros")
    assert str(rnn.value) == str(layer.value).replace("Layer:", "RNN:")


# --- modes and buffers: nn.Module's defaults --------------------------------------------------------


KINDS: dict[str, Callable[[], nn.Module]] = {
    "Neuron": lambda: nn.Neuron(2, seed=0),
    "Layer": lambda: nn.Layer(2, 2, seed=0),
    "MLP": lambda: nn.MLP(2, [2, 1], seed=0),
    "Sequential": lambda: nn.Sequential(nn.Layer(2, 2, seed=0), nn.BatchNorm(2)),
    "Residual": lambda: nn.Residual(nn.Sequential(nn.Layer(2, 2, seed=0), nn.BatchNorm(2))),
    "LayerNorm": lambda: nn.LayerNorm(2),
    "BatchNorm": lambda: nn.BatchNorm(2),
    "RNNCell": lambda: nn.RNNCell(2, 2, seed=0),
    "RNN": lambda: nn.RNN(2, 2, seed=0),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_parameters_are_the_named_parameters_in_their_order_each_labelled_with_its_name(kind: str) -> None:
    model = KINDS[kind]()
    named = model.named_parameters()
    assert [id(p) for p in model.parameters()] == [id(p) for _, p in named]
    assert [p.label for _, p in named] == [n for n, _ in named]
    assert len({id(p) for _, p in named}) == len(named)
    assert list(model.state_dict()) == [n for n, _ in named]
    assert set(nn.io.KINDS) == set(KINDS) and nn.io.KINDS[kind] is type(model)  # every kind, registered


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_module_switches_modes_and_refuses_a_mode_that_is_not_a_bool(kind: str) -> None:
    model = KINDS[kind]()
    assert model.training
    assert model.eval() is model and not model.training
    assert model.train() is model and model.training
    for bad in ("no", 0, None):
        message = f"{kind}.train: mode must be True or False, got {type(bad).__name__}: {bad!r}"
        with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
            model.train(bad)  # type: ignore[arg-type]
        assert model.training


def test_a_residual_checks_the_mode_before_switching_its_body() -> None:
    bn = nn.BatchNorm(2)
    block = nn.Residual(nn.Sequential(nn.Layer(2, 2, seed=0), bn))
    with pytest.raises(TypeError, match=r"^Residual\.train: mode must be True or False, got str: 'no'$"):
        block.train("no")  # type: ignore[arg-type]
    assert bn.training
    block.eval()
    assert not bn.training and not block.body.training
    block.train()
    assert bn.training


@pytest.mark.parametrize("kind", list(KINDS))
def test_named_buffers_are_batch_norms_running_statistics_and_none_elsewhere(kind: str) -> None:
    names = [name for name, _ in KINDS[kind]().named_buffers()]
    expected = {
        "Sequential": ["layers.1.running_mean", "layers.1.running_var"],
        "Residual": ["body.layers.1.running_mean", "body.layers.1.running_var"],
        "BatchNorm": ["running_mean", "running_var"],
    }
    assert names == expected.get(kind, [])


def test_a_saved_block_keeps_its_buffers(tmp_path: Any) -> None:
    model = KINDS["Residual"]()
    model.forward_batch([[0.1, 0.2], [0.3, -0.4], [0.5, 0.9]])
    nn.save(model, tmp_path / "m.json")
    loaded = nn.load(tmp_path / "m.json")
    assert loaded.named_buffers() == model.named_buffers()


# --- gradients read by grad_number ----------------------------------------------------------------


def test_unrolled_grad_norms_give_the_usual_message_for_a_gradient_set_to_none() -> None:
    run = nn.RNN(1, 2, seed=0).unroll([0.3, -0.1])
    run.outputs[0].backward()
    assert all(n > 0 for n in run.grad_norms())
    run.hidden[0][1].grad = None
    with pytest.raises(TypeError, match=r"^Unrolled\.grad_norms: the node 'cell\.neurons\.1' " + USUAL):
        run.grad_norms()


class _HalfUsed(nn.Module):
    """Two layers, the second neither called nor listed among the parameters fit trains."""

    def __init__(self) -> None:
        self.layers = [nn.Layer(2, 1, seed=0), nn.Layer(2, 1, seed=1)]
        for i, layer in enumerate(self.layers):
            layer._rename(f"layers.{i}")

    def __call__(self, x: Any) -> Any:
        return self.layers[0](x)

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"layers.0.{k}", p) for k, p in self.layers[0].named_parameters()]


def test_fit_grad_norms_give_the_usual_message_for_a_gradient_set_to_none() -> None:
    model = _HalfUsed()
    X, y = [[0.1, 0.2], [0.3, -0.4]], [1.0, -1.0]
    history = nn.fit(model, X, y, epochs=1, progress=False, grad_norms=True)
    assert list(history.grad_norms) == ["layers.0", "layers.1"] and history.grad_norms["layers.1"] == [0.0]
    model.layers[1].parameters()[0].grad = None
    with pytest.raises(TypeError, match=r"^fit: the node 'layers\.1\.neurons\.0\.w\.0' " + USUAL):
        nn.fit(model, X, y, epochs=1, progress=False, grad_norms=True)


# --- memory: checked once, by the outermost constructor -----------------------------------------------


@pytest.fixture
def memory_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count nn.module's reads of the memory available (each says a terabyte is free)."""
    reads: list[int] = []

    def available() -> int:
        reads.append(1)
        return 10**12

    monkeypatch.setattr(nn.module, "memory_available", available)
    return reads


@pytest.mark.parametrize("build", [
    lambda: nn.MLP(64, [64, 10]), lambda: nn.Layer(64, 64), lambda: nn.Neuron(64),
    lambda: nn.RNN(2, 8),  # its readout is an nn.Layer of its own
])
def test_a_model_reads_the_memory_available_once(build: Callable[[], Any], memory_reads: list[int]) -> None:
    build()
    assert len(memory_reads) == 1


def test_a_model_too_large_is_refused_before_anything_is_allocated() -> None:
    refusal = (r"^MLP: 10,000,100,000 parameters need about 1,862\.7 GiB, more than the [\d,.]+ GiB of "
               r"memory available; choose smaller layers$")
    with pytest.raises(MemoryError, match=refusal):
        nn.MLP(100_000, [100_000])


@pytest.mark.parametrize("build, where, n", [
    (lambda: nn.MLP(3, [4, 2]), "MLP", 4 * 4 + 5 * 2),
    (lambda: nn.Layer(3, 4), "Layer", 4 * 4),
    (lambda: nn.Neuron(3), "Neuron", 4),
])
def test_each_constructor_names_itself_when_memory_is_short(
    build: Callable[[], Any], where: str, n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nn.module, "memory_available", lambda: 1)
    with pytest.raises(MemoryError, match=rf"^{where}: {n} parameters need about"):
        build()
    monkeypatch.setattr(nn.module, "memory_available", lambda: None)  # elsewhere than Linux: build it
    assert len(build().parameters()) == n


# --- argument checks shared with nn.module -------------------------------------------------------------


@pytest.mark.parametrize("build, error, message", [
    (lambda: nn.optim.LinearDecay(1.0, 0.1, 0), ValueError,
     "LinearDecay: steps must be a positive integer, got 0"),
    (lambda: nn.optim.LinearDecay(1.0, 0.1, 2.0), TypeError,
     "LinearDecay: steps must be a positive integer, got float: 2.0"),
    (lambda: nn.optim.StepDecay(1.0, True), TypeError,
     "StepDecay: step_size must be a positive integer, got bool: True"),
])
def test_schedules_check_counts_as_the_modules_check_sizes(build: Callable[[], Any], error: type[Exception],
                                                           message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        build()
    with pytest.raises(TypeError, match=r"^Layer: nin must be a positive integer, got float: 2\.0$"):
        nn.Layer(2.0, 1)  # type: ignore[arg-type]


def test_a_step_names_a_bad_gradient_before_an_earlier_bad_number() -> None:
    """Every gradient is checked before any parameter's number: the order a step's checks keep."""
    model = nn.MLP(2, [2, 1], seed=0)
    params = model.parameters()
    params[0].data = "x"  # type: ignore[assignment]
    params[1].grad = None
    with pytest.raises(TypeError, match=r"params\[1\] .* has grad None"):
        nn.optim.SGD(model, lr=0.1).step()
    params[1].grad = 0.0
    with pytest.raises(TypeError, match=r"params\[0\] .* has data 'x'; expected a number"):
        nn.optim.SGD(model, lr=0.1).step()
