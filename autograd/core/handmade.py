"""Nodes built by hand: micrograd's way (a string op and a ``_backward`` closure) and microgpt's
(the local derivatives given as numbers).

The micrograd lecture adds ops to its ``Value`` class like this, and the same
code runs here::

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), 'tanh')
        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out

Such a node's op is a plain string, not an entry of the op table, so the
engine asks the node itself: ``backward()`` calls its closure, exactly as
micrograd does, and the tools that show local derivatives (edge labels,
``explain``, the player, forward mode) run the closure once with an upstream
gradient of 1 and read what it added to each parent, putting every gradient
back afterwards (the parents' and that of every Value the closure holds, as it
may write outside its ``_children``). What a closure cannot do is build a graph of its own gradient
(``create_graph=True``): for that, define the op with :func:`autograd.define_op`.

microgpt's way gives each parent's local derivative as a number, the third argument::

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1 - t * t,))

Such a node's op is :class:`Given` (drawn ``f``), which holds the numbers: ``backward()``
multiplies them in as microgpt does, and the tools read them as any op's local derivatives.
Being numbers, they cannot be differentiated again (``create_graph=True`` refuses, as for a closure).

Also here: the checks of ``Value(data, _children=(), _op='', label='')``'s arguments,
whose errors spell out micrograd's argument order, and the errors of what a Value is not
(a plain number: :func:`not_a_number`).
"""

from __future__ import annotations

import numbers
import threading
import types
from typing import Any, Callable, Iterable

_RUNNING = threading.RLock()
_ORDER = "Value(data, _children=(), _op='', label=''), as in micrograd; pass label= by name"


def bad(arg: str, got: Any, expected: str) -> Any:
    """A TypeError for a constructor argument of the wrong kind, with the argument order spelled out."""
    raise TypeError(f"Value: {arg} must be {expected}, got {type(got).__name__}: {got!r:.60} "
                    f"(the order is {_ORDER})")


class Given(str):
    """The op of a node made microgpt's way: its local derivatives, one number per parent, in ``grads``."""

    grads: tuple[float, ...]

    def __new__(cls, grads: tuple[float, ...]) -> Given:
        self = super().__new__(cls, "f")
        self.grads = grads
        return self

    def __reduce__(self) -> Any:
        return Given, (self.grads,)


def given(local_grads: Any, n_parents: int) -> str:
    """The op for ``Value(data, children, local_grads)``: a :class:`Given` ('' for no parents)."""
    if not isinstance(local_grads, (tuple, list)):
        bad("_op", local_grads, "a str (micrograd's op) or a tuple of numbers (microgpt's local_grads)")
    if len(local_grads) != n_parents:
        raise TypeError(f"Value: expected one local derivative per child ({n_parents}), got "
                        f"{len(local_grads)}: {local_grads!r:.60}")
    grads = tuple(to_float(d, "Value: each of local_grads") for d in local_grads)
    return Given(grads) if grads else ""


def not_a_number(how: str) -> Callable[..., Any]:
    """Value's method for ``float(v)``, ``round(v)``, ``v > 0``...: a TypeError that says what to write.

    Why refuse rather than convert, as PyTorch converts ``float(t)``: a Value that turned into a float
    by itself would let ``math.exp(v)`` or ``max(a, b)`` drop out of the graph in silence, and the
    gradient would be wrong with no error. The number is one attribute away (``v.data``), and a
    comparison is not an op with a gradient. ``==`` stays identity, so Values live in sets and dicts.
    """
    def refuse(self: Any, *args: Any) -> Any:
        raise TypeError(f"{how} on a Value (data={self.data!r:.40}): a Value is not a plain number; "
                        + _NOT_A_NUMBER[how])
    return refuse


_USE_DATA = "use its number, v.data (or v.item())"
_NOT_A_NUMBER = {
    "float(v)": f"{_USE_DATA}; for math.exp(v), math.sin(v)... use v.exp(), v.sin(), which keep the gradient",
    "int(v)": f"{_USE_DATA}, as in int(v.data)",
    "round(v)": "round its number, round(v.data)",
    **{f"v {op} w": (f"compare the numbers, v.data {op} w.data (max(a, b) and sorted() compare too: "
                     f"max(a, b, key=lambda v: v.data)); a comparison has no gradient")
       for op in ("<", "<=", ">", ">=")},
}


class NotANumber:
    """Value's base: ``float(v)``, ``int(v)``, ``round(v)``, ``v < w``... raise a TypeError that says what
    to write (see :func:`not_a_number` for why). No ``__eq__``: a Value's ``==`` stays its identity."""

    __slots__ = ()
    __float__, __int__, __round__ = map(not_a_number, ("float(v)", "int(v)", "round(v)"))
    __lt__, __le__, __gt__, __ge__ = (not_a_number(f"v {op} w") for op in ("<", "<=", ">", ">="))


def check_grads(v: Any) -> None:
    """After a TypeError in a chain-rule step of ``v``: the error to give if one of its parents'
    ``grad`` is not a number (``p.grad = None`` set by hand); returns when they all are."""
    for p in v._prev:
        g = getattr(p.grad, "data", p.grad)  # a Value's number, with create_graph
        if isinstance(g, bool) or not isinstance(g, numbers.Real):
            name = repr(p.label) if p.label else f"a {'node' if p._prev else 'leaf'} with data {p.data!r}"
            raise TypeError(f"backward: {name} has grad {p.grad!r:.40}; expected a number to add to "
                            "(set it to 0.0, or call zero_grad())") from None


def to_float(x: Any, who: str) -> float:
    """The ``data`` given to ``Value(data)`` as a float (NumPy scalars are numbers), or a TypeError."""
    if hasattr(x, "_prev"):
        raise TypeError(f"{who}: data must be a number, got a Value; use its .data, or the Value itself")
    if not (isinstance(x, numbers.Real) or hasattr(x, "__float__")) or isinstance(x, (str, bytes, complex)) \
            or hasattr(x, "__len__"):
        raise TypeError(f"{who}: data must be a real number (int, float, bool, a NumPy scalar), got "
                        f"{type(x).__name__}: {x!r:.80}")
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(f"{who}: the number is too large for a float ({x!r:.30}...; expected at most "
                            "about 1.8e308)") from None


def parents(children: Iterable[Any], prev: Iterable[Any] | None, value: type) -> tuple[Any, ...]:
    """The parents given to ``Value(data, _children)`` (or by the keyword ``_prev``), checked, as a tuple."""
    if prev is not None and children:
        raise TypeError("Value: give the parents once, as _children or as _prev, not both")
    given = children if prev is None else prev
    if not isinstance(given, (tuple, list, set, frozenset)):
        bad("_children", given, "a tuple of Values")
    for p in given:
        if not isinstance(p, value):
            bad("each of _children", p, "a Value")
    return tuple(given)


def closure(v: Any, create_graph: bool = False) -> Callable[[], None]:
    """The node's ``_backward`` closure, or a clear error when it has none (or cannot do what is asked)."""
    if isinstance(v._op, Given):  # no closure: its numbers do the step (see step)
        if create_graph:
            raise TypeError("grad: create_graph=True cannot differentiate through a node whose local "
                            "derivatives were given as numbers (microgpt's way); define the op with "
                            "autograd.define_op instead")
        return lambda: None
    fn = v.__dict__.get("_backward")
    if fn is None:
        raise TypeError(f"backward: the node {v!r:.60} was made by {v._op!r}, which is not an op of the "
                        "table, and has no _backward closure: assign one, micrograd-style, or use "
                        "autograd.define_op")
    if create_graph:
        raise TypeError(f"grad: create_graph=True cannot differentiate through the hand-written op {v._op!r}"
                        ": "
                        "its _backward computes floats; define the op with autograd.define_op instead")
    return fn


def local(v: Any, create_graph: bool = False) -> tuple[float, ...]:
    """d v / d p for each parent, by running the closure with ``v.grad = 1`` and every parent's grad at 0.

    A parent used twice gets the whole of its derivative on its first edge (a
    closure adds both shares to one number) and 0 on the others, so sums over
    edges stay right. Every gradient is put back, whatever the closure does.
    """
    if isinstance(v._op, Given):
        closure(v, create_graph)  # refuses create_graph
        return v._op.grads
    fn = closure(v, create_graph)
    parents = v._prev
    with _RUNNING:  # one closure run at a time: two threads reading slopes must not see each other's 1s
        saved = [(u, u.grad) for u in {id(u): u for u in (v, *parents, *reachable(fn, type(v)))}.values()]
        try:
            v.grad = 1.0
            for p in parents:
                p.grad = 0.0
            fn()
            return tuple(0.0 if p in parents[:i] else float(p.grad) for i, p in enumerate(parents))
        finally:
            for u, g in saved:
                u.grad = g


def reachable(fn: Any, value: type) -> list[Any]:
    """Every Value a closure could write to besides its node's parents: those held in its cells, its
    defaults, the globals its code names, a bound method's object, one container deep, and the same
    for the functions found there. Why: a closure written by hand may add to any node it holds
    (``other.grad += ...``), and a tool that runs it to read a local derivative must put that back too."""
    found: list[Any] = []
    todo, seen = [fn], set[int]()
    while todo:
        f = todo.pop()
        if id(f) in seen or len(seen) > 1000:
            continue
        seen.add(id(f))
        code = getattr(f, "__code__", None)
        held: list[Any] = [getattr(f, "__self__", None), *(getattr(f, "__defaults__", None) or ())]
        held += [c.cell_contents for c in getattr(f, "__closure__", None) or () if _filled(c)]
        if code is not None:
            names = getattr(f, "__globals__", {})
            held += [names[n] for n in code.co_names if n in names]
        for h in held:
            for x in (h, *_contents(h)):
                if isinstance(x, value):
                    found.append(x)
                elif hasattr(x, "__code__") or hasattr(x, "__func__"):  # a function it may call
                    todo.append(x)
    return found


def _contents(h: Any) -> Any:
    """What a container or a plain object (not a module, a class or a function) holds, one level deep."""
    if isinstance(h, dict):
        return h.values()
    if isinstance(h, (tuple, list, set, frozenset)):
        return h
    if isinstance(h, (type, types.ModuleType)) or callable(h):
        return ()
    return getattr(h, "__dict__", {}).values()


def _filled(cell: Any) -> bool:
    try:
        return cell.cell_contents is not cell  # any content at all
    except ValueError:  # a cell not yet assigned
        return False


def step(v: Any, create_graph: bool, watch: Any) -> None:
    """One step of ``backward()`` for the node: its numbers multiplied in as microgpt does, or its
    closure called as micrograd calls it."""
    if isinstance(v._op, Given):
        closure(v, create_graph)  # only checks
        g = v.grad
        for i, (p, d) in enumerate(zip(v._prev, v._op.grads)):
            before = p.grad
            p.grad = before + g * d
            if watch is not None:
                watch(v, i, g, d, g * d, before)
        return
    fn = closure(v, create_graph)
    before = [p.grad for p in v._prev]
    ds = local(v) if watch is not None else ()
    fn()
    for i, d in enumerate(ds):
        watch(v, i, v.grad, d, v.grad * d, before[i])
