"""draw_dot: one box per Value, local derivatives on edges, grouping by nn names, clear errors."""

from __future__ import annotations

import re

import graphviz
import pytest

import nn
from autograd import Value, dot, explain, play, topological_order
from autograd.see.draw import Graph, draw_dot
from autograd.see.html import DotNotFoundError
from autograd.see.names import node_names
from autograd.see.text import format_number
from nn.naming import GROUPING, neuron_groups
from tests.support.lecture import lecture_L


def edge_labels(g: graphviz.Digraph) -> list[str]:
    return [m.strip() for m in re.findall(r'label=" ([^"]*) "', g.source)]


def test_lecture_example_boxes_and_edge_labels() -> None:
    L = lecture_L()[0]
    L.backward()
    g = L.draw(edge_labels=True)
    assert isinstance(g, graphviz.Digraph) and isinstance(g, Graph)
    src = g.source
    assert "rankdir=LR" in src
    assert '"{ a | data 2 | grad 6 }"' in src  # numbers as every tool writes them: format_number
    assert '"{ L | data -8 | grad 1 }"' in src
    assert sorted(edge_labels(g)) == sorted(
        ["∂/∂a = -3", "∂/∂b = 2", "∂/∂e = 1", "∂/∂c = 1", "∂/∂d = -2", "∂/∂f = 4"]
    )
    assert src.count("shape=record") == 7  # one box per Value
    assert src.count("shape=ellipse") == 3  # one small node per operation


def test_x_times_x_has_two_edges() -> None:
    x = Value(3.0, label="x")
    y = x * x
    src = draw_dot(y, edge_labels=True).source
    assert len(re.findall(r"n0 -> n1op", src)) == 2
    assert edge_labels(draw_dot(y, edge_labels=True)) == ["∂/∂x = 3", "∂/∂x = 3"]


@pytest.mark.parametrize(
    "build",
    [lambda x: x.tanh(), lambda x: x.exp(), lambda x: 1.0 / x, lambda x: x**3, lambda x: x.log(),
     lambda x: x.sigmoid(), lambda x: x.sin()],
)
def test_edge_label_is_the_local_derivative(build) -> None:
    """Checked against a central difference, not against the rule that drew it."""
    x0, h = 0.8, 1e-6
    y = build(Value(x0, label="x"))
    (label,) = [t for t in edge_labels(draw_dot(y, edge_labels=True)) if t.startswith("∂/∂x ")]
    number = float(label.split("=")[1])
    slope = (build(Value(x0 + h)).data - build(Value(x0 - h)).data) / (2 * h)
    assert number == pytest.approx(slope, rel=1e-3)


def test_unlabelled_nodes_get_short_names_on_edges() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    f = (a * b) * (a + b)
    labels = edge_labels(draw_dot(f, edge_labels=True))
    assert "∂/∂(a * b) = 5" in labels and "∂/∂(a + b) = 6" in labels


def test_same_graph_same_source() -> None:
    assert lecture_L()[0].draw(edge_labels=True, color="grad").source == lecture_L()[0].draw(
        edge_labels=True, color="grad"
    ).source
    ids = re.findall(r"^\s*(n\d+(?:op)?) \[", lecture_L()[0].draw().source, flags=re.M)
    assert ids[:3] == ["n0", "n1", "n2"]


def test_color_by_grad_sign_and_size() -> None:
    L = lecture_L()[0]
    L.backward()
    src = L.draw(color="grad").source
    fills = dict(re.findall(r'"\{ (\w) \|[^"]*" fillcolor="(#[0-9a-f]{6})"', src))
    red = lambda c: int(c[1:3], 16) > int(c[5:7], 16)  # noqa: E731
    blue = lambda c: int(c[5:7], 16) > int(c[1:3], 16)  # noqa: E731
    assert blue(fills["a"]) and blue(fills["f"]) and blue(fills["L"])  # grads 6, 4, 1
    assert red(fills["b"]) and red(fills["e"])  # grads -4, -2
    # a (6) is the largest: the deepest shade, so the lightest red+green channels
    assert int(fills["a"][1:3], 16) < int(fills["L"][1:3], 16)
    x = Value(1.0, label="x")
    y = x * 0.0
    y.backward()
    assert 'fillcolor="#ffffff"' in draw_dot(y, color="grad").source  # grad 0: white


def test_top_to_bottom_and_render_png(tmp_path) -> None:
    g = draw_dot(lecture_L()[0], rankdir="TB", format="png")
    assert "rankdir=TB" in g.source
    path = g.render(str(tmp_path / "lecture"))
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_too_many_nodes_raises_with_count_and_advice() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(599):
        y = y + 1.0
    n = len(topological_order(y))
    with pytest.raises(ValueError) as info:
        draw_dot(y)
    message = str(info.value)
    assert str(n) in message and "max_nodes=None" in message and "collapse=" in message
    assert draw_dot(y, max_nodes=None).source.count("shape=record") == n


def test_deep_chain_builds_without_recursion() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(3000):
        y = y * 1.0
    # per multiplication: an edge from each of its two inputs, and one from the op to its result
    assert draw_dot(y, max_nodes=None, edge_labels=True).source.count("->") == 3 * 3000


def test_missing_dot_still_returns_the_graph_and_explains(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot anywhere
    g = lecture_L()[0].draw()
    assert "digraph" in g.source  # building needs no dot
    with pytest.raises(DotNotFoundError) as info:
        g.render(str(tmp_path / "out"), format="png")
    message = str(info.value)
    assert "'dot'" in message and "apt-get install graphviz" in message and "brew install graphviz" in message
    assert isinstance(info.value, graphviz.ExecutableNotFound)
    with pytest.raises(DotNotFoundError):
        g.pipe(format="svg")
    bundle = g._repr_mimebundle_()  # what Jupyter calls: a message instead of a traceback
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert "<pre>" in bundle["text/html"] and "image/svg+xml" not in bundle


def test_bad_arguments() -> None:
    L = lecture_L()[0]
    with pytest.raises(TypeError, match="draw_dot: root must be a Value"):
        draw_dot(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(L, rankdir="XY")
    with pytest.raises(ValueError, match="color"):
        draw_dot(L, color="data")
    with pytest.raises(ValueError, match="collapse"):
        draw_dot(L, collapse="layer")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(L, max_nodes=0)


# --- nn-style names: Values built by hand with the labels nn gives ------------------------


def tiny_mlp() -> tuple[Value, list[Value]]:
    """A 2-2-1 network with nn's names: fused dot + tanh neurons, then a squared error."""
    xs = [Value(1.0, label="x0"), Value(-2.0, label="x1")]

    def neuron(name: str, inputs: list[Value], w: list[float], b: float) -> Value:
        ws = [Value(wi, label=f"{name}.w.{i}") for i, wi in enumerate(w)]
        out = dot(ws, inputs, Value(b, label=f"{name}.b")).tanh()
        out.label = name
        return out

    h = [neuron("layers.0.neurons.0", xs, [0.5, -0.3], 0.1),
         neuron("layers.0.neurons.1", xs, [0.2, 0.4], -0.2)]
    o = neuron("layers.1.neurons.0", h, [0.7, -0.6], 0.05)
    loss = (o - 1.0) ** 2
    return loss, xs


def test_neuron_groups_from_names() -> None:
    loss, _ = tiny_mlp()
    groups = neuron_groups(topological_order(loss))
    counts: dict[str, int] = {}
    for g in groups.values():
        counts[g] = counts.get(g, 0) + 1
    # each neuron: 2 weights + bias + dot node + its tanh output
    assert counts == {"layers.0.neurons.0": 5, "layers.0.neurons.1": 5, "layers.1.neurons.0": 5}


def test_cluster_frames_layers_and_neurons() -> None:
    loss, _ = tiny_mlp()
    src = draw_dot(loss, cluster=True).source
    assert src.count("subgraph cluster_") == 2 + 3  # two layers, three neurons
    assert 'label="layers.0"' in src and 'label="layers.1"' in src
    block = src[src.index('label="layers.0.neurons.1"'):]
    block = block[: block.index("\n\t\t}")]  # the end of that neuron's cluster
    # inside the frame, names are written relative to it: w.0 for layers.0.neurons.1.w.0
    for box in ('"{ w.0 | data 0.2 |', '"{ w.1 | data 0.4 |', '"{ b | data -0.2 |'):
        assert box in block
    assert "dot" in block and '"{ layers.0.neurons.1 | data' in block  # its weighted sum and output
    assert '"{ v2 | data' in block  # the unnamed weighted sum, numbered as explain calls it


def test_collapse_draws_each_neuron_as_one_box() -> None:
    loss, _ = tiny_mlp()
    loss.backward()
    g = draw_dot(loss, collapse="neuron")
    src = g.source
    boxes = re.findall(r'label="\{ ([^|]*?) \|', src)
    assert sorted(b for b in boxes if b.startswith("layers")) == [
        "layers.0.neurons.0", "layers.0.neurons.1", "layers.1.neurons.0"
    ]
    assert "w.0" not in src  # parameters are inside the boxes
    # x0 and x1 each feed both hidden neurons; both hidden neurons feed the output neuron
    ids = dict(re.findall(r'(n\d+) \[label="\{ ([\w.]+) \|', src))
    by_name = {v: k for k, v in ids.items()}
    edges = set(re.findall(r"(n\d+) -> (n\d+)\b(?!op)", src))
    for x in ("x0", "x1"):
        for h in ("layers.0.neurons.0", "layers.0.neurons.1"):
            assert (by_name[x], by_name[h]) in edges
    for h in ("layers.0.neurons.0", "layers.0.neurons.1"):
        assert (by_name[h], by_name["layers.1.neurons.0"]) in edges
    assert len(edges) == 6  # and nothing else between boxes
    assert draw_dot(loss, collapse="neuron", cluster=True).source.count("subgraph cluster_") == 2


def test_collapse_keeps_a_large_mlp_under_max_nodes() -> None:
    import nn

    model = nn.MLP(3, [16, 16, 1], seed=0)
    xs = [Value(v, label=f"x{i}") for i, v in enumerate([0.5, -1.0, 2.0])]
    out = model(xs)
    with pytest.raises(ValueError, match="collapse="):
        draw_dot(out, max_nodes=100)
    src = draw_dot(out, collapse="neuron", max_nodes=100).source
    assert src.count("shape=record") == 3 + 16 + 16 + 1
    assert "layers.2.neurons.0" in src


# --- names that agree with the texts, numbers in one format, labels tied to their edges ------------


def box_names(src: str) -> dict[str, str]:
    """Each box's node id and the name written in its first field (record boxes with three fields)."""
    return {nid: name for nid, name in re.findall(r'(n\d+) \[label="\{ ([^|]+?) \| data', src)}


def test_every_name_an_edge_label_uses_is_drawn_in_a_box() -> None:
    x = Value(0.5, label="x")
    w = [Value(v, label=f"w{i}") for i, v in enumerate([0.3, -1.2, 2.0])]
    h = (x * w[0] + x * w[1] + x * w[2]).tanh() * x + (x * w[0]).exp()  # long formulas get numbers
    h.label = "h"
    h.backward()
    src = draw_dot(h, edge_labels=True).source
    drawn = set(box_names(src).values())
    labels = edge_labels(draw_dot(h, edge_labels=True))
    used = {re.sub(r"^\((.*)\)$", r"\1", lab.split(" = ")[0][len("∂/∂"):]) for lab in labels}
    constants = {t for t in used if re.fullmatch(r"-?[\d.e]+", t)}
    assert used - constants <= drawn, used - drawn
    assert {"v1", "v2"} <= drawn  # unnamed results too long to write are numbered, and the number is drawn
    text = str(explain(h, x))
    for name in re.findall(r"∂\(?([^/∂)\n]+?)\)?/", text):
        assert name in drawn | {"h"}, name  # explain calls each node by the name its box shows


def test_names_are_unique_and_numbers_skip_labels() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    taken = Value(1.0, label="v1")
    f = (a * b) * (a + b) + (a * b).tanh() * taken  # two different nodes that would both be "a * b"
    names = node_names(topological_order(f))
    products = [v for v in topological_order(f) if v._op == "*" and v._prev[0] is a]
    assert len(products) == 2 and names[products[0]] == "a * b" and names[products[1]] != "a * b"
    assert len(set(names.values())) == len(names)  # no two nodes share a name here
    assert "v1" not in {n for v, n in names.items() if v is not taken}  # a label's name is not reused


def test_edge_labels_sit_beside_their_edges_without_a_connector() -> None:
    """Graphviz's ``decorate`` drew a slanted line from each label to its edge, which near a ``+`` node
    read as a second arrow into it: no picture of the library uses it."""
    L = lecture_L()[0]
    L.backward()
    src = draw_dot(L, edge_labels=True).source
    labelled = [line for line in src.splitlines() if "label=\" ∂/∂" in line]
    assert len(labelled) == 6
    pictures = [src, draw_dot(L, edge_labels=True, rankdir="TB").source, *play(L).frames,
                nn.MLP(2, [3, 1], seed=0).draw().source]
    assert not [p for p in pictures if "decorate" in p]
    svg = draw_dot(L, edge_labels=True).pipe(format="svg").decode()
    assert svg.count("<path") == svg.count("class=\"edge\"")  # one line per edge: its own, no connector


def test_one_number_format_for_boxes_edges_explain_and_the_cli() -> None:
    x = Value(2.0 / 3.0, label="x")
    y = x * 3.0
    y.label = "y"
    y.backward()
    assert format_number(2.0 / 3.0) == "0.6667"
    src = draw_dot(y, edge_labels=True).source
    assert '"{ x | data 0.6667 | grad 3 }"' in src and "∂/∂3 = 0.6667" in src
    assert "∂y/∂x = 3 = 3" not in str(explain(y, x))
    assert "∂y/∂x = 3" in str(explain(y, x))
    z = x * x
    z.label = "z"
    assert "∂/∂x = 0.6667" in draw_dot(z, edge_labels=True).source
    assert "∂z/∂x (argument 1) = x = 0.6667" in str(explain(z, x))


def test_collapse_orders_neurons_numerically_on_the_page() -> None:
    import nn

    model = nn.MLP(2, [16, 16, 1], seed=0)
    out = model([Value(0.5, label="x1"), Value(-0.2, label="x2")])
    svg = draw_dot(out, collapse="neuron").pipe(format="svg").decode()
    for layer in ("layers.0", "layers.1"):
        found = re.findall(rf'y="([\d.-]+)"[^>]*>{layer}\.neurons\.(\d+)</text>', svg)
        tops = [float(y) for y, _ in sorted(found, key=lambda t: int(t[1]))]
        assert len(tops) == 16 and tops == sorted(tops), layer  # neurons.0 on top, neurons.15 at the bottom


def test_labels_are_escaped_in_dot_and_svg() -> None:
    import xml.etree.ElementTree as ET

    evil = Value(1.5, label="<!--<script>{x}|\"")
    out = evil * Value(2.0, label="&amp; a\\nb")  # Graphviz would read an entity and a line break here
    out.label = "</svg>&"
    svg = draw_dot(out, edge_labels=True).pipe(format="svg").decode()
    root = ET.fromstring(svg[svg.index("<svg"):])  # still well-formed XML
    texts = ["".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<!--<script>{x}|\"" in texts and "</svg>&" in texts and "&amp; a\\nb" in texts
    assert "∂/∂(&amp; a\\nb) = 1.5" in texts
    assert "<script>" not in svg


def test_the_grouping_is_the_network_librarys_and_another_can_set_its_own() -> None:
    """draw_dot knows no naming scheme: nn hands it its own (nn.naming); any library can hand another."""
    from autograd.see import names

    assert names.grouping() is GROUPING  # nn's, set when nn was imported
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(1.0, label="c")
    out = a * b + c
    before = names.grouping()
    try:
        names.set_grouping(names.Grouping(lambda order: {v: "pair" for v in order if v.label in ("a", "b")},
                                          lambda name: "both"))
        src = draw_dot(out, cluster=True).source
        assert 'label=pair' in src and 'label=both' in src and src.count("subgraph cluster_") == 2
    finally:
        names.set_grouping(before)
    assert "subgraph" not in draw_dot(out, cluster=True).source  # nn's scheme: no parameter names here
    with pytest.raises(TypeError, match="set_grouping: expected a Grouping"):
        names.set_grouping(lambda order: {})  # type: ignore[arg-type]


# --- big graphs: each example's neuron named alike, and a note that says what to draw instead ----


def mlp_loss(n_examples: int) -> tuple[nn.MLP, Value]:
    model = nn.MLP(2, [4, 4, 1], seed=1)
    X, y = nn.data.make_moons(4, seed=0)
    loss = nn.losses.mse([model(x) for x in X[:n_examples]], y[:n_examples])
    loss.backward()
    return model, loss


@pytest.mark.parametrize("n_examples", [1, 4])
def test_collapse_draws_each_examples_neuron_under_the_neurons_name(n_examples: int) -> None:
    _, loss = mlp_loss(n_examples)
    src = draw_dot(loss, collapse="neuron").source
    names = re.findall(r'label="\{ ([^|]+?) \|', src)
    neurons = [n for n in names if n.startswith("layers.")]
    assert len(neurons) == 9 * n_examples  # one box per neuron per example
    assert {neurons.count(n) for n in set(neurons)} == {n_examples}  # every example names it alike
    numbered = [n for n in names if re.fullmatch(r"v\d+", n)]
    assert len(numbered) <= 3 * n_examples  # only the loss's own terms are numbered, no weighted sums


def test_a_graph_too_big_to_read_says_what_to_draw_instead() -> None:
    _, loss = mlp_loss(4)
    full, collapsed = draw_dot(loss).source, draw_dot(loss, collapse="neuron").source
    assert "too many to read at once" in full and "collapse='neuron'" in full
    assert "too many to read at once" in collapsed and "model(x)" in collapsed
    small = mlp_loss(1)[1]
    assert "too many to read" not in draw_dot(small, collapse="neuron").source
    L = lecture_L()[0]
    assert "too many to read" not in draw_dot(L).source and "label=" not in draw_dot(L).source.split("\n")[1]
