"""Draw a Value's computation graph with Graphviz.

What you can do with it::

    L.draw()                                   # in Jupyter: the graph, inline
    draw_dot(L, edge_labels=True)              # each edge carries its local derivative
    draw_dot(L, color='grad')                  # boxes shaded by the sign and size of grad
    draw_dot(loss, collapse='neuron')          # a whole MLP, one box per neuron
    draw_dot(L).render('graph', format='png')  # writes graph.png

Each Value is a box with its label, data and grad, as in micrograd; each
operation is a small oval between its inputs and its result. With
``edge_labels=True`` the edge from an input ``a`` into an op reads
``∂/∂a = -3``: the local derivative of that op's result with respect to that
input, taken from the op table, which is the number ``backward()`` multiplies
along that edge. ``x * x`` has two edges, one per argument.

The result is a :class:`Graph`, a ``graphviz.Digraph`` that builds without the
Graphviz ``dot`` program (its ``.source`` is plain DOT text) and, when ``dot``
is missing, says how to install it instead of failing with a bare traceback.
Node ids follow the topological order, so the same graph always gives the same
DOT source.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import graphviz

from .engine import Value, topological_order
from .formula import local_numbers, node_names, wrap_name

__all__ = ["draw_dot", "Graph", "DotNotFoundError", "Highlight"]

INSTALL_HINT = (
    "Install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' "
    "(macOS) or 'conda install graphviz', then restart Python"
)


class DotNotFoundError(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` program is not installed, so a graph cannot be rendered."""

    _msg = (
        "Graphviz's {!r} program was not found on PATH, so the graph cannot be rendered. "
        + INSTALL_HINT
        + ". The graph's DOT text is still available as .source."
    )


def _missing_dot(error: graphviz.ExecutableNotFound) -> DotNotFoundError:
    return DotNotFoundError(["dot"]) if not isinstance(error, DotNotFoundError) else error


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
            raise _missing_dot(e) from None

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            raise _missing_dot(e) from None

    def view(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().view(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            raise _missing_dot(e) from None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound as e:
            message = str(_missing_dot(e))
            return {"text/plain": message, "text/html": f"<pre>{html.escape(message)}</pre>"}


# --- grouping the nodes of nn modules by their parameter names ----------------------------


def _owner(label: str) -> str:
    """The module a dotted name belongs to: ``layers.1.neurons.3.w.0`` -> ``layers.1.neurons.3``.

    A trailing list index is dropped together with the name before it, so the
    same rule takes a neuron (``layers.1.neurons.3``) to its layer (``layers.1``).
    """
    parts = label.split(".")
    if parts[-1].isdigit():
        parts.pop()
    return ".".join(parts[:-1])


def neuron_groups(order: list[Value]) -> dict[Value, str]:
    """Which neuron each node belongs to, read from the parameter names that ``nn`` gives.

    A neuron ``N`` is named by its parameters (leaves labelled ``N.w.0``, ``N.b``...).
    It owns those parameters, the node labelled ``N`` (its output), and the
    unlabelled results in between (its weighted sum, its activation). Other
    uses of a parameter, such as a weight-decay term ``sum(p * p)``, stay
    outside. Nodes that belong to no neuron are left out of the mapping.
    """
    group: dict[Value, str] = {}
    for v in order:
        if not v._prev and v.label:
            owner = _owner(v.label)
            if owner:
                group[v] = owner
    names = set(group.values())
    if not names:
        return group
    for v in order:  # parents come first, so an unlabelled node sees its parents' groups
        if v in group:
            continue
        if v.label in names:
            group[v] = v.label
        elif v.label:
            owner = _owner(v.label)
            while owner and owner not in names:
                owner = _owner(owner)
            if owner:
                group[v] = owner
    # Unlabelled results join a neuron if they lie between its parameters and its output.
    outputs = {v.label: v for v in order if v.label in names and v._prev}
    position = {v: i for i, v in enumerate(order)}
    for name, out in outputs.items():
        inside = _between(out, name, group, position)
        for v in inside:
            group.setdefault(v, name)
    return group


def _between(out: Value, name: str, group: dict[Value, str], position: dict[Value, int]) -> list[Value]:
    """The unlabelled results that neuron ``name``'s output is computed from (stopping at
    labelled nodes and leaves) and that depend on one of its parameters."""
    candidates: list[Value] = []
    stack, seen = list(out._prev), {out}
    while stack:
        v = stack.pop()
        if v in seen or v.label or not v._prev:
            continue
        seen.add(v)
        candidates.append(v)
        stack.extend(v._prev)
    candidates.sort(key=position.__getitem__)  # parents before children
    kept: set[Value] = set()
    for v in candidates:
        if any(p in kept or (not p._prev and group.get(p) == name) for p in v._prev):
            kept.add(v)
    return [v for v in candidates if v in kept]


# --- building the DOT graph ----------------------------------------------------------------


@dataclass
class Highlight:
    """What one frame of a step-by-step picture (the player) shows differently: the grads written
    in the boxes (in place of ``.grad``), the active edge in red, the box whose grad just changed."""

    grads: dict[Value, float] = field(default_factory=dict)
    active: tuple[Value, int] | None = None  # (child, index of the parent in child._prev)
    changed: Value | None = None


def _number(x: Any) -> float:
    return float(x.data) if isinstance(x, Value) else float(x)


def _record_escape(text: str) -> str:
    out = text
    for ch in "\\{}|<>\"":
        out = out.replace(ch, "\\" + ch)
    return out


def _short(x: float) -> str:
    return f"{x:.4g}"


def _grad_fill(g: float, largest: float) -> str:
    """A fill colour for a gradient: blue for positive, red for negative, deeper for larger |g|."""
    if g == 0 or largest == 0 or g != g:
        return "#ffffff"
    t = 0.15 + 0.55 * min(1.0, abs(g) / largest) ** 0.5
    r, gr, b = (0x31, 0x6b, 0xd6) if g > 0 else (0xd6, 0x3b, 0x31)
    mix = [round(255 + (c - 255) * t) for c in (r, gr, b)]
    return "#{:02x}{:02x}{:02x}".format(*mix)


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    edge_labels: bool = False,
    color: str | None = None,
    cluster: bool = False,
    collapse: str | None = None,
    max_nodes: int | None = 500,
    format: str = "svg",
    highlight: Highlight | None = None,
) -> Graph:
    """The computation graph of ``root`` as a :class:`Graph` (a ``graphviz.Digraph``).

    * ``rankdir``: ``'LR'`` (inputs on the left, the default) or ``'TB'`` (top to bottom).
    * ``edge_labels=True``: write each edge's local derivative, ``∂/∂a = -3``.
    * ``color='grad'``: shade each box by its gradient, blue above zero and red below.
    * ``cluster=True``: frame each neuron and each layer of an ``nn`` model, found
      from the parameter names (``layers.1.neurons.3.w.0``).
    * ``collapse='neuron'``: draw each neuron as one box (its output's data and grad)
      with edges from its inputs, so that a whole MLP fits on a page.
    * ``max_nodes``: a graph with more values than this raises a ValueError instead
      of keeping Graphviz busy for minutes; ``None`` draws any size.
    * ``format``: the file format ``render()`` writes (``'svg'``, ``'png'``, ``'pdf'``...).
    * ``highlight``: a :class:`Highlight`, for one frame of a step-by-step picture.

    Display the result in Jupyter as a cell's last expression, or call
    ``.render('name', format='png')``. Its ``.source`` is the DOT text.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}: {root!r:.80}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_dot: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if color not in (None, "grad"):
        raise ValueError(f"draw_dot: color must be None or 'grad', got {color!r}")
    if collapse not in (None, "neuron"):
        raise ValueError(f"draw_dot: collapse must be None or 'neuron', got {collapse!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or isinstance(max_nodes, bool)
                                  or max_nodes < 1):
        raise ValueError(f"draw_dot: max_nodes must be a positive int or None, got {max_nodes!r}")
    order = topological_order(root)
    frame = highlight
    groups = neuron_groups(order) if (cluster or collapse) else {}
    index = {v: i for i, v in enumerate(order)}
    names = node_names(order) if edge_labels else {}
    if cluster:  # inside a neuron's frame, its name is already written: w.0 for layers.1.neurons.3.w.0
        for v, n in groups.items():
            if v.label.startswith(n + "."):
                names[v] = v.label[len(n) + 1:]

    # With collapse='neuron', each neuron is drawn as one box: its output (or its last node).
    box: dict[Value, Value] = {v: v for v in order}
    members: dict[str, list[Value]] = {}
    for v in order:
        if v in groups:
            members.setdefault(groups[v], []).append(v)
    if collapse == "neuron":
        rep: dict[str, Value] = {}
        for v in order:
            g = groups.get(v)
            if g is not None and (g not in rep or v.label == g or rep[g].label != g):
                rep[g] = v
        for v, g in groups.items():
            box[v] = rep[g]
    drawn = [v for v in order if box[v] is v]
    if max_nodes is not None and len(drawn) > max_nodes:
        hint = "" if collapse else "pass collapse='neuron' to draw each neuron as one box, or "
        raise ValueError(
            f"draw_dot: the graph has {len(drawn)} values, more than max_nodes={max_nodes}; "
            f"{hint}pass max_nodes=None to draw it anyway (Graphviz may take minutes)"
        )

    def grad_of(v: Value) -> float:
        return frame.grads.get(v, 0.0) if frame is not None else _number(v.grad)

    largest = max((abs(grad_of(v)) for v in drawn), default=0.0) if color == "grad" else 0.0
    g = Graph("chainrule", format=format)
    g.attr(rankdir=rankdir)
    g.attr("node", fontname="Helvetica", fontsize="11")
    g.attr("edge", fontname="Helvetica", fontsize="9", color="#555555")
    if color == "grad":
        g.attr(label="fill: blue for grad > 0, red for grad < 0, deeper for larger |grad|",
               fontname="Helvetica", fontsize="10", labelloc="b")

    def value_node(container: graphviz.Digraph, v: Value) -> None:
        nid = f"n{index[v]}"
        name = v.label
        if v in groups and collapse:
            name = groups[v]  # a collapsed neuron's box carries the neuron's name
        elif v in groups and cluster and name.startswith(groups[v] + "."):
            name = name[len(groups[v]) + 1:]  # its frame already says the rest
        fields = [] if not name else [_record_escape(name)]
        fields += [f"data {v.data:.4f}", f"grad {grad_of(v):.4f}"]
        attrs: dict[str, str] = {"shape": "record", "label": "{ " + " | ".join(fields) + " }"}
        if color == "grad":
            attrs.update(style="filled", fillcolor=_grad_fill(grad_of(v), largest))
        if collapse and v in groups:
            attrs.update(style="rounded,filled,bold", fillcolor=attrs.get("fillcolor", "#eef2f7"))
        if frame is not None:
            if v is frame.changed:
                attrs.update(style="filled,bold", fillcolor="#ffe28a", color="#b8860b", penwidth="2")
            elif frame.active is not None and v is frame.active[0]:
                attrs.update(color="#c0392b", penwidth="2")
        container.node(nid, **attrs)
        if v._prev and not (collapse and v in groups):
            container.node(nid + "op", label=str(v._op), shape="ellipse", fontsize="10",
                           width="0.3", height="0.3", margin="0.02")

    # Nodes: inside clusters first (one per layer, one per neuron inside it), then the rest.
    placed: set[Value] = set()
    if cluster and groups:
        layers: dict[str, dict[str, list[Value]]] = {}
        for v in drawn:
            if v in groups:
                layers.setdefault(_owner(groups[v]), {}).setdefault(groups[v], []).append(v)
        for li, (layer, neurons) in enumerate(layers.items()):
            with g.subgraph(name=f"cluster_{li}") as lg:
                lg.attr(label=layer or "model", style="rounded", color="#888888", fontsize="10")
                for ni, (neuron, shown) in enumerate(neurons.items()):
                    if collapse:
                        for v in shown:
                            value_node(lg, v)
                            placed.add(v)
                        continue
                    with lg.subgraph(name=f"cluster_{li}_{ni}") as ng:
                        ng.attr(label=neuron, style="rounded,dashed", color="#aaaaaa", fontsize="9")
                        for v in shown:
                            value_node(ng, v)
                            placed.add(v)
    for v in drawn:
        if v not in placed:
            value_node(g, v)

    # Edges, in the order of each node's parents, so x * x gets two.
    for v in drawn:
        if not v._prev:
            continue
        vid = f"n{index[v]}"
        if collapse and v in groups:  # a collapsed neuron: one edge from each outside input
            sources: dict[Value, None] = {}  # an ordered set: the same input once
            for u in members[groups[v]]:
                for p in u._prev:
                    if groups.get(p) != groups[v]:
                        sources[box[p]] = None
            for b in sources:
                g.edge(f"n{index[b]}", vid)
            continue
        g.edge(vid + "op", vid)
        locals_ = local_numbers(v) if edge_labels else ()
        for i, p in enumerate(v._prev):
            attrs = {}
            if edge_labels and box[p] is p:
                attrs["label"] = f" ∂/∂{wrap_name(names[p])} = {_short(locals_[i])} "
            if frame is not None and frame.active == (v, i):
                attrs.update(color="#c0392b", penwidth="3", fontcolor="#c0392b")
            g.edge(f"n{index[box[p]]}", vid + "op", **attrs)
    return g
