"""Draw a Value's computation graph with Graphviz.

What you can do with it::

    L.draw()                                   # in Jupyter: the graph, inline
    draw_dot(L, edge_labels=True)              # each edge carries its local derivative
    draw_dot(L, color='grad')                  # boxes shaded by the sign and size of grad
    draw_dot(loss, collapse='neuron')          # a whole MLP, one box per neuron
    draw_dot(L).render('graph', format='png')  # writes graph.png

Each Value is a box with its name, data and grad, as in micrograd; each
operation is a small oval between its inputs and its result. A Value without a
label is drawn with the short name that ``explain`` and the player call it by
(``a * b``, or a number such as ``v3``: :func:`autograd.see.formula.node_names`), so
every name in a text can be found in the picture; an unnamed constant is its
number. With ``edge_labels=True`` the edge from an input ``a`` into an op reads
``∂/∂a = -3``, joined to its edge by a thin line: the local derivative of that
op's result with respect to that input, taken from the op table, which is the
number ``backward()`` multiplies along that edge. ``x * x`` has two edges, one
per argument. Every number is written by :func:`autograd.see.formula.format_number`,
as in every other tool.

The result is a :class:`Graph`, a ``graphviz.Digraph`` that builds without the
Graphviz ``dot`` program (its ``.source`` is plain DOT text) and, when ``dot``
is missing, says how to install it instead of failing with a bare traceback.
Node ids follow the topological order, so the same graph always gives the same
DOT source.
"""

from __future__ import annotations

import html
import json
import numbers
import re
import subprocess
from dataclasses import dataclass, field
from typing import Any

import graphviz

from ..core.engine import Value
from .formula import (
    check_flags,
    format_number,
    grad_number,
    graph_order,
    local_numbers,
    node_names,
    printable,
    wrap_name,
)

__all__ = ["draw_dot", "check_style", "Graph", "DotNotFoundError", "Highlight", "GRAD_LEGEND", "THEME_CSS",
           "svg_markup", "render_svg", "render_many", "node_sizes", "dot_text"]

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
GRAD_LEGEND = "fill: blue for grad > 0, red for grad < 0, deeper for larger |grad|"


def dot_text(text: str) -> str:
    """Text for a Graphviz label, shown as it is: Graphviz reads ``&amp;`` as ``&`` and ``\\n`` as a line
    break, and the graphviz package takes ``<...>`` for an HTML label, so ``&``, ``<``, ``>`` and ``\\``
    are escaped (the package quotes the rest), and control characters, which DOT cannot hold (a NUL
    ends its text) or SVG drops, are shown as symbols (:func:`autograd.see.formula.printable`)."""
    return printable(text).replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;") \
        .replace(">", "&gt;")


def _too_many(n: int, max_nodes: int, collapse: str | None) -> None:
    hint = "" if collapse else "pass collapse='neuron' to draw each neuron as one box, or "
    raise ValueError(
        f"draw_dot: the graph has {n} values, more than max_nodes={max_nodes}; "
        f"{hint}pass max_nodes=None to draw it anyway (Graphviz may take minutes)"
    )


def _record_escape(text: str) -> str:
    out = printable(text).replace("&", "&amp;")
    for ch in "\\{}|<>\"":
        out = out.replace(ch, "\\" + ch)
    return out


def _natural(name: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that puts ``neurons.2`` before ``neurons.10`` (numbers compared as numbers)."""
    return tuple((1, int(part), "") if part.isdigit() else (0, 0, part) for part in re.split(r"(\d+)", name))


def _grad_fill(g: float, largest: float) -> str:
    """A fill colour for a gradient: blue for positive, red for negative, deeper for larger |g|."""
    if g == 0 or largest == 0 or g != g:
        return "#ffffff"
    t = 0.15 + 0.55 * min(1.0, abs(g) / largest) ** 0.5
    r, gr, b = (0x31, 0x6b, 0xd6) if g > 0 else (0xd6, 0x3b, 0x31)
    mix = [round(255 + (c - 255) * t) for c in (r, gr, b)]
    return "#{:02x}{:02x}{:02x}".format(*mix)


def check_style(where: str, rankdir: Any, color: Any) -> None:
    """The checks of draw_dot's ``rankdir`` and ``color``, for every tool that passes them on."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"{where}: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if color not in (None, "grad"):
        raise ValueError(f"{where}: color must be None or 'grad', got {color!r}")


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
      with edges from its inputs, so that a whole MLP fits on a page; the neurons of a
      layer stand in numerical order. For a network as a picture of neurons and
      weights, see ``nn.draw_network``.
    * ``max_nodes``: a graph with more values than this raises a ValueError instead
      of keeping Graphviz busy for minutes; ``None`` draws any size.
    * ``format``: the file format ``render()`` writes (``'svg'``, ``'png'``, ``'pdf'``...).
    * ``highlight``: a :class:`Highlight`, for one frame of a step-by-step picture.

    Display the result in Jupyter as a cell's last expression, or call
    ``.render('name', format='png')``. Its ``.source`` is the DOT text.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}: {root!r:.80}")
    check_style("draw_dot", rankdir, color)
    if collapse not in (None, "neuron"):
        raise ValueError(f"draw_dot: collapse must be None or 'neuron', got {collapse!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, numbers.Integral)):
        raise TypeError(f"draw_dot: max_nodes must be a positive int or None, got "
                        f"{type(max_nodes).__name__}: {max_nodes!r:.40}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"draw_dot: max_nodes must be a positive int or None, got {max_nodes!r}")
    check_flags("draw_dot", edge_labels=edge_labels, cluster=cluster)
    if not isinstance(format, str):
        raise TypeError(f"draw_dot: format must be a str such as 'svg' or 'png', got {type(format).__name__}")
    if highlight is not None and not isinstance(highlight, Highlight):
        raise TypeError(f"draw_dot: highlight must be a Highlight or None, got {type(highlight).__name__}")
    order = graph_order(root, "draw_dot")
    if max_nodes is not None and not collapse and len(order) > max_nodes:
        _too_many(len(order), max_nodes, collapse)  # before any work that grows with the graph
    frame = highlight
    groups = neuron_groups(order) if (cluster or collapse) else {}
    index = {v: i for i, v in enumerate(order)}
    names = node_names(order)
    if cluster:  # inside a neuron's frame, its name is already written: w.0 for layers.1.neurons.3.w.0
        for v, n in groups.items():
            if v.label.startswith(n + "."):
                names[v] = printable(v.label[len(n) + 1:])

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
        _too_many(len(drawn), max_nodes, collapse)
    grads = frame.grads if frame is not None else {v: grad_number(v, "draw_dot") for v in drawn}

    def grad_of(v: Value) -> float:
        return grads.get(v, 0.0)

    largest = max((abs(grad_of(v)) for v in drawn), default=0.0) if color == "grad" else 0.0
    g = Graph("chainrule", format=format)
    g.attr(rankdir=rankdir)
    g.attr("node", fontname="Helvetica", fontsize="11")
    g.attr("edge", fontname="Helvetica", fontsize="10", color="#555555")
    if collapse:
        g.attr(ordering="out")  # a layer's neurons in the order their edges are written: numerical
    if color == "grad":
        g.attr(label=GRAD_LEGEND, fontname="Helvetica", fontsize="10", labelloc="b")

    def value_node(container: graphviz.Digraph, v: Value) -> None:
        nid = f"n{index[v]}"
        name = names[v] if v.label or v._prev else ""  # an unnamed constant: its number says it all
        if v in groups and collapse:
            name = groups[v]  # a collapsed neuron's box carries the neuron's name
        fields = [] if not name else [_record_escape(name)]
        fields += [f"data {format_number(v.data)}", f"grad {format_number(grad_of(v))}"]
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
            if v in frame.sizes:  # the width only: the number of fields, and so the height, never changes
                attrs.update(width=f"{round(frame.sizes[v][0] * 72) / 72:.5f}")
        container.node(nid, **attrs)
        if v._prev and not (collapse and v in groups):
            container.node(nid + "op", label=dot_text(str(v._op)), shape="ellipse", fontsize="10",
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
                lg.attr(label=dot_text(layer or "model"), style="rounded", color="#888888", fontsize="10")
                for ni, (neuron, shown) in enumerate(neurons.items()):
                    if collapse:
                        for v in shown:
                            value_node(lg, v)
                            placed.add(v)
                        continue
                    with lg.subgraph(name=f"cluster_{li}_{ni}") as ng:
                        ng.attr(label=dot_text(neuron), style="rounded,dashed", color="#aaaaaa", fontsize="9")
                        for v in shown:
                            value_node(ng, v)
                            placed.add(v)
    for v in drawn:
        if v not in placed:
            value_node(g, v)

    # Edges, in the order of each node's parents, so x * x gets two; collapsed neurons in numerical
    # order, which ``ordering=out`` keeps on the page.
    if collapse:
        drawn = sorted(drawn, key=lambda v: (_natural(groups[v]) if v in groups else (), index[v]))
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
            attrs: dict[str, str] = {}
            if edge_labels and box[p] is p:  # decorate: a line joins the label to its own edge
                number = format_number(locals_[i])
                if frame is not None:  # figure spaces are as wide as a digit
                    number += "\u2007" * (frame.digits.get((v, i), 0) - len(number))
                attrs.update(label=f" ∂/∂{dot_text(wrap_name(names[p]))} = {number} ", decorate="true")
            if frame is not None and frame.active == (v, i):
                attrs.update(color="#c0392b", penwidth="3", fontcolor="#c0392b")
            g.edge(f"n{index[box[p]]}", vid + "op", **attrs)
    return g


# --- graphs inside HTML: the player, the explorer, the live training view ------------------


def render_svg(graph: graphviz.Digraph) -> str:
    """Render a graph with ``dot`` (or its own engine) as SVG markup to put inside an HTML page."""
    try:
        out = graph.pipe(format="svg")
    except graphviz.ExecutableNotFound:
        raise DotNotFoundError(["dot"]) from None
    return svg_markup(out.decode("utf-8"))


def render_many(sources: list[str], fmt: str, dpi: float | None = None) -> list[bytes]:
    """Render many DOT graphs (their ``.source``) with one run of ``dot``: one SVG, PNG or JSON each."""
    args = ["dot", f"-T{fmt}"] + ([f"-Gdpi={dpi:g}"] if dpi else [])
    try:
        proc = subprocess.run(args, input="\n".join(sources).encode("utf-8"), capture_output=True,
                              check=False)
    except FileNotFoundError:
        raise DotNotFoundError(["dot"]) from None
    if proc.returncode != 0:
        problem = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise RuntimeError(f"Graphviz's dot failed: {problem[0] if problem else proc.returncode}")
    out = proc.stdout
    split = _split_png if fmt == "png" else _split_json if fmt.startswith("json") else _split_svg
    pieces = split(out)
    if len(pieces) != len(sources):
        raise RuntimeError(f"dot returned {len(pieces)} pictures for {len(sources)} frames")
    return pieces


def _split_svg(data: bytes) -> list[bytes]:
    text = data.decode("utf-8")
    out = []
    for chunk in text.split("<svg")[1:]:
        body = "<svg" + chunk
        out.append(body[: body.rindex("</svg>") + len("</svg>")].encode("utf-8"))
    return out


def _split_json(data: bytes) -> list[bytes]:
    text, decoder, i = data.decode("utf-8"), json.JSONDecoder(), 0
    out: list[bytes] = []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        _, end = decoder.raw_decode(text, i)
        out.append(text[i:end].encode("utf-8"))
        i = end


def _split_png(data: bytes) -> list[bytes]:
    """Cut a stream of PNG files apart at the end of each one's IEND chunk."""
    out, start = [], 0
    while start < len(data):
        end = data.index(b"IEND", start) + 8  # the chunk type, then its 4-byte CRC
        out.append(data[start:end])
        start = end
    return out


def node_sizes(sources: list[str]) -> list[dict[str, tuple[float, float]]]:
    """The size Graphviz gives each node of each graph, in inches, by node id (one ``dot`` run)."""
    out = []
    for layout in render_many(sources, "json0"):
        objects = json.loads(layout).get("objects", [])
        out.append({o["name"]: (float(o["width"]), float(o["height"])) for o in objects if "width" in o})
    return out


def svg_markup(svg: str) -> str:
    """An SVG file's text without the XML prolog, doctype and comments before ``<svg``: HTML-ready."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("svg_markup: expected SVG text containing <svg")
    return svg[start:]


def _theme(dark: bool) -> str:
    names = ("fg", "muted", "bg", "panel", "border", "button", "accent", "error", "positive", "negative")
    light = ("#1f2328", "#57606a", "#ffffff", "#f3f4f6", "#c9d1d9", "#f6f8fa", "#9a4d00", "#b42318",
             "#316bd6", "#d63b31")
    night = ("#e6edf3", "#a8b3bf", "#161b22", "#22272e", "#444c56", "#2d333b", "#ffb454", "#ff8f80",
             "#6fa1ff", "#ff7b72")
    colors = night if dark else light
    return " ".join(f"--cr-{n}: {c};" for n, c in zip(names, colors))


#: The CSS every HTML view of chainrule starts from (class ``cr-ui``): readable text (14 px, no
#: text under 12 px), and light and dark themes that follow JupyterLab's theme, VS Code's, or the
#: browser's ``prefers-color-scheme`` on a page of its own. Graphviz pictures inside ``.cr-graph``
#: keep their colours in the light theme and are shown inverted (hues kept) in the dark one.
THEME_CSS = f"""
.cr-ui {{ {_theme(False)}
  color: var(--cr-fg); background: var(--cr-bg); font-family: Helvetica, Arial, sans-serif;
  font-size: 14px; line-height: 1.45; color-scheme: light; }}
body[data-jp-theme-light="false"] .cr-ui, body.vscode-dark .cr-ui {{ {_theme(True)} color-scheme: dark; }}
body[data-jp-theme-light="false"] .cr-ui .cr-graph svg, body.vscode-dark .cr-ui .cr-graph svg {{
  filter: invert(0.9) hue-rotate(180deg); }}
@media (prefers-color-scheme: dark) {{
  body:not([data-jp-theme-light]):not(.vscode-light) .cr-ui {{ {_theme(True)} color-scheme: dark; }}
  body:not([data-jp-theme-light]):not(.vscode-light) .cr-ui .cr-graph svg {{
    filter: invert(0.9) hue-rotate(180deg); }}
}}
.cr-ui button {{ font: inherit; font-size: 14px; padding: 3px 10px; cursor: pointer; color: var(--cr-fg);
  background: var(--cr-button); border: 1px solid var(--cr-border); border-radius: 4px; }}
.cr-ui button:hover {{ border-color: var(--cr-muted); }}
.cr-ui button:focus-visible, .cr-ui:focus-visible {{ outline: 2px solid var(--cr-accent);
  outline-offset: 1px; }}
.cr-ui .cr-graph {{ overflow: auto; max-height: 75vh; border: 1px solid var(--cr-border);
  border-radius: 6px; background: #ffffff; }}
body[data-jp-theme-light="false"] .cr-ui .cr-graph, body.vscode-dark .cr-ui .cr-graph {{
  background: #191919; }}
@media (prefers-color-scheme: dark) {{
  body:not([data-jp-theme-light]):not(.vscode-light) .cr-ui .cr-graph {{ background: #191919; }}
}}
.cr-ui .cr-graph svg {{ display: block; max-width: none; }}
.cr-ui .cr-mono {{ font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; }}
.cr-ui .cr-muted {{ color: var(--cr-muted); }}
.cr-ui .cr-error {{ color: var(--cr-error); font-weight: bold; }}
"""
