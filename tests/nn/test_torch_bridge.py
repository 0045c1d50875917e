"""The bridge to PyTorch: the same models, the same numbers, in both directions; and compare_torch."""

from __future__ import annotations

import random

import pytest
import torch

import nn
from autograd import Value, compare_torch, grad
from tests.support.op_rows import ROWS

ACTIVATION_NAMES = [name for name in nn.ACTIVATIONS if name != "linear"]


def _inputs(nin: int, n: int = 8, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-3, 3) for _ in range(nin)] for _ in range(n)]


def _outputs(model: nn.Module, xs: list[list[float]]) -> list[list[float]]:
    outs = []
    for x in xs:
        y = model(x)
        outs.append([v.data for v in y] if isinstance(y, list) else [y.data])
    return outs


def _torch_outputs(net: torch.nn.Module, xs: list[list[float]]) -> list[list[float]]:
    with torch.no_grad():
        return net(torch.tensor(xs, dtype=torch.float64)).tolist()


def _assert_close(a: list[list[float]], b: list[list[float]]) -> None:
    for ra, rb in zip(a, b, strict=True):
        for x, y in zip(ra, rb, strict=True):
            assert x == pytest.approx(y, rel=1e-12, abs=1e-12)


MODELS = [
    *[(f"MLP {act} {init}", lambda act=act, init=init: nn.MLP(3, [5, 4, 2], activation=act, init=init,
                                                               seed=1))
      for act in ACTIVATION_NAMES for init in sorted(nn.INITS)],
    ("MLP linear", lambda: nn.MLP(3, [4, 1], nonlin=False, seed=2)),
    ("MLP sigmoid output", lambda: nn.MLP(3, [4, 1], activation="tanh", output_activation="sigmoid", seed=3)),
    ("Layer", lambda: nn.Layer(3, 4, activation="tanh", seed=4)),
    ("Layer of one", lambda: nn.Layer(3, 1, activation="relu", seed=5)),
    ("Neuron", lambda: nn.Neuron(3, activation="softplus", seed=6)),
]


@pytest.mark.parametrize("make", [m for _, m in MODELS], ids=[n for n, _ in MODELS])
def test_to_torch_computes_the_same_outputs_and_gradients(make: object) -> None:
    model = make()  # type: ignore[operator]
    net = nn.to_torch(model)
    assert all(p.dtype == torch.float64 for p in net.parameters())
    xs = _inputs(3)
    _assert_close(_outputs(model, xs), _torch_outputs(net, xs))
    # gradients of the summed outputs with respect to every weight, by each engine
    x = xs[0]
    y = model(x)
    total = sum(y) if isinstance(y, list) else y
    ours = grad(total, model.parameters())
    net.zero_grad()
    net(torch.tensor([x], dtype=torch.float64)).sum().backward()
    theirs = [g for p in net.parameters() for g in _by_neuron(p)]
    assert len(ours) == len(theirs)
    for a, b in zip(sorted(ours), sorted(theirs)):
        assert a == pytest.approx(b, rel=1e-10, abs=1e-12)


def _trained_batch_norm() -> nn.Sequential:
    model = nn.Sequential(nn.Layer(3, 4, activation="tanh", seed=8), nn.BatchNorm(4), nn.Layer(4, 2, seed=9))
    model.forward_batch(_inputs(3, seed=10))  # running statistics of a batch, then evaluation mode
    return model.eval()


BLOCKS = [
    ("Sequential of layers", lambda: nn.Sequential(nn.Layer(3, 5, activation="relu", seed=1),
                                                   nn.Layer(5, 2, activation="tanh", seed=2))),
    ("Residual", lambda: nn.Sequential(nn.Layer(3, 4, seed=3), nn.Residual(nn.Layer(4, 4, "tanh", seed=4)),
                                       nn.Layer(4, 1, activation="linear", seed=5))),
    ("LayerNorm", lambda: nn.Sequential(nn.Layer(3, 4, seed=6), nn.LayerNorm(4), nn.Layer(4, 1, "linear"))),
    ("BatchNorm, evaluation", _trained_batch_norm),
    ("RNN", lambda: nn.RNN(1, 4, nout=2, seed=11)),
    ("RNN relu", lambda: nn.RNN(3, 3, activation="relu", seed=12)),
]


@pytest.mark.parametrize("make", [m for _, m in BLOCKS], ids=[n for n, _ in BLOCKS])
def test_blocks_cross_the_bridge_both_ways(make: object) -> None:
    model = make()  # type: ignore[operator]
    for p in model.parameters():  # move every scale and shift off its start, so each is checked
        p.data += 0.1 * random.Random(id(p) % 97).uniform(-1, 1)
    net = nn.to_torch(model)
    xs = _inputs(3 if not isinstance(model, nn.RNN) or model.nin == 3 else 6, seed=13)
    _assert_close(_outputs(model, xs), _torch_outputs(net, xs))
    back = nn.from_torch(net)
    plain = isinstance(model, nn.Sequential) and all(isinstance(m, nn.Layer) for m in model.layers)
    assert type(back) is (nn.MLP if plain else type(model))  # a plain stack of layers comes back an MLP
    assert back.state_dict() == model.state_dict()
    _assert_close(_outputs(back, xs), _outputs(model, xs))


def test_batch_norm_in_training_mode_matches_torch_over_a_batch() -> None:
    model = nn.Sequential(nn.Layer(3, 4, activation="tanh", seed=14), nn.BatchNorm(4, momentum=0.2))
    net = nn.to_torch(model)
    X = _inputs(3, n=6, seed=15)
    ours = [[v.data for v in out] for out in model.forward_batch(X)]
    theirs = net(torch.tensor(X, dtype=torch.float64)).tolist()
    _assert_close(ours, theirs)
    bn, tbn = model.layers[1], net[2]
    _assert_close([bn.running_mean, bn.running_var], [tbn.running_mean.tolist(), tbn.running_var.tolist()])


def test_to_torch_refuses_what_torch_cannot_compute() -> None:
    with pytest.raises(ValueError, match="tanh or relu steps, not 'sigmoid'"):
        nn.to_torch(nn.RNN(1, 2, activation="sigmoid"))


def _by_neuron(p: torch.Tensor) -> list[float]:
    return p.grad.flatten().tolist() if p.grad is not None else [0.0] * p.numel()


@pytest.mark.parametrize("make", [m for n, m in MODELS if n.startswith("MLP")],
                         ids=[n for n, _ in MODELS if n.startswith("MLP")])
def test_from_torch_gives_back_the_same_model(make: object) -> None:
    model = make()  # type: ignore[operator]
    back = nn.from_torch(nn.to_torch(model))
    assert repr(back) == repr(model).replace(", fused=False", "")
    assert back.state_dict() == model.state_dict()
    xs = _inputs(3, seed=7)
    _assert_close(_outputs(back, xs), _outputs(model, xs))


def test_mixed_hidden_activations_come_back_as_a_sequential() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3), torch.nn.Tanh(),
                              torch.nn.Linear(3, 1)).double()
    model = nn.from_torch(net)
    assert isinstance(model, nn.Sequential) and [layer.activation for layer in model.layers] == \
        ["relu", "tanh", "linear"]
    xs = _inputs(2, seed=4)
    _assert_close(_outputs(model, xs), _torch_outputs(net, xs))


def test_from_torch_reads_a_network_built_in_torch() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1)).double()
    model = nn.from_torch(net)
    assert repr(model) == "MLP(2, [6, 1], activation='tanh', output_activation='linear')"
    xs = _inputs(2, seed=3)
    _assert_close(_outputs(model, xs), _torch_outputs(net, xs))
    assert isinstance(nn.from_torch(torch.nn.Linear(3, 2)), nn.MLP)


@pytest.mark.parametrize(
    "net, match",
    [
        (torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False)), "without a bias"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout()), "Dropout.*no nn counterpart"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.ReLU()), "ReLU.*no Linear"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)), "3 outputs feeds one with 4"),
        (torch.nn.Sequential(torch.nn.Conv1d(1, 1, 3)), "Conv1d.*no nn counterpart"),
        (torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Softplus(beta=2)), "beta"),
        (torch.nn.Sequential(), "empty"),
    ],
)
def test_from_torch_refuses_what_does_not_fit(net: torch.nn.Module, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        nn.from_torch(net)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="expected a torch.nn.Sequential"):
        nn.from_torch(nn.MLP(2, [1]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected an nn model .MLP, Layer, Neuron, Sequential"):
        nn.to_torch("model")  # type: ignore[arg-type]


def _shared_spelling(row: object) -> object:
    """A way to write the row's op that PyTorch's tensors understand too (a method, an operator), or None."""
    for spell in (row.call, *row.spellings):  # type: ignore[attr-defined]
        try:
            spell(torch.tensor(0.5, dtype=torch.float64))
            return spell
        except (TypeError, AttributeError):
            continue
    return None


# every one-input op of the shared rows that both engines spell the same way
SHARED = [(r, _shared_spelling(r)) for r in ROWS if len(r.domain) == 1 and _shared_spelling(r) is not None]


@pytest.mark.parametrize("row, spell", SHARED, ids=[r.id for r, _ in SHARED])
def test_compare_torch_agrees_op_by_op(row: object, spell: object) -> None:
    lo, hi = row.domain[0].lo, row.domain[0].hi  # type: ignore[attr-defined]
    at = min(max(0.7, lo + 0.1), hi - 0.1)
    c = compare_torch(lambda x: spell(x) * x, [at])  # type: ignore[operator]
    assert c.largest_difference <= 1e-12 * (1 + max(abs(a) for _, a, _ in c.rows))


def test_most_ops_have_a_shared_spelling() -> None:
    assert len(SHARED) >= 20  # the comparison above covers most of the table


def test_compare_torch_shows_both_side_by_side() -> None:
    c = compare_torch(lambda x, y: (x * y + 1).tanh() / (x**2 + 1) + abs(y).sqrt(), [0.5, -2.0],
                      names=["x", "y"])
    assert [w for w, _, _ in c.rows] == ["value", "d/dx", "d/dy"]
    assert c.largest_difference < 1e-14
    text = str(c)
    assert "chainrule" in text and "PyTorch" in text and "d/dy" in text
    assert "<table>" in c._repr_html_() and "d/dx" in c._repr_html_()
    with pytest.raises(TypeError, match="must return a Value"):
        compare_torch(lambda x: 3.0, [1.0])
    with pytest.raises(ValueError, match="finite"):
        compare_torch(lambda x: x, [float("nan")])
    assert isinstance(Value(1.0), Value)
