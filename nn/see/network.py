"""A network as people draw one: columns of neurons, and an edge for every weight.

What you can do with it::

    model = nn.MLP(2, [16, 16, 1], seed=0)
    model.draw()                                   # in Jupyter: the picture, inline (SVG)
    nn.draw_network(model, show='grad')            # edges by the weights' gradients (after backward)
    nn.draw_network(model, x=[0.5, -1.0])          # neurons shaded by what they output for one input
    nn.draw_network(model).render(outfile='network.png', cleanup=True)   # or .svg, .pdf

Each layer is a column, headed by its name (``layers.1``) and activation; the
neuron ``i`` of that column is ``layers.1.neurons.i``, and its circle carries
the ``i``. The inputs stand in the first column (``x1``, ``x2``... unless
``input_names`` says otherwise). Every weight is an edge from the input it
multiplies to its neuron: blue for a positive weight, red for a negative one,
wider and deeper for a larger one, all on one scale for the whole network (so
layers can be compared: vanishing gradients show as faint columns of edges).
``show='grad'`` does the same with each weight's gradient. Hovering over an
edge or a neuron in Jupyter names it and gives its numbers, written as every
picture writes them (:func:`autograd.see.text.format_number`).

It draws :class:`nn.Neuron`, :class:`nn.Layer`, :class:`nn.MLP` and any module
whose ``layers`` are ``nn.Layer`` s. The result is a :class:`autograd.see.draw.Graph`
laid out by Graphviz's ``neato`` with every position fixed, so the same model
always gives the same picture.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from autograd import Value, no_grad
from autograd.core.checks import choice
from autograd.core.checks import count as _count
from autograd.core.walk import grad_number
from autograd.see import palette
from autograd.see.text import format_number

from ..module import Layer, Module, Neuron

__all__ = ["draw_network", "network_layers"]

POSITIVE, NEGATIVE, NEUTRAL = palette.POSITIVE, palette.NEGATIVE, palette.NEUTRAL
COLUMN_GAP = 1.6  # inches between columns
ROW_GAP = 0.36  # inches between neurons of a column
RADIUS = 0.15  # a neuron's circle, in inches


def network_layers(model: Any) -> list[tuple[str, str, list[Neuron]]]:
    """``(name, activation, neurons)`` for each layer of ``model``; a TypeError says what can be drawn."""
    if isinstance(model, Neuron):
        return [(model.name or "neuron", model.activation, [model])]
    if isinstance(model, Layer):
        return [(model.name or "layer", model.activation, list(model.neurons))]
    layers = getattr(model, "layers", None)
    if isinstance(model, Module) and isinstance(layers, list) and layers and all(isinstance(x, Layer)
                                                                                 for x in layers):
        return [(x.name or f"layers.{i}", x.activation, list(x.neurons)) for i, x in enumerate(layers)]
    raise TypeError(f"draw_network: model must be an nn.MLP, nn.Layer, nn.Neuron or a module whose layers "
                    f"are nn.Layers, got {type(model).__name__}; {what_draws(model)}")


def what_draws(model: Any) -> str:
    """What draws a module that the network view cannot: the sentence every refused ``draw()`` ends with."""
    if type(model).__name__ == "RNN":
        return ("an RNN is drawn unrolled over a sequence xs: "
                "nn.inspect.draw_unrolled(model, model.unroll(xs))")
    return ("draw the computation graph of one of its outputs instead: "
            "autograd.draw_dot(out, collapse='neuron'), where out is a Value that model(x) returns")


def _shade(value: float, largest: float, alpha: bool = True) -> tuple[str, float]:
    """A colour for a number on a scale up to ``largest`` (its sign's hue, deeper when larger), and t."""
    if largest <= 0 or value == 0 or value != value:
        return (NEUTRAL + "55", 0.0) if alpha else (palette.ZERO_FILL, 0.0)
    t = min(1.0, abs(value) / largest)
    hue = POSITIVE if value > 0 else NEGATIVE
    if alpha:
        return f"{hue}{round(255 * (0.12 + 0.88 * t)):02x}", t
    r, g, b = (int(hue[i: i + 2], 16) for i in (1, 3, 5))
    mix = [round(255 + (c - 255) * (0.15 + 0.6 * t)) for c in (r, g, b)]
    return "#{:02x}{:02x}{:02x}".format(*mix), t


def draw_network(
    model: Module,
    *,
    show: str = "weight",
    x: Sequence[Any] | None = None,
    input_names: Sequence[str] | None = None,
    max_neurons: int = 64,
    format: str = "svg",
    grad_of: str | None = None,
) -> Any:
    """The network view of ``model`` as a Graphviz graph: columns of neurons, edges for weights.

    * ``show='weight'`` colours and sizes each edge by its weight; ``show='grad'`` by the
      weight's gradient (run ``backward()`` first: all-zero gradients are drawn grey).
    * ``x``: one input; each neuron is then shaded by what it outputs for it (blue above
      0, red below), and the outputs are written beside the last column.
    * ``input_names``: the names of the inputs (default ``x1``, ``x2``...).
    * ``max_neurons``: a layer with more neurons raises a ValueError (the picture would be a blur).
    * ``format``: what ``render()`` writes (``'svg'``, ``'png'``, ``'pdf'``...).
    * ``grad_of``: what the gradients (``.grad``, in every tooltip) are the gradients of, written in
      the picture (``'the loss on the 100 training points'``); by default the picture says they are
      of the output of the last ``backward()``, which is all it can know.

    Display it in Jupyter as a cell's last expression, or save it with
    ``.render(outfile='network.png', cleanup=True)``. Needs Graphviz.
    """
    from autograd.see.draw import Graph  # Graphviz's Python package: loaded when a picture is made
    from autograd.see.text import dot_text

    layers = network_layers(model)
    if grad_of is not None and not (isinstance(grad_of, str) and grad_of.strip()):
        raise TypeError(f"draw_network: grad_of must be a non-empty str or None, got {grad_of!r:.40}")
    choice("draw_network", "show", show, ("weight", "grad"))
    max_neurons = _count("draw_network", "max_neurons", max_neurons)
    for name, _, neurons in layers:
        if len(neurons) > max_neurons:
            raise ValueError(f"draw_network: {name} has {len(neurons)} neurons, more than max_neurons="
                             f"{max_neurons}; pass a larger max_neurons to draw it anyway")
    nin = layers[0][2][0].nin
    if input_names is None:
        names = [f"x{i + 1}" for i in range(nin)]
    else:
        unordered = isinstance(input_names, (str, bytes, Mapping, set, frozenset))
        names = list(input_names) if not unordered else []
        if len(names) != nin or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"draw_network: input_names must be {nin} non-empty strings, "
                             f"got {input_names!r:.80}")
    outputs = _outputs(layers, x, nin) if x is not None else None

    grads = {id(p): grad_number(p, "draw_network") for _, _, ns in layers for n in ns for p in n.parameters()}

    def number(p: Value) -> float:
        return grads[id(p)] if show == "grad" else float(p.data)

    largest = max((abs(number(w)) for _, _, ns in layers for n in ns for w in n.w), default=0.0)
    if largest != largest or math.isinf(largest):
        largest = max((abs(number(w)) for _, _, ns in layers for n in ns for w in n.w
                       if math.isfinite(number(w))), default=0.0)
    g = Graph("network", engine="neato", format=format)
    g.attr(splines="false", outputorder="edgesfirst", overlap="true", bgcolor="white", pad="0.2")
    g.attr("node", fontname="Helvetica", fontsize="11", pin="true")
    g.attr("edge", arrowhead="none")
    columns = [names] + [[str(i) for i in range(len(ns))] for _, _, ns in layers]
    tallest = max(len(c) for c in columns)

    def y_of(i: int, n: int) -> float:  # the column centred on y = 0, its first neuron on top
        return -(i - (n - 1) / 2) * ROW_GAP

    top = (tallest - 1) * ROW_GAP / 2 + 0.5
    g.node("head0", label=f"inputs\n{nin} number{'s' if nin != 1 else ''}", shape="plaintext",
           pos=f"0,{top:.3f}!", fontsize="12")
    for i, n in enumerate(names):
        shown = n if outputs is None else f"{n} = {format_number(outputs[0][i])}"
        g.node(f"c0_{i}", label=dot_text(shown), shape="box", style="rounded", fontsize="12", height="0.26",
               width="0.5", margin="0.06,0.01", pos=f"0,{y_of(i, nin):.3f}!", tooltip=dot_text(shown))
    hidden_largest = [max((abs(v) for v in col), default=0.0) for col in outputs[1:]] if outputs else []
    for li, (name, activation, neurons) in enumerate(layers, start=1):
        cx = li * COLUMN_GAP
        count = f"{len(neurons)} neuron{'s' if len(neurons) != 1 else ''}"
        g.node(f"head{li}", label=f"{dot_text(name)} · {activation}\n{count}", shape="plaintext",
               fontsize="12", pos=f"{cx:.3f},{top:.3f}!")
        for j, neuron in enumerate(neurons):
            tip = (f"{name}.neurons.{j}: b = {format_number(neuron.b.data)}, "
                   f"b.grad = {format_number(grads[id(neuron.b)])}")
            attrs = {"label": str(j), "shape": "circle", "width": f"{2 * RADIUS:.2f}", "fixedsize": "true",
                     "fontsize": "10", "style": "filled", "fillcolor": palette.PANEL, "color": palette.MUTED}
            if outputs is not None:
                out = outputs[li][j]
                attrs["fillcolor"] = _shade(out, hidden_largest[li - 1], alpha=False)[0]
                tip += f"; output {format_number(out)}"
                if li == len(layers):
                    attrs["xlabel"] = format_number(out)
            g.node(f"c{li}_{j}", pos=f"{cx:.3f},{y_of(j, len(neurons)):.3f}!", tooltip=dot_text(tip), **attrs)
        edges = []
        for j, neuron in enumerate(neurons):
            for k, w in enumerate(neuron.w):
                edges.append((abs(number(w)) if math.isfinite(number(w)) else 0.0, j, k, w))
        edges.sort(key=lambda e: e[0])  # the strongest edges last, so they are drawn on top
        for _, j, k, w in edges:
            colour, t = _shade(number(w), largest)
            tip = f"{name}.neurons.{j}.w.{k} = {format_number(w.data)}, grad {format_number(grads[id(w)])}"
            g.edge(f"c{li - 1}_{k}", f"c{li}_{j}", color=colour, penwidth=f"{0.3 + 4.2 * t:.2f}",
                   tooltip=dot_text(tip))
    what = "weights w" if show == "weight" else "gradients ∂L/∂w"
    sym = "w" if show == "weight" else "∂L/∂w"
    if largest > 0:
        key = (f"edges: {what}, blue {sym} > 0, red {sym} < 0\n"
               f"wider and deeper for larger |{sym}| (largest {format_number(largest)})")
    else:
        key = f"edges: {what}, all 0" + ("; call backward() first" if show == "grad" else "")
    if outputs is not None:
        key += "\nneurons: shaded by their output for x (blue > 0, red < 0)"
    key += f"\ngrad (in the tooltips): the gradient of {grad_of or 'the output of the last backward()'}"
    bottom = -(tallest - 1) * ROW_GAP / 2 - 0.45
    width = len(layers) * COLUMN_GAP
    g.node("key", label=key, shape="plaintext", fontsize="11", pos=f"{width / 2:.3f},{bottom:.3f}!")
    return g


def _outputs(layers: list[tuple[str, str, list[Neuron]]], x: Sequence[Any], nin: int) -> list[list[float]]:
    """The inputs and every neuron's output for one input ``x``, layer by layer (as floats)."""
    try:
        if isinstance(x, (str, bytes, Mapping, set, frozenset)):  # keys or letters: not the inputs
            raise TypeError
        values = [float(v.data if isinstance(v, Value) else v) for v in x]
        if any(isinstance(v, (str, bytes)) for v in x):
            raise TypeError
    except (TypeError, ValueError):
        raise TypeError(f"draw_network: x must be a list of {nin} numbers, got {x!r:.80}") from None
    if len(values) != nin:
        raise ValueError(f"draw_network: x must hold {nin} numbers (the model's inputs), got {len(values)}")
    columns = [values]
    with no_grad():
        current: list[Any] = values
        for _, _, neurons in layers:
            current = [n(current).data for n in neurons]
            columns.append(current)
    return columns
