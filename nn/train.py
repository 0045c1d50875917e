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

import math
import numbers
import random
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from autograd import Value, no_grad
from autograd.core.checks import count, flag, real
from autograd.core.extras import need
from autograd.core.walk import grad_number

from . import losses as _losses
from .blocks import RNN, BatchNorm
from .data import as_list, batches, check_xy
from .module import Module, make_rng
from .optim import SGD, Optimizer

__all__ = ["fit", "History", "accuracy", "METRICS"]

Metric = Callable[[list[Any], list[Any]], float]
Callback = Callable[[int, "History"], Any]


def accuracy(predictions: list[Any], targets: list[Any]) -> float:
    """The fraction of examples classified correctly.

    A single output is a score: it predicts the positive class when it is > 0,
    which matches labels -1/+1 (hinge) and 0/1 with logits (binary cross-entropy).
    Several outputs are logits: the class is the index of the largest one, and each
    target must be a class index 0..K-1. A NaN prediction has no class, so the accuracy of
    predictions with a NaN among them is NaN (as any other metric of them would be).
    """
    predictions = as_list("accuracy", "predictions", predictions)
    targets = as_list("accuracy", "targets", targets)
    if len(predictions) != len(targets):
        raise ValueError(f"accuracy: got {len(predictions)} predictions but {len(targets)} targets")
    if not predictions:
        return math.nan
    right = 0
    for p, t in zip(predictions, targets):
        if isinstance(p, (list, tuple)):
            scores = [_float("accuracy", "a prediction", x) for x in p]
            c = _class_index(t, len(scores))
            if any(x != x for x in scores):
                return math.nan
            right += max(range(len(scores)), key=scores.__getitem__) == c
        else:
            x = _float("accuracy", "a prediction", p)
            if x != x:
                return math.nan
            right += (x > 0) == (_float("accuracy", "a target", t, "a number (a label)") > 0)
    return right / len(predictions)


def _float(where: str, what: str, x: Any, expected: str = "a number") -> float:
    """A number (or a Value's) as a float; a TypeError naming ``what`` for anything else."""
    if x.__class__ is float:  # the common case, without the abstract-class checks below
        return x
    x = x.data if isinstance(x, Value) else x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: {what} must be {expected}, got {type(x).__name__}: {x!r:.60}")
    return float(x)


def _class_index(t: Any, k: int) -> int:
    """A target of a model with ``k`` outputs: a class index 0..k-1 (as an int or a whole float)."""
    t = _float("accuracy", f"a target of a model with {k} outputs", t,
               f"a class index 0..{k - 1} (for other targets use metrics=('mse',) or ())")
    if not t.is_integer() or not 0 <= t < k:
        raise ValueError(f"accuracy: a target of a model with {k} outputs must be a class index 0..{k - 1}, "
                         f"got {t!r:.60} (for other targets use metrics=('mse',) or ())")
    return int(t)


def _flat(where: str, predictions: list[Any], targets: list[Any]) -> list[tuple[float, float]]:
    predictions, targets = as_list(where, "predictions", predictions), as_list(where, "targets", targets)
    if len(predictions) != len(targets):
        raise ValueError(f"{where}: got {len(predictions)} predictions but {len(targets)} targets")
    pairs: list[tuple[float, float]] = []
    for p, t in zip(predictions, targets):
        if isinstance(p, (list, tuple)):
            if not isinstance(t, (list, tuple)) or len(t) != len(p):
                raise ValueError(f"{where}: an example with {len(p)} outputs needs {len(p)} targets, "
                                 f"got {t!r:.60}")
            pairs.extend((_float(where, "a prediction", a), _float(where, "a target", b))
                         for a, b in zip(p, t))
        else:
            pairs.append((_float(where, "a prediction", p), _float(where, "a target", t)))
    return pairs


def _mse(predictions: list[Any], targets: list[Any]) -> float:
    pairs = _flat("mse", predictions, targets)  # d * d: a diverged model's 1e200 gives inf, as IEEE says
    return sum((p - t) * (p - t) for p, t in pairs) / len(pairs) if pairs else math.nan


def _mae(predictions: list[Any], targets: list[Any]) -> float:
    pairs = _flat("mae", predictions, targets)
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
        from .see.display import history_html

        return history_html(self)


def _as_floats(out: Any) -> Any:
    """A model's output as plain numbers: a float, or a list of floats for several outputs."""
    if isinstance(out, Value):
        return out.data
    if isinstance(out, (list, tuple)):
        return [v.data if isinstance(v, Value) else float(v) for v in out]
    return float(out)


def _check_examples(model: Module, X: list[Any]) -> None:
    """Every example has the kind and size the model takes (it would refuse it only when its batch came)."""
    nin = model.sizes()[0]
    for i, x in enumerate(X):
        if isinstance(model, RNN):
            try:
                model.steps_of(x)
            except (TypeError, ValueError) as e:
                raise type(e)(f"fit: X[{i}]: {e}") from None
            continue
        row = as_list("fit", f"X[{i}]", x)
        if nin is not None and len(row) != nin:
            raise ValueError(f"fit: X[{i}]: {type(model).__name__}: expected {nin} inputs, got {len(row)}")
        for j, v in enumerate(row):
            if isinstance(v, bool) or not isinstance(v, (Value, numbers.Real)):
                raise TypeError(f"fit: X[{i}][{j}] must be a number or a Value, got {type(v).__name__}: "
                                f"{v!r:.60}")


def _check_targets(model: Module, x0: Any, y: list[Any], loss: Callable[[Any, Any], Value] | None,
                   metrics: list[Metric]) -> None:
    """The named loss and the built-in metrics, run on every target with the first example's prediction
    in every place (no graph is recorded): a target they refuse is refused before training starts,
    rather than after an epoch of steps. (A loss or metric of your own is not run twice.)"""
    if loss is None and not metrics:
        return
    with no_grad():
        out = model(x0)
        first = _as_floats(out)
        shared = out if isinstance(out, Value) else [v if isinstance(v, Value) else Value(v) for v in out] \
            if isinstance(out, (list, tuple)) else Value(first)
        if loss is _losses.cross_entropy and isinstance(out, Value):
            raise ValueError("fit: loss='cross_entropy' needs one output (logit) per class, and the model "
                             "gives 1: end it with as many outputs as classes (nn.MLP(2, [8, 3]) for 3), "
                             "or for two classes keep one output and use loss='bce'")
        if loss is not None:
            loss([shared] * len(y), y)
    for metric in metrics:
        metric([first] * len(y), y)


def _batch_norms_training(module: Any) -> list[BatchNorm]:
    """The BatchNorm blocks in training mode inside ``module`` (through Sequential and Residual)."""
    if isinstance(module, BatchNorm):
        return [module] if module.training else []
    inner = [*getattr(module, "layers", ()), *[b for b in [getattr(module, "body", None)] if b is not None]]
    return [bn for m in inner if isinstance(m, Module) for bn in _batch_norms_training(m)]


def _check_batch_norm_batches(bn: BatchNorm, n: int, batch_size: int | None, vectorize: bool) -> None:
    """A model holding a BatchNorm in training mode trains on whole batches of at least 2 examples."""
    who = f"the model's BatchNorm{f' ({bn.name})' if bn.name else ''}"
    if vectorize:
        raise ValueError(f"fit: {who} normalises over each batch in training mode, which the replay of "
                         "vectorize=True cannot do (it runs one example's graph); use vectorize=False, or "
                         "call model.eval() to train with the running statistics fixed")
    size = n if batch_size is None else min(batch_size, n)
    if size < 2 or n % size == 1:
        raise ValueError(f"fit: {who} normalises over each batch in training mode, and a batch of one "
                         f"example has no spread; with {n} examples and batch_size={batch_size} a batch of "
                         "one comes: choose a batch_size of 2 or more that leaves no example alone, or "
                         "call model.eval() to train with the running statistics fixed")


def _loss_and_grad(
    model: Callable[[Any], Any], Xb: list[Any], yb: list[Any], loss: Callable[[Any, Any], Value],
    params: list[Value], l2: float,
) -> tuple[float, list[Any]]:
    """One batch: forward, loss, backward. Leaves d(loss)/dp in every ``p.grad`` (cleared first).

    Returns the loss as a float and the predictions as plain numbers.
    """
    batch = getattr(model, "forward_batch", None)  # a BatchNorm inside normalises over the batch
    preds = batch(Xb) if callable(batch) and _batch_norms_training(model) else [model(x) for x in Xb]
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


def _grad_norm(params: list[Value]) -> float:  # hypot: a diverging run's 1e200 has a norm, not an error
    return math.hypot(*[grad_number(p, "fit") for p in params])


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


#: Makes the live view of ``fit(live=...)``: ``(model, X, y, epochs, live) -> callback``. Training knows
#: nothing of drawing: ``nn/__init__`` sets this to ``nn.see.live.fit_view`` (see :func:`show_live_with`).
LiveView = Callable[[Module, list[Any], list[Any], int, Any], Callback]
_live_views: list[LiveView] = []


def show_live_with(view: LiveView) -> None:
    """Make ``view`` the one ``fit(..., live=...)`` displays (``nn`` wires up ``nn.see.live.fit_view``)."""
    _live_views[:] = [view]


def _live_view(model: Module, X: list[Any], y: list[Any], epochs: int, live: Any) -> Callback:
    if not _live_views:
        raise RuntimeError("fit: live=... needs a live view; import nn (which sets up nn.see.live) first")
    return _live_views[0](model, X, y, epochs, live)


@contextmanager
def _whole_batch(model: Module, opt: Optimizer) -> Iterator[None]:
    """One batch's forward, backward and optimizer step, whole or not at all under Ctrl-C.

    Why: a KeyboardInterrupt may come between any two lines, say half-way through the
    optimizer's loop over the parameters, or after BatchNorm moved its running averages but
    before the step. The batch is then undone (parameters, buffers, the optimizer's state and
    step count), so the model and the optimizer agree with each other and with the history."""
    params = list({id(p): p for p in (*model.parameters(), *opt.params)}.values())
    data = [p.data for p in params]
    buffers = [(b, list(b)) for _, b in model.named_buffers()]
    state = {k: list(v) if isinstance(v, list) and k != "params" else v for k, v in vars(opt).items()}
    try:
        yield
    except KeyboardInterrupt:
        for p, x in zip(params, data):
            p.data = x
        for b, saved in buffers:
            b[:] = saved
        vars(opt).update(state)
        raise


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
    * ``live``: in Jupyter, draw the training as it goes (:mod:`nn.see.live`): the decision
      boundary, the loss curve and the network view, redrawn about 25 times (``live=5``:
      every 5 epochs), in place of the progress bar. Needs ipywidgets. For Play / Pause /
      Step buttons, use :func:`nn.playground`.

    Ctrl-C stops training cleanly: the history of the finished epochs comes back
    with ``interrupted=True`` (the epoch in progress is dropped from it, and the batch in
    progress is undone, so the model and the optimizer agree: never a half-applied step).
    """
    X, y = check_xy("fit", X, y)
    if not X:
        raise ValueError("fit: X is empty; there is nothing to train on")
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an nn.Module (such as nn.MLP), got {type(model).__name__}")
    epochs = count("fit", "epochs", epochs, least=0)
    batch_size = None if batch_size is None else count("fit", "batch_size", batch_size)
    if isinstance(loss, str):
        if loss not in _losses.LOSSES:
            raise ValueError(f"fit: unknown loss {loss!r}; use one of {sorted(_losses.LOSSES)} or a function")
        loss_fn = _losses.LOSSES[loss]
    elif callable(loss):
        loss_fn = loss
    else:
        raise TypeError(f"fit: loss must be a name or a function, got {type(loss).__name__}")
    l2 = real("fit", "l2", l2, 0.0)
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
    flag("fit", shuffle=shuffle, progress=progress, grad_norms=grad_norms, vectorize=vectorize)
    if params and not {id(p) for p in params} & {id(p) for p in opt.params}:  # training would change nothing
        raise ValueError(f"fit: the optimizer holds none of the model's parameters (was it made for another "
                         f"model?); make it with {type(opt).__name__}(model.parameters(), ...)")
    # Everything is checked before the first step changes the model: every example, and the named
    # loss and the built-in metrics on every target (a refused fit leaves the model as it was).
    _check_examples(model, X)
    batch_norms = _batch_norms_training(model)
    if batch_norms:
        _check_batch_norm_batches(batch_norms[0], len(X), batch_size, vectorize)
    for bn in batch_norms:  # the targets are checked on one example: the running statistics serve for it
        bn.training = False
    try:
        _check_targets(model, X[0], y, loss_fn if isinstance(loss, str) else None,
                       [fn for name, fn in metric_fns.items() if METRICS.get(name) is fn])
    finally:
        for bn in batch_norms:
            bn.training = True
    step: Callable[[list[Any], list[Any]], tuple[float, list[Any]]]
    if vectorize and isinstance(model, RNN):  # the replay takes each sequence as one flat row of numbers
        X = [[v for step in model.steps_of(x) for v in step] for x in X]
        lengths = sorted({len(x) // model.nin for x in X})
        if len(lengths) > 1:
            raise ValueError("fit: vectorize=True replays one example's graph for every example, so an "
                             f"RNN's sequences must all have one length; got {lengths[0]} and {lengths[-1]} "
                             "steps: use vectorize=False")
    if vectorize:
        need("numpy", "fit(vectorize=True)")  # the replay runs on NumPy: here only
        from .vectorized import FitStep

        step = FitStep(model, loss_fn, params, (lambda: _losses.l2(params, l2)) if l2 else None,
                       trace_loss=isinstance(loss, str))  # a function of yours may read changing numbers
    else:
        step = lambda Xb, yb: _loss_and_grad(model, Xb, yb, loss_fn, params, l2)
    rng = make_rng(seed)
    shuffle = shuffle and batch_size is not None and batch_size < len(X)
    groups = _layer_groups(model) if grad_norms else {}
    history = History(list(metric_fns))
    history.grad_norms = {name: [] for name in groups}
    if live is not False:  # the live view, displayed now; it is redrawn by a callback
        callbacks.append(_live_view(model, X, y, epochs, live))
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
                with _whole_batch(model, opt):
                    value, batch_preds = step(Xb, yb)
                    norms = {name: _grad_norm(ps) for name, ps in groups.items()}
                    opt.step()
                for name, norm in norms.items():
                    norm_sums[name] += norm
                loss_sum += value * len(Xb)
                seen += len(Xb)
                steps += 1
                preds.extend(batch_preds)
                targets.extend(yb)
            scores = {name: float(fn(preds, targets)) for name, fn in metric_fns.items()}
            history.loss.append(loss_sum / seen)  # the epoch's numbers all computed: recorded together
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
