"""Every tool costs work linear in the size of the graph, and refuses what could not fit.

Each tool runs on a chain of 2,000 and of 20,000 additions, and the test counts the function
calls it makes (Python's and C's, with ``sys.setprofile``): a count, unlike a time, does not
depend on the machine or on what else runs on it. Work that grows linearly grows tenfold
between the two sizes; work that grows with the square, a hundredfold. The wall-clock times
of the same tools on 10,000 and 100,000 nodes are a benchmark: ``python bench/linear.py``.
Where a tool can make a text that grows faster than its graph (``formula`` writes a node used
twice twice), it is refused, with the length, before the text is built.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import Value, backward_steps, explain, formula, grad, jvp
from autograd.core.walk import graph_order
from autograd.see.draw import draw_dot
from autograd.see.names import node_names

SMALL, LARGE = 2_000, 20_000
#: Linear: 10 (the counts are exact); n log n: 13; quadratic: 100.
MAX_RATIO = 14.0


def chain(n: int) -> tuple[Value, Value]:
    """x, and x + 0 + 1 + ... + (n - 1): a graph of 2n + 1 nodes, n deep."""
    x = Value(1.0, label="x")
    out = x
    for i in range(n):
        out = out + Value(float(i))
    out.label = "L"
    return x, out


def calls(f: Callable[[], Any]) -> int:
    """How many functions (Python and C) ``f()`` calls: a measure of work that no load can change."""
    n = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal n
        if event == "call" or event == "c_call":
            n += 1

    sys.setprofile(count)
    try:
        f()
    finally:
        sys.setprofile(None)
    return n


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
    small, large = (calls(TOOLS[tool](*chains[n])) for n in (SMALL, LARGE))
    assert small > SMALL  # the count sees the work done per node
    ratio = large / small
    assert ratio < MAX_RATIO, f"{tool}: {small:,} calls for {SMALL:,} nodes, {large:,} for {LARGE:,}"


def test_the_count_sees_quadratic_work() -> None:
    """What the bound rejects: a walk that looks again at all it has seen, at each node."""
    def quadratic(n: int) -> Callable[[], None]:
        def walk() -> None:
            seen: list[int] = []
            for i in range(n):
                seen.append(i)
                for _ in seen:  # each step looks at everything before it
                    abs(i)
        return walk

    assert calls(quadratic(LARGE // 10)) / calls(quadratic(SMALL // 10)) > 50


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
    long = r"formula: the expression would be [\d,]+ characters long, more than the memory available"

    def refuse_both() -> None:
        with pytest.raises(ValueError, match=r"longer than max_chars=4000"):
            formula(y)
        with pytest.raises(MemoryError, match=long):
            formula(y, max_chars=None)

    assert calls(refuse_both) < 200 * 401  # refused after a walk of the 401 nodes, not 2**200 steps
    small = x
    for _ in range(10):
        small = small + small
    assert len(formula(small, max_chars=None).text) == 1024 * 1 + 1023 * 3  # 1024 x's, 1023 " + "


def sum_of(terms: list[Value]) -> Value:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def test_a_wide_sum_writes_each_term_once() -> None:
    """A sum of 30,000 named terms: its formula is long, and written in linear time and memory."""
    terms = [Value(float(i), label=f"t{i}") for i in range(30_000)]
    total = sum_of(terms)
    wide, half = sum_of(terms[:6_000]), sum_of(terms[:3_000])
    work = calls(lambda: formula(wide, max_chars=None))
    assert work / calls(lambda: formula(half, max_chars=None)) < 2.5  # twice the terms, twice the work
    f = formula(total, max_chars=None)
    assert f.text == " + ".join(f"t{i}" for i in range(30_000))
    assert f.latex.startswith("t_{0} + t_{1} + ") and f.latex.count("+") == 29_999


def test_formula_max_chars_refuses_a_long_chain_at_once(chains: dict[int, tuple[Value, Value]]) -> None:
    x, out = chains[LARGE]

    def refuse() -> None:
        with pytest.raises(ValueError, match="max_chars=4000"):
            autograd.formula(out)

    assert calls(refuse) < 100 * LARGE  # a bounded amount of work per node, not a text built first
