"""No silent wrong numbers: each row is a call that used to give a number that was wrong (or
change nothing) without a word; now it gives the right number or refuses, naming what to do."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import pytest

import nn
from autograd import Value, grad, jacobian

X4 = [[0.1, 0.2], [0.4, -0.3], [-0.2, 0.5], [0.3, 0.3]]
Y4 = [0.5, -0.2, 0.1, 0.4]


def _trace_safe_division() -> Any:
    pytest.importorskip("numpy")
    from autograd import trace

    def safe(x: list[Value]) -> Any:
        try:
            return x[0] / x[1]
        except ZeroDivisionError:
            return x[0] * 0.0
    return trace(safe, 2, example=[1.0, 0.0])


def _fit_with_another_models_optimizer() -> Any:
    model, other = nn.MLP(2, [3, 1], seed=1), nn.MLP(2, [3, 1], seed=2)
    return nn.fit(model, X4, Y4, optimizer=nn.optim.SGD(other.parameters(), lr=0.1), epochs=1, progress=False)


def _explore_raising_a_key_error() -> str:
    pytest.importorskip("ipywidgets")
    from autograd import explore
    table = {1.0: 2.0}
    ex = explore(lambda x: x * table[round(x.data, 1)], x=(1.0, 0.0, 2.0))
    ex.set(x=0.5)
    if ex.error.startswith("KeyError"):
        raise KeyError(ex.error)  # what the view now says, instead of the old numbers
    return ex.error


def _shared_layer_model() -> nn.Sequential:
    inner = nn.Layer(2, 2, seed=0)
    return nn.Sequential(nn.Residual(inner), nn.Residual(inner))


REFUSED: dict[str, tuple[Callable[[], Any], type[BaseException], str]] = {
    "grad with a set of inputs": (lambda: grad(Value(1.0) * 2, {Value(1.0), Value(2.0)}), TypeError,
                                  r"grad: inputs must be a list or a tuple.*set, which has no order"),
    "jacobian with a set of inputs": (lambda: jacobian([Value(1.0)], {Value(1.0)}), TypeError,
                                      r"jacobian: inputs must be a list or a tuple.*no order"),
    "trace of a try/except": (_trace_safe_division, TypeError,
                              r"trace: while tracing, ZeroDivisionError.*fn caught it.*every row"),
    "fit with another model's optimizer": (_fit_with_another_models_optimizer, ValueError,
                                           r"fit: the optimizer holds none of the model's parameters"),
    "mse with a NumPy complex target": (
        lambda: nn.losses.mse([Value(1.0)], [pytest.importorskip("numpy").complex128(1 + 2j)]),
        TypeError, r"mse: a target must be a number, got complex128"),
    "explore with a KeyError at a setting": (_explore_raising_a_key_error, KeyError, r"KeyError: 0\.5"),
    "an optimizer given one parameter twice": (
        lambda: nn.optim.SGD([Value(1.0)] * 2, lr=0.1), ValueError,
        r"SGD: params\[0\] and params\[1\] are the same parameter"),
    "save of a layer shared by two Residuals": (
        lambda: nn.save(_shared_layer_model(), Path(tempfile.gettempdir()) / "chainrule-shared.json"),
        ValueError,
        r"save: layers.0.body and layers.1.body are one module used in two places"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_rather_than_a_silent_number(name: str) -> None:
    call, kind, says = REFUSED[name]
    with pytest.raises(kind, match=says):
        call()


def test_a_shared_layer_is_listed_once_and_moves_once_per_step() -> None:
    model = _shared_layer_model()
    params = model.parameters()
    assert len(params) == 6 == len({id(p) for p in params})  # one Layer(2, 2): 4 weights, 2 biases
    before = [p.data for p in params]
    for p in params:
        p.grad = 1.0
    nn.optim.SGD(params, lr=0.1).step()
    assert [p.data for p in params] == [b - 0.1 for b in before]


def test_fit_vectorized_follows_a_loss_weight_a_callback_changes() -> None:
    pytest.importorskip("numpy")
    def history(vectorize: bool) -> list[float]:
        weight = [1.0]

        def loss(preds: Any, ys: Any) -> Value:
            return nn.losses.mse(preds, ys) * weight[0]

        def grow(epoch: int, history: Any) -> None:
            weight[0] *= 2.0  # the loss changes after each epoch

        model = nn.MLP(2, [3, 1], seed=4)
        return nn.fit(model, X4, Y4, loss=loss, epochs=8, callbacks=[grow], progress=False,
                      vectorize=vectorize).loss

    histories = [history(False), history(True)]
    assert histories[1] == pytest.approx(histories[0], rel=1e-9, abs=1e-12)
