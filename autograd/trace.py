"""Record a scalar graph once, then replay it over a whole batch with NumPy.

A scalar engine builds the same graph for every example of a data set; only
the numbers change. :func:`trace` runs your function once on placeholder
inputs and keeps the graph it built; the :class:`Tape` it returns runs that
graph on a whole batch at once, every node holding one number per example::

    import numpy as np, nn
    from autograd import trace
    model = nn.MLP(2, [16, 16, 1])
    tape = trace(model, 2)            # model([x0, x1]) once, on two placeholders
    scores = tape(X)                  # X: shape (batch, 2) -> scores: shape (batch,)
    tape.backward(np.ones(len(X)))    # each parameter's .grad += the sum over the batch
                                      # of d(score)/d(parameter), as the scalar engine gives

What is captured, what is frozen
--------------------------------
* The placeholders stand for the columns of ``X``.
* Every other leaf of the graph is captured *by reference*: each replay reads
  its current ``.data`` and ``backward`` adds to its ``.grad``. That covers the
  model's parameters, so optimizer updates are seen. Constants written inside
  the function (the ``1`` in ``1 - x``) are leaves too; they get a gradient as
  well, exactly as the scalar engine gives them one, and nobody reads it.
* The *shape* of the graph is frozen: which ops, in which order. Anything your
  function decided in Python from an input's number would be decided once, for
  the placeholder, and replayed for every example. So a Value computed from a
  placeholder refuses to give its number away: ``bool(v)``, ``v > 0``,
  ``v == 0.5``, ``float(v)``, ``int(v)``, ``v.item()``, ``v.data`` and
  ``no_grad()`` around an op on it raise :class:`UntraceableError`. The engine
  and its tools (all of ``autograd``) may still read it; a number they hand
  back to you (``autograd.grad`` without ``create_graph``) is not checked.
  Numbers computed only from parameters are not guarded: a branch on a
  parameter's value is frozen at its value when you traced.

Gradients
---------
``tape.backward(grad_out)`` adds to each captured leaf's ``.grad`` the sum
over the batch of ``grad_out * d(output)/d(leaf)``: calling ``backward()`` on
each example's output in the scalar engine adds the same (``grad_out=1/n`` for
a mean over the batch). Gradients are only computed on the way to captured
leaves; ``backward(..., input_grad=True)`` also returns d/dX, shape (batch,
n_inputs). ``tape.steps()`` lists the compiled program.

Why it is fast
--------------
The recorded graph is compiled into a short list of NumPy instructions. Nodes
that do the same op on the same arrays are done together: the neurons of a
layer are ``dot`` nodes over the same inputs, so they become one matrix
product; their activations become one elementwise call; a long ``a + b + c +
...`` chain (``sum()`` of many terms) becomes one ``sum``. An MLP of any width
replays in a handful of NumPy calls per layer. (The matrix products use
NumPy's BLAS; on a machine busy with other work, ``OPENBLAS_NUM_THREADS=1``
can make large batches several times faster.)

Training: :class:`FitStep` is the step ``nn.fit(..., vectorize=True)`` runs:
the model replayed by a tape, the loss traced over the batch when it can be.

Where the numbers come from
---------------------------
Each op's array form is one row of :data:`ARRAY_RULES`: a NumPy forward and,
where the op table's own rule cannot run on arrays, an array form of the local
derivative. Every other local derivative is ``op.local`` itself, evaluated on
arrays. Kinks are chosen per example with the scalar rules' convention (the
derivative of relu and abs at 0 is 0). Errors follow the scalar engine too: a
replay that takes ``log`` of a non-positive number raises the engine's own
error, naming the example; an infinite local derivative met by a zero gradient
is skipped, as ``backward()`` skips it.
"""

from __future__ import annotations

import math
import numbers
import sys
import types
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from . import engine
from .engine import Value, topological_order
from .ops import ADD, DOT, Op

__all__ = ["trace", "Tape", "Placeholder", "Traced", "UntraceableError", "ARRAY_RULES", "FitStep"]

Array = Any  # a NumPy array of float64; kept loose so that type checks stay readable


# --- values that refuse to be looked at ------------------------------------------------


class UntraceableError(TypeError):
    """Python code tried to use the number of a traced value, which the tape could not replay."""


# The slot that holds a Value's number. Traced values hide it behind a property,
# and read or write it through this descriptor when they are allowed to.
_DATA = Value.__dict__["data"]

_FROZEN = (
    "would be decided once, for the placeholder, and frozen into the tape for every example. "
    "Write the choice with ops instead (relu, abs, sigmoid...)"
)


def _engine_is_asking() -> bool:
    """True when the code reading a traced number is part of ``autograd`` and a trace is running.

    The engine has to read the placeholder's number to compute each new node
    while tracing; the user's function must not. ``sys._getframe(2)`` is the
    frame that asked for ``.data`` (0 is this function, 1 the property).
    """
    if not isinstance(engine._recording.get(), _Recorder):
        return False
    module = sys._getframe(2).f_globals.get("__name__", "")
    return (module == "autograd" or module.startswith("autograd.")) and module != __name__


class Traced(Value):
    """A Value computed from trace placeholders: part of a graph, but with no example's number.

    Created by :func:`trace` (nodes are switched to this class as the engine
    makes them). Every way of turning it into a Python decision raises
    :class:`UntraceableError`; arithmetic and the ops work as usual.
    """

    __slots__ = ()

    @property
    def data(self) -> float:
        if _engine_is_asking():
            return float(_DATA.__get__(self))
        if isinstance(engine._recording.get(), _Recorder):
            raise UntraceableError(
                "trace: reading .data of a traced value: it holds the placeholder's number, not an "
                f"example's, and any use of it {_FROZEN}"
            )
        raise UntraceableError(
            "trace: this Value was computed from trace placeholders; outside the traced function, or "
            "under no_grad() inside it, its number is the placeholder's, and anything computed from it "
            "would be frozen into the tape for every example"
        )

    @data.setter
    def data(self, value: float) -> None:
        raise UntraceableError("trace: a traced value's .data cannot be set; the tape replays the graph")

    def _refuse(self, what: str) -> Any:
        raise UntraceableError(f"trace: {what} of a traced value {_FROZEN}")

    def __bool__(self) -> bool:
        return self._refuse("bool() (an if or while on it)")

    def __float__(self) -> float:
        return self._refuse("float()")

    def __int__(self) -> int:
        return self._refuse("int()")

    def __index__(self) -> int:
        return self._refuse("using it as an index")

    def __complex__(self) -> complex:
        return self._refuse("complex()")

    def __round__(self, ndigits: Any = None) -> Any:
        return self._refuse("round()")

    def item(self) -> float:
        return self._refuse(".item()")

    def __lt__(self, other: Any) -> bool:
        return self._refuse("a comparison (<)")

    def __le__(self, other: Any) -> bool:
        return self._refuse("a comparison (<=)")

    def __gt__(self, other: Any) -> bool:
        return self._refuse("a comparison (>)")

    def __ge__(self, other: Any) -> bool:
        return self._refuse("a comparison (>=)")

    # Equality with another Value stays identity (nodes live in sets and dicts);
    # only comparing with a number would look at the value.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, numbers.Number):
            return bool(self._refuse("a comparison (==)"))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, numbers.Number):
            return bool(self._refuse("a comparison (!=)"))
        return NotImplemented

    __hash__ = Value.__hash__

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Traced(op={str(self._op)!r}{label})"


class Placeholder(Traced):
    """One input of a traced function: it stands for column ``index`` of the batch."""

    __slots__ = ("index",)

    def __init__(self, index: int, number: float) -> None:
        _DATA.__set__(self, float(number))
        self.grad = 0.0
        self.label = f"x[{index}]"
        self._prev = ()
        self._op = ""
        self.index = index

    def __repr__(self) -> str:
        return f"Placeholder({self.index})"


class _Recorder:
    """Watches every node the engine makes while tracing (the engine's ``record`` hook).

    A node with a traced parent becomes :class:`Traced` itself; switching the
    class of a fresh node is safe because Traced adds no storage to Value.
    Another watcher that was active (``detect_anomaly``) still sees every node.
    """

    def __init__(self, outer: Any) -> None:
        self.outer = outer if hasattr(outer, "record") else None

    def record(self, node: Value) -> None:
        for p in node._prev:
            if isinstance(p, Traced):
                node.__class__ = Traced
                break
        if self.outer is not None:
            self.outer.record(node)


# --- every op on arrays: one table ---------------------------------------------------


class ArrayRule(NamedTuple):
    """How an op runs on arrays: its forward, and its local derivatives when ``op.local`` cannot run."""

    forward: Callable[..., Array]
    local: Callable[..., tuple[Any, ...]] | None = None  # None: use op.local on arrays


def _sigmoid(a: Array) -> Array:
    e = np.exp(-np.abs(a))  # the scalar forward's two overflow-free forms, chosen per example
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu(a: Array) -> Array:
    return np.maximum(a, 0.0)


def _power_k(a: Array, k: float) -> Array:
    return np.power(a, k)


def _pow_local(out: Array, a: Array, b: Array) -> tuple[Array, Array]:
    # ops._pow_local branches on the base's sign; here the branch is taken per example.
    # A negative base gives NaN, which sends the replay to the scalar rule for its error.
    db = np.where(a > 0, out * np.log(a), np.where(a == 0, 0.0, np.nan))
    return b * a ** (b - 1.0), db


def _dot_rows(a: Array, b: Array) -> Array:
    """The batched dot: ``sum_i a_i b_i`` along the last axis (the bias is added by the caller)."""
    return (a * b).sum(axis=-1)


def _dot_rows_local(out: Array, a: Array, b: Array) -> tuple[Array, Array]:
    return b, a  # d/dw_i = x_i, d/dx_i = w_i, as in ops.DOT


#: Every op's array form, keyed by op name; ``'**k'`` is the constant-exponent op made by
#: ``ops.pow_const(k)``. ``local=None`` means the op table's own rule is evaluated on arrays.
ARRAY_RULES: dict[str, ArrayRule] = {
    "add": ArrayRule(np.add),
    "sub": ArrayRule(np.subtract),
    "mul": ArrayRule(np.multiply),
    "div": ArrayRule(np.divide),
    "neg": ArrayRule(np.negative),
    "pow": ArrayRule(np.power, _pow_local),
    "**k": ArrayRule(_power_k),
    "exp": ArrayRule(np.exp),
    "log": ArrayRule(np.log),
    "tanh": ArrayRule(np.tanh),
    "sigmoid": ArrayRule(_sigmoid),
    # ops._step and ops._sign on arrays: heaviside(a, 0) and sign(a) are 1/0/-1 with 0 at
    # the kink and NaN for NaN, exactly as the scalar rules.
    "relu": ArrayRule(_relu, lambda out, a: (np.heaviside(a, 0.0),)),
    "abs": ArrayRule(np.abs, lambda out, a: (np.sign(a),)),
    "sqrt": ArrayRule(np.sqrt),
    "sin": ArrayRule(np.sin, lambda out, a: (np.cos(a),)),  # ops.cos() needs a number or a Value
    "cos": ArrayRule(np.cos, lambda out, a: (-np.sin(a),)),
    # dot runs as a matrix product when it can (see _Dot); otherwise with these.
    "dot": ArrayRule(_dot_rows, _dot_rows_local),
}


def array_rule(op: Op) -> tuple[Callable[..., Array], Callable[..., tuple[Any, ...]]]:
    """The forward and local-derivative functions that run ``op`` on arrays."""
    exponent = getattr(op, "exponent", None)
    key = "**k" if exponent is not None else getattr(op, "name", str(op))
    rule = ARRAY_RULES.get(key)
    if rule is None:
        raise NotImplementedError(
            f"trace: op {key!r} has no array form; add a row for it to ARRAY_RULES in autograd/trace.py"
        )
    forward = partial(rule.forward, k=exponent) if exponent is not None else rule.forward
    return forward, rule.local or op.local


# --- the compiled tape: blocks and instructions ----------------------------------------
#
# Every number of a replay lives in a *block*: a 2-D array with one column per
# node and one row per example. Block 0 is X itself (the placeholders), block 1
# holds every captured leaf in one row, and each instruction writes one new
# block. A block that depends on no placeholder has a single row, which NumPy
# broadcasts against the batch. A node's place is (block, column).

_Cols = Any  # a slice, or an array of column indices (1-D, or 2-D for dot and sum groups)


def _cols(cols: list[int]) -> _Cols:
    """Column indices as a slice when they are consecutive (a view, no copy), else an index array."""
    start = cols[0]
    if cols == list(range(start, start + len(cols))):
        return slice(start, start + len(cols))
    return np.array(cols, dtype=np.intp)


def _accumulate(target: Array, cols: _Cols, contrib: Array, unique: bool) -> None:
    """``target[:, cols] += contrib``, summed over the batch when ``target`` has one row.

    With repeated columns (a node used twice by one group) plain ``+=`` would
    keep only one of the additions; ``np.add.at`` adds each. A sum that
    overflows gives inf, as float addition does in the scalar engine; an
    addition that raised before writing anything is redone quietly, never twice.
    """
    try:
        _add_into(target, cols, contrib, unique)
    except FloatingPointError:
        with np.errstate(all="ignore"):
            _add_into(target, cols, contrib, unique)


def _add_into(target: Array, cols: _Cols, contrib: Array, unique: bool) -> None:
    if contrib.shape[0] != target.shape[0]:
        contrib = contrib.sum(axis=0, keepdims=True)
    if isinstance(cols, slice):  # a view: add in place
        view = target[:, cols]
        try:
            np.add(view, contrib, out=view)
        except FloatingPointError:
            pass  # NumPy checks after writing: the inf or NaN is stored, as float addition gives
    elif unique:
        target[:, cols] = target[:, cols] + contrib
    else:
        with np.errstate(all="ignore"):  # rare (tied weights); np.add.at could stop half way
            index: Any = (slice(None), cols)
            np.add.at(target, index, contrib)


def _times(g: Array, d: Any) -> Array:
    if isinstance(d, float):  # the constant derivatives of +, - and neg
        return g if d == 1.0 else -g if d == -1.0 else g * d
    return g * d


def _at(a: Array, row: int, col: tuple[int, ...]) -> float:
    return float(a[(min(row, a.shape[0] - 1),) + col])


def _where(row: int, rows: int) -> str:
    return f" (example {row} of the batch)" if rows > 1 else " (in the part computed from parameters only)"


class _Elementwise:
    """One op applied to a group of nodes: ``out[:, j] = op(in_1[:, j], in_2[:, j])``."""

    kind = "elementwise"

    def __init__(self, op: Op, out: int, args: list[tuple[int, _Cols, bool]]) -> None:
        self.op, self.out, self.args = op, out, args
        self.reads = [b for b, _, _ in args]
        self.forward_fn, self.local_fn = array_rule(op)
        self.vals: list[Array] = []

    def forward(self, bufs: list[Array], batch: int) -> None:
        self.vals = [bufs[b][:, c] for b, c, _ in self.args]
        bufs[self.out] = self.forward_fn(*self.vals)

    def forward_checked(self, bufs: list[Array], batch: int) -> None:
        """After a floating-point error: raise the scalar op's own error if it has one, else go on."""
        with np.errstate(all="ignore"):
            self.vals = [bufs[b][:, c] for b, c, _ in self.args]
            out = self.forward_fn(*self.vals)
        for row, col in zip(*np.nonzero(~np.isfinite(out))):
            numbers_in = [_at(v, row, (col,)) for v in self.vals]
            try:
                self.op.forward(*numbers_in)
            except (ArithmeticError, ValueError) as e:
                raise type(e)(f"{e}{_where(row, out.shape[0])}") from None
        bufs[self.out] = out

    def backward(self, bufs: list[Array], grads: list[Array | None]) -> None:
        g = grads[self.out]
        local = self.local_fn(bufs[self.out], *self.vals)
        # every contribution first, then the additions: an error leaves no gradient half-added
        contribs = [_times(g, d) for (b, _, _), d in zip(self.args, local) if grads[b] is not None]
        targets = [arg for arg in self.args if grads[arg[0]] is not None]
        for (b, c, unique), contrib in zip(targets, contribs):
            _accumulate(grads[b], c, contrib, unique)

    def backward_checked(self, bufs: list[Array], grads: list[Array | None]) -> None:
        """After a floating-point error: do what the scalar ``backward()`` does, example by example.

        A node whose gradient is 0 passes nothing on (so an infinite local
        derivative there does no harm); elsewhere the scalar rule's own error,
        if it has one, is raised.
        """
        g = grads[self.out]
        out = bufs[self.out]
        with np.errstate(all="ignore"):
            local = self.local_fn(out, *self.vals)
            for (b, c, unique), d in zip(self.args, local):
                contrib = np.where(g != 0, _times(g, d), 0.0)
                for row, col in zip(*np.nonzero(~np.isfinite(contrib))):
                    self._scalar_local(out, row, col)
                if grads[b] is not None:
                    _accumulate(grads[b], c, contrib, unique)

    def _scalar_local(self, out: Array, row: int, col: int) -> None:
        numbers_in = [_at(v, row, (col,)) for v in self.vals]
        try:
            self.op.local(_at(out, row, (col,)), *numbers_in)
        except (ArithmeticError, ValueError) as e:
            name = getattr(self.op, "name", str(self.op))
            raise type(e)(f"{name}: in the backward pass: {e}{_where(row, out.shape[0])}") from None


class _Dot:
    """A group of ``dot`` nodes.

    When every node of the group reads the *same* inputs (the neurons of a
    layer) and its weights and bias depend on no placeholder, the group is one
    matrix product: ``out = V @ W.T + b`` with ``V`` (batch, n) the shared
    inputs and ``W`` (nodes, n) one row of weights per node. Otherwise each
    pair of parent blocks is gathered into (rows, nodes, n) arrays and
    multiplied elementwise, then summed (``ARRAY_RULES['dot']``).
    """

    kind = "dot"

    def __init__(
        self, out: int, varying: bool, width: int,
        pairs: list[tuple[int, _Cols, bool, int, _Cols, bool]],
        bias: tuple[int, _Cols, bool] | None, matmul: bool,
    ) -> None:
        self.out, self.varying, self.width, self.pairs, self.bias, self.matmul = (
            out, varying, width, pairs, bias, matmul,
        )
        self.reads = [b for p in pairs for b in (p[0], p[3])] + ([bias[0]] if bias else [])
        self.vals: list[tuple[Array, Array]] = []
        self.forward_fn, self.local_fn = array_rule(DOT)

    def forward(self, bufs: list[Array], batch: int) -> None:
        if self.matmul:  # pairs[0] = (weights block, (nodes, n) columns, _, inputs block, columns, _)
            wb, wc, _, vb, vc, _ = self.pairs[0]
            W, V = bufs[wb][0][wc], bufs[vb][:, vc]
            self.vals = [(W, V)]
            out = V @ W.T
        else:
            self.vals = [(bufs[wb][:, wc], bufs[xb][:, xc]) for wb, wc, _, xb, xc, _ in self.pairs]
            out = np.zeros((batch if self.varying else 1, self.width))
            for a, b in self.vals:
                out = out + self.forward_fn(a, b)
        if self.bias is not None:
            b, c, _ = self.bias
            out = out + bufs[b][:, c]
        bufs[self.out] = out

    def forward_checked(self, bufs: list[Array], batch: int) -> None:
        with np.errstate(all="ignore"):  # a float sum overflows quietly in the scalar engine too
            self.forward(bufs, batch)

    def backward(self, bufs: list[Array], grads: list[Array | None]) -> None:
        g: Array = grads[self.out]
        todo = []  # (block, columns, distinct, contribution): all computed before any is added
        if self.matmul:
            (W, V), (wb, wc, wu, vb, vc, vu) = self.vals[0], self.pairs[0]
            if grads[vb] is not None:
                todo.append((vb, vc, vu, g @ W))
            if grads[wb] is not None:
                todo.append((wb, wc, wu, (g.T @ V)[None]))
        else:
            for (a, b), (wb, wc, wu, xb, xc, xu) in zip(self.vals, self.pairs):
                da, db = self.local_fn(None, a, b)
                if grads[wb] is not None:
                    todo.append((wb, wc, wu, g[:, :, None] * da))
                if grads[xb] is not None:
                    todo.append((xb, xc, xu, g[:, :, None] * db))
        if self.bias is not None and grads[self.bias[0]] is not None:
            todo.append((*self.bias, g))
        for b, c, unique, contrib in todo:
            _accumulate(grads[b], c, contrib, unique)

    def backward_checked(self, bufs: list[Array], grads: list[Array | None]) -> None:
        with np.errstate(all="ignore"):
            self.backward(bufs, grads)


class _Sum:
    """A group of flattened ``a + b + c + ...`` chains: one sum per node over its terms."""

    kind = "sum"

    def __init__(self, out: int, parts: list[tuple[int, _Cols, bool]]) -> None:
        self.out, self.parts = out, parts
        self.reads = [b for b, _, _ in parts]

    def forward(self, bufs: list[Array], batch: int) -> None:
        out = None
        for b, c, _ in self.parts:  # c: (nodes, terms in this block)
            s = bufs[b][:, c].sum(axis=-1)
            out = s if out is None else out + s
        bufs[self.out] = out

    def forward_checked(self, bufs: list[Array], batch: int) -> None:
        with np.errstate(all="ignore"):
            self.forward(bufs, batch)

    def backward(self, bufs: list[Array], grads: list[Array | None]) -> None:
        g = grads[self.out][:, :, None]  # type: ignore[index]  # every term of a sum gets its gradient
        for b, c, unique in self.parts:
            if grads[b] is not None:
                _accumulate(grads[b], c, g, unique)

    backward_checked = backward


_Instruction = _Elementwise | _Dot | _Sum


# --- compiling a graph into instructions ------------------------------------------------


def _sum_terms(nodes: list[Value], outputs: set[Value]) -> tuple[dict[Value, list[Value]], set[Value]]:
    """Find ``a + b + c + ...`` chains and flatten each into one list of terms.

    An addition node is folded into the one that uses it when that is its only
    use, the user is an addition too, and it is not an output: nobody else
    needs its value, so ``((a + b) + c) + d`` can be computed as one sum of
    ``[a, b, c, d]``. Returns the terms of each remaining sum and the folded nodes.
    """
    uses: dict[Value, int] = {}
    user: dict[Value, Value] = {}
    for v in nodes:
        for p in v._prev:
            uses[p] = uses.get(p, 0) + 1
            user[p] = v
    folded = {
        v for v in nodes
        if v._op is ADD and uses.get(v) == 1 and user[v]._op is ADD and v not in outputs
    }
    terms: dict[Value, list[Value]] = {}
    for v in nodes:
        if v._op is ADD and v not in folded and any(p in folded for p in v._prev):
            found: list[Value] = []
            stack = list(reversed(v._prev))
            while stack:  # left to right through the folded additions, no recursion
                p = stack.pop()
                if p in folded:
                    stack.extend(reversed(p._prev))
                else:
                    found.append(p)
            terms[v] = found
    return terms, folded


class _Compiler:
    """Turns a recorded graph into blocks and instructions (see the comment above ``_cols``).

    Nodes are scheduled in waves: a wave holds every node whose arguments are
    all computed. Within a wave, nodes that do the same op on the same blocks
    form one group, one instruction, one new block.
    """

    def __init__(self, placeholders: list[Placeholder], outputs: list[Value]) -> None:
        order = topological_order(outputs[0])
        if len(outputs) > 1:
            seen = set(order)
            for out in outputs[1:]:  # parents-first for each output; together still parents-first
                for v in topological_order(out):
                    if v not in seen:
                        seen.add(v)
                        order.append(v)
        mine = {id(p) for p in placeholders}
        self.loc: dict[Value, tuple[int, int]] = {p: (0, p.index) for p in placeholders}
        self.leaves: list[Value] = []
        for v in order:
            if v._prev:
                continue
            if isinstance(v, Placeholder) and id(v) not in mine:
                raise ValueError("trace: the graph uses a placeholder of another trace")
            if v not in self.loc:
                self.loc[v] = (1, len(self.leaves))
                self.leaves.append(v)
        self.varying = [True, False]  # per block: one row per example, or a single row
        self.widths = [len(placeholders), len(self.leaves)]  # per block: its number of columns
        self.instructions: list[_Instruction] = []
        self.terms, folded = _sum_terms(order, set(outputs))
        self._schedule([v for v in order if v._prev and v not in folded])
        self.outputs = [self.loc[v] for v in outputs]

    def _args(self, v: Value) -> Sequence[Value]:
        return self.terms.get(v, v._prev)

    def _schedule(self, nodes: list[Value]) -> None:
        loc, key_of = self.loc, self._key
        waiting: dict[Value, int] = {}  # how many of its arguments are not computed yet
        users: dict[Value, list[Value]] = {}
        for v in nodes:
            count = 0
            for p in self._args(v):
                if p not in loc:
                    count += 1
                    users.setdefault(p, []).append(v)
            waiting[v] = count
        wave = [v for v in nodes if waiting[v] == 0]
        while wave:
            groups: dict[tuple[Any, ...], list[Value]] = {}
            for v in wave:
                groups.setdefault(key_of(v), []).append(v)
            for key, members in groups.items():
                self._emit(key, members)
            ready = []
            for v in wave:
                for u in users.get(v, ()):
                    waiting[u] -= 1
                    if waiting[u] == 0:
                        ready.append(u)
            wave = ready
        missing = [v for v in nodes if v not in self.loc]
        if missing:  # cannot happen for a graph from the engine; guards against a hand-made cycle
            raise ValueError(f"trace: {len(missing)} nodes could not be ordered (a cycle in the graph?)")

    def _block(self, v: Value) -> int:
        return self.loc[v][0]

    def _key(self, v: Value) -> tuple[Any, ...]:
        """What a node must share with others to be computed in the same instruction."""
        loc = self.loc
        terms = self.terms.get(v)
        if terms is not None:
            return ("sum", tuple([loc[p][0] for p in terms]))
        if v._op is not DOT:
            return ("elementwise", id(v._op), v._op, tuple([loc[p][0] for p in v._prev]))
        n = len(v._prev) // 2
        ws, xs, bias = v._prev[:n], v._prev[n : 2 * n], v._prev[2 * n :]
        wblocks, xblocks = {self._block(p) for p in ws}, {self._block(p) for p in xs}
        bias_block = self._block(bias[0]) if bias else None
        fixed_bias = bias_block is None or not self.varying[bias_block]
        if n and len(wblocks) == 1 and len(xblocks) == 1 and fixed_bias:
            (wb,), (xb,) = wblocks, xblocks
            if self.varying[wb] != self.varying[xb]:  # one side per-example, the other shared
                w_first = not self.varying[wb]  # the weights are the single-row side
                shared, fixed = (xs, wb) if w_first else (ws, xb)
                shared_ids = tuple(map(id, shared))
                return ("matmul", n, w_first, fixed, self._block(shared[0]), shared_ids, bias_block)
        return ("dot", n, tuple(self._block(p) for p in v._prev))

    def _new_block(self, members: list[Value], blocks: Sequence[int]) -> int:
        out = len(self.varying)
        self.varying.append(any(self.varying[b] for b in blocks))
        self.widths.append(len(members))
        for j, v in enumerate(members):
            self.loc[v] = (out, j)
        return out

    def _gather(self, nodes_per_member: list[list[Value]], matrix: bool = False) -> tuple[_Cols, bool]:
        """The columns of each member's nodes in their (common) block, and whether they are distinct.

        One node per member gives 1-D columns; ``matrix=True`` gives a (members, nodes) array.
        """
        loc = self.loc
        cols = [[loc[p][1] for p in nodes] for nodes in nodes_per_member]
        flat = [c for row in cols for c in row]
        unique = len(set(flat)) == len(flat)
        if not matrix:
            return _cols(flat), unique
        return np.array(cols, dtype=np.intp), unique

    def _emit(self, key: tuple[Any, ...], members: list[Value]) -> None:
        kind = key[0]
        if kind == "elementwise":
            blocks = key[3]
            args = []
            for i, b in enumerate(blocks):
                cols, unique = self._gather([[v._prev[i]] for v in members])
                args.append((b, cols, unique))
            out = self._new_block(members, blocks)
            self.instructions.append(_Elementwise(key[2], out, args))
        elif kind == "sum":
            blocks = key[1]
            parts = []
            for b in dict.fromkeys(blocks):  # each block once, in order of first use
                at = [i for i, bi in enumerate(blocks) if bi == b]
                cols, unique = self._gather([[self.terms[v][i] for i in at] for v in members], matrix=True)
                parts.append((b, cols, unique))
            out = self._new_block(members, blocks)
            self.instructions.append(_Sum(out, parts))
        else:
            n = key[1]
            has_bias = len(members[0]._prev) % 2 == 1
            bias = None
            read: list[int] = []  # the blocks this group reads
            if has_bias:
                cols, unique = self._gather([[v._prev[2 * n]] for v in members])
                bias = (self._block(members[0]._prev[2 * n]), cols, unique)
                read.append(bias[0])
            if kind == "matmul":
                _, _, w_first, fixed, shared_block, _, _ = key
                w_side = [list(v._prev[:n] if w_first else v._prev[n : 2 * n]) for v in members]
                shared = members[0]._prev[n : 2 * n] if w_first else members[0]._prev[:n]
                wcols, wunique = self._gather(w_side, matrix=True)
                scols, sunique = self._gather([[p] for p in shared])
                pairs = [(fixed, wcols, wunique, shared_block, scols, sunique)]
                read += [fixed, shared_block]
            else:
                pairs = []
                first = members[0]._prev
                by_blocks: dict[tuple[int, int], list[int]] = {}
                for i in range(n):
                    by_blocks.setdefault((self._block(first[i]), self._block(first[n + i])), []).append(i)
                for (wb, xb), at in by_blocks.items():
                    ws = [[v._prev[i] for i in at] for v in members]
                    xs = [[v._prev[n + i] for i in at] for v in members]
                    wcols, wunique = self._gather(ws, matrix=True)
                    xcols, xunique = self._gather(xs, matrix=True)
                    pairs.append((wb, wcols, wunique, xb, xcols, xunique))
                    read += [wb, xb]
            out = self._new_block(members, read)
            matmul = kind == "matmul"
            self.instructions.append(_Dot(out, self.varying[out], len(members), pairs, bias, matmul))


# --- the tape -----------------------------------------------------------------------------


class Tape:
    """A recorded graph, compiled to replay on a whole batch. Made by :func:`trace`.

    * ``tape(X)``: ``X`` of shape (batch, n_inputs) gives the outputs, shape
      (batch,) for a function that returned one Value, (batch, k) for a list of k;
    * ``tape.backward(grad_out)``: adds to each captured leaf's ``.grad`` the sum
      over the batch of ``grad_out * d(output)/d(leaf)``, what calling
      ``backward()`` example by example would add (``grad_out`` defaults to 1
      for every output, and may be a number);
    * ``tape.parameters``: the captured leaves, in the order the graph meets them.

    A tape keeps the last replay's arrays for ``backward``, so replay one batch
    at a time.
    """

    def __init__(self, placeholders: list[Placeholder], outputs: list[Value], single: bool) -> None:
        compiled = _Compiler(placeholders, outputs)
        self.n_inputs = len(placeholders)
        self.n_outputs = len(outputs)
        self.parameters: list[Value] = compiled.leaves
        self._single = single
        self._instructions = compiled.instructions
        self._outputs = compiled.outputs
        self._widths = compiled.widths
        self._needs_grad = self._blocks_needing_grad(False)
        self._needs_input_grad = self._blocks_needing_grad(True)
        self._backward_order = self._instructions[::-1]
        self._bufs: list[Array] | None = None
        self._batch = 0

    def _blocks_needing_grad(self, inputs: bool) -> list[bool]:
        """Which blocks lead back to a captured leaf (or to X, with ``inputs``): only those get gradients."""
        needs = [inputs and self.n_inputs > 0, bool(self.parameters)]
        for ins in self._instructions:  # each writes the next block, so needs[] is filled in order
            needs.append(any(needs[b] for b in ins.reads))
        return needs

    def __repr__(self) -> str:
        kinds = [ins.kind for ins in self._instructions]
        matmuls = sum(1 for ins in self._instructions if isinstance(ins, _Dot) and ins.matmul)
        return (
            f"<Tape: {self.n_inputs} inputs, {self.n_outputs} outputs, {len(self.parameters)} captured "
            f"leaves, {len(kinds)} instructions ({matmuls} matrix products)>"
        )

    def steps(self) -> list[str]:
        """The compiled program, one line per instruction: what runs on every replay."""
        lines = []
        for ins in self._instructions:
            width = self._widths[ins.out]
            if isinstance(ins, _Elementwise):
                what = f"{str(ins.op)!r} on {width} nodes"
            elif isinstance(ins, _Dot):
                n = sum(p[1].shape[-1] for p in ins.pairs)
                what = ("matrix product" if ins.matmul else "dot") + f": {width} nodes of {n} products"
            else:
                what = f"sum: {width} nodes of {sum(c.shape[1] for _, c, _ in ins.parts)} terms"
            lines.append(f"block {ins.out} = {what}")
        return lines

    def _check_X(self, X: Any) -> Array:
        if X is None:
            if self.n_inputs:
                raise TypeError(f"tape: expected X of shape (batch, {self.n_inputs}), got None")
            return np.empty((1, 0))
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"tape: X must be an array of numbers of shape (batch, {self.n_inputs}): {e}"
            ) from None
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"tape: expected X of shape (batch, {self.n_inputs}), got shape {X.shape}")
        return X

    def __call__(self, X: Any = None) -> Array:
        X = self._check_X(X)
        batch = X.shape[0]
        leaves = np.fromiter([p.data for p in self.parameters], np.float64, len(self.parameters))
        bufs: list[Array] = [X, leaves[None, :]] + [None] * len(self._instructions)
        # NumPy raises on floating-point errors here, so the fast path tests nothing; an
        # instruction that divides by zero, overflows or makes a NaN is redone on the slow
        # path, which does what the scalar engine does: raise the op's own error, or go on.
        with np.errstate(all="raise", under="ignore"):
            for ins in self._instructions:
                try:
                    ins.forward(bufs, batch)
                except FloatingPointError:
                    ins.forward_checked(bufs, batch)
        self._bufs, self._batch = bufs, batch
        out = np.empty((batch, self.n_outputs))
        for j, (b, c) in enumerate(self._outputs):
            out[:, j] = bufs[b][:, c]
        return out[:, 0] if self._single else out

    def backward(self, grad_out: Any = None, input_grad: bool = False) -> Array | None:
        """Add d(outputs)/d(leaf), summed over the last replay's batch, to every captured leaf's ``.grad``.

        ``grad_out`` weighs each output of each example (shape (batch,) or
        (batch, k), or one number for all; 1 by default). With
        ``input_grad=True`` it also returns the gradient with respect to ``X``,
        shape (batch, n_inputs); otherwise nothing is computed on the way to
        the inputs (so an error the scalar engine would raise only there, such
        as sqrt's infinite slope at 0, is not raised).
        """
        bufs = self._bufs
        if bufs is None:
            raise RuntimeError("tape.backward: replay a batch first, tape(X), then call backward")
        batch = self._batch
        G = self._check_grad_out(grad_out, batch)
        needs = self._needs_input_grad if input_grad else self._needs_grad
        grads: list[Array | None] = [np.zeros_like(buf) if need else None for buf, need in zip(bufs, needs)]
        for j, (b, c) in enumerate(self._outputs):
            target = grads[b]
            if target is not None:
                _accumulate(target, slice(c, c + 1), G[:, j : j + 1], True)
        with np.errstate(all="raise", under="ignore"):  # as in the forward pass
            for ins in self._backward_order:
                if grads[ins.out] is not None:
                    try:
                        ins.backward(bufs, grads)
                    except FloatingPointError:
                        ins.backward_checked(bufs, grads)
        if self.parameters:
            for p, g in zip(self.parameters, grads[1][0].tolist()):  # type: ignore[index]
                p.grad += g
        return grads[0] if input_grad else None

    def _check_grad_out(self, grad_out: Any, batch: int) -> Array:
        shape = (batch, self.n_outputs)
        if grad_out is None:
            return np.ones(shape)
        try:
            G = np.asarray(grad_out, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"tape.backward: grad_out must be numbers: {e}") from None
        if G.ndim == 0:
            return np.full(shape, float(G))
        if self._single and G.shape == (batch,):
            return G[:, None]
        if G.shape != shape:
            want = f"({batch},)" if self._single else f"{shape}"
            raise ValueError(f"tape.backward: expected grad_out of shape {want} (one per output of the "
                             f"last replay), got {G.shape}")
        return G


def trace(fn: Callable[[list[Value]], Any], n_inputs: int, example: Sequence[float] | None = None) -> Tape:
    """Call ``fn`` once on ``n_inputs`` placeholder Values and return the :class:`Tape` of its graph.

    ``fn`` receives one list of placeholders (as a model receives one example)
    and returns a Value or a list of Values. ``nn`` models work as they are:
    ``trace(model, 2)``. The placeholders hold the numbers ``example`` (0.5 each
    by default) while ``fn`` runs, so that every op can compute its value; pick
    a typical row of your data if ``fn`` takes a log or a square root that 0.5
    would break. See the module docstring for what is captured and what is frozen.
    """
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 0:
        raise ValueError(f"trace: n_inputs must be an integer >= 0, got {n_inputs!r:.60}")
    if not callable(fn):
        raise TypeError(f"trace: fn must be a function of a list of inputs, got {type(fn).__name__}")
    row = [0.5] * n_inputs if example is None else list(example)
    if len(row) != n_inputs or not all(isinstance(x, numbers.Real) and math.isfinite(x) for x in row):
        raise ValueError(f"trace: example must be {n_inputs} finite numbers, got {example!r:.80}")
    placeholders = [Placeholder(i, x) for i, x in enumerate(row)]
    token = engine._recording.set(_Recorder(engine._recording.get()))
    try:
        result = fn(list(placeholders))
    except UntraceableError:
        raise
    except (ArithmeticError, ValueError) as e:
        raise type(e)(
            f"{e} (while tracing, with every input at its example value {row!r:.80}; "
            "pass example=[...], a typical row of your data)"
        ) from e
    finally:
        engine._recording.reset(token)
    single = isinstance(result, Value)
    outputs = [result] if single else result
    good = isinstance(outputs, (list, tuple)) and outputs and all(isinstance(v, Value) for v in outputs)
    if not good:
        raise TypeError(
            f"trace: fn must return a Value or a non-empty list of Values, got {type(result).__name__}"
        )
    return Tape(placeholders, list(outputs), single)


# --- training with a tape ---------------------------------------------------------------


class FitStep:
    """One training step on a batch, with the model replayed by a tape: ``nn.fit(vectorize=True)``.

    ``step = FitStep(model, loss, params, penalty)`` then ``value, predictions =
    step(Xb, yb)`` does what the scalar loop does: clear each parameter's
    gradient, compute the predictions and ``loss(predictions, yb)`` (plus
    ``penalty()`` when given, e.g. an L2 term), and leave d(total)/d(p) in every
    ``p.grad``. It returns the total as a float and the predictions as plain
    numbers (a float per example, or a list of floats for several outputs).

    How: the model is traced once (on the first batch) and replayed on each
    batch. The loss of a whole batch is traced too, with one placeholder per
    prediction and the targets as constants, and replayed while the targets
    stay the same (full-batch training); the gradient it sends to each
    prediction is then pushed through the model's tape. A loss that cannot be
    traced (one that branches on a prediction's value), or targets that change
    at every step (shuffled mini-batches), run in the scalar engine instead, on
    one leaf per prediction: the same numbers, only slower. The penalty, which
    depends on the parameters only, is traced once.
    """

    def __init__(
        self, model: Callable[[Any], Any], loss: Callable[[Any, Any], Value], params: Sequence[Value],
        penalty: Callable[[], Value] | None = None,
    ) -> None:
        self.model, self.loss, self.params = model, loss, list(params)
        self.tape: Tape | None = None
        self.penalty_tape = trace(lambda _: penalty(), 0) if penalty is not None else None
        self._loss_tapes: dict[Any, Tape] = {}  # by batch of targets
        self._sightings: dict[Any, int] = {}  # how often each batch of targets came
        self._trace_loss = True  # until the loss turns out to branch on a prediction

    def __call__(self, Xb: Sequence[Any], yb: Sequence[Any]) -> tuple[float, list[Any]]:
        X = np.asarray(Xb, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        if self.tape is None:
            self.tape = trace(self.model, X.shape[1])
        preds = self.tape(X)
        value, G = self._loss_and_grad(preds, list(yb))
        for p in self.params:
            p.grad = 0.0
        self.tape.backward(G)
        if self.penalty_tape is not None:
            value = value + float(self.penalty_tape()[0])
            self.penalty_tape.backward(1.0)
        return value, preds.tolist()

    def _predictions(self, flat: Sequence[Any], shape: tuple[int, ...]) -> list[Any]:
        """The predictions as the loss expects them: one per example, or one list per example."""
        if len(shape) == 1:
            return list(flat)
        k = shape[1]
        return [list(flat[i : i + k]) for i in range(0, len(flat), k)]

    def _loss_and_grad(self, preds: Array, targets: list[Any]) -> tuple[float, Array]:
        """The loss of the batch and its gradient with respect to each prediction.

        Tracing a loss costs a few scalar evaluations of it, so a batch of
        targets is traced the second time it comes (full-batch training, or
        mini-batches without shuffling), never for batches seen only once.
        """
        key = _hashable(targets)
        tape = self._loss_tapes.get(key) if key is not None else None
        if tape is None and key is not None and self._trace_loss:
            seen = self._sightings.get(key, 0) + 1
            if len(self._sightings) >= _MAX_LOSS_TAPES:
                self._sightings.clear()
            self._sightings[key] = seen
            if seen >= 2 and len(self._loss_tapes) < _MAX_LOSS_TAPES:
                try:
                    tape = trace(lambda ps: self.loss(self._predictions(ps, preds.shape), targets),
                                 preds.size, example=preds.ravel().tolist())
                    self._loss_tapes[key] = tape
                except UntraceableError:
                    self._trace_loss = False
        if tape is not None:
            value = float(tape(preds.reshape(1, -1))[0])
            G: Array = tape.backward(1.0, input_grad=True)
            return value, G.reshape(preds.shape)
        leaves = [Value(p) for p in preds.ravel().tolist()]
        total = self.loss(self._predictions(leaves, preds.shape), targets)
        if not isinstance(total, Value):
            raise TypeError(f"fit: the loss function must return a Value, got {type(total).__name__}")
        total.backward()
        return total.data, np.array([v.grad for v in leaves]).reshape(preds.shape)


_MAX_LOSS_TAPES = 256


def _hashable(targets: list[Any]) -> Any:
    """The targets as a dict key (lists become tuples), or None if they cannot be one."""
    try:
        key = tuple(tuple(t) if isinstance(t, (list, tuple)) else t for t in targets)
        hash(key)
    except TypeError:
        return None
    return key


class _CallableModule(types.ModuleType):
    """This module, callable: ``autograd.trace(fn, n)`` runs :func:`trace`.

    Importing ``autograd.trace`` makes the name ``trace`` on the package refer to
    this module rather than to the function, whichever was there first; being
    callable, the module works both ways.
    """

    def __call__(self, fn: Callable[[list[Value]], Any], n_inputs: int,
                 example: Sequence[float] | None = None) -> Tape:
        return trace(fn, n_inputs, example)


sys.modules[__name__].__class__ = _CallableModule
