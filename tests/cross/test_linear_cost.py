"""Every tool costs time linear in the size of the graph, and refuses what could not fit.

Each tool runs on a chain of 10,000 and of 100,000 additions. Time that grows linearly grows
about tenfold between the two (a little more on a busy machine, as caches fill); time that
grows with the square grows a hundredfold. So the test asserts a ratio well below 100
(``MAX_RATIO``) rather than absolute times, which depend on the machine: the small size is
timed at its best of three, the large one once. Where a tool can make a text that grows faster
than its graph (``formula`` writes a node used twice twice), it is refused, with the length,
before the text is built.
"""

from __future__ import annotations

import gc
import pickle
import time
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import Value, backward_steps, explain, formula, grad, jvp
from autograd.core.walk import graph_order
from autograd.see.draw import draw_dot
from autograd.see.names import node_names

SMALL, LARGE = 10_000, 100_000
#: Linear: about 10 (13 to 22 measured on a shared 2-core machine); quadratic: 100.
MAX_RATIO = 50.0


def chain(n: int) -> tuple[Value, Value]:
    """x, and x + 0 + 1 + ... + (n - 1): a graph of 2n + 1 nodes, n deep."""
    x = Value(1.0, label="x")
    out = x
    for i in range(n):
        out = out + Value(float(i))
    out.label = "L"
    return x, out


def _seconds(f: Callable[[], Any], repeat: int) -> float:
    """The best of ``repeat`` runs of ``f``, each timed with the cyclic collector off. Why: in the
    full suite the heap holds every earlier test's objects, and a full collection that happens to
    fall inside the large run walks all of them (seconds, measured): that is the suite's size, not
    the tool's, and a test must not fail because of what ran before it."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            f()
            best = min(best, time.perf_counter() - t0)
        finally:
            gc.enable()
    return best


def _refused(f: Callable[[], Any], error: type[BaseException]) -> Callable[[], None]:
    def run() -> None:
        with pytest.raises(error):
            f()
    return run


def _written(e: Any) -> tuple[str, str]:
    return str(e), e._repr_markdown_()


TOOLS: dict[str, Callable[[Value, Value], Callable[[], Any]]] = {
    "draw_dot's max_nodes guard": lambda x, out: _refused(lambda: draw_dot(out), ValueError),
    "explain (text and Markdown)": lambda x, out: lambda: _written(explain(out, x)),
    "formula(max_chars=None)": lambda x, out: lambda: formula(out, max_chars=None),
    "backward_steps": lambda x, out: lambda: list(backward_steps(out)),
    "jvp": lambda x, out: lambda: jvp(out, {x: 1.0}),
    "grad": lambda x, out: lambda: grad(out, [x]),
    "pickle": lambda x, out: lambda: pickle.loads(pickle.dumps(out)),
    "node_names": lambda x, out: lambda: node_names(graph_order(out, "test")),
}


@pytest.fixture(scope="module")
def chains() -> dict[int, tuple[Value, Value]]:
    return {SMALL: chain(SMALL), LARGE: chain(LARGE)}


@pytest.mark.parametrize("tool", list(TOOLS))
def test_each_tool_is_linear_in_the_graph(tool: str, chains: dict[int, tuple[Value, Value]]) -> None:
    small = _seconds(TOOLS[tool](*chains[SMALL]), repeat=3)
    large = _seconds(TOOLS[tool](*chains[LARGE]), repeat=1)
    if large / max(small, 1e-4) >= MAX_RATIO and large < 1.0:  # a fast tool: one slow run may be noise
        large = min(large, _seconds(TOOLS[tool](*chains[LARGE]), repeat=2))
    ratio = large / max(small, 1e-4)
    assert ratio < MAX_RATIO, f"{tool}: {small:.3f} s for {SMALL:,} nodes, {large:.3f} s for {LARGE:,}"
    assert large < 60.0  # and a 100,000-node chain takes seconds, not minutes


def test_explain_of_a_long_chain_lists_its_one_path_whole(chains: dict[int, tuple[Value, Value]]) -> None:
    x, out = chains[SMALL]
    e = explain(out, x)
    assert e.n_paths == 1 and e.paths is not None and len(e.paths[0]) == SMALL
    assert e.gradient == e.backward_gradient == 1.0
    assert [edge.child for edge in e.paths[0]][:2] == [out, out._prev[0]]  # from the output down


def test_a_formula_that_outgrows_its_graph_is_refused_before_it_is_written() -> None:
    """x doubled 200 times: 401 nodes, and a text of about 2**200 characters."""
    x = Value(1.0, label="x")
    y = x
    for _ in range(200):
        y = y + y
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"longer than max_chars=4000"):
        formula(y)
    long = r"formula: the expression would be [\d,]+ characters long, more than the memory available"
    with pytest.raises(MemoryError, match=long):
        formula(y, max_chars=None)
    assert time.perf_counter() - t0 < 5.0
    small = x
    for _ in range(10):
        small = small + small
    assert len(formula(small, max_chars=None).text) == 1024 * 1 + 1023 * 3  # 1024 x's, 1023 " + "


def test_a_wide_sum_writes_each_term_once() -> None:
    """A sum of 30,000 named terms: its formula is long, and written in linear time and memory."""
    terms = [Value(float(i), label=f"t{i}") for i in range(30_000)]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    t0 = time.perf_counter()
    f = formula(total, max_chars=None)
    assert time.perf_counter() - t0 < 10.0
    assert f.text == " + ".join(f"t{i}" for i in range(30_000))
    assert f.latex.startswith("t_{0} + t_{1} + ") and f.latex.count("+") == 29_999


def test_formula_max_chars_refuses_a_long_chain_at_once(chains: dict[int, tuple[Value, Value]]) -> None:
    x, out = chains[LARGE]
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="max_chars=4000"):
        autograd.formula(out)
    assert time.perf_counter() - t0 < 10.0
