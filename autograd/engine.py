"""The scalar engine: :class:`Value`, the graph it records, and the backward pass.

What you can do with it::

    a = Value(2.0, label='a'); b = Value(-3.0, label='b')
    L = (a * b + 1).tanh()
    L.backward()                 # a.grad == dL/da, b.grad == dL/db
    grad(L, [a], create_graph=True)[0]   # dL/da as a Value: differentiate it again

Each arithmetic operation on Values returns a new Value that remembers its
parents (``_prev``, an ordered tuple) and its op (``_op``, an entry of the op
table in :mod:`autograd.ops`). That chain of records is the computation graph;
``backward()`` walks it from the output back to the leaves and applies the
chain rule at every node.

The op table holds every local derivative; this module only moves gradients
along edges, so it never needs to know what an op computes.

Bad input and special numbers:

* an operand that is not a number raises ``TypeError`` naming the op;
* a finite input outside an op's domain raises, naming the op, the value and
  the domain: ``ValueError`` for ``log`` (x > 0), ``sqrt`` (x >= 0) and a
  negative base with a non-integer exponent, ``ZeroDivisionError`` for ``/ 0``
  and ``0 ** negative``, ``OverflowError`` when ``exp`` or ``**`` overflow;
* NaN and infinities are accepted as data and follow IEEE float arithmetic:
  NaN in gives NaN out (``relu(nan)`` is NaN, not 0) and ``exp(inf)`` is inf.
  Nothing is silently replaced; to find where a NaN first appeared, run the
  computation under ``autograd.detect_anomaly()``.
"""

from __future__ import annotations

import contextvars
import gc
import numbers
import operator
from contextlib import ContextDecorator
from typing import Any, Iterable, Iterator, Sequence, cast

from .ops import (
    ABS,
    ADD,
    COS,
    DIV,
    DOT,
    EXP,
    LOG,
    MUL,
    NEG,
    POW,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    TANH,
    Op,
    pow_const,
    weighted_sum,
)

__all__ = ["Value", "dot", "dots", "grad", "no_grad", "enable_grad", "is_grad_enabled", "topological_order"]

# True while ops record the graph. A ContextVar, so that `no_grad` in one thread or
# asyncio task leaves every other one alone. Tools that watch every new node (anomaly
# mode) put an object with a `record(node)` method here instead.
_recording: contextvars.ContextVar[Any] = contextvars.ContextVar("chainrule_recording", default=True)


class Value:
    """One number in a computation, with the gradient of some output with respect to it.

    Attributes, all freely assignable:

    * ``data``: the number (a float);
    * ``grad``: d(output)/d(this node) after ``output.backward()``; starts at 0.0;
    * ``label``: a name for graphs and formulas;
    * ``_prev``: the parents, in argument order (``x * x`` has ``(x, x)``);
    * ``_op``: the op that made this node (a string such as ``'*'``), ``''`` for a leaf.

    Data may be an int, float, bool or any real-number type with ``__float__``
    (NumPy scalars); it is stored as a float.
    """

    __slots__ = ("data", "grad", "label", "_prev", "_op")

    data: float
    grad: Any
    label: str
    _prev: tuple[Value, ...]
    _op: str

    def __init__(self, data: Any, label: str = "", _prev: tuple[Value, ...] = (), _op: str = "") -> None:
        self.data = data if type(data) is float else _to_float(data)
        self.grad = 0.0
        self.label = label
        self._prev = _prev
        self._op = _op

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def item(self) -> float:
        """The number held, as a float (the same as ``.data``)."""
        return float(self.data)

    def draw(self, **options: Any) -> Any:
        """This Value's graph as a ``graphviz.Digraph``; options as for :func:`autograd.draw.draw_dot`."""
        from .draw import draw_dot

        return draw_dot(self, **options)

    def formula(self, **options: Any) -> Any:
        """The expression behind this Value, as text and LaTeX; see :func:`autograd.formula.formula`."""
        from .formula import formula

        return formula(self, **options)

    # -- arithmetic: each line hands one op of the table its inputs ----------------------

    def __add__(self, other: Any) -> Value:
        return _binary(ADD, self, other)

    def __radd__(self, other: Any) -> Value:
        return _binary(ADD, other, self)

    def __sub__(self, other: Any) -> Value:
        return _binary(SUB, self, other)

    def __rsub__(self, other: Any) -> Value:
        return _binary(SUB, other, self)

    def __mul__(self, other: Any) -> Value:
        return _binary(MUL, self, other)

    def __rmul__(self, other: Any) -> Value:
        return _binary(MUL, other, self)

    def __truediv__(self, other: Any) -> Value:
        return _binary(DIV, self, other)

    def __rtruediv__(self, other: Any) -> Value:
        return _binary(DIV, other, self)

    def __neg__(self) -> Value:
        return _unary(NEG, self)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Any) -> Value:
        """``a ** k`` for a constant k (one parent, as in micrograd) or ``a ** b`` for a Value b."""
        if isinstance(other, Value):
            return _binary(POW, self, other)
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return _unary(pow_const(float(other)), self)
        return _binary(POW, self, other)  # raises the op's TypeError, or defers to numpy

    def __rpow__(self, other: Any) -> Value:
        return _binary(POW, other, self)

    def __abs__(self) -> Value:
        return _unary(ABS, self)

    def exp(self) -> Value:
        return _unary(EXP, self)

    def log(self) -> Value:
        return _unary(LOG, self)

    def tanh(self) -> Value:
        return _unary(TANH, self)

    def sigmoid(self) -> Value:
        return _unary(SIGMOID, self)

    def relu(self) -> Value:
        return _unary(RELU, self)

    def abs(self) -> Value:
        return _unary(ABS, self)

    def sqrt(self) -> Value:
        return _unary(SQRT, self)

    def sin(self) -> Value:
        return _unary(SIN, self)

    def cos(self) -> Value:
        return _unary(COS, self)

    # -- the chain rule ------------------------------------------------------------------

    def _backward(self) -> None:
        """Push this node's current ``grad`` to its parents, once: one step of the chain rule.

        Each parent ``p`` receives ``self.grad * d(self)/d(p)``. Why ``+=``: a value
        used in several places affects the output along each of those paths, and
        the chain rule adds the contributions up (``x * x`` sends two).
        ``backward()`` calls this on every node, children before parents; you may
        also call it by hand to watch the gradients arrive one node at a time.
        """
        _chain_steps((self,), skip_zero=False)

    def backward(self, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this Value depends on with d(self)/d(node).

        The walk visits nodes in reverse topological order: a node passes its
        gradient on only after every node that uses it has added its share.
        Leaves (nodes with no parents) accumulate across calls, as in PyTorch,
        so call it twice and the leaf gradients double; set ``p.grad = 0.0`` (or
        call ``zero_grad()`` on an ``nn`` module) between steps. Every other node
        is reset at the start, so it holds the gradient of this pass only.

        With ``create_graph=True`` the gradients are themselves Values, built
        from the same rules with Value arithmetic, so you can differentiate them
        again (see :func:`grad`).
        """
        if create_graph is not False and create_graph is not True:
            raise TypeError(
                f"backward: create_graph must be True or False, got {type(create_graph).__name__}: "
                f"{create_graph!r:.60} (backward takes no gradient argument: d(self)/d(self) is always 1)"
            )
        with gc_paused():
            _run_backward(self, _walk(self, reset=True), create_graph)


def _name(op: Any) -> str:
    return getattr(op, "name", None) or str(op) or "leaf"


def _to_float(x: Any) -> float:
    """Convert a number to float, or raise a TypeError that names what was given."""
    if isinstance(x, (int, float)):
        try:
            return float(x)
        except OverflowError:  # only an int can be too large
            raise OverflowError(
                f"Value: the integer is too large for a float ({int(x).bit_length()} bits; "
                "expected at most about 1.8e308, 1024 bits)"
            ) from None
    if isinstance(x, Value):
        raise TypeError(
            "Value: data must be a number, got a Value; use its .data, or use the Value itself"
        )
    t = type(x)
    if isinstance(x, numbers.Real) or (
        hasattr(t, "__float__") and not hasattr(t, "__len__") and not isinstance(x, (str, bytes, complex))
    ):
        try:
            return float(x)
        except (TypeError, ValueError) as e:
            raise TypeError(f"Value: cannot convert {t.__name__} {x!r} to float: {e}") from None
    raise TypeError(
        f"Value: data must be a real number (int, float, bool, or a type with __float__ "
        f"such as a NumPy scalar), got {t.__name__}: {x!r:.80}"
    )


def _operand(x: Any, op: Op) -> Value | None:
    """An argument of an op as a Value: numbers become constant leaves.

    Returns None for NumPy arrays (so that NumPy can apply the op elementwise);
    anything else that is not a number raises a TypeError naming the op.
    """
    if isinstance(x, Value):
        return x
    if isinstance(x, (int, float, numbers.Real)):
        return Value(x)
    if hasattr(x, "__array_ufunc__"):
        return None
    raise TypeError(f"{op.name}: expected a number or a Value, got {type(x).__name__}: {x!r:.80}")


class gc_paused:
    """``with gc_paused():`` turns Python's cyclic garbage collector off for the block only.

    Why it pays: a graph has no reference cycles (no node refers back to
    itself), so reference counting frees every node without the collector. Yet
    while a graph grows, the collector keeps re-scanning every node to look for
    cycles: that made a backward pass over a million nodes about 1.5x slower,
    and building an MLP's node-by-node graph about 2x slower (measured). Only
    the block runs without it: a collector that was off stays off, and one that
    was on is back on when the block ends, exceptions included. (The switch is
    process-wide, so other threads also run without it while the block runs.)
    """

    __slots__ = ("_was_on",)

    def __enter__(self) -> None:
        self._was_on = gc.isenabled()
        if self._was_on:
            gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._was_on:
            gc.enable()


_new = object.__new__


def _node(data: float, prev: tuple[Value, ...], op: Op) -> Value:
    """A new Value holding ``data``, made by ``op`` from ``prev`` (a leaf while recording is off)."""
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    state = _recording.get()
    if state is True:
        v._prev = prev
        v._op = op
    elif state:
        v._prev = prev
        v._op = op
        state.record(v)
    else:
        v._prev = ()
        v._op = ""
    return v


# Why _unary and _binary repeat _node's common case instead of calling it: nearly
# every node is built here while plain recording is on, and one Python call fewer
# per node makes building a graph about 10% faster (measured). Anything unusual
# (no_grad, a watcher) still goes through _node.
_recording_state = _recording.get


def _unary(op: Op, a: Value) -> Value:
    data = op.forward(a.data)
    if _recording_state() is not True:
        return _node(data, (a,), op)
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    v._prev = (a,)
    v._op = op
    return v


def _binary(op: Op, a: Any, b: Any) -> Any:
    if a.__class__ is not Value:
        a = _operand(a, op)
    if b.__class__ is not Value:
        b = _operand(b, op)
    if a is None or b is None:
        return NotImplemented
    data = op.forward(a.data, b.data)
    if _recording_state() is not True:
        return _node(data, (a, b), op)
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    v._prev = (a, b)
    v._op = op
    return v


def dot(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None, fused: bool = True) -> Value:
    """The weighted sum ``w_1*x_1 + ... + w_n*x_n (+ bias)`` as one node.

    Its parents are ``(*ws, *xs)`` followed by ``bias`` when given; the local
    derivatives are d/dw_i = x_i, d/dx_i = w_i and d/dbias = 1. One node instead
    of 2n keeps a neuron's graph small enough to read, and it is the fast path
    that ``nn.Neuron`` uses. Numbers are accepted anywhere a Value is.

    With ``fused=False`` the same sum is built the long way, one ``*`` node per
    product and one ``+`` node per addition, ``((bias + w_1*x_1) + w_2*x_2) + ...``:
    node for node what ``sum((w * x for w, x in zip(ws, xs)), bias)`` builds, as
    micrograd's neuron does (without a bias the chain starts at the first product).
    """
    if not fused:
        return dots([ws], xs, None if bias is None else [bias], fused=False)[0]
    if ws.__class__ is not list:  # any iterable will do; lists (as nn passes) are used as they are
        ws = list(ws)
    if xs.__class__ is not list:
        xs = list(xs)
    if len(ws) != len(xs):
        raise ValueError(
            f"dot: expected ws and xs of the same length, got {len(ws)} weights and {len(xs)} inputs"
        )
    args = (*ws, *xs) if bias is None else (*ws, *xs, bias)
    # Why one pass does two jobs: it collects the numbers and, by its length,
    # tells whether every argument was already a Value (the usual case); only
    # otherwise do the slower conversions run.
    datas = [a.data for a in args if a.__class__ is Value]
    if len(datas) == len(args):
        return _node(DOT.forward(*datas), cast("tuple[Value, ...]", args), DOT)
    prev = _dot_operands(args, "dot")
    return _node(DOT.forward(*[p.data for p in prev]), prev, DOT)


def _dot_operands(args: Iterable[Any], who: str) -> tuple[Value, ...]:
    """The arguments of a weighted sum as Values: numbers become constant leaves, arrays are refused."""
    maybe = tuple([a if a.__class__ is Value else _operand(a, DOT) for a in args])
    if any(a is None for a in maybe):
        raise TypeError(f"{who}: expected numbers or Values, got an array; pass its items")
    return cast("tuple[Value, ...]", maybe)


def dots(
    rows: Sequence[Sequence[Any]], xs: Sequence[Any], biases: Sequence[Any] | None = None, fused: bool = True
) -> list[Value]:
    """Several weighted sums of the same inputs, one ``dot`` node each: what a layer of neurons computes.

    ``dots(rows, xs, biases)[i]`` is the node ``dot(rows[i], xs, biases[i])`` would make (the
    same parents, op and number). Why a separate function: the neurons of a layer all read
    the same inputs, and converting and reading those once for the whole layer, instead of
    once per neuron, makes a network's forward pass about a third faster (measured).
    ``fused=False`` builds each sum from ``*`` and ``+`` nodes, as ``dot(..., fused=False)`` does.
    """
    inputs = _dot_operands(xs, "dots")
    if biases is None:
        biases = [None] * len(rows)
    elif len(biases) != len(rows):
        raise ValueError(f"dots: expected one bias per row, got {len(biases)} biases for {len(rows)} rows")
    n = len(inputs)
    data = [x.data for x in inputs]
    fast = _recording_state() is True  # plain recording: build the nodes here, without _node's checks
    new, V, mul = _new, Value, operator.mul
    out: list[Value] = []
    for row, bias in zip(rows, biases):
        ws = [w.data for w in row if w.__class__ is V]
        if len(ws) != n or (bias is not None and bias.__class__ is not V):
            if len(row) != n:
                raise ValueError(
                    f"dots: expected every row to have one weight per input, "
                    f"got {len(row)} weights in row {len(out)} and {n} inputs"
                )
            # numbers among the weights: dot and the operators convert them
            out.append(dot(row, inputs, bias) if fused else _products_and_sums_slowly(row, inputs, bias))
        elif not fused:
            out.append(_products_and_sums(row, ws, inputs, data, bias) if fast else
                       _products_and_sums_slowly(row, inputs, bias))
        elif not fast:
            out.append(_node(weighted_sum(ws, data, None if bias is None else bias.data),
                             (*row, *inputs) if bias is None else (*row, *inputs, bias), DOT))
        else:  # the common case, written out: the same node _node would make (DOT's forward inlined)
            v = new(V)
            if bias is None:
                v.data = sum(map(mul, ws, data), 0.0)
                v._prev = (*row, *inputs)
            else:
                v.data = sum(map(mul, ws, data), 0.0) + bias.data
                v._prev = (*row, *inputs, bias)
            v.grad = 0.0
            v.label = ""
            v._op = DOT
            out.append(v)
    return out


def _products_and_sums(
    ws: Sequence[Value], wdata: list[float], xs: Sequence[Value], xdata: list[float], bias: Value | None
) -> Value:
    """``bias + w_1*x_1 + ... + w_n*x_n`` as ``*`` and ``+`` nodes, for Values while recording.

    The same nodes as :func:`_products_and_sums_slowly`, built without going
    through ``Value.__mul__`` and ``Value.__add__``: two Python calls fewer per
    node made the forward pass of micrograd's demo step on ``nn.MLP(fused=False)``
    about a fifth faster (measured: 44 to 35 ms, collector included). The
    arithmetic is MUL's and ADD's forward (float ``*`` and ``+``).
    """
    new, V = _new, Value
    acc, total = bias, (0.0 if bias is None else bias.data)
    for w, wd, x, xd in zip(ws, wdata, xs, xdata):
        m = new(V)
        m.data = product = wd * xd
        m.grad = 0.0
        m.label = ""
        m._prev = (w, x)
        m._op = MUL
        if acc is None:  # no bias: the chain starts at the first product
            acc, total = m, product
            continue
        s = new(V)
        s.data = total = total + product
        s.grad = 0.0
        s.label = ""
        s._prev = (acc, m)
        s._op = ADD
        acc = s
    return acc if acc is not None else Value(0.0)


def _products_and_sums_slowly(ws: Sequence[Any], xs: Sequence[Value], bias: Any) -> Value:
    """``bias + w_1*x_1 + ... + w_n*x_n`` through the operators (numbers, ``no_grad``, watchers)."""
    acc = bias if bias is None or isinstance(bias, Value) else _operand(bias, ADD)
    for w, x in zip(ws, xs):
        term = w * x
        acc = term if acc is None else acc + term
    return acc if acc is not None else Value(0.0)


def unary_each(op: Op, xs: Iterable[Value]) -> list[Value]:
    """``op`` applied to each Value of ``xs``: the nodes ``[x.relu() for x in xs]`` (for RELU) makes.

    Why a loop of its own: a layer applies its activation to every neuron's sum,
    and building those nodes here, past the method and ``_unary`` calls, takes
    about a quarter less time than calling the method on each (measured: 0.95
    against 1.3 ms for 1,600 relu nodes).
    """
    xs = list(xs)
    for x in xs:
        if not isinstance(x, Value):
            raise TypeError(f"{op.name}: expected a Value, got {type(x).__name__}: {x!r:.80}")
    if _recording_state() is not True:
        return [_unary(op, x) for x in xs]
    forward, new, V = op.forward, _new, Value
    out = []
    for x in xs:
        v = new(V)
        v.data = forward(x.data)
        v.grad = 0.0
        v.label = ""
        v._prev = (x,)
        v._op = op
        out.append(v)
    return out


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, itself included, each after all of its parents.

    Why an order: a node may pass its gradient on only once every node that uses
    it has contributed, and reversing this list guarantees that. The walk is an
    explicit depth-first search with a stack (no recursion), so graphs a million
    nodes deep are fine. Parents are visited in argument order, so the order,
    and everything drawn from it, is the same every time for the same graph.
    """
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__}: {root!r:.80}")
    return _walk(root, reset=False)


def _walk(root: Value, reset: bool) -> list[Value]:
    """:func:`topological_order`; with ``reset``, also set the ``grad`` of every non-leaf to 0.

    Why reset here: ``backward()`` needs both, and a graph is scattered through
    memory, so touching each node once instead of twice saves a second slow pass.

    Why ``all_seen``: in a graph without cycles, a parent that has been seen is
    already in the order (were it still on the stack, the graph would loop). So
    a new node whose parents have all been seen can go straight into the order.
    That is the common case (a layer's neurons share their inputs, a model's
    steps share its weights), and one set operation in C then replaces a Python
    loop over the node's parents.
    """
    order: list[Value] = []
    seen = {root}
    all_seen = seen.issuperset
    if reset and root._prev:
        root.grad = 0.0
    # The stack: the nodes being visited, and beside each an iterator over the
    # parents it has yet to visit (two lists rather than one list of pairs, which
    # saves making a pair per node).
    nodes: list[Value] = [root]
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
                order.append(p)  # a leaf, or a node whose parents are all in the order
        else:  # every parent of the top node is in the order
            parents.pop()
            order.append(nodes.pop())
    return order


def _run_backward(root: Value, order: list[Value], create_graph: bool) -> None:
    """Seed d(root)/d(root) = 1 and apply the chain rule children-first."""
    state = _recording.get()
    if state is not True and hasattr(state, "run_backward"):  # anomaly mode: a checked loop
        state.run_backward(root, order, create_graph)
        return
    _seed(root, create_graph)
    if create_graph:
        for v in reversed(order):
            prev = v._prev
            if not prev:
                continue
            g = v.grad
            try:
                local = v._op.local(v, *prev)  # type: ignore[attr-defined]
            except ArithmeticError as e:
                raise type(e)(f"{_name(v._op)}: in the backward pass: {e}") from None
            for p, d in zip(prev, local):
                _add_grad(p, _share(g, d))
        return
    _chain_steps(reversed(order), skip_zero=True)  # a zero gradient has nothing to pass on


def _seed(root: Value, create_graph: bool) -> None:
    """Start backward at d(root)/d(root) = 1: a leaf root adds it to its grad (leaves accumulate)."""
    if create_graph:
        one = Value(1.0)
        total = root.grad if not root._prev else 0.0
        root.grad = one if isinstance(total, (int, float)) and total == 0 else total + one
    else:
        root.grad = root.grad + 1.0 if not root._prev else 1.0


def _share(g: Any, d: Any) -> Any:
    """With ``create_graph``: what an edge passes on, ``g * d`` as a Value (``g`` itself when d is 1)."""
    return g if not isinstance(d, Value) and d == 1.0 else g * d


def _add_grad(p: Value, share: Any) -> None:
    """With ``create_graph``: add ``share`` to ``p.grad``, which may still be the float 0 it started as."""
    p.grad = share if isinstance(p.grad, (int, float)) and p.grad == 0 else p.grad + share


def _chain_steps(nodes: Iterable[Value], skip_zero: bool) -> None:
    """For each node ``v`` in turn, add ``v.grad * d(v)/d(p)`` to the grad of each parent ``p``.

    Floats only (``create_graph`` has its own loop in ``_run_backward``).

    The local derivatives come from the op's rule, evaluated on plain floats.
    Why a loop over nodes rather than a call per node: ``backward()`` makes one
    step per node, and dropping a Python call from each made its chain-rule pass
    about 5% faster (measured). For the same reason, one- and two-parent ops
    (nearly every node) take shortcuts past the general loop; the arithmetic is
    the same.
    """
    try:
        for v in nodes:
            prev = v._prev
            g = v.grad
            if not prev or (skip_zero and g == 0):
                continue
            n = len(prev)
            if n == 2:
                a, b = prev
                da, db = v._op.local(v.data, a.data, b.data)  # type: ignore[attr-defined]
                a.grad += g * da
                b.grad += g * db
            elif n == 1:
                a = prev[0]
                a.grad += g * v._op.local(v.data, a.data)[0]  # type: ignore[attr-defined]
            else:
                for p, d in zip(prev, v._op.local(v.data, *[p.data for p in prev])):  # type: ignore[attr-defined]
                    p.grad += g * d
    except ArithmeticError as e:
        raise type(e)(f"{_name(v._op)}: in the backward pass: {e}") from None


def grad(output: Value, inputs: Iterable[Value], create_graph: bool = False) -> list[Any]:
    """The gradients d(output)/d(input) for each input, as a list, leaving every ``.grad`` as it was.

    Like ``torch.autograd.grad``. An input that does not affect the output gets 0
    (``Value(0.0)`` with ``create_graph=True``). With ``create_graph=True`` each
    gradient is a Value with a graph of its own, so gradients of gradients work
    to any order::

        x = Value(2.0)
        y = x ** 3
        (dy,) = grad(y, [x], create_graph=True)    # 3x**2 = 12
        (d2y,) = grad(dy, [x], create_graph=True)  # 6x = 12
        (d3y,) = grad(d2y, [x])                    # 6
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    order = topological_order(output)
    saved = [v.grad for v in order]
    try:
        for v in order:
            v.grad = 0.0
        _run_backward(output, order, create_graph)
        in_graph = set(order)
        zero = Value(0.0) if create_graph else 0.0
        out = [x.grad if x in in_graph else zero for x in inputs]
        if create_graph:
            out = [g if isinstance(g, Value) else Value(g) for g in out]
        return out
    finally:
        for v, g in zip(order, saved):
            v.grad = g


class no_grad(ContextDecorator):
    """Turn graph recording off: ops inside compute values only, with no parents and no rule.

    Use it for evaluation and for parameter updates::

        with no_grad():
            accuracy = evaluate(model)

        @no_grad()
        def predict(x): ...

    It holds for the current thread and asyncio task only (a ContextVar), so
    other threads keep recording.
    """

    _value = False

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[Any]] = []

    def __enter__(self) -> no_grad:
        self._tokens.append(_recording.set(self._value))
        return self

    def __exit__(self, *exc: object) -> None:
        _recording.reset(self._tokens.pop())


class enable_grad(no_grad):
    """Turn graph recording back on inside a ``no_grad`` block (context manager and decorator)."""

    _value = True


def is_grad_enabled() -> bool:
    """Whether ops record the graph here (False inside ``no_grad``)."""
    return bool(_recording.get())

