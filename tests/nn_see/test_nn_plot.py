"""Plots: each returns a matplotlib figure with the expected artists (Agg backend, no window)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import nn
from nn import data, optim

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


@pytest.fixture(scope="module")
def trained() -> tuple[nn.MLP, list[list[float]], list[float], nn.History]:
    X, y = data.make_moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    history = nn.fit(model, X, y, loss="hinge", optimizer=optim.SGD(model, lr=0.3), epochs=15,
                     grad_norms=True, progress=False)
    return model, X, y, history


def test_decision_boundary(trained, tmp_path: Path) -> None:
    model, X, y, _ = trained
    fig = nn.plot.decision_boundary(model, X, y, resolution=30)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in points) == len(X)  # every data point drawn
    assert len(ax.collections) > len(points)  # and the shaded regions under them
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["-1", "+1"]
    fig.savefig(tmp_path / "boundary.png", dpi=60)
    assert (tmp_path / "boundary.png").stat().st_size > 1000


def test_decision_boundary_for_several_classes(tmp_path: Path) -> None:
    X, y = data.make_blobs(30, centers=3, seed=0)
    fig = nn.plot.decision_boundary(nn.MLP(2, [4, 3], seed=0), X, y, resolution=20)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["class 0", "class 1", "class 2"]


def test_history_plot(trained, tmp_path: Path) -> None:
    *_, history = trained
    fig = nn.plot.history(history)
    loss_ax, metric_ax = fig.axes
    (loss_line,) = loss_ax.get_lines()
    assert list(loss_line.get_ydata()) == history.loss
    (acc_line,) = metric_ax.get_lines()
    assert list(acc_line.get_ydata()) == history["accuracy"]
    fig.savefig(tmp_path / "history.png", dpi=60)


def test_grad_norms_plot(trained, tmp_path: Path) -> None:
    *_, history = trained
    fig = nn.plot.grad_norms(history)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["layers.0", "layers.1"]
    assert list(lines[1].get_ydata()) == history.grad_norms["layers.1"]
    fig.savefig(tmp_path / "grads.png", dpi=60)
    with pytest.raises(ValueError, match="grad_norms=True"):
        nn.plot.grad_norms(nn.History())


def test_drawing_into_a_given_axes(trained) -> None:
    import matplotlib.pyplot as plt

    *_, history = trained
    fig, (a, b) = plt.subplots(1, 2)
    assert nn.plot.history(history, ax=a) is fig
    assert nn.plot.grad_norms(history, ax=b) is fig


def test_bad_inputs_are_named(trained) -> None:
    model, X, y, _ = trained
    with pytest.raises(ValueError, match="2-D points"):
        nn.plot.decision_boundary(model, [[1.0, 2.0, 3.0]], [1.0])
    with pytest.raises(ValueError, match="X has 40 points but y has 39"):
        nn.plot.decision_boundary(model, X, y[:-1])
    with pytest.raises(TypeError, match="expected the History"):
        nn.plot.history({"loss": [1.0]})


def test_import_nn_loads_neither_matplotlib_nor_numpy_nor_tqdm() -> None:
    code = "import sys, nn; nn.MLP(2, [1]); print(sorted({'matplotlib', 'numpy', 'tqdm'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
