"""The tape: a recorded graph, compiled, replayed over a batch; and :func:`trace`, which makes one."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import engine
from ..core.checks import count
from ..core.engine import Value
from .compiler import Compiler, DotGroup, Elementwise, accumulate
from .guard import Placeholder, Recorder, UntraceableError

__all__ = ["Tape", "trace"]

Array = Any

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
        compiled = Compiler(placeholders, outputs)
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
        matmuls = sum(1 for ins in self._instructions if isinstance(ins, DotGroup) and ins.matmul)
        return (
            f"<Tape: {self.n_inputs} inputs, {self.n_outputs} outputs, {len(self.parameters)} captured "
            f"leaves, {len(kinds)} instructions ({matmuls} matrix products)>"
        )

    def steps(self) -> list[str]:
        """The compiled program, one line per instruction: what runs on every replay."""
        lines = []
        for ins in self._instructions:
            width = self._widths[ins.out]
            if isinstance(ins, Elementwise):
                what = f"{str(ins.op)!r} on {width} nodes"
            elif isinstance(ins, DotGroup):
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
        X = _real_array(X, f"tape: X must be an array of real numbers of shape (batch, {self.n_inputs})")
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
                except (ArithmeticError, ValueError):  # NumPy's FloatingPointError, or an op run item by item
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
        # One row per example for every block but the leaves' (block 1): a contribution computed from
        # parameters only is kept per example, as backward() would, until it reaches a leaf.
        grads: list[Array | None] = [np.zeros((1 if i == 1 else batch, buf.shape[1])) if need else None
                                     for i, (buf, need) in enumerate(zip(bufs, needs))]
        for j, (b, c) in enumerate(self._outputs):
            target = grads[b]
            if target is not None:
                accumulate(target, slice(c, c + 1), G[:, j : j + 1], True)
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
        G = _real_array(grad_out, "tape.backward: grad_out must be real numbers")
        if G.ndim == 0:
            return np.full(shape, float(G))
        if self._single and G.shape == (batch,):
            return G[:, None]
        if G.shape != shape:
            want = f"({batch},)" if self._single else f"{shape}"
            raise ValueError(f"tape.backward: expected grad_out of shape {want} (one per output of the "
                             f"last replay), got {G.shape}")
        return G


def _real_array(x: Any, expected: str) -> Array:
    """``x`` as a float64 array, refusing what could not mean numbers (None, strings, complex, dicts)."""
    if isinstance(x, (dict, str, bytes)):
        raise TypeError(f"{expected}, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as e:  # ragged rows
        raise TypeError(f"{expected}: {e}") from None
    if a.dtype.kind == "O" and all(isinstance(v, numbers.Real) for v in a.flat):
        return a.astype(np.float64)  # Fractions, Decimals: real numbers all the same
    if a.dtype.kind not in "biuf":
        what = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "things that are not all numbers"}
        raise TypeError(f"{expected}, got {what.get(a.dtype.kind, f'dtype {a.dtype}')}")
    return a.astype(np.float64)


def trace(fn: Callable[[list[Value]], Any], n_inputs: int, example: Sequence[float] | None = None) -> Tape:
    """Call ``fn`` once on ``n_inputs`` placeholder Values and return the :class:`Tape` of its graph.

    ``fn`` receives one list of placeholders (as a model receives one example)
    and returns a Value or a list of Values. ``nn`` models work as they are:
    ``trace(model, 2)``. The placeholders hold the numbers ``example`` (0.5 each
    by default) while ``fn`` runs, so that every op can compute its value; pick
    a typical row of your data if ``fn`` takes a log or a square root that 0.5
    would break. See the module docstring for what is captured and what is frozen.
    """
    n_inputs = count("trace", "n_inputs", n_inputs, least=0)
    if not callable(fn):
        raise TypeError(f"trace: fn must be a function of a list of inputs, got {type(fn).__name__}")
    row = [0.5] * n_inputs if example is None else list(example)
    if len(row) != n_inputs or not all(isinstance(x, numbers.Real) and math.isfinite(x) for x in row):
        raise ValueError(f"trace: example must be {n_inputs} finite numbers, got {example!r:.80}")
    placeholders = [Placeholder(i, x) for i, x in enumerate(row)]
    recorder = Recorder(engine.recording.get())
    token = engine.recording.set(recorder)
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
        engine.recording.reset(token)
    if recorder.raised:  # fn caught it and went on: the branch it took would be frozen for every row
        caught = recorder.raised[0]
        raise UntraceableError(
            f"trace: while tracing, {type(caught).__name__}: {caught}, and fn caught it and went on "
            "(a try/except?): "
            f"the tape would replay the branch taken at the example row {row!r:.80} for every row. Let the "
            "error through, or write the choice with ops (relu, abs, sigmoid...) instead of try/except")
    single = isinstance(result, Value)
    outputs = [result] if single else result
    good = isinstance(outputs, (list, tuple)) and outputs and all(isinstance(v, Value) for v in outputs)
    if not good:
        raise TypeError(
            f"trace: fn must return a Value or a non-empty list of Values, got {type(result).__name__}"
        )
    return Tape(placeholders, list(outputs), single)


