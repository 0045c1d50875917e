"""The benchmark workloads, one implementation per process.

``bench/run.py`` starts this file once per (implementation, workload, round),
each time in a fresh interpreter, and reads the JSON line it prints. It runs
under two different Pythons: the project's own environment for chainrule (and
PyTorch when installed there), and ``bench/.envs/micrograd`` for micrograd 0.1.0,
so it imports nothing from the project at module level and uses the standard
library only.

Every implementation trains the same model on the same data from the same
initial weights: micrograd's demo (two moons, n = 100, ``MLP(2, [16, 16, 1])``
with ReLU, hinge loss plus 1e-4 L2, forward + backward + SGD update per step).

    python bench/workloads.py step  --impl micrograd --steps 3
    python bench/workloads.py memory --impl chainrule
    python bench/workloads.py depth --impl micrograd
    python bench/workloads.py cycle --impl chainrule
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import sys
import time
from typing import Any, Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = [2, 16, 16, 1]
N_POINTS = 100
ALPHA = 1e-4
DATA_SEED = 1
WEIGHT_SEED = 1337


# --- the shared task --------------------------------------------------------------------


def make_moons(n: int = N_POINTS, noise: float = 0.1, seed: int = DATA_SEED) -> tuple[list, list]:
    """Two interleaved half circles with Gaussian noise; labels are -1.0 and +1.0."""
    rng = random.Random(seed)
    n_out = n // 2
    n_in = n - n_out
    pts = [(math.cos(math.pi * i / (n_out - 1)), math.sin(math.pi * i / (n_out - 1)), -1.0)
           for i in range(n_out)]
    pts += [(1 - math.cos(math.pi * i / (n_in - 1)), 0.5 - math.sin(math.pi * i / (n_in - 1)), 1.0)
            for i in range(n_in)]
    rng.shuffle(pts)
    X = [[x + rng.gauss(0, noise), y + rng.gauss(0, noise)] for x, y, _ in pts]
    return X, [label for _, _, label in pts]


def initial_weights(sizes: list[int] = SIZES, seed: int = WEIGHT_SEED) -> list[float]:
    """Weights in micrograd's parameter order: per layer, per neuron, its weights then its bias."""
    rng = random.Random(seed)
    out: list[float] = []
    for nin, nout in zip(sizes, sizes[1:]):
        for _ in range(nout):
            out += [rng.uniform(-1, 1) for _ in range(nin)] + [0.0]
    return out


def demo_step(
    model: Any,
    X: list,
    y: list,
    Value: Callable[[float], Any],
    k: int,
    update: Callable[[Any, float], None] | None = None,
) -> float:
    """One step of micrograd's demo notebook, written once for every scalar engine.

    ``update(model, learning_rate)`` replaces the plain SGD update where an engine needs
    its own (PyTorch updates parameters under ``torch.no_grad()``).
    """
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    if update is not None:
        update(model, learning_rate)
    else:
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    return float(total_loss.data)


# --- models -----------------------------------------------------------------------------


class ScalarMLP:
    """micrograd's MLP over any Value class, neuron for neuron (used where no MLP is at hand).

    ``fused`` makes each neuron one ``dot`` node instead of a chain of ``*`` and ``+``.
    """

    def __init__(self, Value: Any, weights: list[float], sizes: list[int] = SIZES,
                 fused: bool = False, dot: Any = None) -> None:
        it = iter(weights)
        self.layers = []
        for nin, nout in zip(sizes, sizes[1:]):
            self.layers.append([([Value(next(it)) for _ in range(nin)], Value(next(it)))
                                for _ in range(nout)])
        self.fused, self.dot = fused, dot

    def __call__(self, x: list) -> Any:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            if self.fused:
                acts = [self.dot(w, x, b) for w, b in layer]
            else:
                acts = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in layer]
            x = acts if i == last else [a.relu() for a in acts]
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list:
        return [p for layer in self.layers for w, b in layer for p in (*w, b)]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


def _set_weights(model: Any, weights: list[float]) -> None:
    params = model.parameters()
    assert len(params) == len(weights), (len(params), len(weights))
    for p, w in zip(params, weights):
        p.data = w


def _chainrule_model(fused: bool) -> tuple[Any, Any, str]:
    """nn.MLP when the nn package provides it, else the same network built here."""
    sys.path.insert(0, ROOT)
    import autograd

    weights = initial_weights()
    try:
        from nn import MLP  # type: ignore[attr-defined]

        model = MLP(SIZES[0], SIZES[1:], fused=fused)
        _set_weights(model, weights)
        how = "nn.MLP" + ("" if fused else "(fused=False)")
    except (ImportError, TypeError, AssertionError):
        model = ScalarMLP(autograd.Value, weights, fused=fused, dot=autograd.dot)
        how = "autograd.dot neurons" if fused else "elementary neurons"
    return model, autograd.Value, how


def _micrograd_model() -> tuple[Any, Any, str]:
    from micrograd.engine import Value
    from micrograd.nn import MLP

    model = MLP(SIZES[0], SIZES[1:])
    _set_weights(model, initial_weights())
    return model, Value, "micrograd.nn.MLP"


# --- PyTorch (optional) -----------------------------------------------------------------


class TorchScalarMLP:
    """micrograd's network on 0-d tensors: one autograd node per scalar op, as in micrograd."""

    def __init__(self, torch: Any, weights: list[float]) -> None:
        self.torch = torch
        self.inner = ScalarMLP(lambda w: torch.tensor(w, dtype=torch.float64, requires_grad=True), weights)

    def __call__(self, x: list) -> Any:
        return self.inner(x)

    def parameters(self) -> list:
        return self.inner.parameters()

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None


def _torch_scalar_step(torch: Any, model: Any, X: list, y: list, k: int) -> float:
    def value(x: float) -> Any:
        return torch.tensor(x, dtype=torch.float64)

    def update(model: Any, learning_rate: float) -> None:
        with torch.no_grad():
            for p in model.parameters():
                p -= learning_rate * p.grad

    return demo_step(model, X, y, value, k, update)


def _torch_batched(torch: Any, X: list, y: list) -> tuple[Callable[[int], float], list]:
    """The same MLP as matrices: one forward over all 100 points at once."""
    weights = initial_weights()
    params, it = [], iter(weights)
    for nin, nout in zip(SIZES, SIZES[1:]):
        rows = [[next(it) for _ in range(nin + 1)] for _ in range(nout)]
        W = torch.tensor([r[:-1] for r in rows], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([r[-1] for r in rows], dtype=torch.float64, requires_grad=True)
        params += [W, b]
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)

    def step(k: int) -> float:
        h = Xt
        for i in range(0, len(params), 2):
            h = h @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                h = h.relu()
        scores = h[:, 0]
        data_loss = (1 - yt * scores).relu().mean()
        reg_loss = ALPHA * sum((p * p).sum() for p in params)
        total = data_loss + reg_loss
        for p in params:
            p.grad = None
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return float(total.detach())

    return step, params


# --- batch replay (autograd.trace) ------------------------------------------------------


def _trace_step_fn(X: list, y: list) -> Callable[[int], float]:
    """The demo step through the batch replay: record one example's graph, replay it on all 100."""
    import numpy as np

    model, _, _ = _chainrule_model(fused=True)
    from autograd.replay import trace

    tape = trace(model, 2)
    params = model.parameters()
    Xa, ya = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    n = len(ya)

    def step(k: int) -> float:
        scores = np.asarray(tape(Xa), dtype=float).reshape(n)
        margins = 1.0 - ya * scores
        data_loss = float(np.maximum(margins, 0.0).sum()) * (1.0 / n)
        pdata = np.fromiter((p.data for p in params), float, len(params))
        total = data_loss + ALPHA * float(pdata @ pdata)
        model.zero_grad()
        tape.backward(np.where(margins > 0, -ya, 0.0) * (1.0 / n))
        lr = 1.0 - 0.9 * k / 100
        for p, w in zip(params, pdata):
            p.data -= lr * (p.grad + 2 * ALPHA * w)
        return total

    return step


# --- workloads --------------------------------------------------------------------------


def make_stepper(impl: str) -> tuple[Callable[[int], float], str]:
    """A function running demo step k, and a note saying which model code it uses."""
    X, y = make_moons()
    if impl == "micrograd":
        model, Value, how = _micrograd_model()
        return (lambda k: demo_step(model, X, y, Value, k)), how
    if impl in ("chainrule", "chainrule-elementary"):
        model, Value, how = _chainrule_model(fused=impl == "chainrule")
        return (lambda k: demo_step(model, X, y, Value, k)), how
    if impl in ("chainrule-paused", "chainrule-elementary-paused"):
        # The same step with the cyclic collector paused around the whole step, as a
        # training loop may choose to do (the graph has no cycles, so nothing leaks).
        model, Value, how = _chainrule_model(fused=impl == "chainrule-paused")
        from autograd.engine import gc_paused

        def paused(k: int) -> float:
            with gc_paused():
                return demo_step(model, X, y, Value, k)

        return paused, how
    if impl == "chainrule-trace":
        return _trace_step_fn(X, y), "autograd.trace of the fused MLP, replayed on the batch"
    if impl in ("torch-scalar", "torch-batched"):
        import warnings

        warnings.filterwarnings("ignore", message="Failed to initialize NumPy")  # not needed here
        import torch

        torch.set_num_threads(1)
        if impl == "torch-batched":
            return _torch_batched(torch, X, y)[0], f"torch {torch.__version__}, float64, 1 thread"
        tmodel = TorchScalarMLP(torch, initial_weights())
        how = f"torch {torch.__version__} 0-d tensors"
        return (lambda k: _torch_scalar_step(torch, tmodel, X, y, k)), how
    raise SystemExit(f"unknown implementation {impl!r}")


def run_steps(impl: str, steps: int, warmup: int) -> dict:
    """Time ``steps`` consecutive demo steps (after ``warmup`` untimed ones), garbage collector as is."""
    step, how = make_stepper(impl)
    times, cpu, losses = [], [], []
    for k in range(warmup + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = step(k)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        losses.append(loss)
        if k >= warmup:
            times.append(dt)
            cpu.append(dc)
    return {"times": times, "cpu": cpu, "losses": losses, "how": how, "gc_enabled": gc.isenabled()}


def _value_class(impl: str) -> Any:
    if impl == "micrograd":
        from micrograd.engine import Value
    else:
        sys.path.insert(0, ROOT)
        from autograd import Value
    return Value


def addition_chain(Value: Any, n: int) -> Any:
    """``x + 1.0`` n times: n additions, each with its constant wrapped as a Value (2n + 1 nodes)."""
    x = Value(0.0)
    for _ in range(n):
        x = x + 1.0
    return x


def run_memory(impl: str, n: int) -> dict:
    """Bytes the graph of an addition chain holds, per node and per addition (tracemalloc)."""
    import tracemalloc

    Value = _value_class(impl)
    gc.disable()  # nothing is collected while we count; the chain is built the same either way
    addition_chain(Value, 10)  # warm up caches and free lists outside the measurement
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    x = addition_chain(Value, n)
    graph = tracemalloc.get_traced_memory()[0] - base
    try:
        x.backward()
        after_backward: float | None = (tracemalloc.get_traced_memory()[0] - base) / (2 * n + 1)
    except RecursionError:  # micrograd cannot differentiate a chain this deep
        after_backward = None
    tracemalloc.stop()
    nodes = 2 * n + 1
    return {"n_additions": n, "nodes": nodes, "graph_bytes": graph,
            "bytes_per_node": graph / nodes, "bytes_per_addition": graph / n,
            "bytes_per_node_after_backward": after_backward}


def _deep_backward_ok(Value: Any, depth: int) -> bool:
    x = addition_chain(Value, depth)
    try:
        x.backward()
        return True
    except RecursionError:
        return False


def run_depth(impl: str, limit: int) -> dict:
    """The deepest addition chain whose backward works, by bisection up to ``limit`` additions."""
    Value = _value_class(impl)
    lo, hi = 0, 64  # grow until a depth fails (or the limit works), then bisect: lo works, hi fails
    while _deep_backward_ok(Value, hi):
        if hi >= limit:
            return {"deepest": limit, "bound": True, "recursionlimit": sys.getrecursionlimit()}
        lo, hi = hi, min(4 * hi, limit)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _deep_backward_ok(Value, mid) else (lo, mid)
    return {"deepest": lo, "bound": False, "recursionlimit": sys.getrecursionlimit()}


def run_chain_time(impl: str, n: int, repeats: int) -> dict:
    """CPU seconds per node of ``backward()`` on an n-addition chain, and of building it (medians)."""
    Value = _value_class(impl)
    build, backward = [], []
    for _ in range(repeats):
        t0 = time.process_time()
        x = addition_chain(Value, n)
        t1 = time.process_time()
        x.backward()
        backward.append(time.process_time() - t1)
        build.append(t1 - t0)
        del x
    nodes = 2 * n + 1
    return {"n_additions": n, "nodes": nodes,
            "backward_per_node": sorted(backward)[len(backward) // 2] / nodes,
            "build_per_node": sorted(build)[len(build) // 2] / nodes}


def run_profile(impl: str, steps: int) -> dict:
    """Where a chainrule demo step's CPU time goes: median milliseconds per phase.

    The phases are the model's forward pass, the loss, ``backward()``'s two
    parts (the topological walk, which also resets the inner gradients, and the
    chain rule), and the update. ``gc`` is the time the cyclic collector ran,
    whichever phase it interrupted (the phases include it).
    """
    sys.path.insert(0, ROOT)
    from autograd.engine import _run, gc_paused, topological_order  # the two halves of backward()

    X, y = make_moons()
    model, Value, how = _chainrule_model(fused=impl == "chainrule")
    clock = time.process_time
    gc_time = [0.0, 0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_time[1] = clock()
        else:
            gc_time[0] += clock() - gc_time[1]

    names = ["forward", "loss", "walk", "chain rule", "update", "gc", "step"]
    phases: dict[str, list[float]] = {k: [] for k in names}
    gc.callbacks.append(on_gc)
    for k in range(steps + 1):
        gc_time[0] = 0.0
        t0 = clock()
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        t1 = clock()
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in model.parameters())
        model.zero_grad()
        t2 = clock()
        with gc_paused():  # as backward() does
            order = topological_order(total, reset=True)
            t3 = clock()
            _run(total, order, False)
        t4 = clock()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        t5 = clock()
        del order, total, losses, scores, inputs
        if k:  # the first step warms up
            for name, dt in zip(names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, gc_time[0], t5 - t0)):
                phases[name].append(dt)
    gc.callbacks.remove(on_gc)
    return {"how": how, "ms": {k: 1e3 * sorted(v)[len(v) // 2] for k, v in phases.items()}}


def run_cycle(impl: str) -> dict:
    """Does dropping a demo step's loss free its graph without the cyclic collector?

    With the collector off, build one step's graph, run backward, drop it, and
    ask the collector how many unreachable objects it finds (0 means reference
    counting freed everything) and how much memory stays allocated.
    """
    import tracemalloc

    X, y = make_moons()
    model, Value, how = _micrograd_model() if impl == "micrograd" else _chainrule_model(fused=False)

    def loss() -> Any:
        inputs = [list(map(Value, xrow)) for xrow in X]
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, map(model, inputs))]
        return sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in model.parameters())

    loss().backward()  # a first step outside the measurement: parameter grads, caches
    gc.collect()
    gc.disable()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    total = loss()
    total.backward()
    graph = tracemalloc.get_traced_memory()[0] - base
    del total
    left = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    found = gc.collect()
    gc.enable()
    return {"graph_bytes": graph, "bytes_left_after_drop": left, "unreachable_found_by_gc": found,
            "nodes": count_nodes(loss()), "how": how}


def count_nodes(root: Any) -> int:
    """How many Values a graph holds (any engine whose nodes list their parents in ``_prev``)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", choices=["step", "memory", "depth", "chain", "cycle", "profile"])
    ap.add_argument("--impl", required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    if a.workload == "step":
        result = run_steps(a.impl, a.steps, a.warmup)
    elif a.workload == "memory":
        result = run_memory(a.impl, a.n)
    elif a.workload == "depth":
        result = run_depth(a.impl, a.n)
    elif a.workload == "chain":
        result = run_chain_time(a.impl, a.n, a.repeats)
    elif a.workload == "profile":
        result = run_profile(a.impl, a.steps)
    else:
        result = run_cycle(a.impl)
    result.update(impl=a.impl, workload=a.workload, python=sys.version.split()[0])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
