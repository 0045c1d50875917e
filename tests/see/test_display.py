"""What Jupyter shows for a Value, a model and a training history (their text reprs stay as they were)."""

from __future__ import annotations

import re

import nn
from autograd import Value
from autograd.see.text import format_number


def test_a_value_shows_as_a_small_box_with_label_data_and_grad() -> None:
    a = Value(2.5, label="a")
    (a * a).backward()
    box = a._repr_html_()
    assert re.findall(r">([^<]+)</span>", box) == ["a", "data 2.5", "grad 5"]  # as the pictures write them
    assert "currentColor" in box  # drawn in the page's colour: light and dark themes alike
    assert repr(a) == "Value(data=2.5, grad=5.0, label='a')"  # the text repr is unchanged
    assert re.findall(r">([^<]+)</span>", Value(1.0)._repr_html_()) == ["data 1", "grad 0"]


def test_labels_are_escaped_in_every_display() -> None:
    evil = "<!--<script>alert(1)</script>"
    v = Value(1.0, label=evil)
    assert "<script>" not in v._repr_html_() and "&lt;script&gt;" in v._repr_html_()
    model = nn.MLP(2, [1], seed=0)
    model.parameters()[0].label = evil
    assert "<script>" not in model.parameter_table()._repr_html_()


def test_a_model_shows_its_parts_and_parameter_count() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    page = model._repr_html_()
    assert "337 parameters" in page  # 2*16+16 + 16*16+16 + 16+1
    rows = re.findall(r"<tr><td[^>]*>(layers\.\d)</td><td[^>]*>([^<]+)</td><td[^>]*>(\d+)</td></tr>", page)
    assert [(name, int(n)) for name, _, n in rows] == [("layers.0", 48), ("layers.1", 272), ("layers.2", 17)]
    assert repr(model).startswith("MLP(2, [16, 16, 1]")
    neuron = nn.Neuron(3)
    assert "4 parameters" in neuron._repr_html_()


def test_a_parameter_table_on_request() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    x = model([1.0, -1.0])
    x.backward()
    table = model.parameter_table()
    names = [name for name, _ in model.named_parameters()]
    assert [r[0] for r in table.rows] == names
    assert [r[2] for r in table.rows] == [p.grad for p in model.parameters()]
    text = repr(table)
    assert all(n in text for n in names) and text.splitlines()[0].split() == ["name", "data", "grad"]
    assert table._repr_html_().count("<tr>") == len(names) + 1


def test_a_history_shows_its_last_numbers_and_a_loss_curve() -> None:
    X, y = nn.data.make_moons(30, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    hist = nn.fit(model, X, y, loss="hinge", epochs=6, progress=False, metrics=["accuracy"])
    page = hist._repr_html_()
    last = (format_number(hist.loss[-1]), format_number(hist["accuracy"][-1]))
    assert ">6<" in page and all(f">{n}" in page for n in last)
    points = re.search(r'points="([^"]+)"', page).group(1).split()  # type: ignore[union-attr]
    assert len(points) == 6  # one point per epoch
    heights = [float(p.split(",")[1]) for p in points]
    lowest = hist.loss.index(min(hist.loss))
    assert heights[lowest] == max(heights)  # SVG y grows downwards: the smallest loss is drawn lowest
    assert repr(hist).startswith("<History: 6 epochs")
    assert "points" not in nn.History()._repr_html_()  # nothing to draw yet
