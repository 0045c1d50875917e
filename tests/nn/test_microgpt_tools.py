"""Every tool on one document's loss in microgpt's GPT (its code, class swapped: about 60,000 nodes).

Each tool either works at this size, and its answer is checked against ``backward()``, or refuses at
once with a message naming the way that does work (the block view, or the gradient by block). The
graph is built once for the module; a generous deadline per tool catches a hang, never a slow machine.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, Callable

import pytest

import autograd
from autograd import Value, name_parameters
from autograd.see.text import BIG_GRAPH, BLOCK_VIEW, BY_BLOCK
from nn import data, microgpt
from tests.support.gpt_doc import document_loss

HANG = 120  # seconds: no tool takes more than a few here; only a hang reaches this


@pytest.fixture(scope="module")
def gpt() -> SimpleNamespace:
    return microgpt_graph()


def microgpt_graph() -> SimpleNamespace:
    """microgpt's default model (1 layer, 16 dimensions, 4 heads, block size 16), parameters named,
    and one six-letter name's loss, its gradients filled in by ``backward()``."""
    engine = microgpt.engine()
    doc = next(name for name in data.load_names() if len(name) == 6)
    tokenizer = engine.Tokenizer.from_docs(data.load_names())
    model = engine.MicroGPT(vocab_size=tokenizer.vocab_size)
    name_parameters(model.state_dict)

    def loss_of() -> Value:
        return document_loss(engine, model, tokenizer, doc)

    loss = loss_of()
    loss.backward()
    w = model.state_dict["layer0.attn_wq"][3][5]
    v = model.state_dict["lm_head"][1][2]
    return SimpleNamespace(engine=engine, model=model, loss=loss, loss_of=loss_of, w=w, v=v,
                           nodes=len(autograd.topological_order(loss)))


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def hung(*_: Any) -> None:
        raise TimeoutError(f"a tool ran for more than {HANG} s on microgpt's graph: a hang")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_the_graph_is_microgpts_size(gpt: SimpleNamespace) -> None:
    assert 50_000 < gpt.nodes < 70_000 and gpt.nodes > BIG_GRAPH
    assert gpt.w.grad != 0 and gpt.v.grad != 0


def _with(gpt: SimpleNamespace, weights: list[Value], values: list[Value]) -> Value:
    """The loss with ``weights`` replaced by ``values`` in microgpt's state_dict (put back after)."""
    where = [(name, i, row.index(w)) for w in weights for name, rows in gpt.model.state_dict.items()
             for i, row in enumerate(rows) if any(x is w for x in row)]
    try:
        for (name, i, j), x in zip(where, values):
            gpt.model.state_dict[name][i][j] = x
        return gpt.loss_of()
    finally:
        for (name, i, j), w in zip(where, weights):
            gpt.model.state_dict[name][i][j] = w


def _explain(gpt: SimpleNamespace) -> None:
    e = autograd.explain(gpt.loss, gpt.w)
    assert e.gradient == pytest.approx(gpt.w.grad, rel=1e-9) and e.backward_gradient == gpt.w.grad
    text = str(e)
    assert "layer0.attn_wq[3][5]" in text and BY_BLOCK in text and "autograd.track_blocks()" in text
    assert BY_BLOCK in e._repr_markdown_()


def _jacobian(gpt: SimpleNamespace) -> None:
    assert autograd.jacobian([gpt.loss], [gpt.w, gpt.v]) == [[pytest.approx(gpt.w.grad, rel=1e-12),
                                                             pytest.approx(gpt.v.grad, rel=1e-12)]]


def _jvp(gpt: SimpleNamespace) -> None:
    assert autograd.jvp(gpt.loss, {gpt.w: 1.0}) == pytest.approx(gpt.w.grad, rel=1e-9)


def _gradcheck(gpt: SimpleNamespace) -> None:
    assert autograd.gradcheck(lambda w, v: _with(gpt, [gpt.w, gpt.v], [w, v]), [gpt.w, gpt.v], order=1)


def _detect_anomaly(gpt: SimpleNamespace) -> None:
    with autograd.detect_anomaly():
        loss = gpt.loss_of()
        (g,) = autograd.grad(loss, [gpt.w])
    assert loss.data == gpt.loss.data and g == gpt.w.grad


def _replay(gpt: SimpleNamespace) -> None:
    np = pytest.importorskip("numpy")
    tape = autograd.trace(lambda inputs: gpt.loss_of(), 0)
    used = set(autograd.topological_order(gpt.loss)) & set(gpt.model.params)  # the document's letters' rows
    assert used <= set(tape.parameters) and gpt.w in used
    assert tape(np.zeros((1, 0)))[0] == pytest.approx(gpt.loss.data, rel=1e-12)
    before = gpt.w.grad
    try:
        gpt.w.grad = 0.0
        tape.backward()
        assert gpt.w.grad == pytest.approx(before, rel=1e-9)
    finally:
        gpt.w.grad = before


WORKS: dict[str, Callable[[SimpleNamespace], None]] = {
    "explain": _explain, "jacobian": _jacobian, "jvp": _jvp, "gradcheck": _gradcheck,
    "detect_anomaly": _detect_anomaly, "trace (the replay)": _replay,
}


@pytest.mark.parametrize("tool", WORKS)
def test_a_tool_that_works_at_this_size_gives_backwards_numbers(gpt: SimpleNamespace, tool: str) -> None:
    WORKS[tool](gpt)


def _explore(gpt: SimpleNamespace) -> Any:
    pytest.importorskip("ipywidgets")
    return autograd.explore(lambda w: _with(gpt, [gpt.w], [w]), w=gpt.w.data)  # a slider for one weight


REFUSES: dict[str, tuple[Callable[[SimpleNamespace], Any], str]] = {
    "draw_dot": (lambda g: autograd.draw_dot(g.loss), BLOCK_VIEW),
    "draw_dot(collapse='neuron')": (lambda g: autograd.draw_dot(g.loss, collapse="neuron"), BLOCK_VIEW),
    "play": (lambda g: autograd.play(g.loss), BLOCK_VIEW),
    "formula": (lambda g: autograd.formula(g.loss), BLOCK_VIEW),
    "formula(expand=False)": (lambda g: autograd.formula(g.loss, expand=False), BLOCK_VIEW),
    "explore": (_explore, BLOCK_VIEW),
}


@pytest.mark.parametrize("tool", REFUSES)
def test_a_tool_that_cannot_show_this_size_names_the_block_view(gpt: SimpleNamespace, tool: str) -> None:
    call, way = REFUSES[tool]
    grads = [p.grad for p in gpt.model.params]
    with pytest.raises(ValueError) as refused:
        call(gpt)
    message = str(refused.value)
    assert way in message and "with autograd.track_blocks(): ..." in message
    if tool in ("draw_dot", "formula", "formula(expand=False)"):  # (play counts steps, collapse boxes)
        assert f"{gpt.nodes} " in message
    assert [p.grad for p in gpt.model.params] == grads  # a refused call changes nothing
