"""The bridge's round trips over every supported module and option, both ways, and its refusals:
each names the option that does not fit, and never calls a supported class unsupported."""

from __future__ import annotations

import random
from typing import Any, Callable

import pytest

import nn

torch = pytest.importorskip("torch")

X = [[random.Random(k).uniform(-2, 2) for _ in range(3)] for k in range(6)]


def _ours(model: nn.Module, xs: list[list[float]]) -> list[list[float]]:
    if any(bn.training for bn in _norms(model)):
        outs = model.forward_batch(xs)  # type: ignore[attr-defined]
    else:
        outs = [model(x) for x in xs]
    return [[v.data for v in o] if isinstance(o, list) else [o.data] for o in outs]


def _theirs(net: Any, xs: list[list[float]]) -> list[list[float]]:
    with torch.no_grad():
        out = net(torch.tensor(xs, dtype=torch.float64))
    return out.reshape(len(xs), -1).tolist()


def _norms(model: Any) -> list[nn.BatchNorm]:
    if isinstance(model, nn.BatchNorm):
        return [model]
    inner = [*getattr(model, "layers", ()), *([model.body] if hasattr(model, "body") else [])]
    return [bn for m in inner for bn in _norms(m)]


def _close(a: list[list[float]], b: list[list[float]]) -> None:
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert ra == pytest.approx(rb, rel=1e-12, abs=1e-12)


def _moved(model: nn.Module) -> nn.Module:
    for k, p in enumerate(model.parameters()):  # every scale and shift off its start
        p.data += 0.05 * ((k * 7919) % 13 - 6)
    return model


OURS: dict[str, Callable[[], nn.Module]] = {
    "Neuron softplus": lambda: nn.Neuron(3, activation="softplus", seed=1),
    "Layer tanh": lambda: nn.Layer(3, 2, activation="tanh", seed=1),
    "MLP relu, sigmoid output": lambda: nn.MLP(3, [4, 2], output_activation="sigmoid", seed=1),
    "Sequential Layer + LayerNorm": lambda: nn.Sequential(nn.Layer(3, 3, seed=1), nn.LayerNorm(3)),
    "LayerNorm eps=1e-3": lambda: nn.Sequential(nn.LayerNorm(3, eps=1e-3)),
    "Residual": lambda: nn.Residual(nn.Layer(3, 3, activation="tanh", seed=2)),
    **{f"BatchNorm momentum={m} {mode}":
       (lambda m=m, mode=mode: nn.BatchNorm(3, momentum=m).train(mode == "train"))
       for m in (0.0, 0.1, 1.0) for mode in ("train", "eval")},
    "RNN tanh": lambda: nn.RNN(1, 3, nout=2, seed=3),
    "RNN relu, sigmoid readout": lambda: nn.RNN(3, 2, activation="relu", output_activation="sigmoid", seed=3),
}


@pytest.mark.parametrize("name", sorted(OURS))
def test_ours_to_torch_and_back(name: str) -> None:
    model = _moved(OURS[name]())
    net = nn.to_torch(model)
    back = nn.from_torch(net)  # (a Neuron or a Layer comes back as an MLP of the same numbers)
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    assert [b for _, b in back.named_buffers()] == [b for _, b in model.named_buffers()]
    assert [(bn.momentum, bn.eps, bn.training) for bn in _norms(back)] == \
        [(bn.momentum, bn.eps, bn.training) for bn in _norms(model)]
    _close(_ours(model, X), _theirs(net, X))
    _close(_ours(back, X), _ours(_moved(OURS[name]()), X))


def _linear_then(activation: Any) -> Any:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 3), activation).double()


THEIRS: dict[str, Callable[[], Any]] = {
    "LayerNorm": lambda: torch.nn.LayerNorm(3, eps=1e-3),
    "LayerNorm bias=False": lambda: torch.nn.LayerNorm(3, bias=False),
    "LayerNorm elementwise_affine=False": lambda: torch.nn.LayerNorm(3, elementwise_affine=False),
    "BatchNorm1d momentum=0.0": lambda: torch.nn.BatchNorm1d(3, momentum=0.0),
    "BatchNorm1d affine=False": lambda: torch.nn.BatchNorm1d(3, affine=False),
    "BatchNorm1d eval": lambda: torch.nn.BatchNorm1d(3, momentum=0.3).eval(),
    "Linear + ReLU": lambda: _linear_then(torch.nn.ReLU()),
    "Linear + Tanh": lambda: _linear_then(torch.nn.Tanh()),
    "Linear + Sigmoid": lambda: _linear_then(torch.nn.Sigmoid()),
    "Linear + Softplus()": lambda: _linear_then(torch.nn.Softplus()),
    "Linear + Softplus(threshold=34)": lambda: _linear_then(torch.nn.Softplus(threshold=34.0)),
}


@pytest.mark.parametrize("name", sorted(THEIRS))
def test_torch_to_ours_and_back(name: str) -> None:
    part = THEIRS[name]().double()
    net = part if isinstance(part, torch.nn.Sequential) else torch.nn.Sequential(part)
    model = nn.from_torch(net)
    tolerance = 1e-8 if "Softplus()" in name else 1e-12  # torch's default threshold: within 2e-9
    ours, theirs = _ours(model, X), _theirs(net, X)
    for ra, rb in zip(ours, theirs, strict=True):
        assert ra == pytest.approx(rb, rel=tolerance, abs=tolerance)
    again = nn.to_torch(model)
    _close(_theirs(again, X), _ours(model, X))


REFUSED: dict[str, tuple[Callable[[], Any], str]] = {
    "Softplus(threshold=5)": (lambda: _linear_then(torch.nn.Softplus(threshold=5.0)),
                              r"module 1 is Softplus\(threshold=5.0\).*threshold >= 20"),
    "Softplus(beta=2)": (lambda: _linear_then(torch.nn.Softplus(beta=2.0)), r"Softplus\(beta=2.0\)"),
    "BatchNorm1d momentum=None": (lambda: torch.nn.BatchNorm1d(3, momentum=None), r"with momentum=None"),
    "BatchNorm1d track_running_stats=False": (lambda: torch.nn.BatchNorm1d(3, track_running_stats=False),
                                              r"with track_running_stats=False"),
    "LayerNorm over two dimensions": (lambda: torch.nn.LayerNorm((2, 3)), r"over the shape \(2, 3\)"),
    "ReLU alone": (lambda: torch.nn.ReLU(), r"module 0 \(ReLU\) has no Linear before it"),
    "Linear bias=False": (lambda: torch.nn.Linear(3, 2, bias=False), r"without a bias"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusals_name_the_option(name: str) -> None:
    make, says = REFUSED[name]
    part = make()
    net = part if isinstance(part, torch.nn.Sequential) else torch.nn.Sequential(part)
    with pytest.raises(ValueError, match=says) as refused:
        nn.from_torch(net)
    assert "no nn counterpart" not in str(refused.value)  # these classes are supported, with other options
