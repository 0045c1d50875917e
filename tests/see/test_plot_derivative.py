"""plot_derivative: f and the engine's f' on one figure, with a finite-difference tangent."""

from __future__ import annotations

import math

import matplotlib
import pytest

from autograd import Value, plot_derivative

matplotlib.use("Agg")


def test_lecture_parabola() -> None:
    fig = plot_derivative(lambda x: 3 * x**2 - 4 * x + 5, (-5, 5), at=3.0, num=41)
    top, bottom = fig.axes
    xs, ys = top.lines[0].get_data()
    _, dys = bottom.lines[0].get_data()
    assert len(xs) == 41 and xs[0] == -5 and xs[-1] == 5
    for x, y, dy in zip(xs, ys, dys):
        assert y == pytest.approx(3 * x**2 - 4 * x + 5)
        assert dy == pytest.approx(6 * x - 4)
    tangent = next(line for line in top.lines if "tangent" in line.get_label())
    (x0, x1), (y0, y1) = tangent.get_data()
    assert (y1 - y0) / (x1 - x0) == pytest.approx(14.0, rel=1e-6)  # f'(3) = 14
    assert "14" in tangent.get_label()
    point = next(line for line in bottom.lines if len(line.get_xdata()) == 1)
    assert "backward" in point.get_label()
    assert point.get_ydata()[0] == pytest.approx(14.0)


def test_undefined_points_are_left_blank(tmp_path) -> None:
    fig = plot_derivative(lambda x: x.log(), (-1.0, 2.0), num=31)
    _, ys = fig.axes[0].lines[0].get_data()
    _, dys = fig.axes[1].lines[0].get_data()
    xs = fig.axes[0].lines[0].get_xdata()
    for x, y, dy in zip(xs, ys, dys):
        if x <= 0:
            assert math.isnan(y) and math.isnan(dy)
        else:
            assert y == pytest.approx(math.log(x)) and dy == pytest.approx(1 / x)
    path = tmp_path / "log.png"
    fig.savefig(path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_constant_function_and_bad_input() -> None:
    fig = plot_derivative(lambda x: 2.0, (0, 1), num=5)
    assert list(fig.axes[1].lines[0].get_ydata()) == [0.0] * 5
    with pytest.raises(TypeError, match="plot_derivative: f must be a function"):
        plot_derivative(3.0, (0, 1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="x_range must be a pair"):
        plot_derivative(lambda x: x, 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="low < high"):
        plot_derivative(lambda x: x, (1, 0))
    with pytest.raises(ValueError, match="num"):
        plot_derivative(lambda x: x, (0, 1), num=1)
    with pytest.raises(TypeError, match="must return a Value or a number"):
        plot_derivative(lambda x: "x", (0, 1))
    with pytest.raises(TypeError, match="at must be a finite number"):
        plot_derivative(lambda x: x, (0, 1), at="1")  # type: ignore[arg-type]


def test_import_does_not_load_matplotlib() -> None:
    import subprocess
    import sys

    code = "import sys, autograd; print('matplotlib' in sys.modules, 'graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    assert isinstance(Value(1.0), Value)
