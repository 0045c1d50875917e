"""Small toy data sets, splits and batches, as plain Python lists (no NumPy, no scikit-learn).

What you can do with it::

    from nn import data
    X, y = data.make_moons(100, noise=0.1, seed=0)     # X: 100 points [x1, x2]; y: -1.0 or +1.0
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.2, seed=0)
    for Xb, yb in data.batches(X_train, y_train, batch_size=16, seed=0):
        ...

Every generator takes the number of points ``n``, a ``noise`` level where it
applies (the standard deviation of Gaussian noise) and a ``seed``: an int, a
``random.Random``, or None for the global ``random`` module. The same seed
gives the same data every time.

Two-class sets label their points -1.0 and +1.0, as micrograd's demo does
(the labels ``hinge`` expects). Pass ``zero_one=True`` for 0.0 and 1.0 instead,
the class indices ``binary_cross_entropy`` and ``cross_entropy`` expect. Sets
with more than two classes label them 0.0, 1.0, ..., K-1.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

from .module import make_rng

__all__ = [
    "make_moons", "make_circles", "make_spirals", "make_blobs", "make_line", "train_test_split", "batches",
]

Dataset = tuple[list[list[float]], list[float]]


def _check_n(where: str, n: Any, least: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < least:
        raise ValueError(f"{where}: n must be an integer >= {least}, got {n!r:.60}")
    return n


def _check_noise(where: str, noise: Any) -> float:
    if not _is_real(noise) or noise < 0:
        raise ValueError(f"{where}: noise must be a finite number >= 0, got {noise!r:.60}")
    return float(noise)


def _is_real(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _label(k: int, classes: int, zero_one: bool) -> float:
    if classes == 2 and not zero_one:
        return -1.0 if k == 0 else 1.0
    return float(k)


def _shuffled(points: list[list[float]], labels: list[float], rng: Any) -> Dataset:
    order = list(range(len(points)))
    rng.shuffle(order)
    return [points[i] for i in order], [labels[i] for i in order]


def make_moons(n: int = 100, noise: float = 0.1, seed: int | random.Random | None = None,
               zero_one: bool = False) -> Dataset:
    """Two interleaving half circles in the plane: a classic set no straight line can separate.

    Class 0 (label -1) lies on the upper arc (cos t, sin t), class 1 (label +1)
    on the lower arc (1 - cos t, 0.5 - sin t), for t from 0 to pi; Gaussian noise
    of standard deviation ``noise`` moves every coordinate. The points come
    shuffled. With ``n`` odd, class 1 gets the extra point.
    """
    _check_n("make_moons", n, 2)
    noise = _check_noise("make_moons", noise)
    rng = make_rng(seed)
    n0 = n // 2
    points: list[list[float]] = []
    labels: list[float] = []
    for k, m in ((0, n0), (1, n - n0)):
        for i in range(m):
            t = math.pi * i / (m - 1) if m > 1 else 0.0
            x1, x2 = (math.cos(t), math.sin(t)) if k == 0 else (1.0 - math.cos(t), 0.5 - math.sin(t))
            points.append([x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)])
            labels.append(_label(k, 2, zero_one))
    return _shuffled(points, labels, rng)


def make_circles(n: int = 100, noise: float = 0.05, factor: float = 0.5,
                 seed: int | random.Random | None = None, zero_one: bool = False) -> Dataset:
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1), shuffled."""
    _check_n("make_circles", n, 2)
    noise = _check_noise("make_circles", noise)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be a number between 0 and 1, got {factor!r:.60}")
    rng = make_rng(seed)
    n0 = n // 2
    points: list[list[float]] = []
    labels: list[float] = []
    for k, m, r in ((0, n0, 1.0), (1, n - n0, float(factor))):
        for i in range(m):
            t = 2.0 * math.pi * i / m
            points.append([r * math.cos(t) + rng.gauss(0.0, noise), r * math.sin(t) + rng.gauss(0.0, noise)])
            labels.append(_label(k, 2, zero_one))
    return _shuffled(points, labels, rng)


def make_spirals(n: int = 100, classes: int = 2, noise: float = 0.05, turns: float = 1.0,
                 seed: int | random.Random | None = None, zero_one: bool = False) -> Dataset:
    """``classes`` spiral arms wound around the origin, one per class, shuffled.

    Point i of arm k (of m points) sits at radius r = (i + 1) / m and angle
    2 pi (k / classes + turns * r), plus Gaussian noise on each coordinate.
    More turns make the arms harder to tell apart.
    """
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise ValueError(f"make_spirals: classes must be an integer >= 2, got {classes!r:.60}")
    _check_n("make_spirals", n, classes)
    noise = _check_noise("make_spirals", noise)
    if not _is_real(turns) or turns <= 0:
        raise ValueError(f"make_spirals: turns must be a positive number, got {turns!r:.60}")
    rng = make_rng(seed)
    points: list[list[float]] = []
    labels: list[float] = []
    for k in range(classes):
        m = n // classes + (1 if k < n % classes else 0)
        for i in range(m):
            r = (i + 1) / m
            a = 2.0 * math.pi * (k / classes + turns * r)
            points.append([r * math.cos(a) + rng.gauss(0.0, noise), r * math.sin(a) + rng.gauss(0.0, noise)])
            labels.append(_label(k, classes, zero_one))
    return _shuffled(points, labels, rng)


def make_blobs(n: int = 100, centers: int | Sequence[Sequence[float]] = 2, noise: float = 0.5,
               seed: int | random.Random | None = None, zero_one: bool = False) -> Dataset:
    """Gaussian clouds of points, one per class, shuffled.

    ``centers`` is either the number of classes K, placed evenly on a circle of
    radius 2 around the origin (so the clouds are easy to separate), or a list
    of center points (any dimension, all the same). ``noise`` is each cloud's
    standard deviation. Points are shared out as evenly as possible.
    """
    if isinstance(centers, int) and not isinstance(centers, bool):
        if centers < 2:
            raise ValueError(f"make_blobs: centers must be at least 2, got {centers!r}")
        cs = [[2.0 * math.cos(2 * math.pi * k / centers), 2.0 * math.sin(2 * math.pi * k / centers)]
              for k in range(centers)]
    else:
        try:
            cs = [[float(c) for c in center] for center in centers]  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise TypeError("make_blobs: centers must be an integer or a list of points") from None
        if len(cs) < 2 or len({len(c) for c in cs}) != 1 or not cs[0]:
            raise ValueError("make_blobs: centers must list two or more points of one non-zero dimension")
    _check_n("make_blobs", n, len(cs))
    noise = _check_noise("make_blobs", noise)
    rng = make_rng(seed)
    points: list[list[float]] = []
    labels: list[float] = []
    for k, c in enumerate(cs):
        m = n // len(cs) + (1 if k < n % len(cs) else 0)
        for _ in range(m):
            points.append([ci + rng.gauss(0.0, noise) for ci in c])
            labels.append(_label(k, len(cs), zero_one))
    return _shuffled(points, labels, rng)


def make_line(n: int = 50, m: float = 2.0, b: float = -1.0, noise: float = 0.1,
              seed: int | random.Random | None = None, x_range: tuple[float, float] = (-1.0, 1.0)) -> Dataset:
    """Points near the line y = m x + b, for regression: the smallest network there is.

    x is drawn uniformly from ``x_range``; y = m x + b plus Gaussian noise.
    Returns X as a list of one-element lists ``[x]`` (a model takes a list of
    inputs) and y as a list of floats.
    """
    _check_n("make_line", n, 1)
    noise = _check_noise("make_line", noise)
    for name, v in (("m", m), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"make_line: {name} must be a finite number, got {v!r:.60}")
    lo, hi = x_range
    rng = make_rng(seed)
    X: list[list[float]] = []
    y: list[float] = []
    for _ in range(n):
        x = rng.uniform(lo, hi)
        X.append([x])
        y.append(m * x + b + rng.gauss(0.0, noise))
    return X, y


def check_xy(where: str, X: Any, y: Any) -> tuple[list[Any], list[Any]]:
    try:
        X, y = list(X), list(y)
    except TypeError:
        raise TypeError(f"{where}: X and y must be lists") from None
    if len(X) != len(y):
        raise ValueError(f"{where}: X has {len(X)} examples but y has {len(y)}")
    return X, y


def train_test_split(
    X: Sequence[Any], y: Sequence[Any], test_size: float = 0.25, shuffle: bool = True,
    seed: int | random.Random | None = None,
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Split examples into a training and a test part: ``X_train, X_test, y_train, y_test``.

    ``test_size`` is a fraction in (0, 1) (the test part gets round(test_size * n)
    examples, at least one) or a whole number of test examples.
    """
    X, y = check_xy("train_test_split", X, y)
    n = len(X)
    if isinstance(test_size, float) and 0 < test_size < 1:
        k = max(1, round(test_size * n))
    elif isinstance(test_size, int) and not isinstance(test_size, bool) and 0 < test_size:
        k = test_size
    else:
        raise ValueError(
            f"train_test_split: test_size must be a fraction in (0, 1) or a count, got {test_size!r:.60}"
        )
    if k >= n:
        raise ValueError(f"train_test_split: {k} test examples of {n} would leave none to train on")
    order = list(range(n))
    if shuffle:
        make_rng(seed).shuffle(order)
    train, test = order[: n - k], order[n - k :]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]


def batches(X: Sequence[Any], y: Sequence[Any], batch_size: int | None = None, shuffle: bool = True,
            seed: int | random.Random | None = None) -> Iterator[tuple[list[Any], list[Any]]]:
    """Yield ``(X_batch, y_batch)`` pairs that together cover every example once (one epoch).

    * ``batch_size=None`` (or ``len(X)``): one batch of everything, full-batch gradient descent;
    * ``batch_size=1``: one example at a time, stochastic gradient descent;
    * anything between: mini-batches; the last one holds what is left over.

    With ``shuffle=True`` the examples come in a random order drawn from ``seed``.
    Pass the same ``random.Random`` every epoch to get a new order each epoch.
    """
    X, y = check_xy("batches", X, y)
    n = len(X)
    if batch_size is None:
        batch_size = max(n, 1)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batches: batch_size must be a positive integer or None, got {batch_size!r:.60}")
    order = list(range(n))
    if shuffle:
        make_rng(seed).shuffle(order)
    return _take(X, y, order, batch_size)


def _take(X: list[Any], y: list[Any], order: list[int], size: int) -> Iterator[tuple[list[Any], list[Any]]]:
    for start in range(0, len(order), size):
        idx = order[start : start + size]
        yield [X[i] for i in idx], [y[i] for i in idx]
