"""The per-node floor: what the least Python code doing an engine's work costs, beside chainrule.

``bench/run.py`` runs this file in a fresh process; it prints one JSON line. Each
measurement builds or walks N nodes (or dot edges) and reports CPU nanoseconds per
node (per edge), the median over ``--repeats`` rounds; within a round the plain-Python
floor and chainrule's public counterpart alternate, in the same interpreter.

The floor is minimal plain Python, no checks, no op table, no hooks:

* ``object``: a 5-field slotted object (data, grad, parents, op, label) made by its
  ``__init__`` and kept alive, as a graph keeps its nodes; with the collector on and off;
* ``mul node``: ``y = mul(y, x)``, a function that makes such an object with the
  product and its parents tuple ``(a, b)``; on and off;
* ``chain-rule step``: for each node, children first, ``a.grad += g * b.data`` and
  ``b.grad += g * a.data``: the two edges of a multiply (collector off, as ``backward()``
  pauses it);
* ``walk``: a set-based iterative depth-first walk that lists the nodes parents first
  (what a topological sort costs per node; collector off too);
* ``dot forward`` / ``dot backward``: one node for ``sum(w_i * x_i) + b`` over 1,000
  edges, reading each ``.data``; its backward adds ``g * x_i`` to ``w_i.grad`` and
  ``g * w_i`` to ``x_i.grad``; per edge.

chainrule's counterparts, through public calls: ``Value(1.0)``; ``y = y * x``;
``y.backward()`` on that chain (the walk and the chain rule together, whatever the
engine does inside); ``autograd.dot(ws, xs, b)`` and its ``backward()``.

With ``--graph`` the same file, instead, counts the nodes and dot edges of one demo
step's graph (``nn.MLP`` and ``nn.MLP(fused=False)``), so that ``run.py`` can turn
these floors into a floor for the whole step, and measures the bytes per node of plain
layouts and of ``autograd.Value``: numbers that do not change from process to process,
so ``run.py`` asks for them once.

    python bench/floor.py [-n 100000] [--repeats 5] [--graph]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from typing import Any, Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOT_EDGES = 1000


class Node:
    """The least a graph node can be: five slots, set by ``__init__``."""

    __slots__ = ("data", "grad", "prev", "op", "label")

    def __init__(self, data: float, grad: float, prev: tuple, op: str, label: str) -> None:
        self.data = data
        self.grad = grad
        self.prev = prev
        self.op = op
        self.label = label


class NodeWithDict(Node):
    """Node with room for free attributes (``v.name = ...``), as ``autograd.Value`` has."""

    __slots__ = ("__dict__",)


class NodeTwoParents:
    """Node with its parents in two slots instead of a tuple, and no ``__dict__``."""

    __slots__ = ("data", "grad", "a", "b", "op", "label")

    def __init__(self, data: float, a: Any, b: Any) -> None:
        self.data, self.grad, self.a, self.b, self.op, self.label = data, 0.0, a, b, "", ""


def node_bytes(n: int) -> dict[str, float]:
    """tracemalloc's bytes per node of ``y = y + x`` built n times from each layout above, and by
    ``autograd.Value``: what a node costs in memory, and what each design choice adds."""
    import tracemalloc

    import autograd

    builds: dict[str, Callable[[Any, Any], Any]] = {
        "slots + parents tuple": lambda y, x: Node(y.data + x.data, 0.0, (y, x), "+", ""),
        "slots + __dict__ + parents tuple": lambda y, x: NodeWithDict(y.data + x.data, 0.0, (y, x), "+", ""),
        "slots, two parent slots": lambda y, x: NodeTwoParents(y.data + x.data, y, x),
        "autograd.Value": lambda y, x: y + x,
    }
    out = {}
    gc.disable()
    try:
        for name, add in builds.items():
            leaf: Callable[[float], Any] = autograd.Value
            if name.startswith("slots,"):
                leaf = lambda v: NodeTwoParents(v, None, None)  # noqa: E731
            elif name.startswith("slots"):
                leaf = lambda v: Node(v, 0.0, (), "", "")  # noqa: E731
            x = y = leaf(1.0)
            for _ in range(10):
                y = add(y, x)
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            y = leaf(0.0)
            for _ in range(n):
                y = add(y, x)
            out[name] = (tracemalloc.get_traced_memory()[0] - base) / n
            tracemalloc.stop()
            del y
    finally:
        gc.enable()
    return out


def mul(a: Node, b: Node) -> Node:
    return Node(a.data * b.data, 0.0, (a, b), "*", "")


def chain_step(nodes: list[Node]) -> None:
    """The chain rule over a multiply chain, children first: two edges per node."""
    for v in reversed(nodes):
        g = v.grad
        a, b = v.prev
        a.grad += g * b.data
        b.grad += g * a.data


def walk(root: Node) -> list[Node]:
    """Every node ``root`` depends on, parents first: a set of seen nodes and an explicit stack."""
    order: list[Node] = []
    seen = {root}
    stack, parents = [root], [iter(root.prev)]
    while stack:
        for p in parents[-1]:
            if p not in seen:
                seen.add(p)
                stack.append(p)
                parents.append(iter(p.prev))
                break
        else:
            parents.pop()
            order.append(stack.pop())
    return order


def plain_dot(ws: list[Node], xs: list[Node], b: Node) -> Node:
    return Node(sum([w.data * x.data for w, x in zip(ws, xs)], b.data), 0.0, (*ws, *xs, b), "dot", "")


def plain_dot_backward(out: Node, ws: list[Node], xs: list[Node], b: Node) -> None:
    g = out.grad
    for w, x in zip(ws, xs):
        w.grad += g * x.data
        x.grad += g * w.data
    b.grad += g


def build_dots(dot: Callable[[list, list, Any], Any], ws: list, xs: list, b: Any, k: int) -> list:
    """``k`` dot nodes over the same weights and inputs: ``plain_dot``'s, or ``autograd.dot``'s."""
    return [dot(ws, xs, b) for _ in range(k)]


def plain_dots_backward(dots: list[Node], ws: list[Node], xs: list[Node], b: Node) -> None:
    for d in dots:
        plain_dot_backward(d, ws, xs, b)


def backward_each(outs: list[Any]) -> None:
    for out in outs:
        out.backward()


# --- the measurements: each returns CPU seconds for its n units --------------------------------


def _timed(fn: Callable[..., Any], gc_on: bool, *args: Any) -> tuple[float, Any]:
    """CPU seconds of ``fn(*args)`` (after a full collection) with the collector on or off, and its result."""
    gc.collect()
    was = gc.isenabled()
    if not gc_on:
        gc.disable()
    try:
        t0 = time.process_time()
        out = fn(*args)
        return time.process_time() - t0, out
    finally:
        if was:
            gc.enable()


def floor_objects(n: int, gc_on: bool) -> float:
    def build() -> list[Node]:
        keep = []
        for _ in range(n):
            keep.append(Node(1.0, 0.0, (), "", ""))
        return keep
    return _timed(build, gc_on)[0]


def engine_leaves(Value: Any, n: int, gc_on: bool) -> float:
    def build() -> list[Any]:
        keep = []
        for _ in range(n):
            keep.append(Value(1.0))
        return keep
    return _timed(build, gc_on)[0]


def floor_mul_chain(n: int, gc_on: bool) -> tuple[float, list[Node]]:
    def build() -> list[Node]:
        x, y = Node(1.0, 0.0, (), "", ""), Node(1.0, 0.0, (), "", "")
        nodes = []
        for _ in range(n):
            y = mul(y, x)
            nodes.append(y)
        return nodes
    return _timed(build, gc_on)


def engine_mul_chain(Value: Any, n: int, gc_on: bool) -> tuple[float, Any]:
    def build() -> Any:
        x, y = Value(1.0), Value(1.0)
        for _ in range(n):
            y = y * x
        return y
    return _timed(build, gc_on)


def measure(n: int, repeats: int) -> dict[str, list[float]]:
    """Every measurement ``repeats`` times, floor and engine alternating; ns per node or edge."""
    sys.path.insert(0, ROOT)
    import autograd

    Value = autograd.Value
    out: dict[str, list[float]] = {}

    def put(name: str, seconds: float, units: int) -> None:
        out.setdefault(name, []).append(seconds / units * 1e9)

    n_dots = max(1, n // DOT_EDGES)
    for _ in range(repeats):
        for gc_on, tag in ((True, "on"), (False, "off")):
            put(f"floor object gc {tag}", floor_objects(n, gc_on), n)
            put(f"engine leaf gc {tag}", engine_leaves(Value, n, gc_on), n)
            t, nodes = floor_mul_chain(n, gc_on)
            put(f"floor mul gc {tag}", t, n)
            del nodes
            t, y = engine_mul_chain(Value, n, gc_on)
            put(f"engine mul gc {tag}", t, n)
            del y
        # backward of a multiply chain: the floor's two halves apart, the engine's backward() whole;
        # the collector off for the floor, as backward() pauses it
        _, nodes = floor_mul_chain(n, True)
        nodes[-1].grad = 1.0
        put("floor walk", _timed(walk, False, nodes[-1])[0], n)
        put("floor chain step", _timed(chain_step, False, nodes)[0], n)
        del nodes
        _, y = engine_mul_chain(Value, n, True)
        put("engine backward", _timed(y.backward, True)[0], n)
        del y
        # a dot of 1,000 edges, n_dots times over the same weights and inputs
        ws = [Node(0.5, 0.0, (), "", "") for _ in range(DOT_EDGES)]
        xs = [Node(0.25, 0.0, (), "", "") for _ in range(DOT_EDGES)]
        b = Node(0.0, 0.0, (), "", "")
        t, pdots = _timed(build_dots, True, plain_dot, ws, xs, b, n_dots)
        put("floor dot forward", t, n_dots * DOT_EDGES)
        for d in pdots:
            d.grad = 1.0
        put("floor dot backward", _timed(plain_dots_backward, True, pdots, ws, xs, b)[0], n_dots * DOT_EDGES)
        del pdots
        vws, vxs, vb = [Value(0.5) for _ in ws], [Value(0.25) for _ in xs], Value(0.0)
        t, vdots = _timed(build_dots, True, autograd.dot, vws, vxs, vb, n_dots)
        put("engine dot forward", t, n_dots * DOT_EDGES)
        put("engine dot backward", _timed(backward_each, True, vdots)[0], n_dots * DOT_EDGES)
        del vdots
    return out


def demo_graph_counts() -> dict[str, dict[str, int]]:
    """Nodes and dot edges of one demo step's graph (loss included), fused and elementary."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import workloads

    X, y = workloads.make_moons()
    counts = {}
    for impl in ("chainrule", "chainrule-elementary"):
        model, Value, _ = workloads.scalar_model(impl)
        nodes = workloads.graph_nodes(workloads.demo_loss(model, X, y, Value))
        leaves = sum(1 for v in nodes if not v._prev)
        dot_nodes = [v for v in nodes if v._prev and str(v._op) == "dot"]
        counts[impl] = {"nodes": len(nodes), "leaves": leaves, "parameters": len(model.parameters()),
                        "other_nodes": len(nodes) - leaves - len(dot_nodes),
                        "dot_nodes": len(dot_nodes), "dot_edges": sum(len(v._prev) for v in dot_nodes)}
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100_000, help="nodes per measurement")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--graph", action="store_true",
                    help="not the timings: the demo graph's counts and the bytes per node of each layout")
    a = ap.parse_args()
    if a.graph:
        result = {"demo_graph": demo_graph_counts(), "bytes": node_bytes(a.n)}
    else:
        ns = measure(a.n, a.repeats)
        result = {"ns": {k: statistics.median(v) for k, v in ns.items()}, "n": a.n, "repeats": a.repeats}
    print(json.dumps(result | {"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
