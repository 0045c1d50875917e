"""Compiling a recorded graph into a short program of NumPy instructions.

Every number of a replay lives in a *block*: a 2-D array with one column per
node and one row per example. Block 0 is X itself (the placeholders), block 1
holds every captured leaf in one row, and each instruction writes one new block.
A block that depends on no placeholder has a single row, which NumPy broadcasts
against the batch. A node's place is (block, column).

Nodes that do the same op on the same blocks are computed together: the
neurons of a layer are ``dot`` nodes over the same inputs, so they become one
matrix product; their activations one elementwise call of the op's
``vectorized`` forward; a long ``a + b + c + ...`` chain one ``sum``. Every
number comes from the op table: each op's ``vectorized`` forward and its
``local`` rule, run on arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.engine import Value, topological_order
from ..core.ops import ADD, DOT, Op
from .guard import Placeholder

__all__ = ["Compiler", "Elementwise", "DotGroup", "SumGroup", "Instruction", "accumulate"]

Array = Any  # a NumPy array of float64; kept loose so that type checks stay readable

_Cols = Any  # a slice, or an array of column indices (1-D, or 2-D for dot and sum groups)


def _cols(cols: list[int]) -> _Cols:
    """Column indices as a slice when they are consecutive (a view, no copy), else an index array."""
    start = cols[0]
    if cols == list(range(start, start + len(cols))):
        return slice(start, start + len(cols))
    return np.array(cols, dtype=np.intp)


def accumulate(target: Array, cols: _Cols, contrib: Array, unique: bool) -> None:
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


def _finite(*arrays: Array) -> bool:
    """Whether every number of these arrays is finite, tested by their sums: a sum is finite only if its
    terms are (a finite sum too large for a float says False, or raises under ``np.errstate(all="raise")``;
    either sends the instruction to its checked path, which gets the same numbers). One reduction per
    array instead of ``isfinite`` and ``all``: 3% of a replayed demo step's instructions (callgrind; make
    bench's row "the replayed demo step ... against commit 507c22a")."""
    for a in arrays:
        if not math.isfinite(a.sum()):
            return False
    return True


def _times(g: Array, d: Any) -> Array:
    if isinstance(d, float):  # the constant derivatives of +, - and neg
        return g if d == 1.0 else -g if d == -1.0 else g * d
    return g * d


def _at(a: Array, row: int, col: tuple[int, ...]) -> float:
    return float(a[(min(row, a.shape[0] - 1),) + col])


def _where(row: int, varying: bool) -> str:  # a one-row batch still names its example
    return f" (example {row} of the batch)" if varying else " (in the part computed from parameters only)"


class Elementwise:
    """One op applied to a group of nodes: ``out[:, j] = op(in_1[:, j], in_2[:, j])``."""

    kind = "elementwise"

    def __init__(self, op: Op, out: int, args: list[tuple[int, _Cols, bool]], varying: bool = True) -> None:
        self.op, self.out, self.args, self.varying = op, out, args, varying  # varying: one row per example
        self.reads = [b for b, _, _ in args]
        self.forward_fn, self.local_fn = op.vectorized, op.local  # the op's own forward and rule, on arrays
        self.vals: list[Array] = []

    def forward(self, bufs: list[Array], batch: int) -> None:
        self.vals = [bufs[b][:, c] for b, c, _ in self.args]
        out = self.forward_fn(*self.vals)
        if not _finite(out, *self.vals):
            raise FloatingPointError  # special numbers: the checked path settles each the scalar way
        bufs[self.out] = out

    def forward_checked(self, bufs: list[Array], batch: int) -> None:
        """Where a number is special (NaN, an infinity, an error): the scalar op's own result or error.

        So the tape computes exactly what the engine computes example by example: the op's
        error naming the example where the engine raises, and its number everywhere else.
        """
        self.vals = [bufs[b][:, c] for b, c, _ in self.args]
        rows, cols = np.broadcast_shapes(*[v.shape for v in self.vals])
        with np.errstate(all="ignore"):
            try:
                out = np.array(np.broadcast_to(self.forward_fn(*self.vals), (rows, cols)), dtype=np.float64)
                special = ~np.isfinite(out)
                for v in self.vals:
                    special |= ~np.isfinite(v)
            except (ArithmeticError, ValueError):  # an op whose forward runs item by item raised: find where
                out, special = np.zeros((rows, cols)), np.ones((rows, cols), dtype=bool)
        for row, col in zip(*np.nonzero(special)):
            numbers_in = [_at(v, row, (col,)) for v in self.vals]
            try:
                out[row, col] = self.op.forward(*numbers_in)
            except (ArithmeticError, ValueError) as e:
                raise type(e)(f"{e}{_where(row, self.varying)}") from None
        bufs[self.out] = out

    def backward(self, bufs: list[Array], grads: list[Array | None]) -> None:
        g = grads[self.out]
        local = self.local_fn(bufs[self.out], *self.vals)
        # every contribution first, then the additions: an error leaves no gradient half-added
        contribs = [_times(g, d) for (b, _, _), d in zip(self.args, local) if grads[b] is not None]
        if not _finite(*contribs):
            raise FloatingPointError  # special numbers: the checked path does what backward() does
        targets = [arg for arg in self.args if grads[arg[0]] is not None]
        for (b, c, unique), contrib in zip(targets, contribs):
            accumulate(grads[b], c, contrib, unique)

    def backward_checked(self, bufs: list[Array], grads: list[Array | None]) -> None:
        """Where a number is special: what the scalar ``backward()`` does, example by example.

        A node whose gradient is 0 passes nothing on (so an infinite local derivative there
        does no harm); where a local derivative is not finite, or an input is special, the
        scalar rule decides: its number, or its error naming the example.
        """
        g: Array = grads[self.out]
        out = bufs[self.out]
        with np.errstate(all="ignore"):
            local = [np.array(np.broadcast_to(d, g.shape), dtype=np.float64)
                     for d in self.local_fn(out, *self.vals)]
            special: Array = np.zeros(g.shape, dtype=bool)
            for v in (out, *self.vals, *local):
                special |= ~np.isfinite(v)
            for row, col in zip(*np.nonzero(special & (g != 0))):
                for d, exact in zip(local, self._scalar_local(out, row, col)):
                    d[row, col] = exact
            todo = [(arg, np.where(g != 0, _times(g, d), 0.0)) for arg, d in zip(self.args, local)
                    if grads[arg[0]] is not None]
        for (b, c, unique), contrib in todo:
            accumulate(grads[b], c, contrib, unique)

    def _scalar_local(self, out: Array, row: int, col: int) -> tuple[float, ...]:
        numbers_in = [_at(v, row, (col,)) for v in self.vals]
        try:
            return tuple(float(d) for d in self.op.local(_at(out, row, (col,)), *numbers_in))
        except (ArithmeticError, ValueError) as e:
            name = getattr(self.op, "name", str(self.op))
            raise type(e)(f"{name}: in the backward pass: {e}{_where(row, self.varying)}") from None


class DotGroup:
    """A group of ``dot`` nodes.

    When every node of the group reads the *same* inputs (the neurons of a
    layer) and its weights and bias depend on no placeholder, the group is one
    matrix product: ``out = V @ W.T + b`` with ``V`` (batch, n) the shared
    inputs and ``W`` (nodes, n) one row of weights per node. Otherwise each
    pair of parent blocks is gathered into (rows, nodes, n) arrays and
    multiplied elementwise, then summed. Both use ``DOT``'s own rule, d/dw = x and d/dx = w,
    run on the arrays; the matrix products only add the terms up.
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
        self.forward_fn, self.local_fn = DOT.vectorized, DOT.local  # on one (w, x) pair: w * x, and (x, w)

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
                out = out + self.forward_fn(a, b).sum(axis=-1)
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
            dW, dV = self.local_fn(None, W, V)  # d/dW = V and d/dV = W; the products add up the terms
            if grads[vb] is not None:
                todo.append((vb, vc, vu, g @ dV))
            if grads[wb] is not None:  # summed over the batch into the leaves, as backward() adds them up
                todo.append((wb, wc, wu, (g.T @ dW)[None] if wb == 1 else g[:, :, None] * dW[:, None, :]))
        else:
            for (a, b), (wb, wc, wu, xb, xc, xu) in zip(self.vals, self.pairs):
                da, db = self.local_fn(None, a, b)
                if grads[wb] is not None:
                    todo.append((wb, wc, wu, g[:, :, None] * da))
                if grads[xb] is not None:
                    todo.append((xb, xc, xu, g[:, :, None] * db))
        if self.bias is not None and grads[self.bias[0]] is not None:
            todo.append((*self.bias, g))
        if not _finite(*[t[3] for t in todo]):
            raise FloatingPointError  # special numbers: the checked path does what backward() does
        for b, c, unique, contrib in todo:
            accumulate(grads[b], c, contrib, unique)

    def backward_checked(self, bufs: list[Array], grads: list[Array | None]) -> None:
        """Special numbers: what ``backward()`` does node by node, where a dot whose gradient is 0
        sends nothing (so ``0 * inf`` makes no NaN), each example's contribution kept apart until
        the leaves."""
        g: Array = grads[self.out]
        live = (g != 0)[:, :, None]
        todo = []
        with np.errstate(all="ignore"):
            if self.matmul:
                (W, V), (wb, wc, wu, vb, vc, vu) = self.vals[0], self.pairs[0]
                dW, dV = self.local_fn(None, W, V)
                if grads[vb] is not None:
                    todo.append((vb, vc, vu, np.where(live, g[:, :, None] * dV[None, :, :], 0.0).sum(axis=1)))
                if grads[wb] is not None:
                    todo.append((wb, wc, wu, np.where(live, g[:, :, None] * dW[:, None, :], 0.0)))
            else:
                for (a, b), (wb, wc, wu, xb, xc, xu) in zip(self.vals, self.pairs):
                    da, db = self.local_fn(None, a, b)
                    if grads[wb] is not None:
                        todo.append((wb, wc, wu, np.where(live, g[:, :, None] * da, 0.0)))
                    if grads[xb] is not None:
                        todo.append((xb, xc, xu, np.where(live, g[:, :, None] * db, 0.0)))
            if self.bias is not None and grads[self.bias[0]] is not None:
                todo.append((*self.bias, g))
            for b, c, unique, contrib in todo:
                accumulate(grads[b], c, contrib, unique)


# Chains of + fold into one sum because the table gives + a local derivative of 1 for each input.
assert ADD.local(0.0, 0.0, 0.0) == (1.0, 1.0)


class SumGroup:
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
        g = grads[self.out][:, :, None]  # type: ignore[index]  # each term gets g: +'s local derivative is 1
        for b, c, unique in self.parts:
            if grads[b] is not None:
                accumulate(grads[b], c, g, unique)

    backward_checked = backward


Instruction = Elementwise | DotGroup | SumGroup


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


class Compiler:
    """Turns a recorded graph into blocks and instructions (see the comment above ``_cols``).

    Nodes are scheduled in waves: a wave holds every node whose arguments are
    all computed. Within a wave, nodes that do the same op on the same blocks
    form one group, one instruction, one new block.
    """

    def __init__(self, placeholders: list[Placeholder], outputs: list[Value]) -> None:
        # one walk for all the outputs: from a root whose parents they are (then dropped), so a
        # part of the graph the outputs share is ordered once, parents first, as for one output
        order = topological_order(outputs[0] if len(outputs) == 1 else Value(0.0, tuple(outputs)))
        if len(outputs) > 1:
            order.pop()
        mine = {id(p) for p in placeholders}
        self.loc: dict[Value, tuple[int, int]] = {p: (0, p.index) for p in placeholders}
        self.leaves: list[Value] = []
        for v in order:
            if v._prev and not isinstance(v._op, Op):
                raise TypeError(f"trace: the node made by {v._op!r} is an op written by hand (a _backward "
                                "closure), which the replay cannot run on arrays; define it with "
                                "autograd.define_op")
            if v._prev:
                continue
            if isinstance(v, Placeholder) and id(v) not in mine:
                raise ValueError("trace: the graph uses a placeholder of another trace")
            if v not in self.loc:
                self.loc[v] = (1, len(self.leaves))
                self.leaves.append(v)
        self.varying = [True, False]  # per block: one row per example, or a single row
        self.widths = [len(placeholders), len(self.leaves)]  # per block: its number of columns
        self.instructions: list[Instruction] = []
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
            self.instructions.append(Elementwise(key[2], out, args, self.varying[out]))
        elif kind == "sum":
            blocks = key[1]
            parts = []
            for b in dict.fromkeys(blocks):  # each block once, in order of first use
                at = [i for i, bi in enumerate(blocks) if bi == b]
                cols, unique = self._gather([[self.terms[v][i] for i in at] for v in members], matrix=True)
                parts.append((b, cols, unique))
            out = self._new_block(members, blocks)
            self.instructions.append(SumGroup(out, parts))
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
            self.instructions.append(DotGroup(out, self.varying[out], len(members), pairs, bias, matmul))


