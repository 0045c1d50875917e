"""The benchmark workloads of micrograd's demo, one implementation per process.

``bench/run.py`` starts this file once per (implementation, workload, round),
each time in a fresh interpreter, and reads the JSON line it prints. It runs
under several Pythons: the project's own environment for chainrule (and
PyTorch), ``bench/.envs/micrograd*`` for micrograd 0.1.0, and other CPython
versions running chainrule straight from the source tree; so it imports nothing
from the project at module level and uses the standard library only.

Every implementation trains the same model on the same data from the same
initial weights: micrograd's demo (two moons, n = 100, ``MLP(2, [16, 16, 1])``
with ReLU, hinge loss plus 1e-4 L2, forward + backward + SGD update per step).

    python bench/workloads.py step --impl micrograd --steps 3 [--gc off]
    python bench/workloads.py memory --impl chainrule
    python bench/workloads.py drop --impl chainrule --gc off
    python bench/workloads.py chain --impl chainrule -n 1000000
    python bench/workloads.py depth --impl micrograd
    python bench/workloads.py cycle --impl chainrule
    python bench/workloads.py profile --impl chainrule-elementary
    python bench/workloads.py gpt --impl microgpt --steps 8 [--gc off]
    python bench/workloads.py step --impl chainrule --src bench/.envs/pinned-507c22a

Implementations (``--impl``): ``micrograd``; ``chainrule`` (``nn.MLP``, one
``dot`` node per neuron); ``chainrule-elementary`` (``nn.MLP(fused=False)``,
micrograd's graph node for node); ``chainrule-micrograd-style`` (micrograd's own
``nn.py`` code, :class:`MicrogradStyleMLP`, run on ``autograd.Value``: what a user
following the lecture writes); ``microgpt-micrograd-style`` (the same code on
microgpt's ``Value``); ``chainrule-trace`` (the batch replay); ``torch-scalar`` and
``torch-batched``. ``--src DIR`` imports chainrule's ``autograd`` and ``nn`` from
``DIR`` instead of this checkout (``run.py`` puts an earlier commit's there, so the
same workload measures both in one run).

The ``gpt`` workload is microgpt's GPT training step (Karpathy, February 2026), its
code unchanged, run from the refactor that the PyPI package ``strands-microgpt``
0.1.0 ships (``strands_microgpt/engine.py``, MIT), which ``run.py`` installs into
``bench/.envs/microgpt``; nothing of microgpt is copied here. ``--impl microgpt``
runs it on its own ``Value``; ``chainrule`` swaps the class for ``autograd.Value``
(the module's ``Value``, which every helper looks up at call time); ``chainrule-fused``
swaps ``_linear`` too, for one ``autograd.dots`` call (one node per output).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import math
import os
import pstats
import random
import sys
import time
from typing import Any, Callable, Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Where ``autograd`` and ``nn`` are imported from: this checkout, or ``--src`` (an earlier commit's).
SOURCE = [ROOT]
#: microgpt's engine as strands-microgpt 0.1.0 ships it, installed by run.py (``pip install --target``).
MICROGPT_ENGINE = os.path.join(ROOT, "bench", ".envs", "microgpt", "strands_microgpt", "engine.py")
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


def initial_weights(sizes: list[int] | None = None, seed: int = WEIGHT_SEED) -> list[float]:
    """Weights in micrograd's parameter order: per layer, per neuron, its weights then its bias (0)."""
    sizes = SIZES if sizes is None else sizes
    rng = random.Random(seed)
    out: list[float] = []
    for nin, nout in zip(sizes, sizes[1:]):
        for _ in range(nout):
            out += [rng.uniform(-1, 1) for _ in range(nin)] + [0.0]
    return out


def demo_scores(model: Any, X: list, Value: Callable[[float], Any]) -> list:
    """The model's forward pass over every point of ``X``, all inputs wrapped as Values first."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    return list(map(model, inputs))


def scores_loss(model: Any, scores: list, y: list) -> Any:
    """The demo's loss from the model's ``scores``: the mean hinge loss plus 1e-4 L2 of the parameters."""
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    return sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in model.parameters())


def demo_loss(model: Any, X: list, y: list, Value: Callable[[float], Any]) -> Any:
    """micrograd's demo loss of ``model`` on the points ``X`` and labels ``y``: its graph, before backward."""
    return scores_loss(model, demo_scores(model, X, Value), y)


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
    total_loss = demo_loss(model, X, y, Value)
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


class _MgNeuron:
    """micrograd 0.1.0's ``nn.Neuron``, line for line, on any Value class."""

    def __init__(self, Value: Any, weights: Iterator[float], nin: int, nonlin: bool = True) -> None:
        self.w = [Value(next(weights)) for _ in range(nin)]
        self.b = Value(next(weights))
        self.nonlin = nonlin

    def __call__(self, x: list) -> Any:
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list:
        return self.w + [self.b]


class _MgLayer:
    """micrograd 0.1.0's ``nn.Layer``."""

    def __init__(self, Value: Any, weights: Iterator[float], nin: int, nout: int, nonlin: bool) -> None:
        self.neurons = [_MgNeuron(Value, weights, nin, nonlin) for _ in range(nout)]

    def __call__(self, x: list) -> Any:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list:
        return [p for n in self.neurons for p in n.parameters()]


class MicrogradStyleMLP:
    """micrograd 0.1.0's ``nn.MLP`` (Neuron, Layer, MLP as its ``nn.py`` writes them) on any Value class.

    This is user code through the operators: each neuron is ``sum((wi*xi for wi, xi in
    zip(self.w, x)), self.b)`` followed by ``.relu()``, one Python call per neuron, so the
    engine sees exactly what micrograd's lecture code makes it do. Only the initial weights
    come from ``weights`` (in micrograd's parameter order) instead of ``random.uniform``.
    """

    def __init__(self, Value: Any, weights: list[float], sizes: list[int] | None = None) -> None:
        sz = SIZES if sizes is None else sizes
        it = iter(weights)
        self.layers = [_MgLayer(Value, it, sz[i], sz[i + 1], nonlin=i != len(sz) - 2)
                       for i in range(len(sz) - 1)]

    def __call__(self, x: list) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list:
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0


def _set_weights(model: Any, weights: list[float]) -> None:
    params = model.parameters()
    assert len(params) == len(weights), (len(params), len(weights))
    for p, w in zip(params, weights):
        p.data = w


def _use_source() -> None:
    """Import chainrule from ``SOURCE`` (before the installed checkout: ``--src`` wins)."""
    if SOURCE[0] not in sys.path:
        sys.path.insert(0, SOURCE[0])


def microgpt_engine() -> Any:
    """microgpt's engine module (strands-microgpt's ``engine.py``), loaded by its path.

    The package's ``__init__`` imports the Strands SDK; ``engine.py`` needs only the standard
    library, so it is loaded alone, as a module of its own, once per process."""
    import importlib.util

    if "microgpt_engine" in sys.modules:
        return sys.modules["microgpt_engine"]
    path = MICROGPT_ENGINE
    if not os.path.exists(path):  # not set up by run.py: the copy `make setup-test` installs, if any
        found = importlib.util.find_spec("strands_microgpt")
        folders = list(found.submodule_search_locations or []) if found is not None else []
        path = os.path.join(folders[0], "engine.py") if folders else path
    if not os.path.exists(path):
        raise SystemExit(f"microgpt's engine is not installed at {MICROGPT_ENGINE} (bench/run.py installs "
                         "strands-microgpt==0.1.0 there; or pip install --no-deps strands-microgpt==0.1.0)")
    spec = importlib.util.spec_from_file_location("microgpt_engine", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["microgpt_engine"] = module
    spec.loader.exec_module(module)
    return module


def _chainrule_model(impl: str, sizes: list[int] | None = None) -> tuple[Any, Any, str]:
    """The chainrule model of ``impl``, its Value class, and a note saying which code it is."""
    _use_source()
    import autograd

    sizes = SIZES if sizes is None else sizes
    weights = initial_weights(sizes)
    if impl == "chainrule-micrograd-style":
        return MicrogradStyleMLP(autograd.Value, weights, sizes), autograd.Value, "micrograd's nn.py code"
    import nn

    fused = impl != "chainrule-elementary"
    model = nn.MLP(sizes[0], sizes[1:], fused=fused)
    _set_weights(model, weights)
    return model, autograd.Value, "nn.MLP" + ("" if fused else "(fused=False)")


def _micrograd_model() -> tuple[Any, Any, str]:
    from micrograd.engine import Value
    from micrograd.nn import MLP

    model = MLP(SIZES[0], SIZES[1:])
    _set_weights(model, initial_weights())
    return model, Value, "micrograd.nn.MLP"


def scalar_model(impl: str) -> tuple[Any, Any, str]:
    """(model, Value class, note) for micrograd, microgpt's Value or one of chainrule's scalar paths."""
    if impl == "microgpt-micrograd-style":
        Value = microgpt_engine().Value
        how = "micrograd's nn.py code on microgpt's Value"
        return MicrogradStyleMLP(Value, initial_weights()), Value, how
    return _micrograd_model() if impl == "micrograd" else _chainrule_model(impl)


# --- PyTorch (optional) -----------------------------------------------------------------


class TorchScalarMLP:
    """micrograd's network on 0-d tensors: one autograd node per scalar op, as in micrograd."""

    def __init__(self, torch: Any, weights: list[float]) -> None:
        self.inner = MicrogradStyleMLP(
            lambda w: torch.tensor(w, dtype=torch.float64, requires_grad=True), weights)

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


def torch_batched_step(torch: Any, X: list, y: list, sizes: list[int] | None = None,
                       weights: list[float] | None = None) -> Callable[[int], float]:
    """The demo step in PyTorch as matrices, one forward over all points at once (float64).

    ``sizes`` gives the layer sizes (the demo's ``[2, 16, 16, 1]`` by default), ``weights``
    the initial weights in micrograd's order (:func:`initial_weights` of those sizes by
    default), so every engine starts alike.
    """
    sizes = SIZES if sizes is None else sizes
    params, it = [], iter(initial_weights(sizes) if weights is None else weights)
    for nin, nout in zip(sizes, sizes[1:]):
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

    return step


def import_torch() -> Any:
    import warnings

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")  # not needed here
    import torch

    torch.set_num_threads(1)
    return torch


# --- batch replay (autograd.trace) ------------------------------------------------------


def trace_step(X: list, y: list, sizes: list[int] | None = None,
               weights: list[float] | None = None) -> Callable[[int], float]:
    """The demo step through the batch replay: record one example's graph, replay it on the batch.

    The model is ``nn.MLP`` of ``sizes`` (the demo's by default; ``weights`` as for
    :func:`torch_batched_step`). ``autograd.trace`` records
    one example's graph; each step replays it over all of ``X`` with NumPy, computes the
    hinge loss and its gradient in NumPy, pushes that gradient back through the tape, and
    updates every parameter (a Python loop over the model's Values, as any training loop on
    this engine has to). The L2 term is done in NumPy on the parameters' numbers.
    """
    import numpy as np

    model, _, _ = _chainrule_model("chainrule", sizes)
    if weights is not None:
        _set_weights(model, weights)
    import autograd

    trace: Any = autograd.trace  # public: an earlier commit (--src) has it too, as a callable module
    tape = trace(model, len(X[0]))
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


# --- the demo step ----------------------------------------------------------------------


SCALAR_IMPLS = ("micrograd", "chainrule", "chainrule-elementary", "chainrule-micrograd-style",
                "microgpt-micrograd-style")


def make_stepper(impl: str) -> tuple[Callable[[int], float], str]:
    """A function running demo step k, and a note saying which model code it uses."""
    X, y = make_moons()
    if impl in SCALAR_IMPLS:
        model, Value, how = scalar_model(impl)
        return (lambda k: demo_step(model, X, y, Value, k)), how
    if impl == "chainrule-trace":
        return trace_step(X, y), "autograd.trace of nn.MLP, replayed on the batch"
    if impl in ("torch-scalar", "torch-batched"):
        torch = import_torch()
        if impl == "torch-batched":
            return torch_batched_step(torch, X, y), f"torch {torch.__version__}, float64, 1 thread"
        tmodel = TorchScalarMLP(torch, initial_weights())
        how = f"torch {torch.__version__} 0-d tensors"
        return (lambda k: _torch_scalar_step(torch, tmodel, X, y, k)), how
    raise SystemExit(f"unknown implementation {impl!r}")


def run_steps(impl: str, steps: int, warmup: int, gc_on: bool) -> dict:
    """Time ``steps`` consecutive demo steps (after ``warmup`` untimed ones).

    ``gc_on``: the cyclic collector as a user has it (on). Off: ``gc.disable()`` for the whole
    process, and, between steps and outside the timing, one ``gc.collect()`` so that a graph
    only the collector can free (micrograd's) does not pile up; its time is returned apart.
    """
    step, how = make_stepper(impl)
    if not gc_on:
        gc.disable()
    times, cpu, losses, collects = [], [], [], []
    for k in range(warmup + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = step(k)
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        losses.append(loss)
        if not gc_on:
            c1 = time.process_time()
            gc.collect()
            collects.append(time.process_time() - c1)
        if k >= warmup:
            times.append(dt)
            cpu.append(dc)
    return {"times": times, "cpu": cpu, "losses": losses, "how": how, "gc_enabled": gc.isenabled(),
            "collect_between_steps": collects[warmup:], "source": _source_of(impl)}


def _source_of(impl: str) -> str:
    """The file the engine of ``impl`` came from (so a run from ``--src`` can be checked to be one)."""
    module = sys.modules.get("microgpt_engine" if impl.startswith("microgpt") else
                             "micrograd" if impl == "micrograd" else "autograd")
    return str(getattr(module, "__file__", "")) if module else ""


# --- microgpt's GPT ----------------------------------------------------------------------


GPT_NAMES = 64
GPT_NAMES_SEED = 2026


def gpt_names(n: int = GPT_NAMES, seed: int = GPT_NAMES_SEED) -> list[str]:
    """``n`` made-up lowercase names of 3 to 9 letters (mean 6, as in makemore's names.txt), a-z
    drawn uniformly, every letter present: microgpt's vocabulary of 27 tokens, no download.

    Only a step's time is measured, and it depends on a name's length and the vocabulary's size,
    not on which letters a name has; every implementation trains on the same list."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    names = ["".join(rng.choice(alphabet) for _ in range(rng.randint(3, 9))) for _ in range(n)]
    missing = set(alphabet) - set("".join(names))
    if missing:  # a seed that leaves a letter out would shrink the vocabulary and the step
        raise ValueError(f"gpt_names: seed {seed} leaves out {sorted(missing)}; choose another")
    return names


GPT_IMPLS = {
    "microgpt": "microgpt's code on its own Value",
    "chainrule": "microgpt's code, its Value swapped for autograd.Value",
    "chainrule-fused": "microgpt's code on autograd.Value, its _linear one autograd.dots call",
}


def run_gpt(impl: str, steps: int, warmup: int, gc_on: bool, profile: int = 0) -> dict:
    """Time microgpt's own training loop (``MicroGPT.train_on_docs``) for ``warmup + steps`` steps.

    The model is microgpt's default (1 layer, 16 embedding dimensions, 4 heads, block size 16,
    seed 42), so every implementation starts from the same weights and trains on the same
    documents. The loop calls back after each step (forward over one document, loss, backward,
    Adam); each step's CPU time runs from the previous callback to this one. With the collector
    off, one ``gc.collect()`` runs in the callback, outside the timing (it finds nothing: neither
    engine makes reference cycles).

    ``profile``: instead, cProfile the timed steps and return that many functions by their own
    time (:func:`profile_top`)."""
    if impl not in GPT_IMPLS:
        raise SystemExit(f"unknown gpt implementation {impl!r}; choose from {', '.join(GPT_IMPLS)}")
    engine = microgpt_engine()
    if impl != "microgpt":
        _use_source()
        import autograd

        engine.Value = autograd.Value  # microgpt's helpers look the class up at call time
        if impl == "chainrule-fused":
            engine._linear = lambda x, w: autograd.dots(w, x)  # one node per output, summed from 0.0
    docs = gpt_names()
    tokenizer = engine.Tokenizer.from_docs(docs)
    model = engine.MicroGPT(vocab_size=tokenizer.vocab_size)
    if not gc_on:
        gc.disable()
    cpu: list[float] = []
    wall: list[float] = []
    collects: list[float] = []
    start = [time.process_time(), time.perf_counter()]
    prof = cProfile.Profile() if profile else None

    def after_step(step: int, loss: float) -> None:
        if prof is not None and step == warmup - 1:  # on from the end of the warm-up to the end
            prof.enable()
        elif prof is not None and step == warmup + steps - 1:
            prof.disable()
        cpu.append(time.process_time() - start[0])
        wall.append(time.perf_counter() - start[1])
        if not gc_on:
            c = time.process_time()
            gc.collect()
            collects.append(time.process_time() - c)
        start[:] = [time.process_time(), time.perf_counter()]

    losses = model.train_on_docs(docs, tokenizer, num_steps=warmup + steps, log_every=0, callback=after_step)
    if prof is not None:
        return {"how": GPT_IMPLS[impl], "steps": steps, **profile_top(prof, steps, profile)}
    return {"cpu": cpu[warmup:], "times": wall[warmup:], "losses": losses, "how": GPT_IMPLS[impl],
            "gc_enabled": gc.isenabled(), "collect_between_steps": collects[warmup:],
            "params": model.num_params, "docs": len(docs), "source": _source_of(impl)}


# --- memory, depth, dropped graphs ------------------------------------------------------


def _value_class(impl: str) -> Any:
    if impl == "micrograd":
        from micrograd.engine import Value
    elif impl == "microgpt":
        Value = microgpt_engine().Value
    else:
        _use_source()
        from autograd import Value
    return Value


def sum_chain(Value: Any, n: int) -> Any:
    """``y = y + x`` n times: one new node per step, no constants (x is one leaf used n times)."""
    x, y = Value(1.0), Value(0.0)
    for _ in range(n):
        y = y + x
    return y


def constant_chain(Value: Any, n: int) -> Any:
    """``x + 1.0`` n times: n additions, each with its constant wrapped as a Value (2n + 1 nodes)."""
    x = Value(0.0)
    for _ in range(n):
        x = x + 1.0
    return x


def run_memory(impl: str, n: int) -> dict:
    """Bytes a graph holds per node (tracemalloc), for the two chains above, collector off.

    ``y = y + x``: the n sums are the new nodes (bytes / n). ``x = x + 1.0``: every Value
    counts, the wrapped constants included (bytes / (2n + 1)), as micrograd builds them.
    """
    import tracemalloc

    Value = _value_class(impl)
    gc.disable()  # nothing is collected while we count; the chain is built the same either way
    out: dict[str, Any] = {"n": n}
    for name, build, nodes in (("sum", sum_chain, n), ("constant", constant_chain, 2 * n + 1)):
        build(Value, 10)  # warm up caches and free lists outside the measurement
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        chain = build(Value, n)
        graph = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        del chain
        out[f"{name}_bytes_per_node"] = graph / nodes
    return out


def run_drop(impl: str, passes: list[int], gc_on: bool) -> dict:
    """Memory still held after forward passes whose graphs were dropped without ``backward()``.

    Each pass is the demo's loss for one example (the model's forward pass, the hinge
    term and the L2 penalty over every parameter), built and then dropped. tracemalloc's
    current size is read after each of ``passes`` (10, 100, 1000); a graph kept alive by
    anything (a tape, a cache, a cycle waiting for the collector) makes it grow. One live
    graph's size is measured too, as the yardstick for "flat".
    """
    import tracemalloc

    model, Value, how = scalar_model(impl)
    X, y = make_moons()
    params = model.parameters()

    def forward(i: int) -> Any:  # not demo_loss of one point: its mean of one term would add two nodes
        x, t = X[i % len(X)], y[i % len(X)]
        score = model(list(map(Value, x)))
        return (1 + -t * score).relu() + ALPHA * sum(p * p for p in params)

    for i in range(3):  # caches, free lists and first-call costs outside the measurement
        forward(i)
    gc.collect()
    if not gc_on:
        gc.disable()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    live = forward(0)
    graph = tracemalloc.get_traced_memory()[0] - base
    del live
    base = tracemalloc.get_traced_memory()[0]
    marks = {}
    for i in range(1, max(passes) + 1):
        forward(i)  # the result is dropped at once
        if i in passes:
            marks[str(i)] = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return {"how": how, "graph_bytes": graph, "held": marks, "gc_enabled": gc_on}


def _deep_backward_ok(Value: Any, depth: int) -> bool:
    x = constant_chain(Value, depth)
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
    """CPU seconds per node of ``backward()`` on ``y = y + x`` repeated n times, and of building it.

    Medians over ``repeats`` chains; the collector as a user has it. A per-node cost that
    grows with the graph (a walk that slows down as it deepens, memory that stops fitting a
    cache) shows as a ratio between n = 10^6 and n = 10^4 above 1.
    """
    Value = _value_class(impl)
    build, backward = [], []
    for _ in range(repeats):
        t0 = time.process_time()
        y = sum_chain(Value, n)
        t1 = time.process_time()
        y.backward()
        backward.append(time.process_time() - t1)
        build.append(t1 - t0)
        del y
    return {"n": n, "backward_per_node": sorted(backward)[len(backward) // 2] / n,
            "build_per_node": sorted(build)[len(build) // 2] / n}


def run_profile(impl: str, steps: int) -> dict:
    """Where a chainrule demo step's CPU time goes: median milliseconds per phase.

    The phases are the model's forward pass, the loss, ``backward()`` and the update;
    ``gc`` is the time the cyclic collector ran, whichever phase it interrupted (the
    phases include it). While the engine still has the two halves of ``backward()``
    (``autograd.core.engine._run`` after ``topological_order(root, reset=True)``, private names)
    backward is split into the topological walk (which also resets the inner gradients) and
    the chain rule; once they change, backward is timed whole, through the public call.
    """
    _use_source()
    try:
        import autograd.core.engine as engine
    except ImportError:  # a pinned commit from before the folders (autograd/core/) were made
        import autograd.engine as engine  # type: ignore[no-redef]

    X, y = make_moons()
    model, Value, how = _chainrule_model(impl)
    clock = time.process_time
    gc_time = [0.0, 0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_time[1] = clock()
        else:
            gc_time[0] += clock() - gc_time[1]

    def backward_in_halves(total: Any) -> float | None:
        """backward() as its two halves; the time the walk ended, or None if the halves are gone."""
        try:
            with engine.gc_paused():  # as backward() does
                order = engine.topological_order(total, reset=True)
                t = clock()
                engine._run(total, order, False)
            return t
        except (AttributeError, TypeError):
            return None

    phases: dict[str, list[float]] = {}
    gc.callbacks.append(on_gc)
    for k in range(steps + 1):
        gc_time[0] = 0.0
        t0 = clock()
        scores = demo_scores(model, X, Value)
        t1 = clock()
        total = scores_loss(model, scores, y)
        model.zero_grad()
        t2 = clock()
        walked = backward_in_halves(total)
        if walked is None:
            total.backward()
        t4 = clock()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        t5 = clock()
        del total, scores
        if not k:  # the first step warms up
            continue
        split = [("walk", walked - t2), ("chain rule", t4 - walked)] if walked else [("backward", t4 - t2)]
        for name, dt in [("forward", t1 - t0), ("loss", t2 - t1), *split, ("update", t5 - t4),
                         ("gc", gc_time[0]), ("step", t5 - t0)]:
            phases.setdefault(name, []).append(dt)
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
    model, Value, how = scalar_model("micrograd" if impl == "micrograd" else "chainrule-elementary")
    demo_loss(model, X, y, Value).backward()  # a first step outside the measurement: parameter grads, caches
    gc.collect()
    gc.disable()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    total = demo_loss(model, X, y, Value)
    total.backward()
    graph = tracemalloc.get_traced_memory()[0] - base
    del total
    left = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    found = gc.collect()
    gc.enable()
    return {"graph_bytes": graph, "bytes_left_after_drop": left, "unreachable_found_by_gc": found,
            "nodes": len(graph_nodes(demo_loss(model, X, y, Value))), "how": how}


def profile_top(prof: cProfile.Profile, steps: int, top: int) -> dict:
    """The ``top`` functions of a cProfile run by their own time (``tottime``), per step, with how often
    each is called per step, and the total per step (larger under the profiler than without it)."""
    rows, total = [], 0.0
    for (file, line, fn), (_, ncalls, tottime, _, _) in pstats.Stats(prof).stats.items():  # type: ignore
        total += tottime
        where = fn if file == "~" else f"{os.path.relpath(file, ROOT)}:{line}({fn})"
        if where.startswith(".."):
            where = f"{os.path.basename(file)}:{line}({fn})"
        rows.append((tottime, ncalls, where))
    rows.sort(reverse=True)
    return {"total_ms": 1e3 * total / steps,
            "top": [{"ms": 1e3 * t / steps, "calls": n / steps, "function": w} for t, n, w in rows[:top]]}


def graph_nodes(root: Any) -> list:
    """Every Value of a graph, once each, ``root`` first (any engine whose nodes list their parents in
    ``_prev``)."""
    nodes, seen = [root], {id(root)}
    for v in nodes:  # the list grows as it is read: each new node's parents are read in their turn
        for p in v._prev:
            if id(p) not in seen:
                seen.add(id(p))
                nodes.append(p)
    return nodes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload",
                    choices=["step", "gpt", "memory", "drop", "depth", "chain", "cycle", "profile"])
    ap.add_argument("--impl", required=True)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--gc", choices=["on", "off"], default="on", help="the cyclic collector (step, drop)")
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--passes", default="10,100,1000", help="drop: where to read the memory")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--top", type=int, default=0, help="gpt: cProfile, the functions by their own time")
    ap.add_argument("--src", default=ROOT,
                    help="import autograd and nn from this folder (an earlier commit's)")
    a = ap.parse_args()
    SOURCE[0] = os.path.abspath(a.src)
    gc_on = a.gc == "on"
    if a.workload == "step":
        result = run_steps(a.impl, a.steps, a.warmup, gc_on)
    elif a.workload == "gpt":
        result = run_gpt(a.impl, a.steps, a.warmup, gc_on, a.top)
    elif a.workload == "memory":
        result = run_memory(a.impl, a.n)
    elif a.workload == "drop":
        result = run_drop(a.impl, [int(p) for p in a.passes.split(",")], gc_on)
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
