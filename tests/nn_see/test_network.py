"""nn.draw_network (model.draw()): columns of neurons, an edge per weight coloured by sign, sized by size."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import nn
from autograd import Value
from autograd.see.text import format_number
from nn.see.network import NEGATIVE, NEUTRAL, POSITIVE, draw_network

EDGE = re.compile(r"(c\d+_\d+) -> (c\d+_\d+) \[color=\"(#[0-9a-f]{8})\" "
                  r"penwidth=([\d.]+) tooltip=\"([^\"]*)\"")


def edges(src: str) -> list[tuple[str, str, str, float, str]]:
    return [(a, b, colour, float(width), tip) for a, b, colour, width, tip in EDGE.findall(src)]


def svg_texts(svg: bytes) -> list[tuple[float, float, str]]:
    root = ET.fromstring(svg)
    out = []
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        out.append((float(t.get("x", 0)), float(t.get("y", 0)), "".join(t.itertext())))
    return out


def test_an_mlp_is_columns_of_neurons_with_an_edge_per_weight() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    src = draw_network(model).source
    assert "layout=neato" in src or "engine" not in src  # laid out with every position fixed
    neurons = re.findall(r"(c(\d+)_(\d+)) \[label=", src)
    columns: dict[str, int] = {}
    for _, col, _ in neurons:
        columns[col] = columns.get(col, 0) + 1
    assert columns == {"0": 2, "1": 16, "2": 16, "3": 1}
    found = edges(src)
    assert len(found) == 2 * 16 + 16 * 16 + 16 * 1  # one per weight
    weights = {name: p.data for name, p in model.named_parameters()}
    largest = max(abs(v) for k, v in weights.items() if ".w." in k)
    for _, _, colour, width, tip in found:
        name, value = re.match(r"(\S+) = (\S+), grad", tip).groups()  # type: ignore[union-attr]
        w = weights[name]
        assert value == format_number(w)
        assert colour[:7] == (POSITIVE if w > 0 else NEGATIVE)  # blue above 0, red below
        assert width == pytest.approx(0.3 + 4.2 * abs(w) / largest, abs=0.01)  # wider for a larger weight
    assert "largest 1" in src or f"largest {format_number(largest)}" in src


def test_the_picture_reads_top_to_bottom_in_order_and_left_to_right_by_layer() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    texts = svg_texts(draw_network(model).pipe(format="svg"))
    heads = {t: (x, y) for x, y, t in texts if t.startswith("layers.")}
    assert list(heads) == ["layers.0 · relu", "layers.1 · relu", "layers.2 · linear"]
    xs = [x for x, _ in heads.values()]
    assert xs == sorted(xs)
    column = [(y, t) for x, y, t in texts if t.isdigit() and abs(x - xs[0]) < 1]
    assert [t for _, t in sorted(column)] == [str(i) for i in range(16)]  # 0 at the top, 15 at the bottom
    assert {"x1", "x2", "inputs", "16 neurons"} <= {t for _, _, t in texts}


def test_grad_view_and_activations_for_one_input() -> None:
    model = nn.MLP(2, [3, 1], seed=1)
    src = draw_network(model, show="grad").source
    assert all(c[:7] == NEUTRAL for _, _, c, _, _ in edges(src)) and "call backward() first" in src
    x = [0.5, -1.0]
    out = model(x)
    out.backward()
    src = draw_network(model, show="grad", x=x).source
    grads = {name: p.grad for name, p in model.named_parameters()}
    for _, _, colour, _, tip in edges(src):
        g = grads[tip.split(" = ")[0]]
        assert colour[:7] == (NEUTRAL if g == 0 else POSITIVE if g > 0 else NEGATIVE)
    assert re.search(rf'xlabel="?{re.escape(format_number(out.data))}"?[ \]]', src)  # beside the last column
    assert 'label="x1 = 0.5"' in src and "shaded by their output" in src


def test_module_draw_neurons_layers_and_saving(tmp_path) -> None:
    model = nn.MLP(3, [4, 2], seed=0)
    assert model.draw().source == draw_network(model).source
    assert draw_network(nn.Neuron(2, seed=0)).source.count(" -> ") == 2
    assert draw_network(nn.Layer(2, 3, seed=0)).source.count(" -> ") == 6
    path = draw_network(model, input_names=["a", "b", "c"]).render(outfile=tmp_path / "net.png", cleanup=True)
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n" and not (tmp_path / "net.gv").exists()


def test_bad_arguments_name_what_was_expected() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match="draw_network: model must be an nn.MLP"):
        draw_network(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="show must be 'weight' or 'grad'"):
        draw_network(model, show="bias")
    with pytest.raises(ValueError, match="layers.0 has 3 neurons, more than max_neurons=2"):
        draw_network(model, max_neurons=2)
    with pytest.raises(ValueError, match="input_names must be 2 non-empty strings"):
        draw_network(model, input_names=["a"])
    with pytest.raises(ValueError, match="x must hold 2 numbers"):
        draw_network(model, x=[1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="x must be a list of 2 numbers"):
        draw_network(model, x=["a", "b"])


def test_names_are_escaped() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    svg = draw_network(model, input_names=["<!--<script>", "a & b\\n"]).pipe(format="svg")
    texts = {t for _, _, t in svg_texts(svg)}
    assert {"<!--<script>", "a & b\\n"} <= texts
