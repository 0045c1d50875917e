"""``fit``: the training loop, so experiments need no plumbing.

What you can do with it::

    import nn
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=nn.optim.LinearDecay(1.0, 0.1, 100))
    history = nn.fit(model, X, y, loss='hinge', l2=1e-4, optimizer=opt, epochs=100)
    history.loss[-1], history['accuracy'][-1]

Each epoch goes once through the data in batches (all of it at once by
default). For every batch: clear the gradients, compute the predictions and
the loss, ``backward()``, and let the optimizer take a step. That is the loop
of every lesson, written once.

Metrics are computed from the predictions made during the epoch (before each
batch's step), so they cost no extra forward pass; with full-batch training
they describe the model as it was at the start of the epoch, as micrograd's
demo prints them.
"""

from __future__ import annotations

import importlib
import math
import random
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autograd import Value
from autograd.extras import need

from . import losses as _losses
from .data import batches, check_xy
from .module import Module, make_rng
from .optim import SGD, Optimizer

__all__ = ["fit", "History", "accuracy", "METRICS"]

Metric = Callable[[list[Any], list[Any]], float]
Callback = Callable[[int, "History"], Any]


def accuracy(predictions: list[Any], targets: list[Any]) -> float:
    """The fraction of examples classified correctly.

    A single output is a score: it predicts the positive class when it is > 0,
    which matches labels -1/+1 (hinge) and 0/1 with logits (binary cross-entropy).
    Several outputs are logits: the class is the index of the largest one.
    """
    if not predictions:
        return math.nan
    right = 0
    for p, t in zip(predictions, targets):
        if isinstance(p, list):
            right += max(range(len(p)), key=p.__getitem__) == int(t)
        else:
            right += (p > 0) == (t > 0)
    return right / len(predictions)


def _flat(predictions: list[Any], targets: list[Any]) -> list[tuple[float, float]]:
    pairs: list[tuple[float, float]] = []
    for p, t in zip(predictions, targets):
        if isinstance(p, list):
            pairs.extend(zip(p, t))
        else:
            pairs.append((p, t))
    return pairs


def _mse(predictions: list[Any], targets: list[Any]) -> float:
    pairs = _flat(predictions, targets)
    return sum((p - t) ** 2 for p, t in pairs) / len(pairs) if pairs else math.nan


def _mae(predictions: list[Any], targets: list[Any]) -> float:
    pairs = _flat(predictions, targets)
    return sum(abs(p - t) for p, t in pairs) / len(pairs) if pairs else math.nan


#: Metrics ``fit`` knows by name; each maps (predictions as floats, targets) to a number.
METRICS: dict[str, Metric] = {"accuracy": accuracy, "mse": _mse, "mae": _mae}


class History:
    """What happened during training, one entry per finished epoch.

    * ``loss``: the mean training loss of each epoch (regularisation included);
    * ``metrics``: name -> list of values, one per epoch (``history['accuracy']`` also works);
    * ``grad_norms``: layer name -> the L2 norm of that layer's gradient, averaged
      over the epoch's steps (filled when ``fit(..., grad_norms=True)``);
    * ``interrupted``: True when training stopped early on Ctrl-C.
    """

    def __init__(self, metric_names: Sequence[str] = ()) -> None:
        self.loss: list[float] = []
        self.metrics: dict[str, list[float]] = {name: [] for name in metric_names}
        self.grad_norms: dict[str, list[float]] = {}
        self.interrupted = False

    @property
    def epochs(self) -> int:
        """How many epochs finished."""
        return len(self.loss)

    def __getitem__(self, key: str) -> list[float]:
        if key == "loss":
            return self.loss
        if key in self.metrics:
            return self.metrics[key]
        raise KeyError(f"History has 'loss' and the metrics {sorted(self.metrics)}, not {key!r}")

    def __repr__(self) -> str:
        last = f", last loss {self.loss[-1]:.4g}" if self.loss else ""
        stopped = ", interrupted" if self.interrupted else ""
        return f"<History: {self.epochs} epochs{last}{stopped}>"

    def _repr_html_(self) -> str:  # in Jupyter: the last epoch's numbers and a small loss curve
        from .display import history_html

        return history_html(self)


def _as_floats(out: Any) -> Any:
    """A model's output as plain numbers: a float, or a list of floats for several outputs."""
    if isinstance(out, Value):
        return out.data
    if isinstance(out, (list, tuple)):
        return [v.data if isinstance(v, Value) else float(v) for v in out]
    return float(out)


def _loss_and_grad(
    model: Callable[[Any], Any], Xb: list[Any], yb: list[Any], loss: Callable[[Any, Any], Value],
    params: list[Value], l2: float,
) -> tuple[float, list[Any]]:
    """One batch: forward, loss, backward. Leaves d(loss)/dp in every ``p.grad`` (cleared first).

    Returns the loss as a float and the predictions as plain numbers.
    """
    preds = [model(x) for x in Xb]
    total = loss(preds, yb)
    if not isinstance(total, Value):
        raise TypeError(f"fit: the loss function must return a Value, got {type(total).__name__}")
    if l2:
        total = total + _losses.l2(params, l2)
    for p in params:
        p.grad = 0.0
    total.backward()
    return total.data, [_as_floats(p) for p in preds]


def _layer_groups(model: Module) -> dict[str, list[Value]]:
    """The parameters of each layer (an MLP's ``layers.i``), or all of them under the model's type."""
    layers = getattr(model, "layers", None)
    if isinstance(layers, list) and all(isinstance(layer, Module) for layer in layers):
        return {layer.name or f"layers.{i}": layer.parameters() for i, layer in enumerate(layers)}
    return {type(model).__name__: model.parameters()}


def _grad_norm(params: list[Value]) -> float:
    return math.sqrt(sum(float(p.grad) ** 2 for p in params))


def _progress_bar(epochs: int, show: bool) -> Any:
    if not show:
        return None
    try:
        # In Jupyter without ipywidgets, tqdm.auto falls back to a text bar, which renders
        # well in a notebook; its warning about the missing widget would only add clutter.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: train silently without it
        return None
    return tqdm(total=epochs, desc="fit", unit="epoch")


def fit(
    model: Module,
    X: Sequence[Any],
    y: Sequence[Any],
    loss: str | Callable[[Any, Any], Value] = "mse",
    optimizer: Optimizer | None = None,
    epochs: int = 10,
    batch_size: int | None = None,
    metrics: Iterable[str | Metric] = ("accuracy",),
    progress: bool = True,
    callbacks: Iterable[Callback] = (),
    l2: float = 0.0,
    grad_norms: bool = False,
    shuffle: bool = True,
    seed: int | random.Random | None = None,
    vectorize: bool = False,
    live: bool | int = False,
) -> History:
    """Train ``model`` on examples ``X`` with targets ``y``; return the :class:`History`.

    * ``loss``: 'mse', 'mae', 'hinge', 'binary_cross_entropy' (or 'bce'),
      'cross_entropy', or a function (predictions, targets) -> Value;
    * ``l2``: adds ``l2 * sum(p**2)`` over the parameters to every batch's loss;
    * ``optimizer``: defaults to ``SGD(model.parameters(), lr=0.1)``;
    * ``batch_size``: None for full batch, 1 for stochastic, else mini-batches,
      reshuffled every epoch (``shuffle``, ``seed``);
    * ``metrics``: names from ``METRICS`` ('accuracy', 'mse', 'mae') or functions
      (predictions, targets) -> float, with predictions as floats;
    * ``progress``: a tqdm bar showing the loss (tqdm.auto, so it draws in Jupyter);
    * ``callbacks``: functions ``f(epoch, history)`` called after each epoch;
      one that returns True stops training;
    * ``grad_norms``: record each layer's gradient norm per epoch;
    * ``vectorize``: trace the model once and replay it on each batch with NumPy
      (``autograd.trace``): the same results, for data sets too large for the
      scalar loop. Needs NumPy.
    * ``live``: in Jupyter, draw the training as it goes (:mod:`nn.live`): the decision
      boundary, the loss curve and the network view, redrawn about 25 times (``live=5``:
      every 5 epochs), in place of the progress bar. Needs ipywidgets. For Play / Pause /
      Step buttons, use :func:`nn.playground`.

    Ctrl-C stops training cleanly: the history of the finished epochs comes back
    with ``interrupted=True`` (the epoch in progress is dropped).
    """
    X, y = check_xy("fit", X, y)
    if not X:
        raise ValueError("fit: X is empty; there is nothing to train on")
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an nn.Module (such as nn.MLP), got {type(model).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r:.60}")
    if batch_size is not None and (type(batch_size) is not int or batch_size < 1):
        raise ValueError(f"fit: batch_size must be a positive integer or None, got {batch_size!r:.60}")
    if isinstance(loss, str):
        if loss not in _losses.LOSSES:
            raise ValueError(f"fit: unknown loss {loss!r}; use one of {sorted(_losses.LOSSES)} or a function")
        loss_fn = _losses.LOSSES[loss]
    elif callable(loss):
        loss_fn = loss
    else:
        raise TypeError(f"fit: loss must be a name or a function, got {type(loss).__name__}")
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"fit: l2 must be a finite number >= 0, got {l2!r:.60}")
    metric_fns: dict[str, Metric] = {}
    for m in metrics:
        if isinstance(m, str):
            if m not in METRICS:
                raise ValueError(f"fit: unknown metric {m!r}; use one of {sorted(METRICS)} or a function")
            metric_fns[m] = METRICS[m]
        elif callable(m):
            metric_fns[getattr(m, "__name__", "metric")] = m
        else:
            raise TypeError(f"fit: a metric must be a name or a function, got {type(m).__name__}")
    callbacks = list(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"fit: callbacks must be functions f(epoch, history), got {type(cb).__name__}")
    params = model.parameters()
    opt = optimizer if optimizer is not None else SGD(params, lr=0.1)
    if not isinstance(opt, Optimizer):
        raise TypeError(f"fit: optimizer must be an nn.optim optimizer, got {type(opt).__name__}")
    step: Callable[[list[Any], list[Any]], tuple[float, list[Any]]]
    if vectorize:
        need("numpy", "fit(vectorize=True)")  # the replay runs on NumPy: here only
        from .vectorized import FitStep

        step = FitStep(model, loss_fn, params, (lambda: _losses.l2(params, l2)) if l2 else None)
    else:
        step = lambda Xb, yb: _loss_and_grad(model, Xb, yb, loss_fn, params, l2)
    rng = make_rng(seed)
    shuffle = shuffle and batch_size is not None and batch_size < len(X)
    groups = _layer_groups(model) if grad_norms else {}
    history = History(list(metric_fns))
    history.grad_norms = {name: [] for name in groups}
    if live is not False:  # the live view (nn.live), displayed now; it is redrawn by a callback
        callbacks.append(importlib.import_module("nn.live").fit_view(model, X, y, epochs, live))
        progress = False
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(epochs):
            loss_sum, seen = 0.0, 0
            preds: list[Any] = []
            targets: list[Any] = []
            norm_sums = dict.fromkeys(groups, 0.0)
            steps = 0
            for Xb, yb in batches(X, y, batch_size, shuffle=shuffle, seed=rng):
                value, batch_preds = step(Xb, yb)
                for name, ps in groups.items():
                    norm_sums[name] += _grad_norm(ps)
                opt.step()
                loss_sum += value * len(Xb)
                seen += len(Xb)
                steps += 1
                preds.extend(batch_preds)
                targets.extend(yb)
            scores = {name: float(fn(preds, targets)) for name, fn in metric_fns.items()}
            history.loss.append(loss_sum / seen)
            for name, score in scores.items():
                history.metrics[name].append(score)
            for name in groups:
                history.grad_norms[name].append(norm_sums[name] / steps)
            if bar is not None:
                shown = {"loss": f"{history.loss[-1]:.4f}"}
                shown.update({k: f"{v[-1]:.3f}" for k, v in history.metrics.items()})
                bar.set_postfix(shown, refresh=False)
                bar.update(1)
            if any([cb(epoch, history) is True for cb in callbacks]):
                break
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        if bar is not None:
            bar.close()
    return history
