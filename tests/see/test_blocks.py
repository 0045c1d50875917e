"""Blocks: microgpt's graph of one document grouped by where in its code each node was made.

Every check runs on microgpt's own model (its code unchanged, its Value swapped for chainrule's)
and one document of the names data, and is checked against something computed another way: the
softmax of each head against microgpt's ``_softmax`` called by hand, the block sizes against the
graph's own size, the tracked graph against the same graph built untracked.
"""

from __future__ import annotations

import copy
import inspect
import pickle
import re
import threading
from types import ModuleType
from typing import Any

import pytest

import autograd
from autograd import Value, detect_anomaly, explain, no_grad, topological_order, track_blocks
from autograd.see.blocks import BlockExplanation, block_nodes, block_of, block_outputs, block_view, blocks
from autograd.see.draw import draw_dot
from autograd.see.plot import plot_attention, plot_block_grads
from tests.support.gpt_doc import document_loss, model_and_doc

HEAD = "document_loss > pos_id=3 > forward > li=0 > h=2"
MEAN = "line " + str(inspect.getsource(document_loss).count("\n") + document_loss.__code__.co_firstlineno - 1)


@pytest.fixture(scope="module")
def tracked() -> tuple[ModuleType, Any, Any, str, Value]:
    gpt, model, tokenizer, doc = model_and_doc()
    with track_blocks():
        loss = document_loss(gpt, model, tokenizer, doc)
    loss.backward()
    return gpt, model, tokenizer, doc, loss


def _users(loss: Value) -> dict[Value, list[Value]]:
    users: dict[Value, list[Value]] = {}
    for v in topological_order(loss):
        for p in v._prev:
            users.setdefault(p, []).append(v)
    return users


def test_tracking_changes_no_number(tracked: Any) -> None:
    gpt, model, tokenizer, doc, loss = tracked
    grads = [p.grad for p in model.params]
    for p in model.params:
        p.grad = 0.0
    again = document_loss(gpt, model, tokenizer, doc)
    again.backward()
    assert again.data == loss.data
    assert [p.grad for p in model.params] == grads
    assert len(topological_order(again)) == len(topological_order(loss))
    assert all(block_of(v) is None for v in topological_order(again))  # nothing tracked outside the block


def test_blocks_follow_the_code(tracked: Any) -> None:
    gpt, model, tokenizer, doc, loss = tracked
    found = blocks(loss)
    n = len(doc) + 1
    assert {p for p in found if p.count(">") == 1} == {f"document_loss > pos_id={i}" for i in range(n)} | \
        {f"document_loss > {MEAN}"}  # the mean over positions: the last line of document_loss
    for h in range(model.n_head):
        assert f"document_loss > pos_id=3 > forward > li=0 > h={h} > _softmax" in found
    # repeated calls numbered in call order: q, k, v, the attention's output, the MLP's two layers
    sites = {}
    for v in block_nodes(loss, "document_loss > pos_id=0 > forward > li=0"):
        b = block_of(v)
        assert b is not None
        step = b.path[4]
        while b.parent is not None and len(b.path) > 5:
            b = b.parent
        sites[step] = b.site
    assert [sites[s].split("=")[0].strip() for s in ("_linear", "_linear#2", "_linear#3")] == ["q", "k", "v"]
    assert "mlp_fc1" in sites["_linear#5"] and "mlp_fc2" in sites["_linear#6"]
    assert "attn_wo" in sites["_linear#4"]
    # every non-leaf node of the graph was tracked, every leaf was not
    order = topological_order(loss)
    assert all((block_of(v) is not None) == bool(v._prev) for v in order)
    assert found["document_loss"] == sum(1 for v in order if v._prev)


def test_each_heads_softmax_is_that_heads(tracked: Any) -> None:
    """The outputs of block ``h=2 > _softmax`` at position p are the numbers microgpt's ``_softmax``
    gives on its 2nd head at p, recorded by wrapping ``_softmax`` in a run without tracking."""
    gpt, model, tokenizer, doc, loss = tracked
    calls: list[list[float]] = []
    original = gpt._softmax

    def recording(logits: list[Value]) -> list[Value]:
        out = original(logits)
        calls.append([o.data for o in out])
        return out

    vars(gpt)["_softmax"] = recording
    try:
        document_loss(gpt, model, tokenizer, doc)
    finally:
        vars(gpt)["_softmax"] = original
    per_position = model.n_head + 1  # the heads' softmax, then the loss's
    users = _users(loss)
    for pos in range(len(doc) + 1):
        for h in range(model.n_head):
            nodes = block_nodes(loss, f"document_loss > pos_id={pos} > forward > li=0 > h={h} > _softmax")
            inside = set(nodes)
            outputs = [v.data for v in nodes if any(u not in inside for u in users.get(v, ()))]
            assert sorted(outputs) == sorted(calls[pos * per_position + h])
            # as many nodes as _softmax makes on that many logits, by hand
            by_hand = original([Value(0.1 * i) for i in range(pos + 1)])
            made = {v for o in by_hand for v in topological_order(o) if v._prev}
            assert len(nodes) == len(made)


def test_the_block_view_adds_up_to_the_graph(tracked: Any) -> None:
    loss = tracked[-1]
    order = topological_order(loss)
    plan = block_view(loss)
    assert plan.path == ("document_loss",)  # opened on the first block with more than one thing in it
    counted = sum(len(b.nodes) for b in plan.boxes if b.kind in ("block", "leaves"))
    assert counted == plan.total == len(order)
    assert {id(v) for b in plan.boxes for v in b.nodes} == {id(v) for v in order}  # each node once
    src = draw_dot(loss, view="blocks").source
    for b in plan.boxes:
        assert f"{len(b.nodes):,} nodes" in src
    assert "rankdir=TB" in src
    # the size of the gradient through the last box (the mean, the root its output) is |dL/dL| = 1
    last = next(b for b in plan.boxes if b.key == (MEAN,))
    assert last.grad_norm() == 1.0 and "nodes, |grad| 1<" in src


def test_zoom_into_one_layer_shows_the_transformer(tracked: Any) -> None:
    loss = tracked[-1]
    plan = block_view(loss, "document_loss > pos_id=3 > forward > li=0")
    inside = [b for b in plan.boxes if b.kind == "block"]
    names = {b.key[-1] for b in inside}
    assert {"_rmsnorm", "_linear", "_linear#2", "_linear#3", "_linear#4", "_linear#5", "_linear#6",
            "h=0", "h=1", "h=2", "h=3"} <= names
    made = sum(1 for b in inside for v in b.nodes if v._prev)  # and the leaves only one box uses
    assert made == blocks(loss)["document_loss > pos_id=3 > forward > li=0"]
    # keys and values of the earlier positions come in, merged in one box
    assert any(b.kind == "from" and b.name == "from pos_id=0..2" for b in plan.boxes)
    # box-to-box edges count node-to-node edges: the 4 heads each send 4 values to the output layer
    index = {id(b): i for i, b in enumerate(plan.boxes)}
    wo = next(b for b in inside if b.key[-1] == "_linear#4")
    for h in range(4):
        head = next(b for b in inside if b.key[-1] == f"h={h}")
        assert plan.edges[(index[id(head)], index[id(wo)])] == 4 * 16  # each of 4 outputs used by 16 rows


def test_zoom_to_one_heads_softmax_draws_it_node_by_node(tracked: Any) -> None:
    loss = tracked[-1]
    path = HEAD + " > _softmax"
    plan = block_view(loss, path)
    nodes = block_nodes(loss, path)
    assert plan.nodes == nodes and not plan.boxes
    src = draw_dot(loss, view="blocks", block=path).source
    assert src.count("shape=ellipse") == len(nodes)  # one op oval per node of the block, none for inputs
    assert src.count("shape=record") == len(nodes) + len(plan.inputs)
    assert "in1" in src and "_softmax: " in src
    assert {op for op in re.findall(r'n\d+op \[label="?([^" ]+)', src)} == {"-", "exp", "+", "/"}


def test_refusals_name_the_way(tracked: Any) -> None:
    loss = tracked[-1]
    plain = Value(2.0) * 3.0
    with pytest.raises(ValueError, match=r"track_blocks\(\).*with autograd.track_blocks\(\):"):
        draw_dot(plain, view="blocks")
    with pytest.raises(ValueError, match=r"made in block .*the blocks there are 'document_loss > pos_id=0"):
        draw_dot(loss, view="blocks", block="document_loss > pos_id=99")
    with pytest.raises(ValueError, match="needs view='blocks'"):
        draw_dot(loss, block="document_loss")
    with pytest.raises(TypeError, match="block must be a path"):
        draw_dot(loss, view="blocks", block=3)
    with pytest.raises(ValueError, match="view must be 'values' or 'blocks'"):
        draw_dot(loss, view="block")
    with pytest.raises(ValueError, match="track_blocks"):
        blocks(plain)


def test_no_grad_inside_and_around() -> None:
    x = Value(1.5)
    with track_blocks():
        a = x * 2.0
        with no_grad():
            b = x * 3.0  # a leaf: nothing recorded, nothing tracked
        c = x * 4.0
    assert block_of(a) is not None and block_of(c) is not None
    assert block_of(b) is None and not b._prev
    with no_grad():
        with track_blocks():
            d = x * 5.0
    assert not d._prev and block_of(d) is None  # tracking does not turn recording back on
    assert autograd.is_grad_enabled()


def test_nested_and_with_anomaly_mode() -> None:
    x = Value(2.0)

    def inner(v: Value) -> Value:
        return v * v

    with track_blocks():
        with track_blocks():  # the inner one changes nothing: paths stay the outer one's
            y = inner(x)
    assert block_of(y) is not None and block_of(y).path[0] == "inner"  # type: ignore[union-attr]
    with detect_anomaly():
        with track_blocks():
            z = inner(x)
            with pytest.raises(autograd.AnomalyError):
                inner(Value(float("inf")))  # anomaly mode still checks every node
    assert block_of(z).path[0] == "inner"  # type: ignore[union-attr]


def test_threads_track_their_own_code() -> None:
    """Two threads track at once, each its own function; a third builds untracked meanwhile."""
    results: dict[str, list[Value]] = {}
    start = threading.Barrier(3)

    def first(x: Value) -> Value:
        return (x * 2.0 + 1.0).tanh()

    def second(x: Value) -> Value:
        return (x * 3.0 - 1.0).exp()

    def run(name: str, f: Any, track: bool) -> None:
        start.wait()
        made = []
        if track:
            with track_blocks():
                for i in range(300):
                    made.append(f(Value(0.001 * i)))
        else:
            for i in range(300):
                made.append(f(Value(0.001 * i)))
        results[name] = made

    threads = [threading.Thread(target=run, args=("first", first, True)),
               threading.Thread(target=run, args=("second", second, True)),
               threading.Thread(target=run, args=("untracked", first, False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in ("first", "second"):
        for out in results[name]:
            paths = {block_of(v).path[1] for v in topological_order(out) if v._prev}  # type: ignore[union-attr]
            assert paths == {name}
    assert all(block_of(v) is None for out in results["untracked"] for v in topological_order(out))


# --- a gradient explained by block ---------------------------------------------------------------

LAYER = "document_loss > * > forward > li=0"


def _float_loss(gpt: ModuleType, model: Any, tokenizer: Any, doc: str) -> float:
    with no_grad():
        return float(document_loss(gpt, model, tokenizer, doc).data)


def test_explain_by_block_adds_up_to_the_gradient(tracked: Any) -> None:
    gpt, model, tokenizer, doc, loss = tracked
    w = model.state_dict["wte"][tokenizer.encode(doc)[0]][0]
    for block in (None, LAYER):
        e = explain(loss, w, by="block", block=block)
        assert isinstance(e, BlockExplanation) and e.matches
        assert e.gradient == pytest.approx(w.grad, rel=1e-12, abs=1e-15)  # backward's number
        assert sum(e.routes.values()) == e.gradient
    # and a central difference of the loss itself
    h, keep = 1e-6, w.data
    w.data = keep + h
    up = _float_loss(gpt, model, tokenizer, doc)
    w.data = keep - h
    down = _float_loss(gpt, model, tokenizer, doc)
    w.data = keep
    assert e.gradient == pytest.approx((up - down) / (2 * h), rel=1e-5)
    # a part every route passes carries the whole gradient
    for part, g in e.through.items():
        if all(part in route for route in e.routes):
            assert g == pytest.approx(e.gradient, rel=1e-12)
    text = str(e)
    assert "equal autograd.grad's" in text and "h=2" in text and "_linear#5" in text


@pytest.mark.parametrize("matrix", ["attn_wq", "attn_wk", "attn_wv"])
def test_a_heads_weight_arrives_through_that_head_only(tracked: Any, matrix: str) -> None:
    gpt, model, tokenizer, doc, loss = tracked
    for row in (1, 6, 9, 14):
        w = model.state_dict[f"layer0.{matrix}"][row][3]
        e = explain(loss, w, by="block", block=LAYER)
        assert e.matches and e.gradient == pytest.approx(w.grad, rel=1e-12, abs=1e-15)
        heads = {p for route, g in e.routes.items() if g for p in route if p.startswith("h=")}
        assert heads == {f"h={row // model.head_dim}"}  # row r of q, k, v belongs to head r // head_dim


def test_the_mlp_and_the_output_layer_by_block(tracked: Any) -> None:
    gpt, model, tokenizer, doc, loss = tracked
    w = model.state_dict["layer0.mlp_fc1"][5][2]
    e = explain(loss, w, by="block", block=LAYER)
    assert e.matches and all("_linear#5" in r and not any(p.startswith("h=") for p in r) for r in e.routes)
    w = model.state_dict["lm_head"][3][2]  # used after the layer: no route passes any block inside it
    e = explain(loss, w, by="block", block=LAYER)
    assert e.routes == {(): pytest.approx(w.grad, rel=1e-12)} and e.matches


def test_explain_by_block_refusals(tracked: Any) -> None:
    loss = tracked[-1]
    x = Value(1.0)
    plain = x * 3.0
    with pytest.raises(ValueError, match="track_blocks"):
        explain(plain, x, by="block")
    with pytest.raises(ValueError, match="by must be 'path' or 'block'"):
        explain(plain, x, by="blocks")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="needs by='block'"):
        explain(plain, x, block="f")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="not in the graph"):
        explain(loss, x, by="block")
    with pytest.raises(ValueError, match="no node of this graph was made inside block"):
        explain(loss, tracked[1].state_dict["lm_head"][0][0], by="block", block="document_loss > * > back")


# --- pictures --------------------------------------------------------------------------------------


def _pixels(fig: Any) -> list[float]:
    return [t.get_fontsize() * fig.dpi / 72 for t in fig.findobj(lambda o: hasattr(o, "get_fontsize"))
            if getattr(t, "get_text", lambda: "")()]


def test_attention_maps_are_each_heads_softmax(tracked: Any) -> None:
    gpt, model, tokenizer, doc, loss = tracked
    fig = plot_attention(loss, labels=["<bos>", *doc])
    panels = [ax for ax in fig.axes if ax.get_title().startswith("h=")]
    assert [ax.get_title() for ax in panels] == [f"h={h}" for h in range(model.n_head)]
    weights = block_outputs(loss, "document_loss > pos_id=* > forward > li=0 > h=* > _softmax")
    for h, ax in enumerate(panels):
        data = ax.get_images()[0].get_array()
        for pos in range(len(doc) + 1):
            row = [float(x) for x in data[pos] if x == x]  # NaN: a key position not yet seen
            path = ("document_loss", f"pos_id={pos}", "forward", "li=0", f"h={h}", "_softmax")
            assert row == [v.data for v in weights[path]]
            assert len(row) == pos + 1 and sum(row) == pytest.approx(1.0, rel=1e-12)
    assert min(_pixels(fig)) >= 12


def test_gradient_bars_are_the_outputs_grads(tracked: Any) -> None:
    """The bar of the MLP's first layer is the norm of the grads of the 64 numbers microgpt's
    ``_linear`` returned there, recorded by wrapping ``_linear`` in a run of its own."""
    gpt, model, tokenizer, doc, _ = tracked
    made: list[list[Value]] = []
    original = gpt._linear

    def recording(x: list[Value], w: list[list[Value]]) -> list[Value]:
        out = original(x, w)
        made.append(out)
        return out

    with track_blocks():
        vars(gpt)["_linear"] = recording
        try:
            loss = document_loss(gpt, model, tokenizer, doc)
        finally:
            vars(gpt)["_linear"] = original
    for p in model.params:
        p.grad = 0.0
    loss.backward()
    per_position = 7  # q, k, v, the attention's output, the MLP's two layers, the output layer
    fc1 = made[3 * per_position + 4]  # position 3, the MLP's first layer
    want = sum(v.grad ** 2 for v in fc1) ** 0.5
    fig = plot_block_grads(loss, "document_loss > pos_id=3 > forward > li=0 > recording#5")
    assert fig is not None
    fig = plot_block_grads(loss, "document_loss > pos_id=3 > forward > li=0")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    bars = {label.split()[0]: bar.get_width() for label, bar in zip(labels, ax.patches)}
    assert bars["recording#5"] == pytest.approx(want, rel=1e-12)
    assert min(_pixels(fig)) >= 12


# --- the rules, on small programs whose blocks are known line by line -------------------------------


def _line(f: Any, text: str) -> str:
    lines, first = inspect.getsourcelines(f)
    return f"line {first + next(i for i, s in enumerate(lines) if text in s)}"


def helper(x: Value) -> Value:
    return x * 2.0 + 1.0


def program(x: Value) -> Value:
    a = helper(x)
    b = helper(a)
    for k in range(2):
        b = b * x + k
    for _ in range(2):  # `_`: a loop whose variable says it is not used
        b = b - 0.5
    for name in ["p", "q"]:  # not an int: not split
        b = b + float(len(name))
    return b


def generator(x: Value) -> Any:
    while True:
        x = x * 2.0
        yield x


def driver(x: Value) -> list[Value]:
    made = generator(x)
    return [next(made) for h in range(1)] + [next(made) for h in range(1)] + \
        [next(made) for _ in range(1)] + [v for h in range(2) for v in [next(made)]]


def test_calls_loops_and_statements() -> None:
    x = Value(0.5)
    with track_blocks():
        out = program(x)
    found = {str(block_of(v)) for v in topological_order(out) if v._prev}
    assert found == {
        f"program > helper > {_line(helper, 'return')}", f"program > helper#2 > {_line(helper, 'return')}",
        f"program > k=0 > {_line(program, 'b * x + k')}", f"program > k=1 > {_line(program, 'b * x + k')}",
        f"program > {_line(program, 'b - 0.5')}", f"program > {_line(program, 'len(name)')}",
    }
    sites = {b.path[-2]: b.parent.site for v in topological_order(out) if v._prev  # type: ignore[union-attr]
             if (b := block_of(v)) is not None and len(b.path) == 3}
    assert sites["helper"] == "a = helper(x)" and sites["helper#2"] == "b = helper(a)"


def test_a_generator_belongs_to_the_call_that_resumes_it() -> None:
    x = Value(0.5)
    with track_blocks():
        out = []
        for h in range(3):
            out += driver(x) if h == 1 else []
    paths = [block_of(v).path[:3] for v in out]  # type: ignore[union-attr]
    assert all(p[0] == "h=1" and p[1] == "driver" for p in paths)
    assert all(p[2] == "generator" for p in paths)  # comprehension loops are not statements: not split


def test_part_of_the_graph_made_outside() -> None:
    gpt, model, tokenizer, doc = model_and_doc()
    tokens = [tokenizer.bos, *tokenizer.encode(doc)]
    keys: list[list[Any]] = [[]]
    values: list[list[Any]] = [[]]
    with track_blocks():
        logits = model.forward(tokens[0], 0, keys, values)
    loss = -gpt._softmax(logits)[tokens[1]].log()  # the loss made outside the block
    order = topological_order(loss)
    plan = block_view(loss)
    assert plan.path == ()  # the whole graph, since part of it has no block
    outside = next(b for b in plan.boxes if b.key == ("made outside track_blocks()",))
    assert outside.kind == "block" and len([v for v in outside.nodes if v._prev]) == \
        sum(1 for v in order if v._prev and block_of(v) is None)
    assert sum(len(b.nodes) for b in plan.boxes if b.kind in ("block", "leaves")) == len(order)
    inner = block_view(loss, "forward")  # zoomed in, the outside part is where its values go
    assert any(b.kind == "to" and b.key == ("made outside track_blocks()",) for b in inner.boxes)


def test_copies_keep_the_block_path() -> None:
    x = Value(0.5)
    with track_blocks():
        out = program(x)
        inside = copy.deepcopy(out)  # deepcopy while tracking: the frames held are not copied
    for other in (inside, copy.deepcopy(out), pickle.loads(pickle.dumps(out))):
        assert other.data == out.data
        mine, theirs = block_of(other), block_of(out)
        assert mine is not None and theirs is not None
        assert str(mine) == str(theirs) and mine.site == theirs.site
