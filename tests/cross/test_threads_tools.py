"""Gradients as values from many threads at once: ``grad``, ``jacobian``, ``explain`` and the
player keep their sums in storage of their own, so threads sharing one graph (and a thread
running ``backward()`` on it meanwhile) all get the numbers a lone call gets."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from autograd import Value, backward_steps, explain, grad, jacobian


@pytest.fixture
def often_switching() -> Iterator[None]:
    was = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads change hands every few bytecodes: interleavings galore
    try:
        yield
    finally:
        sys.setswitchinterval(was)


def _graph(n: int = 600) -> tuple[Value, list[Value]]:
    rng = random.Random(7)
    xs = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(8)]
    nodes = list(xs)
    while len(nodes) < n:
        a, b = rng.choice(nodes[-20:]), rng.choice(nodes)
        nodes.append((a * b + 0.5).tanh() if rng.random() < 0.5 else a + b * 0.25)
    return sum(nodes[-30:], Value(0.0)), xs


def test_threads_sharing_a_graph_get_a_lone_calls_numbers(often_switching: None) -> None:
    out, xs = _graph()
    calls: dict[str, Callable[[], Any]] = {
        "grad": lambda: grad(out, xs[:3]),
        "jacobian": lambda: jacobian([out, xs[0] * out], xs[3:6]),
        "explain": lambda: (lambda e: (e.gradient, e.backward_gradient))(explain(out, xs[0])),
        "backward_steps": lambda: [(s.contribution, s.parent_grad) for s in backward_steps(out)][-40:],
    }
    want = {name: call() for name, call in calls.items()}
    wrong: list[str] = []
    stop = threading.Event()

    def worker(k: int) -> None:
        name = sorted(calls)[k % len(calls)]
        for _ in range(25):
            got = calls[name]()
            if got != want[name]:
                wrong.append(f"{name}: {got!r:.80} != {want[name]!r:.80}")

    def trainer() -> None:  # meanwhile, .grad of the same nodes is filled and zeroed again and again
        while not stop.is_set():
            out.backward()
            for v in xs:
                v.grad = 0.0

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    busy = threading.Thread(target=trainer)
    busy.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    busy.join()
    assert wrong == [], f"{len(wrong)} wrong results of {8 * 25}, e.g. {wrong[:3]}"
