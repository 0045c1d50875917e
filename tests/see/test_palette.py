"""One palette: every picture takes its colours from ``autograd.see.palette``, and they mean one thing.

BLUE is positive and class +1, RED negative and class -1, in every picture: the graphs, the
network view, ``nn.plot``, the live view and the playground. The scan finds a colour written
anywhere else; the pictures are then checked for the colour they give each sign and class.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import nn
from autograd import Value
from autograd.see import palette
from autograd.see.draw import draw_dot

ROOT = Path(__file__).resolve().parents[2]
HEX = re.compile(r"(?<![&\w])#(?:[0-9a-fA-F]{3}){1,2}\b")
NAMED = re.compile(r"""["'](?:tab:\w+|C\d|red|blue|green|black|coolwarm|bwr|RdBu|tab10|viridis)["']""")


def test_no_colour_is_written_outside_the_palette() -> None:
    found = []
    for path in sorted([*(ROOT / "autograd").rglob("*.py"), *(ROOT / "nn").rglob("*.py")]):
        if path.name == "palette.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if HEX.search(line) or NAMED.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "colours outside autograd/see/palette.py:\n" + "\n".join(found)


def test_the_scan_would_see_a_colour() -> None:
    assert HEX.search("fill='#111'") and HEX.search('color="#316bd6"') and NAMED.search('cmap="coolwarm"')
    assert not HEX.search("&#9664; Prev") and not HEX.search("neuron #12 of")


def test_the_palette_gives_each_sign_and_class_one_colour() -> None:
    assert palette.sign(2.0) == palette.for_class(+1) == palette.for_class(1) == palette.BLUE
    assert palette.sign(-2.0) == palette.for_class(-1) == palette.for_class(0) == palette.RED
    assert palette.sign(0.0) == palette.sign(float("nan")) == palette.NEUTRAL
    assert palette.BLUE not in palette.OTHERS and palette.RED not in palette.OTHERS
    assert palette.shade(1.0, 1.0) != palette.shade(0.1, 1.0)  # deeper for larger


def _blueish(colour: tuple[float, ...]) -> bool:
    r, g, b = colour[:3]
    return b > r + 0.2


def _redish(colour: tuple[float, ...]) -> bool:
    r, g, b = colour[:3]
    return r > b + 0.2


# --- what the pictures draw -----------------------------------------------------------------


def test_draw_dot_shades_positive_grads_blue_and_negative_red() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = a * b
    L.label = "L"
    L.backward()  # a.grad = -3 (red), b.grad = 2 (blue)
    source = draw_dot(L, color="grad").source
    fills = dict(re.findall(r'label="\{ (\w) \|[^"]*" fillcolor="(#\w+)"', source))
    assert {"a", "b"} <= set(fills)
    assert fills["a"] == palette.shade(-3.0, 3.0) and fills["b"] == palette.shade(2.0, 3.0)
    r, g, bl = palette.rgb(fills["a"])
    assert r > bl
    r, g, bl = palette.rgb(fills["b"])
    assert bl > r


def test_network_view_draws_a_positive_weight_blue_and_a_negative_red() -> None:
    model = nn.Neuron(2, seed=0)
    model.w[0].data, model.w[1].data = 0.8, -0.8
    source = model.draw().source
    edges = re.findall(r'c0_(\d) -> c1_0 \[color="(#\w{6})', source)  # input i -> the neuron
    colours = {int(i): c for i, c in edges}
    assert colours == {0: palette.BLUE, 1: palette.RED}


@pytest.fixture(scope="module")
def moons() -> tuple[list[list[float]], list[int]]:
    X, y = nn.data.make_moons(40, noise=0.1, seed=0)
    return X, y


def test_nn_plot_draws_class_plus_one_blue(moons: tuple[list[list[float]], list[int]]) -> None:
    pytest.importorskip("matplotlib")
    X, y = moons
    model = nn.MLP(2, [4, 1], seed=0)
    fig = nn.plot.decision_boundary(model, X, y, resolution=8)
    ax = fig.axes[0]
    legend = {t.get_text(): h for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles)}
    assert set(legend) == {"-1", "+1"}
    points = {c.get_label(): c.get_facecolor()[0] for c in ax.collections if c.get_label() in legend}
    assert _blueish(points["+1"]) and _redish(points["-1"])
    assert tuple(round(255 * v) for v in points["+1"][:3]) == palette.rgb(palette.BLUE)


def test_the_live_view_draws_class_plus_one_blue(moons: tuple[list[list[float]], list[int]]) -> None:
    """The live view of nn.fit(live=True); the playground draws the same panels."""
    from nn.see.live import LiveView

    X, y = moons
    view = LiveView(nn.MLP(2, [4, 1], seed=0), X, y, epochs=1)
    panel = view._boundary_panel()
    dots = re.findall(r"<circle [^>]*fill='(#\w+)'", panel)
    assert len(dots) == len(y)
    for label, colour in zip(y, dots):
        assert colour == (palette.BLUE if label > 0 else palette.RED)
    assert "blue: score &gt; 0 (class +1), red: &lt; 0 (-1)" in panel
