"""Every size, count and rate an nn constructor or function takes, fed the same bad values.

One home for argument checks (``autograd.core.checks``) means one behaviour: a value of the wrong
kind (a str, a float where a count goes, a bool, None) is a TypeError, a value of the right kind
outside its range a ValueError, and both messages name the function and the argument.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from typing import Any

import pytest

import nn
from autograd import Value

#: The bad values, by a readable id.
BAD: dict[str, Any] = {"str": "2", "float": 2.5, "bool": True, "zero": 0, "minus one": -1, "nan": math.nan,
                       "inf": math.inf, "None": None}


def _model() -> nn.MLP:
    return nn.MLP(2, [2, 1], seed=0)


X, Y = [[0.1, 0.2], [0.3, -0.4]], [1.0, -1.0]


def _expected(kind: str, value: Any) -> type[Exception] | None:
    """The error a value should raise for an argument of ``kind`` (None: the value is a valid one).

    Kinds: 'count' (an int >= 1), 'count0' (an int >= 0), 'count?' (an int >= 1 or None), 'count2'
    (an int >= 2); 'rate' (a finite number >= 0), 'positive' (> 0), 'fraction' ([0, 1]), 'below one'
    ([0, 1)), 'open' ((0, 1)), 'number' (any finite number)."""
    if value is None and kind == "count?":
        return None
    wrong_kind = value is None or isinstance(value, (str, bool))
    if kind.startswith("count"):
        if wrong_kind or isinstance(value, float):
            return TypeError
        least = {"count0": 0, "count2": 2}.get(kind, 1)
        return ValueError if value < least else None
    if wrong_kind:
        return TypeError
    low, high, low_open, high_open = {"rate": (0, math.inf, False, False),
                                      "positive": (0, math.inf, True, False),
                                      "fraction": (0, 1, False, False), "below one": (0, 1, False, True),
                                      "open": (0, 1, True, True),
                                      "number": (-math.inf, math.inf, False, False)}[kind]
    inside = (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    return None if math.isfinite(value) and inside else ValueError


#: (where, argument, kind, a call taking the value): every constructor's sizes and rates, the data makers'
#: counts and levels, the optimizers', the schedules' and fit's.
ARGUMENTS: list[tuple[str, str, str, Callable[[Any], Any]]] = [
    ("Neuron", "nin", "count", lambda v: nn.Neuron(v)),
    ("Neuron", "fan_out", "count", lambda v: nn.Neuron(2, fan_out=v)),
    ("Layer", "nin", "count", lambda v: nn.Layer(v, 3)),
    ("Layer", "nout", "count", lambda v: nn.Layer(2, v)),
    ("MLP", "nin", "count", lambda v: nn.MLP(v, [2])),
    ("MLP", "each layer size in nouts", "count", lambda v: nn.MLP(2, [3, v])),
    ("LayerNorm", "size", "count", lambda v: nn.LayerNorm(v)),
    ("LayerNorm", "eps", "positive", lambda v: nn.LayerNorm(2, eps=v)),
    ("BatchNorm", "size", "count", lambda v: nn.BatchNorm(v)),
    ("BatchNorm", "momentum", "fraction", lambda v: nn.BatchNorm(2, momentum=v)),
    ("BatchNorm", "eps", "positive", lambda v: nn.BatchNorm(2, eps=v)),
    ("RNNCell", "nin", "count", lambda v: nn.RNNCell(v, 2)),
    ("RNNCell", "nhidden", "count", lambda v: nn.RNNCell(2, v)),
    ("RNN", "nin", "count", lambda v: nn.RNN(v, 2)),
    ("RNN", "nhidden", "count", lambda v: nn.RNN(1, v)),
    ("RNN", "nout", "count", lambda v: nn.RNN(1, 2, nout=v)),
    ("RNN", "bptt_steps", "count?", lambda v: nn.RNN(1, 2, bptt_steps=v)),
    ("SGD", "lr", "rate", lambda v: nn.optim.SGD(_model(), lr=v)),
    ("SGD", "momentum", "rate", lambda v: nn.optim.SGD(_model(), lr=0.1, momentum=v)),
    ("SGD", "weight_decay", "rate", lambda v: nn.optim.SGD(_model(), lr=0.1, weight_decay=v)),
    ("Adam", "lr", "rate", lambda v: nn.optim.Adam(_model(), lr=v)),
    ("Adam", "eps", "positive", lambda v: nn.optim.Adam(_model(), eps=v)),
    ("Adam", "weight_decay", "rate", lambda v: nn.optim.Adam(_model(), weight_decay=v)),
    ("Adam", "betas[0]", "below one", lambda v: nn.optim.Adam(_model(), betas=(v, 0.5))),
    ("LinearDecay", "start", "rate", lambda v: nn.optim.LinearDecay(v, 0.1, 10)),
    ("LinearDecay", "end", "rate", lambda v: nn.optim.LinearDecay(1.0, v, 10)),
    ("LinearDecay", "steps", "count", lambda v: nn.optim.LinearDecay(1.0, 0.1, v)),
    ("StepDecay", "lr", "rate", lambda v: nn.optim.StepDecay(v, 10)),
    ("StepDecay", "step_size", "count", lambda v: nn.optim.StepDecay(1.0, v)),
    ("StepDecay", "gamma", "fraction", lambda v: nn.optim.StepDecay(1.0, 10, gamma=v)),
    ("ExponentialDecay", "lr", "rate", lambda v: nn.optim.ExponentialDecay(v, 0.9)),
    ("ExponentialDecay", "gamma", "fraction", lambda v: nn.optim.ExponentialDecay(1.0, v)),
    ("clip_grad_norm", "max_norm", "rate", lambda v: nn.optim.clip_grad_norm(_model(), v)),
    ("clip_grad_value", "clip_value", "rate", lambda v: nn.optim.clip_grad_value(_model(), v)),
    ("l2", "alpha", "rate", lambda v: nn.losses.l2(_model(), v)),
    ("make_moons", "n", "count2", lambda v: nn.data.make_moons(v)),
    ("make_moons", "noise", "rate", lambda v: nn.data.make_moons(10, noise=v)),
    ("make_circles", "n", "count2", lambda v: nn.data.make_circles(v)),
    ("make_circles", "factor", "open", lambda v: nn.data.make_circles(10, factor=v)),
    ("make_spirals", "classes", "count2", lambda v: nn.data.make_spirals(12, classes=v)),
    ("make_spirals", "turns", "positive", lambda v: nn.data.make_spirals(10, turns=v)),
    ("make_blobs", "n", "count2", lambda v: nn.data.make_blobs(v)),
    ("make_line", "n", "count", lambda v: nn.data.make_line(v)),
    ("make_line", "m", "number", lambda v: nn.data.make_line(5, m=v)),
    ("make_line", "noise", "rate", lambda v: nn.data.make_line(5, noise=v)),
    ("batches", "batch_size", "count?", lambda v: list(nn.data.batches(X, Y, batch_size=v))),
    ("fit", "epochs", "count0", lambda v: nn.fit(_model(), X, Y, epochs=v, progress=False)),
    ("fit", "batch_size", "count?", lambda v: nn.fit(_model(), X, Y, epochs=1, batch_size=v, progress=False)),
    ("fit", "l2", "rate", lambda v: nn.fit(_model(), X, Y, epochs=1, l2=v, progress=False)),
    ("playground", "epochs", "count", lambda v: nn.playground(_model(), X, Y, epochs=v)),
    ("playground", "every", "count", lambda v: nn.playground(_model(), X, Y, every=v)),
    ("draw_network", "max_neurons", "count", lambda v: nn.draw_network(_model(), max_neurons=v)),
    ("decision_boundary", "margin", "rate", lambda v: nn.plot.decision_boundary(_model(), X, Y, margin=v)),
    ("decision_boundary", "resolution", "count2",
     lambda v: nn.plot.decision_boundary(_model(), X, Y, resolution=v)),
]


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:  # the valid margins drew decision boundaries
        plt.close("all")


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("where, name, kind, call", ARGUMENTS, ids=[f"{w} {n}" for w, n, _, _ in ARGUMENTS])
def test_every_size_and_rate_refuses_the_same_bad_values_alike(where: str, name: str, kind: str,
                                                              call: Callable[[Any], Any], bad: str) -> None:
    value = BAD[bad]
    error = _expected(kind, value)
    if error is None:
        call(value)  # a valid value for this argument: accepted
        return
    with pytest.raises(error, match=f"^{re.escape(where)}: {re.escape(name)} must be ") as caught:
        call(value)
    assert type(caught.value) is error  # not a subclass from somewhere deeper


def test_numpy_numbers_are_numbers_and_strings_are_not() -> None:
    np = pytest.importorskip("numpy")
    assert nn.Layer(np.int64(2), 3).nin == 2 and type(nn.Layer(np.int64(2), 3).nin) is int
    assert nn.LayerNorm(np.int64(8)).size == 8
    assert nn.BatchNorm(np.int32(3), momentum=np.float64(0.5)).momentum == 0.5
    assert nn.optim.SGD(_model(), lr=np.float32(0.5)).lr == 0.5
    with pytest.raises(TypeError, match=r"^Layer: nin must be a positive integer, got str: '2'$"):
        nn.Layer("2", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^LayerNorm: size must be a positive integer, got str: '8'$"):
        nn.LayerNorm("8")  # type: ignore[arg-type]


def test_a_refused_optimizer_argument_changes_nothing() -> None:
    model = _model()
    before = model.state_dict()
    with pytest.raises(ValueError):
        nn.fit(model, X, Y, epochs=1, l2=-1.0, progress=False)
    assert model.state_dict() == before
    assert all(isinstance(p, Value) for p in model.parameters())
