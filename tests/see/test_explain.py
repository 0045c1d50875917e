"""explain and backward_steps: the chain rule written out agrees with backward()."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value, backward_steps, explain, grad, topological_order
from autograd.see.names import node_names
from tests.support.lecture import lecture_L


def tanh_neuron() -> tuple[Value, list[Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "x1w1 + x2w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, [x1, x2, w1, w2, b, n]


def a_plus_a() -> tuple[Value, list[Value]]:
    a = Value(-2.0, label="a")
    b = a + a
    b.label = "b"
    return b, [a]


def diamond() -> tuple[Value, list[Value]]:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    f = (a * b) * (a + b)
    f.label = "f"
    return f, [a, b]


LECTURE = [lecture_L, tanh_neuron, a_plus_a, diamond]


@pytest.mark.parametrize("example", LECTURE)
def test_sum_over_paths_equals_backward(example) -> None:
    out, nodes = example()
    out.backward()
    for v in nodes:
        ex = explain(out, v)
        assert ex.paths is not None
        assert ex.gradient == pytest.approx(v.grad, rel=1e-12, abs=1e-12)
        assert ex.backward_gradient == pytest.approx(v.grad, rel=1e-12, abs=1e-12)
        assert len(ex.paths) == ex.n_paths
        for path, product in zip(ex.paths, ex.products or []):
            manual = 1.0
            for e in path:
                manual *= e.local
            assert product == pytest.approx(manual)
            # a path is a chain of edges from the output down to wrt
            assert path[0].child is out and path[-1].parent is v
            assert all(path[k].parent is path[k + 1].child for k in range(len(path) - 1))


def test_lecture_text_spells_out_the_chain() -> None:
    L, (a, *_) = lecture_L()
    text = str(explain(L, a))
    assert "path 1: a → e → d → L" in text
    assert "∂L/∂d = f = -2" in text
    assert "∂d/∂e = 1" in text
    assert "∂e/∂a = b = -3" in text
    assert "product: (-2) × 1 × (-3) = 6" in text
    assert "sum over paths: dL/da = 6" in text
    assert "backward() gives dL/da = 6" in text


def test_a_plus_a_has_two_paths_one_per_argument() -> None:
    b, (a,) = a_plus_a()
    ex = explain(b, a)
    assert ex.n_paths == 2 and ex.gradient == 2.0
    text = str(ex)
    assert "∂b/∂a (argument 1) = 1" in text and "∂b/∂a (argument 2) = 1" in text


def test_diamond_two_paths_with_symbolic_rules() -> None:
    f, (a, b) = diamond()
    ex = explain(f, a)
    assert ex.n_paths == 2 and ex.gradient == 21.0  # d/da (a*b)(a+b) = b(a+b) + ab = 15 + 6
    text = str(ex)
    assert "∂f/∂(a * b) = a + b = 5" in text and "∂(a * b)/∂a = b = 3" in text
    assert "∂f/∂(a + b) = a * b = 6" in text
    md = ex._repr_markdown_()  # unnamed nodes are written as their formulas in LaTeX too
    assert r"\frac{\partial f}{\partial \left(a \cdot b\right)} = a + b = 5" in md


def test_tanh_rule_is_written_with_the_output() -> None:
    o, (x1, x2, w1, *_) = tanh_neuron()
    text = str(explain(o, w1))
    assert "∂o/∂n = 1 - o * o = 0.5" in text
    assert "path 1: w1 → x1w1 → x1w1 + x2w2 → n → o" in text


def test_jupyter_reprs() -> None:
    L, (a, *_) = lecture_L()
    ex = explain(L, a)
    md = ex._repr_markdown_()
    assert r"\frac{d L}{d a}" in md and "= 6$" in md  # a total: d; an edge's local derivative: ∂
    assert r"\frac{\partial e}{\partial a} = b = -3" in md
    latex = ex._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$")
    assert "= 6" in latex
    assert "6" in repr(ex) and "1 path" in repr(ex)


def diamond_chain(n: int) -> tuple[Value, Value]:
    x = Value(0.9, label="x")
    y = x
    for _ in range(n):
        y = (y * 0.5) * (y + 0.25)  # two ways through each diamond
    y.label = "y"
    return y, x


def test_too_many_paths_gives_the_per_node_form() -> None:
    y, x = diamond_chain(8)
    ex = explain(y, x)
    assert ex.n_paths == 2**8 and ex.paths is None
    text = str(ex)
    assert "256 paths" in text and "too many to list" in text
    assert "dy/dx = " in text
    assert ex.gradient == pytest.approx(grad(y, [x])[0], rel=1e-12)
    assert ex.per_node[0].node is y and ex.per_node[-1].node is x
    for t in ex.per_node[1:]:  # each node: the sum over its children of upstream * local
        assert t.total == pytest.approx(sum(g * l for _, _, g, l in t.terms))
    assert r"\begin{aligned}" in ex._repr_markdown_()
    big_y, big_x = diamond_chain(80)  # 2**80 paths and 400 nodes: the text stays short
    big = explain(big_y, big_x)
    big_text = str(big).splitlines()
    assert big.n_paths == 2**80 and len(big.per_node) > 200 and len(big_text) < 135  # legend: <= 14 lines
    assert any("more nodes (all in .per_node)" in line for line in big_text)
    assert any(line.startswith("dy/dx = dy/d(x + 0.25) × ∂(x + 0.25)/∂x + ") for line in big_text)  # wrt's
    assert big.gradient == pytest.approx(grad(big_y, [big_x])[0], rel=1e-9)
    small = explain(y, x, max_paths=1000)
    assert small.paths is not None and len(small.paths) == 256
    assert small.gradient == pytest.approx(ex.gradient, rel=1e-12)


def test_explain_changes_no_grad_and_refuses_unrelated_inputs() -> None:
    L, (a, b, c, f, e, d) = lecture_L()
    for v in (a, b, c, f, e, d, L):
        v.grad = 42.0
    unrelated = Value(1.0, label="u")
    with pytest.raises(ValueError, match=r"explain: wrt .*label='u'.* is not in the graph of the output 'L'"):
        explain(L, unrelated)
    explain(L, a)
    assert all(v.grad == 42.0 for v in (a, b, c, f, e, d, L))


def test_explain_bad_input() -> None:
    L, (a, *_) = lecture_L()
    with pytest.raises(TypeError, match="explain: output must be a Value"):
        explain(1.0, a)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="explain: wrt must be a Value"):
        explain(L, "a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_paths"):
        explain(L, a, max_paths=-1)


def random_graph(seed: int) -> tuple[Value, list[Value]]:
    """A random graph of shared nodes over a few inputs, built with a seeded generator."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(0.5, 1.5), label=f"x{i}") for i in range(3)]
    nodes = list(leaves)
    for _ in range(rng.randint(2, 10)):
        a, b = rng.choice(nodes), rng.choice(nodes)
        kind = rng.randrange(5)
        nodes.append(a * b if kind == 0 else a + b if kind == 1 else (a - b).tanh() if kind == 2
                     else a / (b * b + 1.0) if kind == 3 else (a * 0.3).exp())
    return nodes[-1], leaves


@given(st.integers(0, 10**6))
def test_explain_matches_backward_on_random_graphs(seed: int) -> None:
    out, leaves = random_graph(seed)
    grads = grad(out, leaves)
    in_graph = set(topological_order(out))
    for x, g in zip(leaves, grads):
        if x in in_graph:
            ex = explain(out, x, max_paths=64)
            assert ex.gradient == pytest.approx(g, rel=1e-9, abs=1e-12)
        else:  # a leaf the random graph never used: no path, and explain says so
            assert g == 0.0
            with pytest.raises(ValueError, match="not in the graph"):
                explain(out, x)


# --- backward_steps ------------------------------------------------------------------------


@pytest.mark.parametrize("example", LECTURE)
def test_backward_steps_agree_with_backward(example) -> None:
    out, _ = example()
    order = topological_order(out)
    for v in order:
        v.grad = 7.0  # steps neither read nor change .grad
    steps = list(backward_steps(out))
    assert all(v.grad == 7.0 for v in order)
    for v in order:
        v.grad = 0.0
    out.backward()
    final: dict[Value, float] = {}
    for s in steps:
        assert s.child._prev[s.index] is s.parent
        assert s.contribution == s.upstream * s.local
        assert s.parent_grad == s.parent_grad_before + s.contribution
        assert s.parent_grad_before == final.get(s.parent, 0.0)
        # children first: a child passes on its gradient only once it is complete
        assert s.upstream == (1.0 if s.child is out else s.child.grad)
        final[s.parent] = s.parent_grad
    for v, g in final.items():
        assert g == v.grad


def test_backward_steps_order_is_backwards_order() -> None:
    L, (a, b, c, f, e, d) = lecture_L()
    route = [(s.child.label, s.parent.label) for s in backward_steps(L)]
    assert route == [("L", "d"), ("L", "f"), ("d", "e"), ("d", "c"), ("e", "a"), ("e", "b")]
    first = next(iter(backward_steps(L)))
    assert (first.upstream, first.local, first.contribution, first.parent_grad) == (1.0, -2.0, -2.0, -2.0)
    assert "upstream dL/dL = 1, local ∂L/∂d = -2, contribution 1 × (-2) = -2" in str(first)


def test_x_times_x_gives_two_steps() -> None:
    x = Value(3.0, label="x")
    y = x * x
    steps = list(backward_steps(y))
    assert [(s.index, s.contribution, s.parent_grad) for s in steps] == [(0, 3.0, 3.0), (1, 3.0, 6.0)]


@given(st.integers(0, 10**6))
def test_backward_steps_match_backward_on_random_graphs(seed: int) -> None:
    out, leaves = random_graph(seed)
    final = {s.parent: s.parent_grad for s in backward_steps(out)}
    for x, g in zip(leaves, grad(out, leaves)):
        assert final.get(x, 0.0) == pytest.approx(g, rel=1e-12, abs=1e-15)


def test_backward_steps_bad_input() -> None:
    with pytest.raises(TypeError, match="backward_steps: output must be a Value"):
        backward_steps([1.0])  # type: ignore[arg-type]


def test_steps_call_nodes_by_the_names_the_pictures_draw() -> None:
    f, (a, b) = diamond()
    names = node_names(topological_order(f))
    steps = list(backward_steps(f))
    assert [(s.child_name, s.parent_name) for s in steps] == [(names[s.child], names[s.parent])
                                                              for s in steps]
    assert (steps[0].child_name, steps[0].parent_name) == ("f", "a * b")
    assert str(steps[0]) == ("f → a * b: upstream df/df = 1, local ∂f/∂(a * b) = 5, contribution 1 × 5 = 5; "
                             "(a * b).grad 0 → 5")
    assert "v1" in {s.parent_name for s in backward_steps(diamond_chain(3)[0])}  # a numbered node, as drawn


def test_markdown_keeps_any_label_inside_its_code_span_and_formula() -> None:
    a = Value(2.0, label="<!--<script>`x`")
    out = a * 3.0
    out.label = "</div>&"
    md = explain(out, a)._repr_markdown_()
    assert "1. ``<!--<script>`x` → </div>&``" in md  # a fence longer than the label's backticks
    assert "from `` <!--<script>`x` `` to `</div>&`" in md
    outside = re.sub(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", "", md)  # every code span taken out
    assert "<" not in outside and ">" not in outside  # what is left cannot open a tag or a comment
    assert r"\mathrm{\lt{}!--\lt{}script\gt{}\text{`}x\text{`}}" in md


# --- reading it without the picture: names defined, totals told from edges, zeros folded ---------


def test_numbered_names_are_defined_under_the_text() -> None:
    x = Value(1.0, label="x")
    y = (x * 2).tanh() * (x + 1).exp()
    y.backward()
    ex = explain(y, x)
    assert ex.legend() == ["v1 = tanh(x * 2) * exp(x + 1)"]
    assert str(ex).endswith("where v1 = tanh(x * 2) * exp(x + 1)")
    assert "where `v1 = tanh(x * 2) * exp(x + 1)`" in ex._repr_markdown_()
    L, (a, *_) = lecture_L()
    assert explain(L, a).legend() == [] and "where" not in str(explain(L, a))  # every node named


@given(st.integers(0, 10**6), st.booleans())
def test_every_numbered_name_the_text_uses_is_defined(seed: int, hide: bool) -> None:
    """A definition may use another numbered name (v13 = v6 + v12): that one is defined too."""
    out, leaves = random_graph(seed)
    for x in leaves:
        if x not in set(topological_order(out)):
            continue
        ex = explain(out, x, hide_zero_paths=hide)
        defined = {line.split(" = ", 1)[0] for line in ex.legend()}
        used = set(re.findall(r"\bv\d+\b", str(ex).split("\nwhere ", 1)[0] + "\n".join(ex.legend())))
        assert used <= defined, (used - defined, str(ex))


def test_a_definition_that_uses_a_name_off_the_listed_paths_defines_it() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    loss = nn.losses.hinge([model(x) for x in ([1.0, 2.0], [0.5, -1.0])], [1, -1])
    ex = explain(loss, model.layers[0].neurons[0].w[0], hide_zero_paths=True)
    used = set(re.findall(r"\bv\d+\b", "\n".join(ex.legend())))
    assert used and used <= {line.split(" = ", 1)[0] for line in ex.legend()}


def test_a_total_and_an_edge_derivative_are_written_differently() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    M = a * b + b
    M.label = "M"
    M.backward()
    text = str(explain(M, b))
    assert "  ∂M/∂b = 1\n  product: 1 = 1" in text  # the edge from b straight into M: local
    assert "sum over paths: dM/db = 3" in text  # the total over both paths
    assert "∂M/∂b = 3" not in text and "dM/db = 1" not in text


def test_paths_that_contribute_zero_can_be_folded_away() -> None:
    model = nn.MLP(2, [4, 4, 1], seed=1)
    X, y = nn.data.make_moons(4, seed=0)
    loss = nn.losses.mse([model(x) for x in X], y)
    loss.backward()
    w = model.layers[0].neurons[0].w[0]
    full, folded = explain(loss, w), explain(loss, w, hide_zero_paths=True)
    zeros = sum(p == 0 for p in full.products or [])
    assert 0 < zeros < full.n_paths
    assert folded.gradient == full.gradient == pytest.approx(w.grad)
    assert str(folded).count("\npath ") == full.n_paths - zeros
    assert f"{zeros} of the {full.n_paths} paths contribute 0" in str(folded)
    assert len(str(folded).splitlines()) < len(str(full).splitlines()) / 2
    assert str(full).startswith("dloss/d")  # nn.losses label their result: loss, not v48


def test_arguments_in_the_wrong_order_are_named() -> None:
    a = Value(2.0, label="a")
    with pytest.raises(ValueError, match=r"look swapped.*explain\(a \* 3, a\)"):
        explain(a, a * 3)
