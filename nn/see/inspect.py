"""Looking inside a network's gradients, one layer (or one time step) at a time.

What you can do with it::

    loss = nn.losses.mse([model(x) for x in X], y)
    for layer in nn.inspect.layer_gradients(model, loss):
        layer.name, layer.W, layer.dW, layer.db     # rows of W and dL/dW belong to neurons
        layer.delta                                 # dL/dz: one vector per example (per time step)

    run = rnn.unroll(sequence); loss = (run.outputs[0] - target) ** 2; loss.backward()
    nn.inspect.draw_unrolled(rnn, run, loss)        # the unrolled graph, one box per time step

The engine holds one gradient per scalar; a layer's gradients are matrices. ``layer_gradients``
gathers them into the shapes of the textbook equations: ``dW[i][j] = dL/dW_ij`` with row i the
i-th neuron, ``db[i] = dL/db_i``, and ``delta = dL/dz``, the gradient with respect to the layer's
weighted sums ``z = W a + b``, found in the graph of the loss (every ``nn`` neuron labels its
output with its name). For one example ``dW`` is ``delta`` times the layer's input, as an outer
product, and ``db`` is ``delta``; for a batch each is the sum of those over the examples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from autograd import Value, grad
from autograd.core.walk import grad_number, graph_order
from autograd.see import palette
from autograd.see.text import format_number

from ..blocks import RNN, RNNCell, Unrolled
from ..module import Layer, Module, Neuron

__all__ = ["LayerGradients", "layer_gradients", "dense_layers", "draw_unrolled"]


@dataclass
class LayerGradients:
    """One dense layer's numbers and gradients as matrices (lists of rows, one row per neuron).

    ``W``, ``b``: the weights and biases; ``dW``, ``db``: dL/dW and dL/db. ``z``, ``a`` and
    ``delta``: one vector per pass through the layer (an example of a batch, a step of an RNN),
    the weighted sums, the activations and dL/dz; empty when no loss was given.
    """

    name: str
    W: list[list[float]]
    b: list[float]
    dW: list[list[float]]
    db: list[float]
    z: list[list[float]]
    a: list[list[float]]
    delta: list[list[float]]

    def __repr__(self) -> str:
        rows, cols = len(self.W), len(self.W[0]) if self.W else 0
        return f"<LayerGradients {self.name or 'layer'}: W {rows}x{cols}, {len(self.delta)} passes>"


@dataclass
class _Dense:
    name: str
    rows: list[list[Value]]
    biases: list[Value]
    labels: list[str]
    linear: bool


def _dense(module: Module) -> _Dense | None:
    """The weights of a dense layer, if ``module`` is one (a Layer, a lone Neuron, an RNNCell)."""
    if isinstance(module, Layer):
        ns = module.neurons
        return _Dense(module.name, [n.w for n in ns], [n.b for n in ns], [n.name or "out" for n in ns],
                      module.activation == "linear")
    if isinstance(module, Neuron):
        return _Dense(module.name, [module.w], [module.b], [module.name or "out"],
                      module.activation == "linear")
    if isinstance(module, RNNCell):
        prefix = module.name + "." if module.name else ""
        return _Dense(module.name, [wx + wh for wx, wh in zip(module.wx, module.wh)], list(module.b),
                      [f"{prefix}neurons.{i}" for i in range(module.nhidden)], module.activation == "linear")
    return None


def dense_layers(model: Module) -> list[Module]:
    """Every dense layer inside ``model`` (``nn.Layer``, a lone ``nn.Neuron``, ``RNNCell``), in forward order.

    Containers (``MLP``, ``Sequential``, ``Residual``, ``RNN``) are opened; normalisation layers
    have no weight matrix and are left out.
    """
    if not isinstance(model, Module):
        raise TypeError(f"dense_layers: model must be an nn module, got {type(model).__name__}")
    found: list[Module] = []
    stack = [model]  # an explicit stack, children pushed in reverse so they come out in order
    while stack:
        m = stack.pop()
        if _dense(m) is not None:
            found.append(m)
        else:
            stack.extend(reversed([child for _, child in m.children()]))
    return found


def layer_gradients(model: Module, output: Value | None = None) -> list[LayerGradients]:
    """Each dense layer of ``model`` with its gradients as matrices: see :class:`LayerGradients`.

    With ``output`` (the loss), every gradient is d output / d ... computed afresh by one backward
    sweep (``autograd.grad``: the ``.grad`` fields are left alone), and ``z``, ``a`` and ``delta`` are
    read from output's graph: one vector per pass through the layer, in the order the graph
    reaches them (examples in the order the loss adds them up, time steps in order). A neuron
    whose output does not reach ``output`` has delta 0 there. Without ``output``, ``dW`` and
    ``db`` are the parameters' current ``.grad`` (from your last ``backward()``).
    """
    if output is not None and not isinstance(output, Value):
        raise TypeError(f"layer_gradients: output must be a Value (the loss) or None, got "
                        f"{type(output).__name__}")
    layers = [(m, _dense(m)) for m in dense_layers(model)]
    passes: list[list[list[Value | None]]] = []  # per layer, per pass, per neuron: its output node
    if output is not None:
        where = {}
        for k, (_, d) in enumerate(layers):
            assert d is not None
            for i, label in enumerate(d.labels):
                where[label] = (k, i)
        found: list[list[list[Value]]] = [[[] for _ in d.labels] for _, d in layers if d is not None]
        for v in graph_order(output, "layer_gradients"):
            spot = where.get(v.label) if v._prev else None
            if spot is not None:
                found[spot[0]][spot[1]].append(v)
        for per_neuron in found:
            count = max(map(len, per_neuron), default=0)
            passes.append([[outs[p] if p < len(outs) else None for outs in per_neuron] for p in range(count)])
    params = [p for _, d in layers if d is not None for row in d.rows for p in row] + \
        [p for _, d in layers if d is not None for p in d.biases]
    zs: list[Value] = []
    if output is not None:
        for k, (_, d) in enumerate(layers):
            assert d is not None
            for outs in passes[k]:
                zs += [_pre_activation(v, d.linear) for v in outs if v is not None]
        grads = grad(output, params + zs)
    else:
        grads = [grad_number(p, "layer_gradients") for p in params]
    g_of = dict(zip(map(id, params + zs), grads))
    result = []
    for k, (_, d) in enumerate(layers):
        assert d is not None
        z: list[list[float]] = []
        a: list[list[float]] = []
        delta: list[list[float]] = []
        for outs in passes[k] if output is not None else []:
            pre = [_pre_activation(v, d.linear) if v is not None else None for v in outs]
            z.append([p.data if p is not None else math.nan for p in pre])
            a.append([v.data if v is not None else math.nan for v in outs])
            delta.append([float(g_of[id(p)]) if p is not None else 0.0 for p in pre])
        result.append(LayerGradients(
            name=d.name, W=[[w.data for w in row] for row in d.rows], b=[p.data for p in d.biases],
            dW=[[float(g_of[id(w)]) for w in row] for row in d.rows],
            db=[float(g_of[id(p)]) for p in d.biases],
            z=z, a=a, delta=delta))
    return result


def _pre_activation(out: Value, linear: bool) -> Value:
    """The weighted sum z behind a neuron's output a = activation(z) (a itself when linear)."""
    return out if linear else out._prev[0]


# --- the unrolled graph of a recurrent network, one box per time step ------------------------


def _fill(g: float, largest: float) -> str:
    """A blue as deep as g is large on a log scale: six decades below the largest is white."""
    if not g > 0 or not largest > 0:
        return palette.WHITE
    t = max(0.0, min(1.0, 1 + math.log10(g / largest) / 6))
    return palette.mix(palette.BLUE, 0.08 + 0.62 * t)


def _norm(vs: list[Value], what: str = "grad") -> float:
    """The L2 norm of the Values' grads (or data), without overflow (math.hypot), as a float."""
    return math.hypot(*[grad_number(v, "draw_unrolled") if what == "grad" else float(v.data) for v in vs])


def draw_unrolled(model: RNN, run: Unrolled, loss: Value | None = None, format: str = "svg") -> Any:
    """The graph of ``run`` (from ``model.unroll``) drawn collapsed: one box per time step.

    Each box shows the step's input, the size of its hidden state ``|h_t|`` and, after
    ``backward()``, the size of the gradient reaching it, ``|dL/dh_t|``, shaded blue on a log
    scale (white: six decades below the largest), so a gradient that vanishes with distance
    fades to the left. Solid arrows carry ``h_{t-1}`` into step t (through ``W_h``); a dashed red
    one marks where ``bptt_steps`` cut the graph. The cell's weights are drawn once, with dotted
    arrows to every step: the same Values serve each step, so their gradient is the sum over the
    steps. Returns an ``autograd.see.draw.Graph`` (shown inline in Jupyter; ``.render(...)`` writes a
    file). Needs Graphviz, as ``draw_dot`` does.
    """
    if not isinstance(model, RNN):
        raise TypeError(f"draw_unrolled: model must be an nn.RNN, got {type(model).__name__}")
    if not isinstance(run, Unrolled):
        raise TypeError(f"draw_unrolled: run must be what model.unroll(...) returns, got "
                        f"{type(run).__name__}")
    if loss is not None and not isinstance(loss, Value):
        raise TypeError(f"draw_unrolled: loss must be a Value or None, got {type(loss).__name__}")
    from autograd.see.draw import Graph  # Graphviz is needed only here

    g = Graph("unrolled", format=format)
    g.attr(rankdir="LR", nodesep="0.25", ranksep="0.35")
    g.attr("node", fontname="Helvetica", fontsize="10", shape="record")
    g.attr("edge", fontname="Helvetica", fontsize="9", color=palette.LINE)
    norms = run.grad_norms()
    largest = max(norms, default=0.0)
    g.node("h0", label="h0 | 0", style="rounded")
    for t, (x, h, gn) in enumerate(zip(run.inputs, run.hidden, norms), 1):
        xs = ", ".join(format_number(v.data) for v in x[:3]) + (", ..." if len(x) > 3 else "")
        # in a left-to-right graph a record's fields stack vertically (braces would lay them flat)
        g.node(f"h{t}", label=f"step {t} | x = {xs} | \\|h\\| = {format_number(_norm(h, 'data'))} | "
                              f"\\|dL/dh\\| = {format_number(gn)}",
               style="rounded,filled", fillcolor=_fill(gn, largest))
        if t == run.cut:
            g.edge(f"h{t - 1}", f"h{t}", label=" cut: a constant ", style="dashed", color=palette.HIGHLIGHT,
                   fontcolor=palette.HIGHLIGHT)
        else:
            g.edge(f"h{t - 1}", f"h{t}", label=" W_h " if t == 1 else "")
    cell = model.cell
    wx = [w for row in cell.wx for w in row]
    wh = [w for row in cell.wh for w in row]
    g.node("cell", label=f"{cell.name or 'cell'}: shared by every step | "
                         f"\\|dL/dW_x\\| = {format_number(_norm(wx))} | "
                         f"\\|dL/dW_h\\| = {format_number(_norm(wh))} | "
                         f"\\|dL/db\\| = {format_number(_norm(cell.b))}",
           style="filled", fillcolor=palette.PANEL)
    with g.subgraph() as same:  # the shared weights sit beside the first step
        same.attr(rank="same")
        same.node("cell")
        same.node("h0")
    for t in range(1, run.steps + 1):
        g.edge("cell", f"h{t}", style="dotted", color=palette.FAINT, arrowsize="0.5", constraint="false")
    outs = ", ".join(format_number(v.data) for v in run.outputs)
    g.node("y", label=f"{model.readout.name or 'readout'} | y = {outs} | \\|dL/dy\\| = "
                      f"{format_number(_norm(run.outputs))}", style="rounded")
    g.edge(f"h{run.steps}", "y")
    if loss is not None:
        g.node("L", label=f"loss | {format_number(loss.data)}", style="rounded,bold")
        g.edge("y", "L")
    return g
