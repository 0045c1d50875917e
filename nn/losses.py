"""Loss functions: how wrong a model's predictions are, as one Value to call ``backward()`` on.

What you can do with it::

    from nn import losses
    scores = [model(x) for x in X]
    loss = losses.hinge(scores, y) + losses.l2(model.parameters(), 1e-4)
    loss.backward()

Every loss takes the predictions (a Value or number, or a list of them) and
the targets (numbers, the same count), and returns the mean over the examples.
Predictions of a model with several outputs (a list of Values per example) are
compared output by output. ``cross_entropy`` instead takes one list of logits
per example and one class index per example. Each result is labelled ``loss``
(``l2``'s ``l2``), the name ``explain``, ``draw_dot`` and the player then call it by.

The numerically delicate ones, ``binary_cross_entropy`` and ``cross_entropy``,
are written so that no ``exp`` can overflow, however large the logits.
``cross_entropy`` is built from :data:`logaddexp`, an op of the table (added
here with ``autograd.define_op``), so it also runs in the batch replay
(``autograd.trace``, ``nn.fit(..., vectorize=True)``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

from autograd import Value, define_op
from autograd.core.checks import real
from autograd.core.ops import sigmoid, softplus

__all__ = ["mse", "mae", "hinge", "binary_cross_entropy", "cross_entropy", "l2", "logaddexp", "logsumexp",
           "LOSSES"]

_LN2 = math.log(2.0)


def _logaddexp(a: float, b: float) -> float:
    """log(e**a + e**b) on floats, with no exp that can overflow (NumPy's np.logaddexp, number for number)."""
    if a == b:  # log(2 e**a), also for two equal infinities (where a - b would be NaN)
        return a + _LN2
    d = a - b
    if d > 0:  # pull out the larger one: log(e**a (1 + e**-d)), and e**-d <= 1
        return a + math.log1p(math.exp(-d))
    if d <= 0:
        return b + math.log1p(math.exp(d))
    return d  # a or b is NaN


def _logaddexp_array(a: Any, b: Any) -> Any:
    import numpy  # only arrays come here (the batch replay), so NumPy is there

    return numpy.logaddexp(a, b)


def _logaddexp_local(out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    # d/da = e**a / (e**a + e**b) = exp(a - out): the softmax of the pair, which is sigmoid(a - b).
    # Written with sigmoid it stays exact where out is infinite: at a = inf, b = 3 it gives 1 and 0,
    # where exp(a - out) would give exp(inf - inf) = NaN.
    return sigmoid(a - b), sigmoid(b - a)


#: ``logaddexp(a, b) = log(e**a + e**b)``, an op of the table: for numbers, Values and NumPy arrays.
logaddexp = define_op(
    "logaddexp", _logaddexp, _logaddexp_local, vectorized=_logaddexp_array, in_formulas=False,
    doc="logaddexp(a, b) = log(e**a + e**b) = m + log(e**(a - m) + e**(b - m)) with m = max(a, b), so no "
    "exp overflows.  d/da = e**a / (e**a + e**b) = sigmoid(a - b), d/db = sigmoid(b - a): the softmax "
    "of the pair.",
)


def _as_list(x: Any, where: str, name: str) -> list[Any]:
    if isinstance(x, (Value, int, float)):
        return [x]
    wrong = TypeError(f"{where}: {name} must be a Value, a number or a list of them, got {type(x).__name__}")
    if isinstance(x, (Mapping, str, bytes, set, frozenset)):  # iterating these would give keys or letters
        raise wrong
    try:
        return list(x)
    except TypeError:
        raise wrong from None


def _pairs(where: str, predictions: Any, targets: Any) -> list[tuple[Value, float]]:
    """Match predictions with targets one to one (flattening one level of per-example lists)."""
    preds = _as_list(predictions, where, "predictions")
    targs = _as_list(targets, where, "targets")
    if len(preds) != len(targs):
        raise ValueError(f"{where}: got {len(preds)} predictions but {len(targs)} targets")
    if not preds:
        raise ValueError(f"{where}: needs at least one prediction, got none")
    pairs: list[tuple[Value, float]] = []
    for p, t in zip(preds, targs):
        if isinstance(p, (list, tuple)):
            ts = t if isinstance(t, (list, tuple)) else None
            if ts is None or len(ts) != len(p):
                raise ValueError(
                    f"{where}: an example with {len(p)} outputs needs {len(p)} targets, got {t!r:.60}"
                )
            pairs.extend((_value(where, pi), _target(where, ti)) for pi, ti in zip(p, ts))
        else:
            pairs.append((_value(where, p), _target(where, t)))
    return pairs


def _value(where: str, p: Any) -> Value:
    if isinstance(p, Value):
        return p
    if isinstance(p, (int, float)) and not isinstance(p, bool):
        return Value(p)
    raise TypeError(f"{where}: a prediction must be a Value or a number, got {type(p).__name__}: {p!r:.60}")


def _target(where: str, t: Any) -> float:
    if isinstance(t, Value):
        return t.data
    try:
        complex_number = isinstance(t, numbers.Complex) and not isinstance(t, numbers.Real)  # NumPy's too
        if isinstance(t, (str, bytes, bool)) or complex_number:  # float() would drop the imaginary part
            raise TypeError
        return float(t)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: a target must be a number, got {type(t).__name__}: {t!r:.60}") from None


def _mean(terms: list[Value]) -> Value:
    return sum(terms[1:], terms[0]) * (1.0 / len(terms))


def _named(v: Value, name: str = "loss") -> Value:
    """The result labelled, so that ``explain``, ``draw_dot`` and the player call it ``loss``, not ``v48``."""
    v.label = name
    return v


def mse(predictions: Any, targets: Any) -> Value:
    """Mean squared error: (1/n) sum_i (p_i - t_i)**2.  d/dp_i = 2 (p_i - t_i) / n."""
    return _named(_mean([(p - t) ** 2 for p, t in _pairs("mse", predictions, targets)]))


def mae(predictions: Any, targets: Any) -> Value:
    """Mean absolute error: (1/n) sum_i |p_i - t_i|.  d/dp_i = sign(p_i - t_i) / n (0 at p_i = t_i)."""
    return _named(_mean([abs(p - t) for p, t in _pairs("mae", predictions, targets)]))


def hinge(scores: Any, labels: Any) -> Value:
    """micrograd's max-margin loss for labels -1 and +1: (1/n) sum_i max(0, 1 - y_i s_i).

    A score on the right side of 0 by a margin of at least 1 costs nothing;
    otherwise the loss grows linearly, with d/ds_i = -y_i / n.
    """
    pairs = _pairs("hinge", scores, labels)
    for _, y in pairs:
        if y not in (-1.0, 1.0):
            raise ValueError(
                f"hinge: labels must be -1 or +1, got {y!r} (for 0/1 labels use binary_cross_entropy)"
            )
    return _named(_mean([(1.0 + -y * s).relu() for s, y in pairs]))


def binary_cross_entropy(logits: Any, targets: Any) -> Value:
    """Binary cross-entropy from logits, for targets in [0, 1] (usually 0 or 1).

    With p = sigmoid(z), the loss for one example is -t log p - (1 - t) log(1 - p),
    which simplifies to softplus(z) - t z with softplus(z) = log(1 + e**z), an op of
    the table that never overflows; d/dz = sigmoid(z) - t. Working from the logit z
    (not from p) keeps it exact when |z| is large, where p would round to 0 or 1
    and log(p) to -inf.
    """
    pairs = _pairs("binary_cross_entropy", logits, targets)
    for _, t in pairs:
        if not 0.0 <= t <= 1.0:
            raise ValueError(
                f"binary_cross_entropy: targets must lie in [0, 1], got {t!r} "
                "(for -1/+1 labels use hinge, or make the data with zero_one=True)"
            )
    return _named(_mean([softplus(z) - t * z for z, t in pairs]))


def _class_index(t: Any, k: int) -> int:
    try:
        if isinstance(t, (str, bytes, bool)):
            raise TypeError
        f = float(t.data if isinstance(t, Value) else t)
    except (TypeError, ValueError):
        got = f"{type(t).__name__}: {t!r:.60}"
        raise TypeError(f"cross_entropy: a target must be a class index, got {got}") from None
    if not f.is_integer() or not 0 <= f < k:
        raise ValueError(f"cross_entropy: a target must be a class index 0..{k - 1}, got {t!r:.60}")
    return int(f)


def logsumexp(values: Any) -> Any:
    """log(e**z_1 + ... + e**z_K), with no exp that can overflow: a smooth maximum of the z_j.

    Built as a chain of :data:`logaddexp` nodes, one per value after the first,
    because log-sum-exp of many numbers is log-sum-exp of two, again and again::

        logsumexp([a, b, c]) = logaddexp(logaddexp(a, b), c)

    The chain rule through the chain gives d/dz_j = e**z_j / sum_k e**z_k,
    the softmax of the z_j. Each node is an op of the table, so the batch
    replay runs it too. Takes Values or numbers (then returns a float).
    """
    zs = _as_list(values, "logsumexp", "values")
    if not zs:
        raise ValueError("logsumexp: needs at least one value, got none")
    total = zs[0]
    for z in zs[1:]:
        total = logaddexp(total, z)
    return total


def _one_cross_entropy(logits: list[Any], target: Any) -> Value:
    if not logits:
        raise ValueError("cross_entropy: needs at least one logit per example, got none")
    zs = [_value("cross_entropy", z) for z in logits]
    c = _class_index(target, len(zs))
    return logsumexp(zs) - zs[c]


def cross_entropy(logits: Any, targets: Any) -> Value:
    """Softmax cross-entropy: minus the log-probability the model gives the right class.

    For one example with logits z_1..z_K and class c (an index 0..K-1):

        loss = -log softmax(z)_c = log(sum_j e**z_j) - z_c,   d/dz_j = softmax(z)_j - [j = c]

    computed with :func:`logsumexp` (a chain of :data:`logaddexp` ops, each of
    which pulls out the larger of its two inputs), so large logits do not
    overflow. No step reads a logit's number in Python, so the batch replay
    (``autograd.trace``, ``nn.fit(..., vectorize=True)``) records it as it is.
    Pass one list of logits and one index, or a list of such lists and a list
    of indices (the mean over examples).
    """
    items = _as_list(logits, "cross_entropy", "logits")
    if items and isinstance(items[0], (list, tuple)):
        targs = _as_list(targets, "cross_entropy", "targets")
        if len(items) != len(targs):
            raise ValueError(f"cross_entropy: got {len(items)} examples but {len(targs)} targets")
        for z in items:
            if not isinstance(z, (list, tuple)):
                raise TypeError("cross_entropy: expected a list of logits for every example")
        return _named(_mean([_one_cross_entropy(list(z), t) for z, t in zip(items, targs)]))
    return _named(_one_cross_entropy(items, targets))


def l2(parameters: Any, alpha: float = 1.0) -> Value:
    """L2 regularisation (weight decay as a loss): alpha * sum_i p_i**2.  d/dp_i = 2 alpha p_i.

    ``parameters`` is a list of Values or a module (its ``parameters()`` are used).
    Adding it to a loss pulls every weight towards 0 a little each step.
    """
    if hasattr(parameters, "parameters"):
        parameters = parameters.parameters()
    ps = list(parameters) if isinstance(parameters, Iterable) else None
    if ps is None or not all(isinstance(p, Value) for p in ps):
        raise TypeError("l2: expected a list of Values or a module")
    alpha = real("l2", "alpha", alpha, 0.0)  # a penalty
    if not ps:
        return _named(Value(0.0), "l2")
    return _named(alpha * sum((p * p for p in ps[1:]), ps[0] * ps[0]), "l2")


#: The losses ``nn.fit`` knows by name.
LOSSES = {
    "mse": mse,
    "mae": mae,
    "hinge": hinge,
    "binary_cross_entropy": binary_cross_entropy,
    "bce": binary_cross_entropy,
    "cross_entropy": cross_entropy,
}
