"""The engine's second spellings, checked against the first, row by row of the op table.

``Value``'s operator methods, ``each`` (a layer's activations) and the fused ``dots`` spell out
:func:`make_node`'s lines (and make a constant leaf for a plain number as :class:`Value` would);
``backward()`` without ``create_graph`` or a watcher runs ``_backprop``, which spells out the rules
of ``+ - *`` and ``dot``; the walk is iterative but must give micrograd's recursive order;
``gc_paused`` must hold across threads. Each is checked here.
"""

from __future__ import annotations

import gc
import random
import struct
import sys
import threading
from itertools import permutations
from typing import Any

import pytest

import autograd
from autograd import Value, gc_paused
from autograd.core import engine
from tests.support.op_rows import ROWS, Row

FIELDS = ("data", "grad", "label", "_op", "_a", "_b")  # label: a class default, or a free attribute


def fields(v: Value) -> tuple[Any, ...]:
    """Everything a node holds: its class, its slots, and its free attributes (None if it has none)."""
    extra = object.__getstate__(v)[0]  # type: ignore[index]
    return (v.__class__, *[getattr(v, f) for f in FIELDS], extra)


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def inputs(row: Row) -> list[Value]:
    return [Value(x, label=f"x{i}") for i, x in enumerate(row.point())]


ONE_OR_TWO = [row for row in ROWS if not row.variadic]


@pytest.mark.parametrize("row", ONE_OR_TWO, ids=[r.id for r in ONE_OR_TWO])
def test_the_operator_method_builds_what_make_node_builds(row: Row) -> None:
    xs = inputs(row)
    fast = engine._operator(row.the_op)(*xs)
    assert fields(fast) == fields(engine.make_node(row.the_op, tuple(xs)))
    assert fast._prev == tuple(xs)
    for spelling in (row.call, *row.spellings):  # every way to write the op makes the same node
        assert fields(spelling(*xs))[1:] == fields(fast)[1:]


UNARY = [row for row in ONE_OR_TWO if row.arity == 1]


@pytest.mark.parametrize("row", UNARY, ids=[r.id for r in UNARY])
def test_each_builds_what_make_node_builds(row: Row) -> None:
    xs = [Value(x) for x in (row.point()[0], row.point()[0] / 2)]
    made = engine.each(row.the_op, xs)
    assert [fields(v) for v in made] == [fields(engine.make_node(row.the_op, (x,))) for x in xs]
    assert [v._prev for v in made] == [(x,) for x in xs]
    with autograd.no_grad():  # the general way: leaves
        assert [v._prev for v in engine.each(row.the_op, xs)] == [(), ()]


DOTS = [row for row in ROWS if row.variadic]


@pytest.mark.parametrize("row", DOTS, ids=[r.id for r in DOTS])
def test_the_fused_layer_builds_what_make_node_builds(row: Row) -> None:
    n = len(row.point()) // 2
    xs = inputs(row)
    ws, x, bias = xs[:n], xs[n:2 * n], (xs[2 * n] if len(xs) % 2 else None)
    rows = [ws, ws[::-1]]
    made = autograd.dots(rows, x, None if bias is None else [bias, bias])
    for node, weights in zip(made, rows):
        parents = (*weights, *x) if bias is None else (*weights, *x, bias)
        assert fields(node) == fields(engine.make_node(row.the_op, parents))
        assert node._prev == parents
    numbers = autograd.dots([[w.data for w in ws]], x, None if bias is None else [bias.data])[0]
    assert numbers.data == made[0].data and [p.data for p in numbers._prev] == [p.data for p in made[0]._prev]


@pytest.mark.parametrize("number", [2.5, -3, 0, 10**400], ids=["float", "int", "zero", "huge int"])
@pytest.mark.parametrize("row", [r for r in ONE_OR_TWO if r.arity == 2], ids=lambda r: r.id)
def test_a_plain_number_becomes_the_leaf_value_would_make(row: Row, number: Any) -> None:
    a = Value(2.0)
    if number == 10**400:  # too large for a float: the constructor's error, naming Value
        with pytest.raises(OverflowError, match="Value: the number is too large"):
            engine._operator(row.the_op)(a, number)
        return
    made = [(engine._reflected(row.the_op)(a, number), "_a", "_b")]  # number <op> a
    if not (number == 0 and row.op == "div"):  # a <op> number, where defined
        made.append((engine._operator(row.the_op)(a, number), "_b", "_a"))
    for node, const, other in made:
        leaf = getattr(node, const)
        assert fields(leaf) == fields(Value(number)) and getattr(node, other) is a
        assert fields(node) == fields(engine.make_node(row.the_op, node._prev))


def test_a_constant_leaf_is_made_only_for_exact_floats_and_ints() -> None:
    a = Value(2.0)
    assert (a * True)._prev[1].data == 1.0  # bool, Fraction, NumPy: through apply, as before
    with pytest.raises(TypeError, match="mul: expected a number or a Value, got str"):
        a * "2"  # type: ignore[operator]
    with autograd.no_grad():
        assert (a * 2.0)._prev == () and (2.0 * a)._prev == ()


def _general(nodes: list[Value]) -> None:
    """The general loop on floats (a watcher that does nothing turns the float-only path off)."""
    engine._chain_rule(reversed(nodes), False, lambda *edge: None)


def _parents_for(row: Row) -> list[list[Value]]:
    """Distinct inputs, and the same input in every place (``x * x``: the rule sees one node twice)."""
    xs = inputs(row)
    same = Value(row.point()[0])
    if row.variadic or any(same.data not in d for d in row.domain):
        return [xs]
    return [xs, [same] * row.arity]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_the_float_only_chain_rule_gives_the_general_loops_bits(row: Row) -> None:
    for parents in _parents_for(row):
        results = []
        for run in (engine._backprop, _general):
            grads = iter([0.3, -1.25, 7.0, 1e-3, 2.0])
            for p in parents:
                p.grad = next(grads)  # gradients already there: the rule adds to them
            node = engine.make_node(row.the_op, tuple(parents))
            node.grad = -0.7
            run([*dict.fromkeys(parents), node])
            results.append([bits(p.grad) for p in parents])
        assert results[0] == results[1]


def test_the_float_only_chain_rule_names_the_op_of_a_failing_rule_as_the_general_loop_does() -> None:
    for run in (engine._backprop, _general):
        x = Value(0.0)
        node = x.sqrt()
        node.grad = 1.0
        with pytest.raises(ZeroDivisionError, match="sqrt: in the backward pass") as caught:
            run([x, node])
        assert caught.value.node is node  # type: ignore[attr-defined]


# --- the walk ----------------------------------------------------------------------------------


def recursive_order(root: Value) -> list[Value]:
    """micrograd's order: visit each parent in order, then place the node (a recursive reference)."""
    order: list[Value] = []
    seen: set[Value] = set()

    def visit(v: Value) -> None:
        if v not in seen:
            seen.add(v)
            for p in v._prev:
                visit(p)
            order.append(v)

    visit(root)
    return order


def random_graph(seed: int) -> Value:
    """Sums, products, unary ops, dots, nodes used again, hand-made nodes of both kinds, on a few leaves."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1, 1)) for _ in range(rng.randint(1, 5))]
    for _ in range(rng.randint(1, 40)):
        pick = lambda: rng.choice(nodes)  # noqa: E731
        kind = rng.randrange(7)
        if kind == 0:
            new = pick() + pick()
        elif kind == 1:
            new = pick() * pick()
        elif kind == 2:
            new = pick().tanh()
        elif kind == 3:
            k = rng.randint(0, 3)
            ws, xs = [pick() for _ in range(k)], [pick() for _ in range(k)]
            new = autograd.dot(ws, xs, pick() if k % 2 else None)
        elif kind == 4:
            new = 2.0 - pick()
        elif kind == 5:
            a, b = pick(), pick()
            new = Value(a.data * b.data, (a, b), (b.data, a.data))  # microgpt's way
        else:
            new = Value(0.5, [pick() for _ in range(rng.randint(0, 3))], "mystery")
        nodes.append(new)
    return sum(nodes[-3:], nodes[0])


@pytest.mark.parametrize("seed", range(60))
def test_the_walk_is_micrograds_recursive_order(seed: int) -> None:
    root = random_graph(seed)
    assert engine.topological_order(root) == recursive_order(root)


def test_the_walk_resets_non_leaf_grads_only_and_goes_a_million_deep() -> None:
    x = Value(1.0)
    y = x
    for _ in range(10**6):
        y = y + x
    x.grad = 5.0
    for v in engine.topological_order(y)[1:]:
        v.grad = 3.0
    order = engine.topological_order(y, reset=True)
    assert len(order) == 10**6 + 1 and order[0] is x and order[-1] is y
    assert x.grad == 5.0 and all(v.grad == 0.0 for v in order[1:])
    assert sys.getrecursionlimit() < 10**6  # the walk above could not have recursed


# --- the collector, paused across threads ------------------------------------------------------


def _in_turns(steps: list[tuple[str, str]]) -> list[bool]:
    """Threads A and B each enter and leave ``gc_paused()`` in the order of ``steps``; the main thread
    lets one step happen at a time and records ``gc.isenabled()`` after each (no timing involved)."""
    go = {(who, what): threading.Event() for who, what in steps}
    done = {key: threading.Event() for key in go}

    def thread(who: str) -> None:
        go[who, "enter"].wait(10)
        with gc_paused():
            done[who, "enter"].set()
            go[who, "leave"].wait(10)
        done[who, "leave"].set()

    threads = [threading.Thread(target=thread, args=(who,)) for who in "AB"]
    for t in threads:
        t.start()
    seen = []
    for step in steps:
        go[step].set()
        assert done[step].wait(10)
        seen.append(gc.isenabled())
    for t in threads:
        t.join(10)
    return seen


ENTERS = [("A", "enter"), ("B", "enter")]


@pytest.mark.parametrize("leaves", list(permutations([("A", "leave"), ("B", "leave")])),
                         ids=["A first", "B first"])
@pytest.mark.parametrize("was_on", [True, False], ids=["collector on", "collector off"])
def test_gc_paused_across_threads_keeps_the_collector_off_until_the_last_pause_ends(
        leaves: tuple[tuple[str, str], ...], was_on: bool) -> None:
    """Why a count, not a saved flag: thread B, pausing while A has paused, would save "off"; when A
    leaves it turns the collector on under B (and a ``gc.disable()`` of B's, run just after, leaves
    it off for good: issue 26, item 14). Counted, the collector comes back when the last pause ends."""
    (gc.enable if was_on else gc.disable)()
    try:
        seen = _in_turns([*ENTERS, *leaves])
    finally:
        gc.enable()
    assert seen == [False, False, False, was_on]


def test_gc_paused_is_public() -> None:
    assert autograd.gc_paused is engine.gc_paused and "gc_paused" in autograd.__all__


# --- sizes ---------------------------------------------------------------------------------------


def test_a_node_is_one_object_for_the_collector() -> None:
    """Parents in slots: a node of one or two parents is one object the cyclic collector tracks (its
    number is a float, which it does not track), a node made with a plain number two (the constant)."""
    x = Value(1.0)
    gc.collect()
    with gc_paused():
        before = len(gc.get_objects())
        y = x
        for _ in range(1000):
            y = (y + x).tanh()
        middle = len(gc.get_objects())
        for _ in range(1000):
            y = y * 0.5
        after = len(gc.get_objects())
    assert 2000 <= middle - before <= 2010 and 2000 <= after - middle <= 2010
