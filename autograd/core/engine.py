"""The scalar engine: :class:`Value`, the graph it records, and the backward pass.

    a, b = Value(2.0, label='a'), Value(-3.0, label='b'); L = (a * b + 1).tanh()
    L.backward()                          # a.grad == dL/da, b.grad == dL/db
    grad(L, [a], create_graph=True)[0]    # dL/da as a Value: differentiate it again

Each operation makes a Value that remembers its parents (``_prev``) and op (``_op``, from the
table in :mod:`autograd.ops`): the graph. ``backward()`` walks it from the output to the leaves,
applying the chain rule at every node; the table holds the local derivatives, this module moves them."""

from __future__ import annotations

import contextvars
import gc
import importlib
import numbers
import operator
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterable, Iterator

from . import handmade, ops
from .ops import Op, pow_const

__all__ = ["Value", "apply", "grad", "topological_order", "local_derivatives", "gc_paused", "make_node",
           "recording"]

# True while ops record the graph, False inside no_grad (autograd.core.grad_mode), or a watcher (anomaly
# mode, the replay) that makes each node, ``.node(op, parents)``, and may see each backward edge, ``.edge``.
recording: contextvars.ContextVar[Any] = contextvars.ContextVar("chainrule_recording", default=True)


def _binary(op: Op) -> Callable[[Value, Any], Value]:
    """The method ``a <op> b`` of Value. Two Values while recording (nearly every call) make their node
    here, as make_node does, 1.5x faster than through apply (make bench); anything else goes to apply."""
    def method(a: Value, b: Any) -> Value:
        if b.__class__ is not Value or recording.get() is not True:
            return apply(op, a, b)
        v = object.__new__(Value)
        v.data, v.grad, v.label, v._prev, v._op = forward(a.data, b.data), 0.0, "", (a, b), op
        return v
    forward, method.__doc__ = op.forward, op.__doc__
    return method


def _unary(op: Op) -> Callable[[Value], Value]:
    """The method ``a.<op>()`` of Value, as :func:`_binary` makes them."""
    def method(a: Value) -> Value:
        if recording.get() is not True:
            return apply(op, a)
        v = object.__new__(Value)
        v.data, v.grad, v.label, v._prev, v._op = forward(a.data), 0.0, "", (a,), op
        return v
    forward, method.__doc__ = op.forward, op.__doc__
    return method


class Value:
    """One number in a computation, with the gradient of some output with respect to it.

    ``Value(data, _children=(), _op='', label='')``, in micrograd's order. ``grad`` is d(output)/d(this),
    0.0 until ``backward()``; ``_prev`` holds the parents in argument order (``x * x`` has ``(x, x)``);
    ``_op`` is the op that made it (``''``: a leaf). Free attributes may be set (see core.handmade)."""

    __slots__ = ("data", "grad", "label", "_prev", "_op", "__dict__")

    def __init__(self, data: Any, _children: Iterable[Value] = (), _op: str = "", label: str = "",
                 *, _prev: Iterable[Value] | None = None) -> None:
        self.data = data if data.__class__ is float else handmade.to_float(data, "Value")
        self.grad: Any = 0.0
        self.label = label if isinstance(label, str) else handmade.bad("label", label, "a str")
        self._prev = handmade.parents(_children, _prev, Value) if _children or _prev else ()
        self._op: str = _op if isinstance(_op, str) else handmade.bad("_op", _op, "a str")

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def item(self) -> float: return float(self.data)  # the number held (PyTorch's name for it)

    def draw(self, **options: Any) -> Any:  # the graph as a picture: autograd.see.draw.draw_dot
        return importlib.import_module("autograd.see.draw").draw_dot(self, **options)
    def formula(self, **options: Any) -> Any:  # the expression as text and LaTeX: see.formula
        return importlib.import_module("autograd.see.formula").formula(self, **options)
    def _repr_html_(self) -> str:  # in Jupyter: a small box, as graphs draw it (autograd.see.display)
        return importlib.import_module("autograd.see.display").value_html(self)

    _apply_op = staticmethod(lambda op, *args: apply(op, *args))  # how a call ``op(v)`` reaches the engine

    # -- arithmetic: each name is one op of the table, given its inputs ---------------------------
    __add__, __sub__, __mul__, __truediv__ = map(_binary, (ops.ADD, ops.SUB, ops.MUL, ops.DIV))
    def __radd__(self, other: Any) -> Value: return apply(ops.ADD, other, self)
    def __rsub__(self, other: Any) -> Value: return apply(ops.SUB, other, self)
    def __rmul__(self, other: Any) -> Value: return apply(ops.MUL, other, self)
    def __rtruediv__(self, other: Any) -> Value: return apply(ops.DIV, other, self)
    def __rpow__(self, other: Any) -> Value: return apply(ops.POW, other, self)
    def __pos__(self) -> Value: return self
    __neg__, __abs__, abs, exp, log = map(_unary, (ops.NEG, ops.ABS, ops.ABS, ops.EXP, ops.LOG))
    tanh, sigmoid, relu, sqrt, sin, cos = map(_unary, (ops.TANH, ops.SIGMOID, ops.RELU, ops.SQRT, ops.SIN,
                                                       ops.COS))

    def __pow__(self, other: Any) -> Value:
        """``a ** k`` for a number k (one parent, as in micrograd) or ``a ** b`` for a Value b."""
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


def _operand(x: Any, op: Op) -> Value | None:
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(x)
    if hasattr(x, "__array_ufunc__"):
        return None  # so that ``value * array`` lets NumPy apply the op to each item
    raise TypeError(f"{op.name}: expected a number or a Value, got {type(x).__name__}: {x!r:.80}")


def apply(op: Op, *args: Any) -> Any:
    """``op`` applied to Values and numbers: a new node (a leaf inside ``no_grad``); all nodes come here."""
    for a in args:
        if a.__class__ is not Value:
            args = tuple([_operand(x, op) for x in args])
            if any(p is None for p in args):
                return NotImplemented
            break
    state = recording.get()
    if state is True:
        return make_node(op, args)
    if state is False:
        return Value(op.forward(*map(_data, args)))
    return state.node(op, args)


def make_node(op: Op, parents: tuple[Value, ...], data: float | None = None, kind: type = Value) -> Any:
    """The node constructor: ``op`` applied to ``parents``, its number computed unless given (Value's
    operator methods spell these lines out: see _binary)."""
    v: Any = object.__new__(kind)
    data = op.forward(*map(_data, parents)) if data is None else data
    v.data, v.grad, v.label, v._prev, v._op = data, 0.0, "", parents, op
    return v


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic collector off for the block: a graph has no cycles, yet it re-scans all (1.5x slower)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def topological_order(root: Value, reset: bool = False) -> list[Value]:
    """Every node ``root`` depends on, itself last, each after all of its parents (``reset``: set every
    non-leaf's grad to 0 on the way, as backward does). Why an order: a node may pass its gradient on
    only once all its users have, and walking this list backwards guarantees it. Depth-first with an
    explicit stack, so a million nodes deep is fine. Why ``all_seen``: without cycles, a parent seen is
    in the order already, so a node whose parents were all seen goes straight in (one C set operation)."""
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__}: {root!r:.80}")
    order: list[Value] = []
    seen = {root}
    all_seen = seen.issuperset
    if reset and root._prev:
        root.grad = 0.0
    nodes: list[Value] = [root]  # the stack, and beside each node an iterator over its parents left to visit
    parents: list[Iterator[Value]] = [iter(root._prev)]
    while nodes:
        for p in parents[-1]:
            if p not in seen:
                seen.add(p)
                prev = p._prev
                if prev:
                    if reset:
                        p.grad = 0.0
                    if not all_seen(prev):
                        nodes.append(p)
                        parents.append(iter(prev))
                        break
                order.append(p)
        else:
            parents.pop()
            order.append(nodes.pop())
    return order


def _run(root: Value, order: list[Value], create_graph: bool, watch: Any = None) -> None:
    """Seed d(root)/d(root) = 1 (a leaf root adds it, as leaves accumulate), then the chain rule."""
    one, state = Value(1.0) if create_graph else 1.0, recording.get()
    root.grad = _plus(root.grad, one) if not root._prev else one
    with getattr(state, "backward", nullcontext)():  # a watcher may want to know (anomaly mode does)
        _chain_rule(reversed(order), create_graph, watch or getattr(state, "edge", None))


def _chain_rule(nodes: Iterable[Value], create_graph: bool = False, watch: Any = None) -> None:
    """Chain rule: each node, children first, adds ``grad * d(node)/d(parent)`` to each parent; a zero
    gradient passes nothing (``0 * inf`` gives no NaN); plain floats, unwatched: a loop 1.3x faster."""
    plain = not create_graph and watch is None
    for v in nodes:
        parents, g = v._prev, v.grad
        if not parents or (g == 0 and not create_graph):
            continue
        if v._op.__class__ is not Op:  # built by hand, micrograd-style: its own closure does the step
            handmade.step(v, create_graph, watch)
            continue
        try:
            ds = local_derivatives(v, create_graph)
        except ArithmeticError as e:  # name the op; the node goes along, for tools that say more about it
            error = type(e)(f"{v._op.name}: in the backward pass: {e}")
            error.node = v  # type: ignore[attr-defined]
            raise error from None
        try:
            if plain:
                for p, d in zip(parents, ds):
                    p.grad += g * d
                continue
            for i, (p, d) in enumerate(zip(parents, ds)):
                before = p.grad
                share = _times(g, d) if create_graph else g * d
                p.grad = _plus(before, share) if create_graph else before + share
                if watch is not None:
                    watch(v, i, g, d, share, before)
        except TypeError:
            handmade.check_grads(v)  # a grad set to None by hand gets a message naming its node
            raise


def _times(g: Any, d: Any) -> Any:  # create_graph: g * d as a Value, g itself for d = 1 (fewer nodes)
    return g if d.__class__ is float and d == 1.0 else g * d


def _plus(total: Any, share: Any) -> Any:  # create_graph: total + share, the share itself for total 0
    return share if total.__class__ is float and total == 0 else total + share


def local_derivatives(v: Value, create_graph: bool = False) -> tuple[Any, ...]:
    """d v / d p per parent: the op's rule on the numbers (on nodes with ``create_graph``), or the closure."""
    op, parents = v._op, v._prev
    if op.__class__ is not Op:
        return handmade.local(v, create_graph)
    if create_graph:
        return op.local(v, *parents)
    if len(parents) == 1:  # one or two parents (nearly every node) spelled out: faster than *map
        return op.local(v.data, parents[0].data)
    if len(parents) == 2:
        return op.local(v.data, parents[0].data, parents[1].data)
    return op.local(v.data, *map(_data, parents))


_data = operator.attrgetter("data")


def grad(output: Value, inputs: Iterable[Value] | Value, create_graph: bool = False,
         watch: Any = None) -> list[Any]:
    """The gradients d(output)/d(input) as a list, leaving every ``.grad`` as it was (an input
    the output does not use gets 0). With ``create_graph=True`` each is a Value with a graph::

        x = Value(2.0); y = x ** 3
        (dy,) = grad(y, [x], create_graph=True)    # 3x**2 = 12
        (d2y,) = grad(dy, [x])                     # 6x = 12

    ``watch(node, i, upstream, local, share, before)`` sees each edge after its share is added."""
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
