"""Every block's ``draw()`` draws it, or says what does, and what it names really draws it."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import autograd
import nn
from autograd.see.draw import Graph
from nn.module import Module

# One small instance of every module class nn exports, with one input for it.
BLOCKS: dict[str, tuple[Any, Any]] = {
    "Neuron": (lambda: nn.Neuron(2, seed=0), [0.5, -1.0]),
    "Layer": (lambda: nn.Layer(2, 3, seed=0), [0.5, -1.0]),
    "MLP": (lambda: nn.MLP(2, [3, 1], seed=0), [0.5, -1.0]),
    "Sequential": (lambda: nn.Sequential(nn.Layer(2, 3, seed=0), nn.LayerNorm(3)), [0.5, -1.0]),
    "Residual": (lambda: nn.Residual(nn.Layer(2, 2, seed=0)), [0.5, -1.0]),
    "LayerNorm": (lambda: nn.LayerNorm(3), [0.5, -1.0, 2.0]),
    "BatchNorm": (lambda: nn.BatchNorm(3), [0.5, -1.0, 2.0]),
    "RNNCell": (lambda: nn.RNNCell(1, 2, seed=0), [0.5]),
    "RNN": (lambda: nn.RNN(1, 2, seed=0), [[0.5], [-1.0], [2.0]]),
}


def test_every_module_class_is_in_the_table() -> None:
    exported = {n for n in dir(nn) if inspect.isclass(getattr(nn, n)) and issubclass(getattr(nn, n), Module)}
    assert exported - {"Module"} == set(BLOCKS)


@pytest.mark.parametrize("name", list(BLOCKS))
def test_draw_draws_or_names_what_does(name: str) -> None:
    make, x = BLOCKS[name]
    model = make()
    try:
        picture = model.draw()
    except TypeError as e:
        message = str(e)
        assert "model must be an nn.MLP" in message  # what the network view draws
        if name == "RNN":  # ... and what draws this one, which must work as written
            assert "nn.inspect.draw_unrolled(model, model.unroll(xs))" in message
            picture = nn.inspect.draw_unrolled(model, model.unroll(x))
        else:
            assert "autograd.draw_dot(out, collapse='neuron')" in message
            outs = model.eval()(x) if name == "BatchNorm" else model(x)
            out = outs[0] if isinstance(outs, list) else outs
            picture = autograd.draw_dot(out, collapse="neuron")
    assert isinstance(picture, Graph)
    assert "<svg" in picture.pipe(format="svg").decode()
