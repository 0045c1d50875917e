"""Draw a learner's own graph, built by their class, with the wrong edge marked.

A graph from another micrograd-family engine cannot go to :func:`autograd.draw_dot` as it is, so it is
copied into chainrule Values first (:func:`to_chainrule`): each node keeps its number, its op's label
(``_op``, or the table's label where the check knows the op) and its parents, and gets a ``_backward``
that adds the *learner's* local derivatives (measured by running their ``_backward``, or read from
``_local_grads``), so the edge labels show the numbers the learner's code multiplies by. The boxes
show the gradients the learner's code gave; :class:`autograd.see.draw.Highlight` marks the wrong edge.
"""

from __future__ import annotations

from typing import Any

from . import learner
from .links import OPS, Highlight, Value, draw_dot, format_number, render_svg

__all__ = ["to_chainrule", "failure_graph", "failure_svg"]


def to_chainrule(
    root: Any, labels: dict[int, str] | None = None, ops: dict[int, str] | None = None
) -> tuple[Value, dict[int, Value]]:
    """The learner's graph below ``root`` as chainrule Values (and the copy of each node, by ``id``);
    ``labels`` and ``ops`` name nodes and their ops where the learner's class does not."""
    labels, ops = labels or {}, ops or {}
    copies: dict[int, Value] = {}
    for node in reversed(learner.reverse_order(root)):  # parents first
        ps = learner.parents(node)
        op = ops.get(id(node)) or str(getattr(node, "_op", "") or "") or ("?" if ps else "")
        label = labels.get(id(node)) or str(getattr(node, "label", "") or "")
        v = Value(float(node.data), tuple(copies[id(p)] for p in ps), op, label=label)
        if ps:
            v._backward = _adder(v, learner.local(node))  # type: ignore[method-assign]
        copies[id(node)] = v
    return copies[id(root)], copies


def _adder(v: Value, local: tuple[float, ...]) -> Any:
    def _backward() -> None:
        for p, d in zip(v._prev, local):
            p.grad += d * v.grad

    return _backward


def failure_graph(failure: Any) -> Any:
    """The learner's graph for one failure, drawn with the wrong edge highlighted (None: nothing to draw)."""
    info = failure.graph
    if info is None:
        return None
    if info[0] == "op":
        _, node, name, case, grads = info
        labels: dict[int, str] = {}
        for n, x in zip(case.names, case.args):
            match = next(
                (
                    p
                    for p in learner.reverse_order(node)
                    if not learner.parents(p) and n is not None and float(p.data) == x and id(p) not in labels
                ),
                None,
            )
            if match is not None:
                labels[id(match)] = n
        labels[id(node)] = "out"
        root, copies = to_chainrule(
            node, labels, {id(node): str(OPS[failure.op]) if failure.op in OPS else ""}
        )
        shown = {copies[k]: float(getattr(n, "grad", 0.0)) for k, n in _nodes(node).items()}
        wrong = next((copies[k] for k, lab in labels.items() if lab == name), None)
        index = next((i for i, p in enumerate(root._prev) if p is wrong), None) if wrong is not None else None
        if index is None and root._prev:  # the input reaches the output through nodes of the learner's own
            index = 0
        title = (
            f"{name}.grad should be {format_number(case.expected[name])}, your code gives "
            f"{format_number(grads[name])}"
            if name
            else "the output's number is wrong"
        )
        return _draw(root, shown, (root, index) if index is not None else None, wrong, title)
    if info[0] == "grads":  # check_grads: chainrule's graph of the function, backward()'s numbers
        _, root, leaf, active, title = info
        shown = {v: float(v.grad) for v in learner.reverse_order(root)}
        legend = "boxes: backward()'s numbers; edges: local derivatives"
        return _draw(root, shown, active, leaf, title, legend, rankdir="TB")  # a sum of many terms: tall
    _, nodes, wrong, user, expected, names = info
    root, copies = to_chainrule(nodes[-1], names)
    shown = {copies[k]: float(n.grad) for k, n in _nodes(nodes[-1]).items()}
    active = None
    if user is not None:
        child = copies[id(nodes[user[0]])]
        target = copies[id(nodes[wrong])]
        active = next(((child, i) for i, p in enumerate(child._prev) if p is target), None)
    title = (
        f"the first wrong gradient (yellow): it should be {format_number(expected[wrong])}, your backward() "
        f"gives {format_number(float(nodes[wrong].grad))}"
    )
    return _draw(root, shown, active, copies.get(id(nodes[wrong])), title)


def _nodes(root: Any) -> dict[int, Any]:
    return {id(n): n for n in learner.reverse_order(root)}


def _draw(
    root: Value,
    grads: dict[Value, float],
    active: tuple[Value, int] | None,
    changed: Value | None,
    title: str,
    legend: str = "boxes: your numbers; edges: your local derivatives",
    rankdir: str = "LR",
) -> Any:
    graph = draw_dot(
        root,
        edge_labels=True,
        highlight=Highlight(grads=grads, active=active, changed=changed),
        max_nodes=200,
        rankdir=rankdir,
    )
    graph.attr(
        label=f"{title}\\l({legend})\\l",  # Graphviz: each line ended left-justified
        labelloc="t",
        labeljust="l",  # the title where the eye starts, also on a graph wider than the page
        fontname="Helvetica",
        fontsize="12",
    )
    return graph


def failure_svg(failure: Any) -> str:
    """The failure's picture as SVG markup ('' when there is none, or Graphviz cannot draw it)."""
    try:
        graph = failure_graph(failure)
        return render_svg(graph) if graph is not None else ""
    except Exception:  # a picture is a help, never a reason for the report to fail
        return ""
