"""Properties behind the engine's speed and memory, checked without timing anything.

* no reference cycle per node: dropping a graph frees it by reference counting
  alone, with the cyclic garbage collector switched off;
* the collector is only paused inside our own calls and always comes back as
  it was, exceptions included;
* a chain of a million nodes goes backward (no recursion anywhere);
* a node costs at most 150 bytes (tracemalloc, a chain of additions);
* graphs dropped without ``backward()`` are freed at once (nothing keeps a list of nodes);
* the fast paths compute what the general ones do.

Timings live in ``bench/`` (``make bench``), not here.
"""

from __future__ import annotations

import gc
import math
import random
import tracemalloc
from typing import Any, Callable, Iterator

import pytest

import nn
from autograd import Value, dot, grad, no_grad, ops, topological_order
from autograd.core.engine import gc_paused
from tests.support.op_rows import ROWS, every_op_graph


@pytest.fixture
def collector_off() -> Iterator[None]:
    """Run the test body with the cyclic collector off, after clearing earlier garbage."""
    gc.collect()
    with gc_paused():
        yield


def test_every_op_is_in_the_test_graph() -> None:
    used = [v for v in topological_order(every_op_graph()) if v._op]
    missing = [row.id for row in ROWS if not any(row.made(v) for v in used)]
    assert not missing, missing
    assert {v._op.name for v in used} >= set(ops.OPS)  # type: ignore[attr-defined]


def _unreachable_after(build: Callable[[], Any]) -> int:
    """With the collector off: build, drop, and count what only the collector could free."""
    out = build()
    del out
    return gc.collect()


@pytest.mark.usefixtures("collector_off")
def test_a_dropped_graph_leaves_nothing_for_the_cyclic_collector() -> None:
    def forward_backward() -> Value:
        out = every_op_graph()
        out.backward()
        return out

    assert _unreachable_after(forward_backward) == 0


@pytest.mark.usefixtures("collector_off")
def test_gradient_graphs_have_no_cycles_either() -> None:
    def second_order() -> Any:
        x = Value(0.3)
        y = every_op_graph() * x ** 3
        (dx,) = grad(y, [x], create_graph=True)
        dx.backward()
        return dx

    assert _unreachable_after(second_order) == 0


@pytest.mark.usefixtures("collector_off")
def test_a_training_step_graph_is_freed_by_reference_counting() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0, fused=False)
    xs = [[0.01 * i, -0.02 * i] for i in range(100)]

    def step() -> Value:
        loss = sum(((1 + -1.0 * model([Value(a), Value(b)])).relu() for a, b in xs), Value(0.0))
        model.zero_grad()
        loss.backward()
        return loss

    step()  # grads, caches, free lists: everything a first step creates once
    assert _unreachable_after(step) == 0
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        loss = step()
        graph = tracemalloc.get_traced_memory()[0] - base
        del loss
        left = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    # What stays is what Python keeps for reuse (free lists of at most 2,000 small tuples
    # per size, about 0.2 MB), not the graph (about 10 MB).
    assert graph > 5_000_000
    assert left < 300_000


def _dropped_forward_passes(fused: bool, keep: int = 0) -> tuple[int, int]:
    """(bytes one forward pass's graph takes, bytes still allocated after 1,000 more passes whose
    graphs are dropped unused); ``keep`` holds on to that many outputs, to show a leak is seen."""
    model = nn.MLP(2, [16, 16, 1], seed=0, fused=fused)
    xs = [Value(0.3), Value(-0.2)]
    kept = []

    def forward() -> Value:
        by_hand = sum((w * x for w, x in zip(model.layers[0].neurons[0].w, xs)), Value(0.0)).tanh()
        return (model(xs) - by_hand) ** 2  # the model's graph and one written with the operators

    for _ in range(50):  # free lists, caches: what the first passes create once
        forward()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = forward()
        graph = tracemalloc.get_traced_memory()[0] - base
        for i in range(1000):
            out = forward()
            if i < keep:
                kept.append(out)
        del out
        return graph, tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()


#: What Python's free lists may keep for reuse after a graph is freed (at most 2,000 small
#: tuples per size, floats...): far less than a leak of 300 bytes per pass over 1,000 passes.
FREE_LISTS = 300_000


@pytest.mark.usefixtures("collector_off")
@pytest.mark.parametrize("fused", [True, False])
def test_graphs_dropped_without_backward_are_freed_at_once(fused: bool) -> None:
    """No tape, cache or list of nodes may keep a graph that never went backward: with the
    collector off, 1,000 dropped forward passes leave nothing but what the free lists keep."""
    graph, growth = _dropped_forward_passes(fused)
    assert graph > 5_000
    assert growth < FREE_LISTS, (graph, growth)


@pytest.mark.usefixtures("collector_off")
def test_the_dropped_graph_measurement_sees_a_leak() -> None:
    graph, growth = _dropped_forward_passes(False, keep=20)
    assert growth > 19 * graph > FREE_LISTS, (graph, growth)


# --- the collector comes back as it was ------------------------------------------------


@pytest.mark.parametrize("was_on", [True, False])
def test_backward_restores_the_collector(was_on: bool) -> None:
    (gc.enable if was_on else gc.disable)()
    try:
        x = Value(2.0)
        (x * x + 1.0).backward()
        assert gc.isenabled() is was_on
        assert x.grad == 4.0
    finally:
        gc.enable()


@pytest.mark.parametrize("was_on", [True, False])
def test_the_collector_comes_back_when_backward_raises(was_on: bool) -> None:
    (gc.enable if was_on else gc.disable)()
    try:
        y = Value(-2.0) ** Value(2.0)  # the forward is fine; d/d(exponent) needs a base > 0
        with pytest.raises(ValueError, match="pow"):
            y.backward()
        assert gc.isenabled() is was_on
    finally:
        gc.enable()


def test_gc_paused_restores_on_exceptions_and_nests() -> None:
    assert gc.isenabled()
    with pytest.raises(KeyError):
        with gc_paused():
            assert not gc.isenabled()
            with gc_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the inner block does not turn it back on early
            raise KeyError("boom")
    assert gc.isenabled()


def test_nn_forward_restores_the_collector_even_when_it_raises() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    assert gc.isenabled()
    model([Value(1.0), Value(2.0)])
    assert gc.isenabled()
    with pytest.raises(TypeError):
        model([Value(1.0), object()])  # the error is raised inside the forward pass
    assert gc.isenabled()


# --- depth and memory --------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_node_chain_goes_backward() -> None:
    x = Value(0.5)
    y = x
    n = 500_000
    for _ in range(n):
        y = y + 1.0  # a sum node and a constant node per step: 2n + 1 = 1,000,001 nodes
    y = y * 2.0
    y.backward()
    assert x.grad == 2.0
    assert y.data == 2 * (0.5 + n)
    del y  # freeing a million-deep chain must not overflow the C stack either


def test_a_node_costs_at_most_150_bytes() -> None:
    """tracemalloc over a chain of additions; every Value counts, the wrapped constants too."""
    n = 50_000
    was_on = gc.isenabled()
    gc.disable()  # so that nothing else is freed or allocated in between
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        x = Value(0.0)
        for _ in range(n):
            x = x + 1.0
        used = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
        if was_on:
            gc.enable()
    nodes = len(topological_order(x))
    assert nodes == 2 * n + 1
    assert used / nodes <= 150, f"{used / nodes:.1f} bytes per node"


# --- the fast paths agree with the general ones ------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_the_walk_orders_random_shared_graphs(seed: int) -> None:
    """Parents first, each node once, and backward's walk gives topological_order's order."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(0.5, 1.5)) for _ in range(4)]
    for _ in range(60):  # reuse earlier nodes often, so most parents are already seen
        k = rng.choice([1, 2, 2, 3, 5])
        picks = [rng.choice(nodes[-12:] if rng.random() < 0.7 else nodes) for _ in range(k)]
        if k == 1:
            nodes.append(picks[0].tanh())
        elif k == 2:
            nodes.append(picks[0] * picks[1] if rng.random() < 0.5 else picks[0] + picks[1])
        else:
            nodes.append(dot(picks[: k // 2], picks[k // 2 : 2 * (k // 2)], picks[-1] if k % 2 else None))
    root = nodes[-1]
    order = topological_order(root)
    position = {v: i for i, v in enumerate(order)}
    assert len(position) == len(order) and order[-1] is root
    assert all(position[p] < position[v] for v in order for p in v._prev)
    for v in order:
        v.grad = 5.0
    assert topological_order(root, reset=True) == order
    assert all(v.grad == (0.0 if v._prev else 5.0) for v in order)


def test_node_by_node_backward_matches_backward() -> None:
    out = every_op_graph()
    out.backward()
    order = topological_order(out)
    expected = [v.grad for v in order]
    for v in order:
        v.grad = 0.0
    out.grad = 1.0
    for v in reversed(order):
        v._backward()
    for v, g in zip(order, expected):
        assert math.isclose(v.grad, g, rel_tol=1e-12, abs_tol=1e-12)


def test_backward_resets_only_the_non_leaves() -> None:
    a, b = Value(3.0), Value(4.0)
    c = a * b
    d = c + a
    d.backward()
    d.backward()
    assert (a.grad, b.grad) == (2 * 5.0, 2 * 3.0)  # leaves accumulate across calls
    assert c.grad == 1.0 and d.grad == 1.0  # inner nodes hold this pass only


def test_dot_accepts_numbers_and_sequences_of_any_kind() -> None:
    ws = (Value(1.0), 2)
    xs = iter([3.0, Value(4.0)])
    out = dot(ws, xs, 0.5)
    assert out.data == 1.0 * 3.0 + 2 * 4.0 + 0.5
    assert all(isinstance(p, Value) for p in out._prev) and len(out._prev) == 5
    out.backward()
    assert out._prev[0].grad == 3.0 and out._prev[3].grad == 2.0


def test_ops_under_no_grad_build_leaves() -> None:
    a = Value(2.0)
    with no_grad():
        for v in (a * 3.0, -a, a.exp(), dot([a], [a])):
            assert v._prev == () and v._op == ""
