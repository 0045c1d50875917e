"""Training on a tape: the step ``nn.fit(..., vectorize=True)`` runs (needs NumPy).

The model is traced once with :func:`autograd.trace` and replayed over each batch;
the loss is traced too when it can be. Same numbers as the scalar training step,
in a fraction of the time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import Value
from autograd.replay import Tape, UntraceableError, trace

__all__ = ["FitStep"]

Array = Any

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
    one leaf per prediction: the same numbers, only slower. So does a loss of
    your own (``trace_loss=False``, as fit passes): it may read numbers that a
    callback changes (a loss weight), which a tape would freeze. The penalty,
    which depends on the parameters only, is traced once.
    """

    def __init__(
        self, model: Callable[[Any], Any], loss: Callable[[Any, Any], Value], params: Sequence[Value],
        penalty: Callable[[], Value] | None = None, trace_loss: bool = True,
    ) -> None:
        self.model, self.loss, self.params = model, loss, list(params)
        self.tape: Tape | None = None
        self.penalty_tape = trace(lambda _: penalty(), 0) if penalty is not None else None
        self._loss_tapes: dict[Any, Tape] = {}  # by batch of targets
        self._sightings: dict[Any, int] = {}  # how often each batch of targets came
        self._trace_loss = trace_loss  # until the loss turns out to branch on a prediction

    def __call__(self, Xb: Sequence[Any], yb: Sequence[Any]) -> tuple[float, list[Any]]:
        X = np.asarray(Xb, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        if self.tape is None:
            try:  # traced at the first example: a row of the data, where the model's ops are defined
                self.tape = trace(self.model, X.shape[1], example=X[0].tolist())
            except (ArithmeticError, ValueError) as e:
                raise type(e)(f"fit(vectorize=True): the model failed while being traced on the batch's "
                              f"first example: {e.__cause__ or e}") from None
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
            # traced at finite predictions only (a tape records the branches taken at its example);
            # a diverged step (NaN or inf) runs in the scalar engine, as it would without the tape
            if seen >= 2 and len(self._loss_tapes) < _MAX_LOSS_TAPES and np.isfinite(preds).all():
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


