"""Tools that only look (pictures, explanations, forward mode, gradients as values) leave every
``.grad`` as they found it, even when a node built by hand has a closure that writes to a node
outside its ``_children`` (held in a cell, a global, a list, an object's attribute)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from autograd import Value, backward_steps, draw_dot, explain, grad, jacobian, jvp, play, track_blocks

OUTSIDE = Value(0.0, label="outside")  # a global a closure may write to


def _graph(where: str) -> tuple[Value, Value, list[Value]]:
    """``out = 3 a`` by hand, whose closure also adds 1 to a node it is not made from; returns
    (out, a, every node whose grad must stay put)."""
    a, other = Value(2.0, label="a"), Value(0.0, label="other")
    holder, box = type("Holder", (), {})(), [other]
    holder.node = other
    out = Value(6.0, (a,), "triple")
    target = {"cell": lambda: other, "global": lambda: OUTSIDE, "list": lambda: box[0],
              "attribute": lambda: holder.node}[where]

    def _backward() -> None:
        a.grad += 3 * out.grad
        target().grad += 1.0

    out._backward = _backward
    with track_blocks():  # for the block view; it changes no number
        top = out * 2.0
    nodes = [a, other, OUTSIDE, out, top]
    for k, v in enumerate(nodes):
        v.grad = 6.0 + k
    return top, a, nodes


TOOLS: dict[str, Callable[[Value, Value], Any]] = {
    "draw_dot edge labels": lambda out, a: draw_dot(out, edge_labels=True),
    "explain": lambda out, a: explain(out, a),
    "jvp": lambda out, a: jvp(out, {a: 1.0}),
    "grad": lambda out, a: grad(out, [a]),
    "jacobian": lambda out, a: jacobian([out, out], [a]),
    "backward_steps": lambda out, a: list(backward_steps(out)),
    "play": lambda out, a: play(out),
    "draw_dot blocks": lambda out, a: draw_dot(out, view="blocks"),
    "explain by block": lambda out, a: explain(out, a, by="block"),
}


@pytest.mark.parametrize("where", ["cell", "global", "list", "attribute"])
@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_a_tool_that_looks_changes_no_grad(tool: str, where: str) -> None:
    out, a, nodes = _graph(where)
    before = [v.grad for v in nodes]
    TOOLS[tool](out, a)
    assert [v.grad for v in nodes] == before


def test_the_tools_still_read_the_closures_slope() -> None:
    out, a, _ = _graph("cell")
    assert grad(out, [a]) == [6.0]
    assert jvp(out, {a: 1.0}) == 6.0
