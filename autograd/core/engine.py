"""The scalar engine: :class:`Value`, the graph it records, and the backward pass.

    a, b = Value(2.0, label='a'), Value(-3.0, label='b'); L = (a * b + 1).tanh()
    L.backward()                          # a.grad == dL/da, b.grad == dL/db
    grad(L, [a], create_graph=True)[0]    # dL/da as a Value: differentiate it again

The map of the main path, in the order a reader meets it in this file (micrograd's anatomy:
``data``, ``grad``, ``_prev``, ``_op``, kept under the same names):

1. ``a * b`` calls ``Value.__mul__``, made by :func:`_operator` from the op ``MUL`` of the table
   (:mod:`autograd.core.ops`: each op's number, ``forward``, and its local derivatives, ``local``).
   It computes ``MUL.forward(a.data, b.data)`` and fills a new node's slots, exactly as the one node
   constructor :func:`make_node` does. A plain number as ``b`` (``a * 2``, ``0 + a``) becomes a
   constant leaf first; anything unusual (``no_grad``, a watcher, a NumPy array) goes to
   :func:`apply`, which ends in ``make_node`` too.
2. The parents are kept in two slots, ``_a`` and ``_b`` (one parent: ``_b`` is None; none or many, as
   ``dot`` has: ``_a`` is a tuple). ``_prev`` reads and sets them as one ordered tuple.
3. ``L.backward()`` lists every node ``L`` depends on with :func:`topological_order` (parents before
   children), then :func:`_backprop` walks that list backwards: each node adds
   ``grad * d(node)/d(parent)`` to each parent's ``grad``. That is the chain rule, one line of it per
   edge; the local derivatives come from the op's ``local`` rule, and ``+ - * dot`` spell theirs out.
4. ``create_graph=True`` or a watcher (anomaly mode, ``explain``) take :func:`_chain_rule`, the same rule
   written once for every case: gradients as Values, each edge shown to the watcher.

Nodes built by hand, micrograd's way (a ``_backward`` closure) or microgpt's (local derivatives given
as numbers), are handled in :mod:`autograd.core.handmade`. Graphs have no reference cycles, so a
dropped graph is freed at once and the cyclic collector may be paused: :func:`gc_paused`."""

from __future__ import annotations

import numbers
import operator
from contextlib import nullcontext
from functools import lru_cache
from typing import Any, Callable, Iterable

from . import handmade, ops
from .grad_mode import Watcher, gc_paused, recording
from .ops import ADD, DOT, MUL, SUB, Op, pow_const

__all__ = ["Value", "Watcher", "apply", "each", "grad", "topological_order", "local_derivatives", "gc_paused",
           "make_node", "recording"]


_recording, _new = recording.get, object.__new__  # bound once: every node calls them
_ALONE: Any = object()  # "no second operand": a unary op's call of the shared operator method


def make_node(op: Op, parents: tuple[Value, ...], data: float | None = None, kind: type | None = None) -> Any:
    """The node constructor: ``op`` applied to ``parents``, its number computed unless given (``kind``: a
    subclass of Value to make, as the replay's traced nodes)."""
    v: Any = _new(Value if kind is None else kind)
    n = len(parents)
    if n == 2:
        v.data = op.forward(parents[0].data, parents[1].data) if data is None else data
        v._a = parents[0]
        v._b = parents[1]
    elif n == 1:
        v.data = op.forward(parents[0].data) if data is None else data
        v._a = parents[0]
        v._b = None
    else:
        v.data = op.forward(*map(_data, parents)) if data is None else data
        v._a = tuple(parents)
        v._b = None
    v.grad = 0.0
    v._op = op
    return v


def _operator(op: Op) -> Callable[..., Value]:
    """The method ``a <op> b`` (or ``a.<op>()``) of Value: :func:`make_node`'s lines spelled out once,
    for the common case (recording, a Value or a plain float/int as ``b``), 1.5x faster (make bench)."""
    forward = op.forward

    def method(a: Value, b: Any = _ALONE) -> Value:
        if _recording() is not True:  # no_grad, or a watcher: the general way
            return apply(op, a) if b is _ALONE else apply(op, a, b)
        if b.__class__ is Value:
            data = forward(a.data, b.data)
        elif b is _ALONE:  # a unary op
            data, b = forward(a.data), None
        elif b.__class__ is float or b.__class__ is int:
            b = _constant(b)
            data = forward(a.data, b.data)
        else:
            return apply(op, a, b)
        v = _new(Value)
        v.data = data
        v.grad = 0.0
        v._op = op
        v._a = a
        v._b = b
        return v
    method.__doc__ = op.__doc__
    return method


def each(op: Op, values: Iterable[Value]) -> list[Value]:
    """``[op(v) for v in values]`` for a unary op (a layer's activations): while recording, the nodes
    :func:`make_node` makes, its lines spelled out in one loop (tests/core/test_fast_paths.py compares them
    for every op row). Why: one call per node less, 3% of the fused demo step's forward pass
    (callgrind; make bench's row against commit 507c22a). Anything else (``no_grad``, a watcher, a
    number) goes through ``apply``."""
    if _recording() is not True:
        return [apply(op, v) for v in values]
    forward, out = op.forward, []
    for a in values:
        if a.__class__ is not Value:
            out.append(apply(op, a))
            continue
        v = _new(Value)
        v.data = forward(a.data)
        v.grad = 0.0
        v._op = op
        v._a = a
        v._b = None
        out.append(v)
    return out


def _unary(op: Op) -> Callable[[Value], Value]:
    """The method ``a.<op>()`` of Value: the shared one, called with no second operand."""
    method = _operator(op)

    def unary(a: Value) -> Value:
        return method(a)
    unary.__doc__ = op.__doc__
    return unary


def _reflected(op: Op) -> Callable[[Value, Any], Value]:
    """``number <op> a``: the number as a constant leaf, then the op, its operands in written order."""
    method = _operator(op)
    return lambda a, b: method(_constant(b), a) if b.__class__ is float or b.__class__ is int else \
        apply(op, b, a)


def _constant(x: float | int) -> Value:  # what Value(x) makes, for an exact float or int, unchecked
    v = _new(Value)
    try:
        v.data = float(x)
    except OverflowError:
        return Value(x)  # its error names Value and the number
    v.grad = 0.0
    v._op = ""
    v._a = ()
    v._b = None
    return v


class Value(handmade.NotANumber):  # float(v), v > 0, max(a, b): errors that say "use v.data"
    """One number in a computation, with the gradient of some output with respect to it.

    ``Value(data, _children=(), _op='', label='')``, in micrograd's order; microgpt's
    ``Value(data, children, local_grads)`` too (a tuple of numbers as the third argument). ``grad``
    is d(output)/d(this), 0.0 until ``backward()``; ``_prev`` the parents in argument order
    (``x * x`` has ``(x, x)``); ``_op`` the op that made it (``''``: a leaf). Free attributes may be
    set (see core.handmade)."""

    __slots__ = ("data", "grad", "_op", "_a", "_b", "__dict__")
    label = ""  # a name for pictures and messages; one set is kept with the free attributes (8 bytes a node)

    def __init__(self, data: Any, _children: Iterable[Value] = (), _op: Any = "", label: str = "",
                 *, _prev: Iterable[Value] | None = None) -> None:
        self.data = data if data.__class__ is float else handmade.to_float(data, "Value")
        self.grad: Any = 0.0
        if label != "":
            self.label = label if isinstance(label, str) else handmade.bad("label", label, "a str")
        if _children or _prev:
            parents = handmade.parents(_children, _prev, Value)
            self._a, self._b = _slots(parents)
        else:
            parents, self._a, self._b = (), (), None
        self._op: str = _op if isinstance(_op, str) else handmade.given(_op, len(parents))

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The parents, in argument order (micrograd's name; they live in the slots ``_a``, ``_b``)."""
        a = self._a
        return a if a.__class__ is tuple else (a,) if self._b is None else (a, self._b)

    @_prev.setter
    def _prev(self, parents: Iterable[Value]) -> None:
        self._a, self._b = _slots(handmade.parents(parents, None, Value))

    _children = _prev  # microgpt's name for the same tuple

    @property
    def _local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent, as numbers (microgpt's name), computed when asked."""
        return tuple(float(d) for d in local_derivatives(self))

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def item(self) -> float: return float(self.data)  # the number held (PyTorch's name for it)

    def draw(self, **options: Any) -> Any:
        """The graph as a picture: :func:`autograd.see.draw.draw_dot`."""
        from ..see.draw import draw_dot
        return draw_dot(self, **options)

    def formula(self, **options: Any) -> Any:
        """The expression as text and LaTeX: :func:`autograd.see.formula.formula`."""
        from ..see.formula import formula
        return formula(self, **options)

    def _repr_html_(self) -> str:
        """In Jupyter: a small box, as graphs draw it (:func:`autograd.see.display.value_html`)."""
        from ..see.display import value_html
        return value_html(self)

    _apply_op = staticmethod(lambda op, *args: apply(op, *args))  # how a call ``op(v)`` reaches the engine

    # -- arithmetic: each name is one op of the table, given its inputs ---------------------------
    __add__, __sub__, __mul__, __truediv__ = map(_operator, (ADD, SUB, MUL, ops.DIV))
    __radd__, __rsub__, __rmul__, __rtruediv__, __rpow__ = map(_reflected, (ADD, SUB, MUL, ops.DIV, ops.POW))
    def __pos__(self) -> Value: return self
    __neg__, __abs__, abs, exp, log = map(_unary, (ops.NEG, ops.ABS, ops.ABS, ops.EXP, ops.LOG))
    tanh, sigmoid, relu, sqrt, sin, cos = map(_unary, (ops.TANH, ops.SIGMOID, ops.RELU, ops.SQRT, ops.SIN,
                                                       ops.COS))

    def __pow__(self, other: Any) -> Value:
        """``a ** k`` for a number k (one parent, as in micrograd) or ``a ** b`` for a Value b."""
        if other.__class__ is float or other.__class__ is int:
            return _power_method(other)(self)
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return apply(pow_const(other), self)  # type: ignore[arg-type]  # names pow for a huge int
        return apply(ops.POW, self, other)

    # -- the chain rule ------------------------------------------------------------------------------
    def _backward(self) -> None:
        """One chain-rule step by hand: ``p.grad += self.grad * d(self)/d(p)``, ``+=`` as paths add up."""
        _chain_rule([self])

    def backward(self, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this Value depends on with d(self)/d(node).

        Children go first (the reverse of a topological order), so a node passes its gradient
        on only once all its users have added theirs. Leaves accumulate across calls, as in
        PyTorch; ``create_graph=True`` makes the gradients Values, to differentiate again."""
        if create_graph.__class__ is not bool:
            raise TypeError(f"backward: create_graph must be True or False, got {type(create_graph).__name__}"
                            f": {create_graph!r:.40} (there is no gradient argument: d(self)/d(self) is 1)")
        with gc_paused():
            _run(self, topological_order(self, reset=True), create_graph)


@lru_cache(maxsize=1024)
def _power_method(k: float) -> Callable[[Value], Value]:  # ``a ** k``: the method of k's op (one op per k)
    return _unary(pow_const(k))  # (pow_const converts k, naming pow for an int too large for a float)


def _slots(parents: tuple[Value, ...]) -> tuple[Any, Any]:
    """``(_a, _b)`` for these parents: two of them as they are, one and None, else the tuple and None."""
    n = len(parents)
    return (parents[0], parents[1]) if n == 2 else (parents[0], None) if n == 1 else (parents, None)


def _operand(x: Any, op: Op) -> Value | None:
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(x)
    if hasattr(x, "__array_ufunc__"):
        return None  # so that ``value * array`` lets NumPy apply the op to each item
    raise TypeError(f"{op.name}: expected a number or a Value, got {type(x).__name__}: {x!r:.80}")


def apply(op: Op, *args: Any) -> Any:
    """``op`` applied to Values and numbers: a new node (a leaf inside ``no_grad``); the general way in."""
    for a in args:
        if a.__class__ is not Value:
            args = tuple([_operand(x, op) for x in args])
            if any(p is None for p in args):
                return NotImplemented
            break
    state = _recording()
    if state is True:
        return make_node(op, args)
    if state is False:
        return Value(op.forward(*map(_data, args)))
    return state.node(op, args)


def topological_order(root: Value, reset: bool = False) -> list[Value]:
    """Every node ``root`` depends on, itself last, each after all of its parents (``reset``: set every
    non-leaf's grad to 0 on the way, as backward does). Why an order: a node may pass its gradient on
    only once all its users have, and walking this list backwards guarantees it.

    The order is exactly micrograd's recursive one (visit the parents in order, then place the node),
    so gradients add up in the same order, to the last bit; but with a stack instead of recursion, so
    a million nodes deep is fine. ``v`` is the node being visited; a parent not yet seen is visited
    next, and the node waits on the stack under ``_EMIT`` ("its parents are done: place it") with its
    other parents above; a leaf, or a node whose parents are all seen, is placed at once."""
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__}: {root!r:.80}")
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Any] = []
    place, see = order.append, seen.add
    push, pop = stack.append, stack.pop
    v: Any = root
    while True:
        see(v)
        a = v._a
        if a.__class__ is tuple:  # none or many parents
            if a and reset:
                v.grad = 0.0
            if not a or seen.issuperset(a):
                place(v)
            else:  # leaves placed at once, up to the first parent to visit; the rest wait on the stack
                for i, p in enumerate(a):
                    if p not in seen:
                        if p._a is not _NO_PARENTS:
                            push(v)
                            push(_EMIT)
                            stack.extend(reversed(a[i + 1:]))
                            break
                        see(p)
                        place(p)
                else:
                    place(v)
                    p = None
                if p is not None:
                    v = p
                    continue
        else:  # one or two parents, the common case, without a loop
            if reset:
                v.grad = 0.0
            b = v._b
            if a not in seen:
                if a._a is _NO_PARENTS:  # a leaf (a check by identity: no __bool__ is asked)
                    see(a)
                    place(a)
                else:
                    push(v)
                    push(_EMIT)
                    if b is not None:
                        push(b)
                    v = a
                    continue
            if b is not None and b not in seen:
                if b._a is _NO_PARENTS:
                    see(b)
                    place(b)
                else:
                    push(v)
                    push(_EMIT)
                    v = b
                    continue
            place(v)
        while stack:  # the next node to visit: the first on the stack not seen yet
            v = pop()
            if v is _EMIT:
                place(pop())
            elif v not in seen:
                break
        else:
            return order


_EMIT: Any = object()
_NO_PARENTS = ()  # a leaf's _a (CPython has one empty tuple; another one would only be slower)


def _run(root: Value, order: list[Value], create_graph: bool, watch: Any = None) -> None:
    """Seed d(root)/d(root) = 1 (a leaf root adds it, as leaves accumulate), then the chain rule."""
    one, state = Value(1.0) if create_graph else 1.0, _recording()
    root.grad = _plus(root.grad, one) if not root._prev else one
    watch = watch or getattr(state, "edge", None)
    if not create_graph and watch is None:
        return _backprop(order)
    with getattr(state, "backward", nullcontext)():  # a watcher may want to know (anomaly mode does)
        _chain_rule(reversed(order), create_graph, watch)


def _backprop(order: list[Value]) -> None:
    """:func:`_chain_rule` on floats, unwatched (every ``backward()`` without ``create_graph``): the same
    rule, each edge's ``p.grad += g * d`` in the same order, ``+ - * dot`` spelled out (``d`` = 1, -1,
    the other operand; ``g * 1.0`` is ``g`` to the bit), other ops asked for their table rule. 2-3x
    faster than the general loop (make bench)."""
    v = None
    try:
        for v in reversed(order):
            g = v.grad
            if g == 0:
                continue  # a zero gradient passes nothing on (and a leaf has nothing to pass)
            a, b, op = v._a, v._b, v._op
            if op.__class__ is not Op:
                if a.__class__ is not tuple or a:  # not a leaf
                    handmade.step(v, False, None)
            elif b is not None:
                if op is MUL:
                    a.grad += g * b.data
                    b.grad += g * a.data
                elif op is ADD:
                    a.grad += g
                    b.grad += g
                elif op is SUB:
                    a.grad += g
                    b.grad += g * -1.0
                else:
                    da, db = op.local(v.data, a.data, b.data)
                    a.grad += g * da
                    b.grad += g * db
            elif a.__class__ is not tuple:
                (da,) = op.local(v.data, a.data)
                a.grad += g * da
            elif op is DOT:
                n = len(a) >> 1
                ws, xs = a[:n], a[n:n + n]
                for w, x in zip(ws, xs):
                    w.grad += g * x.data
                for w, x in zip(ws, xs):
                    x.grad += g * w.data
                if len(a) & 1:
                    a[-1].grad += g
            elif a:
                for p, d in zip(a, op.local(v.data, *map(_data, a))):
                    p.grad += g * d
    except ArithmeticError as e:
        raise _named(e, v) if v is not None and v._op.__class__ is Op else e from None
    except TypeError:
        if v is not None:
            handmade.check_grads(v)  # a grad set to None by hand gets a message naming its node
        raise


def _named(e: ArithmeticError, v: Value) -> ArithmeticError:  # the op named; the node kept for tools
    error = type(e)(f"{v._op.name}: in the backward pass: {e}")  # type: ignore[attr-defined]
    error.node = v  # type: ignore[attr-defined]
    return error


def _chain_rule(nodes: Iterable[Value], create_graph: bool = False, watch: Any = None) -> None:
    """Chain rule: each node, children first, adds ``grad * d(node)/d(parent)`` to each parent; a zero
    gradient passes nothing (``0 * inf`` gives no NaN). The general loop: Values too, and watched."""
    for v in nodes:
        parents, g = v._prev, v.grad
        if not parents or (g == 0 and not create_graph):
            continue
        if v._op.__class__ is not Op:  # built by hand: its own closure, or its given numbers
            handmade.step(v, create_graph, watch)
            continue
        try:
            ds = local_derivatives(v, create_graph)
        except ArithmeticError as e:
            raise _named(e, v) from None
        try:
            for i, (p, d) in enumerate(zip(parents, ds)):
                before = p.grad
                contribution = _times(g, d) if create_graph else g * d
                p.grad = _plus(before, contribution) if create_graph else before + contribution
                if watch is not None:
                    watch(v, i, g, d, contribution, before)
        except TypeError:
            handmade.check_grads(v)
            raise


def _times(g: Any, d: Any) -> Any:  # create_graph: g * d as a Value, g itself for d = 1 (fewer nodes)
    return g if d.__class__ is float and d == 1.0 else g * d


def _plus(total: Any, contribution: Any) -> Any:  # create_graph: total + contribution (itself for total 0)
    return contribution if total.__class__ is float and total == 0 else total + contribution


def local_derivatives(v: Value, create_graph: bool = False) -> tuple[Any, ...]:
    """d v / d p per parent: the op's rule on the numbers (on nodes with ``create_graph``), or what the
    node built by hand gives (its closure, or its numbers). Every tool reads local derivatives here."""
    op, parents = v._op, v._prev
    if op.__class__ is not Op:
        return handmade.local(v, create_graph) if parents else ()
    if create_graph:
        return op.local(v, *parents)
    return op.local(v.data, *map(_data, parents))


_data = operator.attrgetter("data")


def grad(output: Value, inputs: Iterable[Value] | Value, create_graph: bool = False,
         watch: Any = None) -> list[Any]:
    """The gradients d(output)/d(input) as a list, leaving every ``.grad`` as it was (an input
    the output does not use gets 0). With ``create_graph=True`` each is a Value with a graph::

        x = Value(2.0); y = x ** 3
        (dy,) = grad(y, [x], create_graph=True)    # 3x**2 = 12
        (d2y,) = grad(dy, [x])                     # 6x = 12

    ``watch(node, i, upstream, local, contribution, before)`` sees each edge after it is added."""
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    if create_graph.__class__ is not bool:
        raise TypeError(f"grad: create_graph must be True or False, got {create_graph!r:.60}")
    if isinstance(inputs, Value):  # one input, as PyTorch takes it: a list of one gradient
        inputs = [inputs]
    if isinstance(inputs, (set, frozenset, dict)):  # no order: gradients would come back in any order
        raise TypeError(f"grad: inputs must be a list or a tuple of Values (in the order you want the "
                        f"gradients), got a {type(inputs).__name__}, which has no order")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    grads = _gradients(output, topological_order(output), create_graph, watch)
    out = [grads.get(x, 0.0) for x in inputs]
    return [g if isinstance(g, Value) else Value(g) for g in out] if create_graph else out


def _gradients(output: Value, order: list[Value], create_graph: bool, watch: Any) -> dict[Value, Any]:
    """The chain rule of :func:`_chain_rule` with the gradients in a dict of this call's own.

    Why not ``.grad``: the nodes are shared. Another thread (or a tool) may be reading or
    filling their ``.grad`` at the same time; a ``grad()`` that zeroed, filled and restored it
    gave other threads wrong numbers. Here no ``.grad`` is read or written (a node built by
    hand gives its local derivatives through core.handmade, which puts back all it touches)."""
    state = recording.get()
    watch = watch or getattr(state, "edge", None)
    grads: dict[Value, Any] = {output: Value(1.0) if create_graph else 1.0}
    with getattr(state, "backward", nullcontext)():
        for v in reversed(order):
            parents, g = v._prev, grads.get(v, 0.0)
            if not parents or v not in grads or (g == 0 and not create_graph):
                continue
            try:
                ds = local_derivatives(v, create_graph)
            except ArithmeticError as e:  # name the op, as _chain_rule does
                error = type(e)(f"{getattr(v._op, 'name', v._op)}: in the backward pass: {e}")
                error.node = v  # type: ignore[attr-defined]
                raise error from None
            for i, (p, d) in enumerate(zip(parents, ds)):
                before = grads.get(p, 0.0)
                share = _times(g, d) if create_graph else g * d
                grads[p] = _plus(before, share) if create_graph else before + share
                if watch is not None:
                    watch(v, i, g, d, share, before)
    return grads
