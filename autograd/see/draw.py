"""Draw a Value's computation graph with Graphviz.

What you can do with it::

    L.draw()                                   # in Jupyter: the graph, inline
    draw_dot(L, edge_labels=True)              # each edge carries its local derivative
    draw_dot(L, color='grad')                  # boxes shaded by the sign and size of grad
    draw_dot(loss, collapse='neuron')          # a whole MLP, one box per neuron
    draw_dot(L).save('graph.png')              # writes graph.png (the suffix names the format)

Each Value is a box with its name, data and grad, as in micrograd; each
operation is a small oval between its inputs and its result. A Value without a
label is drawn with the short name that ``explain`` and the player call it by
(``a * b``, or a number such as ``v3``: :func:`autograd.see.names.node_names`), so
every name in a text can be found in the picture; an unnamed constant is its
number. With ``edge_labels=True`` the edge from an input ``a`` into an op reads
``∂/∂a = -3``, written beside its edge (no connector line, which near a ``+`` node read as
a second arrow): the local derivative of that
op's result with respect to that input, taken from the op table, which is the
number ``backward()`` multiplies along that edge. ``x * x`` has two edges, one
per argument. Every number is written by :func:`autograd.see.text.format_number`,
as in every other tool.

The result is a :class:`Graph`, a ``graphviz.Digraph`` that builds without the
Graphviz ``dot`` program (its ``.source`` is plain DOT text) and, when ``dot``
is missing, says how to install it instead of failing with a bare traceback.
Node ids follow the topological order (:func:`autograd.see.names.node_id`), so the
same graph always gives the same DOT source. Which nodes form a neuron (``cluster``,
``collapse``) is the network library's naming scheme (:func:`autograd.see.names.set_grouping`;
``nn`` sets its own). Running Graphviz and putting its SVG into a page is :mod:`autograd.see.html`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphviz

from ..core.checks import choice, count, flag
from ..core.engine import Value
from ..core.walk import grad_number, graph_order, local_numbers
from . import palette
from .html import missing_dot
from .names import grouping, node_id, node_names, wrap_name
from .text import dot_record_text, dot_text, format_number, html_text, printable

__all__ = ["draw_dot", "check_style", "Graph", "Highlight", "GRAD_LEGEND"]


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering explains a missing ``dot`` program.

    ``render``, ``pipe`` and ``view`` raise :class:`DotNotFoundError` (a
    ``graphviz.ExecutableNotFound``) naming ``dot`` and the install command;
    in Jupyter the same message is displayed in place of the picture.
    """

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            raise missing_dot(e) from None

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            raise missing_dot(e) from None

    def view(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().view(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            raise missing_dot(e) from None

    #: Suffixes ``save`` writes as DOT source; every other suffix must be a format ``dot`` renders.
    SOURCE_SUFFIXES = (".gv", ".dot")

    def save(self, filename: Any = None, directory: Any = None, **internal: Any) -> str:
        """Write the graph to ``filename`` in the format its suffix names; returns the path written.

        ``graph.svg``, ``graph.png``, ``graph.pdf``... are rendered by ``dot``; ``graph.gv`` or
        ``graph.dot`` (or no filename: the graph's own ``.gv`` name) is the DOT source. Any other
        suffix is refused, so that ``save('graph.png')`` never writes text into a ``.png``.
        """
        if filename is None or internal:  # render() saves its DOT source here first, with skip_existing
            return str(super().save(filename, directory=directory, **internal))
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"Graph.save: filename must be a str or a path, got {type(filename).__name__}")
        path = Path(directory, filename) if directory is not None else Path(filename)
        suffix = path.suffix.lower()
        if suffix in self.SOURCE_SUFFIXES:
            return str(super().save(os.fspath(filename), directory=directory))
        if suffix[1:] not in graphviz.FORMATS:
            raise ValueError(
                f"Graph.save: the suffix of {os.fspath(path)!r} names no picture format; end the name in "
                f".svg, .png or .pdf for a picture, or .gv for the DOT source"
            )
        if not path.parent.is_dir():
            raise FileNotFoundError(f"Graph.save: the folder {os.fspath(path.parent)!r} does not exist")
        data = self.pipe(format=suffix[1:])
        path.write_bytes(data)
        return os.fspath(path)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound as e:
            message = str(missing_dot(e))
            return {"text/plain": message, "text/html": f"<pre>{html_text(message)}</pre>"}


def _neuron_boxes(order: list[Value], groups: dict[Value, str]) -> dict[Value, Value]:
    """For ``collapse='neuron'``: the box each node of a neuron is drawn in.

    Each output of a neuron (a node labelled with the neuron's name: one per example when a loss runs
    the model over several) is a box, and the unlabelled results it is computed from within the
    neuron (its weighted sum) go into that box, so every example's neuron carries the neuron's name.
    The neuron's parameters go into its first box (they have no box of their own); a neuron with no
    labelled output is one box, its last node.
    """
    box: dict[Value, Value] = {}
    first: dict[str, Value] = {}
    for out in order:
        name = groups.get(out)
        if name is None or out.label != name or not out._prev:
            continue
        first.setdefault(name, out)
        box[out] = out
        stack = list(out._prev)
        while stack:
            v = stack.pop()
            if v not in box and v._prev and not v.label and groups.get(v) == name:
                box[v] = out
                stack.extend(v._prev)
    last = {name: v for v, name in ((v, groups[v]) for v in order if v in groups)}
    for v, name in groups.items():
        if v not in box:
            box[v] = first.get(name, last[name])
    return box


# --- building the DOT graph ----------------------------------------------------------------


@dataclass
class Highlight:
    """What one frame of a step-by-step picture (the player) shows differently: the grads written
    in the boxes (in place of ``.grad``), the active edge in red, the box whose grad just changed,
    the least size of each box in inches (``sizes``, width and height; the width is used) and the
    least length of the number on each edge (``digits``, by (child, index): padded with figure
    spaces). With every frame's boxes and labels as wide as their widest, all frames share one
    layout and nothing jumps from one frame to the next."""

    grads: dict[Value, float] = field(default_factory=dict)
    active: tuple[Value, int] | None = None  # (child, index of the parent in child._prev)
    changed: Value | None = None
    sizes: dict[Value, tuple[float, float]] = field(default_factory=dict)
    digits: dict[tuple[Value, int], int] = field(default_factory=dict)


#: The key written under a graph drawn with ``color='grad'``.
GRAD_LEGEND = "fill: blue for grad > 0, red for grad < 0, deeper for larger |grad|"  # palette.sign


#: More boxes than this and a picture is a wall to scroll through: draw_dot says so in the picture.
READABLE_BOXES = 40


def too_big_to_read(n: int, collapse: str | None) -> str:
    """The note written at the top of a graph of ``n`` boxes: what to draw instead."""
    first = "" if collapse else "draw_dot(..., collapse='neuron') (one box per neuron), or "
    return (f"{n} boxes: too many to read at once. Try {first}the graph of one example's output,\n"
            "model(x), instead of a loss over many; explain(loss, w, hide_zero_paths=True) writes "
            "one weight's paths out")


def _too_many(n: int, max_nodes: int, collapse: str | None) -> None:
    hint = "" if collapse else "pass collapse='neuron' to draw each neuron as one box, or "
    raise ValueError(
        f"draw_dot: the graph has {n} values, more than max_nodes={max_nodes}; "
        f"{hint}pass max_nodes=None to draw it anyway (Graphviz may take minutes)"
    )


def natural_order(name: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that puts ``neurons.2`` before ``neurons.10`` (numbers compared as numbers)."""
    return tuple((1, int(part), "") if part.isdigit() else (0, 0, part) for part in re.split(r"(\d+)", name))


def _grad_fill(g: float, largest: float) -> str:
    """A fill colour for a gradient: blue for positive, red for negative, deeper for larger |g|."""
    return palette.shade(g, largest)


def check_style(where: str, rankdir: Any, color: Any) -> None:
    """The checks of draw_dot's ``rankdir`` and ``color``, for every tool that passes them on."""
    choice(where, "rankdir", rankdir, ("LR", "TB", "RL", "BT"))
    choice(where, "color", color, (None, "grad"))


def draw_dot(
    root: Value,
    *,
    rankdir: str | None = None,
    edge_labels: bool = False,
    color: str | None = None,
    cluster: bool = False,
    collapse: str | None = None,
    max_nodes: int | None = 500,
    format: str = "svg",
    highlight: Highlight | None = None,
    view: str = "values",
    block: Any = None,
) -> Graph:
    """The computation graph of ``root`` as a :class:`Graph` (a ``graphviz.Digraph``).

    * ``rankdir``: ``'LR'`` (inputs on the left, the default) or ``'TB'`` (top to bottom, the
      default of ``view='blocks'``).
    * ``edge_labels=True``: write each edge's local derivative, ``∂/∂a = -3``.
    * ``color='grad'``: shade each box by its gradient, blue above zero and red below.
    * ``cluster=True``: frame each neuron and each layer of an ``nn`` model, found
      from the parameter names (``layers.1.neurons.3.w.0``, as ``nn`` names them).
    * ``collapse='neuron'``: draw each neuron as one box (its output's data and grad)
      with edges from its inputs, so that a whole MLP fits on a page; the neurons of a
      layer stand in numerical order. For a network as a picture of neurons and
      weights, see ``nn.draw_network``.
    * ``max_nodes``: a graph with more values than this raises a ValueError instead
      of keeping Graphviz busy for minutes; ``None`` draws any size.
    * ``format``: the file format ``render()`` writes (``'svg'``, ``'png'``, ``'pdf'``...).
    * ``highlight``: a :class:`Highlight`, for one frame of a step-by-step picture.
    * ``view='blocks'``: a graph built inside ``autograd.track_blocks()`` drawn as one box per block
      of your code (its name, its nodes, the size of the gradient through it), ``block='forward >
      li=0 > h=2 > _softmax'`` zooming into one; a small block is drawn node by node
      (:mod:`autograd.see.blocks`).

    Display the result in Jupyter as a cell's last expression, or call
    ``.render('name', format='png')``. Its ``.source`` is the DOT text.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}: {root!r:.80}")
    choice("draw_dot", "view", view, ("values", "blocks"))
    check_style("draw_dot", "LR" if rankdir is None else rankdir, color)
    choice("draw_dot", "collapse", collapse, (None, "neuron"))
    if max_nodes is not None:
        max_nodes = count("draw_dot", "max_nodes", max_nodes, or_none=True)
    flag("draw_dot", edge_labels=edge_labels, cluster=cluster)
    if not isinstance(format, str):
        raise TypeError(f"draw_dot: format must be a str such as 'svg' or 'png', got {type(format).__name__}")
    if highlight is not None and not isinstance(highlight, Highlight):
        raise TypeError(f"draw_dot: highlight must be a Highlight or None, got {type(highlight).__name__}")
    inputs: set[Value] = set()  # a block drawn node by node: the values coming in, drawn without their inputs
    if view == "blocks":
        from .blocks import NODE_VIEW_LIMIT, block_view, draw_view, view_names
        plan = block_view(root, block, None if max_nodes is None else min(max_nodes, NODE_VIEW_LIMIT))
        if plan.boxes:
            g = Graph("chainrule", format=format)
            draw_view(g, plan, rankdir or "TB")
            return g
        order, inputs = plan.inputs + plan.nodes, set(plan.inputs)
    elif block is not None:
        raise ValueError("draw_dot: block= names a block to zoom into, which needs view='blocks'")
    else:
        order = graph_order(root, "draw_dot")
    rankdir = rankdir or "LR"
    if max_nodes is not None and not collapse and len(order) > max_nodes:
        _too_many(len(order), max_nodes, collapse)  # before any work that grows with the graph
    frame = highlight
    scheme = grouping()
    groups = scheme.groups(order) if (cluster or collapse) else {}
    index = {v: i for i, v in enumerate(order)}
    names = node_names(order) if not inputs else view_names(plan)
    if cluster:  # inside a neuron's frame, its name is already written: w.0 for layers.1.neurons.3.w.0
        for v, n in groups.items():
            if v.label.startswith(n + "."):
                names[v] = printable(v.label[len(n) + 1:])

    # With collapse='neuron', each neuron is drawn as one box per output it made (one per example
    # when a loss runs the model over several), each named after the neuron: its output (or last node).
    box: dict[Value, Value] = {v: v for v in order}
    if collapse == "neuron":
        box.update(_neuron_boxes(order, groups))
    members: dict[Value, list[Value]] = {}
    for v in order:
        members.setdefault(box[v], []).append(v)
    drawn = [v for v in order if box[v] is v]
    if max_nodes is not None and len(drawn) > max_nodes:
        _too_many(len(drawn), max_nodes, collapse)
    grads = frame.grads if frame is not None else {v: grad_number(v, "draw_dot") for v in drawn}

    def grad_of(v: Value) -> float:
        return grads.get(v, 0.0)

    largest = max((abs(grad_of(v)) for v in drawn), default=0.0) if color == "grad" else 0.0
    g = Graph("chainrule", format=format)
    g.attr(rankdir=rankdir)
    g.attr("node", fontname="Helvetica", fontsize="11")
    g.attr("edge", fontname="Helvetica", fontsize="10", color=palette.LINE)
    if collapse:
        g.attr(ordering="out")  # a layer's neurons in the order their edges are written: numerical
    notes = [GRAD_LEGEND] if color == "grad" else []
    if inputs:
        notes.insert(0, f"{plan.title}, drawn node by node; in1, in2... come from other blocks")
    if frame is None and len(drawn) > READABLE_BOXES:
        notes.append(too_big_to_read(len(drawn), collapse))
    if notes:
        g.attr(label="\\n".join(dot_text(line) for note in notes for line in note.split("\n")),
               fontname="Helvetica", fontsize="10",
               labelloc="t" if len(notes) > len([GRAD_LEGEND] if color == "grad" else []) else "b",
               labeljust="l")  # top left: the first thing seen of a graph too wide for the screen

    def value_node(container: graphviz.Digraph, v: Value) -> None:
        nid = node_id(index[v])
        name = names[v] if v.label or v._prev else ""  # an unnamed constant: its number says it all
        if v in groups and collapse:
            name = groups[v]  # a collapsed neuron's box carries the neuron's name
        fields = [] if not name else [dot_record_text(name)]
        fields += [f"data {format_number(v.data)}", f"grad {format_number(grad_of(v))}"]
        attrs: dict[str, str] = {"shape": "record", "label": "{ " + " | ".join(fields) + " }"}
        if color == "grad":
            attrs.update(style="filled", fillcolor=_grad_fill(grad_of(v), largest))
        if collapse and v in groups:
            attrs.update(style="rounded,filled,bold", fillcolor=attrs.get("fillcolor", palette.PANEL))
        if frame is not None:
            if v is frame.changed:
                attrs.update(style="filled,bold", fillcolor=palette.HIGHLIGHT_FILL, color=palette.HIGHLIGHT,
                             penwidth="2")
            elif frame.active is not None and v is frame.active[0]:
                attrs.update(color=palette.HIGHLIGHT, penwidth="2")
            if v in frame.sizes:  # the width only: the number of fields, and so the height, never changes
                attrs.update(width=f"{round(frame.sizes[v][0] * 72) / 72:.5f}")
        container.node(nid, **attrs)
        if v._prev and v not in inputs and not (collapse and v in groups):
            container.node(nid + "op", label=dot_text(str(v._op)), shape="ellipse", fontsize="10",
                           width="0.3", height="0.3", margin="0.02")

    # Nodes: inside clusters first (one per layer, one per neuron inside it), then the rest.
    placed: set[Value] = set()
    if cluster and groups:
        layers: dict[str, dict[str, list[Value]]] = {}
        for v in drawn:
            if v in groups:
                layers.setdefault(scheme.parent(groups[v]), {}).setdefault(groups[v], []).append(v)
        for li, (layer, neurons) in enumerate(layers.items()):
            with g.subgraph(name=f"cluster_{li}") as lg:
                lg.attr(label=dot_text(layer or "model"), style="rounded", color=palette.FRAME, fontsize="10")
                for ni, (neuron, shown) in enumerate(neurons.items()):
                    if collapse:
                        for v in shown:
                            value_node(lg, v)
                            placed.add(v)
                        continue
                    with lg.subgraph(name=f"cluster_{li}_{ni}") as ng:
                        ng.attr(label=dot_text(neuron), style="rounded,dashed", color=palette.FAINT,
                                fontsize="9")
                        for v in shown:
                            value_node(ng, v)
                            placed.add(v)
    for v in drawn:
        if v not in placed:
            value_node(g, v)

    # Edges, in the order of each node's parents, so x * x gets two; collapsed neurons in numerical
    # order, which ``ordering=out`` keeps on the page.
    if collapse:
        drawn = sorted(drawn, key=lambda v: (natural_order(groups[v]) if v in groups else (), index[v]))
    for v in drawn:
        if not v._prev or v in inputs:
            continue
        vid = node_id(index[v])
        if collapse and v in groups:  # a collapsed neuron: one edge from each outside input
            sources: dict[Value, None] = {}  # an ordered set: the same input once
            for u in members[v]:
                for p in u._prev:
                    if box[p] is not v and not (groups.get(p) == groups[v] and not p._prev):  # own weights
                        sources[box[p]] = None
            for b in sources:
                g.edge(node_id(index[b]), vid)
            continue
        g.edge(vid + "op", vid)
        locals_ = local_numbers(v) if edge_labels else ()
        for i, p in enumerate(v._prev):
            attrs: dict[str, str] = {}
            if edge_labels and box[p] is p:  # no `decorate`: its slanted connector read as a second arrow
                number = format_number(locals_[i])
                if frame is not None:  # figure spaces are as wide as a digit
                    number += "\u2007" * (frame.digits.get((v, i), 0) - len(number))
                attrs.update(label=f" ∂/∂{dot_text(wrap_name(names[p]))} = {number} ")
            if frame is not None and frame.active == (v, i):
                attrs.update(color=palette.HIGHLIGHT, penwidth="3", fontcolor=palette.HIGHLIGHT)
            g.edge(node_id(index[box[p]]), vid + "op", **attrs)
    return g
