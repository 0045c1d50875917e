"""The memory promise for every constructor that makes parameters: one that cannot fit in the
memory available is refused, naming the class, before anything is allocated. The memory
available is set small here (1 MB: 5,000 parameters at 200 bytes each), so the test is cheap,
and a constructor that skipped the check would allocate (and pass) rather than refuse."""

from __future__ import annotations

import tracemalloc
from typing import Any, Callable

import pytest

import nn
import nn.module

LIMIT = 1_000_000  # bytes "available": room for 5,000 parameters

TOO_LARGE: dict[str, Callable[[], Any]] = {
    "Neuron": lambda: nn.Neuron(6000),
    "Layer": lambda: nn.Layer(100, 60),
    "MLP": lambda: nn.MLP(2, [60, 100]),
    "LayerNorm": lambda: nn.LayerNorm(3000),
    "BatchNorm": lambda: nn.BatchNorm(1300),
    "RNNCell": lambda: nn.RNNCell(1, 80),
    "RNN": lambda: nn.RNN(1, 70, nout=40),  # the cell fits (4,970), the cell with its readout does not
}
FITS: dict[str, Callable[[], Any]] = {
    "Neuron": lambda: nn.Neuron(4000), "Layer": lambda: nn.Layer(40, 40), "MLP": lambda: nn.MLP(2, [40, 40]),
    "LayerNorm": lambda: nn.LayerNorm(2000), "BatchNorm": lambda: nn.BatchNorm(1000),
    "RNNCell": lambda: nn.RNNCell(1, 60), "RNN": lambda: nn.RNN(1, 60, nout=2),
}


@pytest.fixture
def small_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nn.module, "memory_available", lambda: LIMIT)


@pytest.mark.parametrize("kind", sorted(TOO_LARGE))
def test_too_large_is_refused_before_anything_is_allocated(kind: str, small_memory: None) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(MemoryError, match=rf"^{kind}: [\d,]+ parameters need about .* choose smaller"):
            TOO_LARGE[kind]()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100_000  # 5,000 parameters would take about half a megabyte


@pytest.mark.parametrize("kind", sorted(FITS))
def test_what_fits_is_built(kind: str, small_memory: None) -> None:
    assert type(FITS[kind]()).__name__ == kind
