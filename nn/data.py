"""Small data sets, splits and batches, as plain Python lists.

What you can do with it::

    from nn import data
    X, y = data.make_moons(100, noise=0.1, seed=0)     # X: 100 points [x1, x2]; y: -1.0 or +1.0
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.2, seed=0)
    for Xb, yb in data.batches(X_train, y_train, batch_size=16, seed=0):
        ...
    X_train, X_test, y_train, y_test = data.load_digits()   # 8x8 handwritten digits, labels 0..9
    docs = data.load_names(seed=0)                          # 5,163 first names, shuffled: 'mary', ...

Every generator takes the number of points ``n``, a ``noise`` level where it
applies (the standard deviation of Gaussian noise) and a ``seed``: an int, a
``random.Random``, or None for the global ``random`` module. The same seed
gives the same data every time. They need nothing outside the standard library.

Two-class sets label their points -1.0 and +1.0, as micrograd's demo does
(the labels ``hinge`` expects). Pass ``zero_one=True`` for 0.0 and 1.0 instead,
the class indices ``binary_cross_entropy`` and ``cross_entropy`` expect. Sets
with more than two classes label them 0.0, 1.0, ..., K-1.

Two sets are real. :func:`load_digits`: 1,797 small images of handwritten
digits that scikit-learn ships with itself (no download); it needs the
``digits`` extra: ``pip install "chainrule[digits]"``. :func:`load_names`:
5,163 English first names from the 1990 US census, shipped with chainrule
(public domain: ``nn/datasets/NAMES-LICENSE.txt``), the documents a character-level
GPT learns to imitate (lesson 11).
"""

from __future__ import annotations

import functools
import math
import numbers
import os
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from autograd.core.checks import count, real
from autograd.core.extras import need

from .module import make_rng

__all__ = [
    "make_moons", "make_circles", "make_spirals", "make_blobs", "make_line", "train_test_split", "batches",
    "load_digits", "DIGITS", "load_names", "NAMES", "as_list", "check_xy",
]

Dataset = tuple[list[list[float]], list[float]]


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
    n = count("make_moons", "n", n, 2)
    noise = real("make_moons", "noise", noise, 0.0)
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
    n = count("make_circles", "n", n, 2)
    noise = real("make_circles", "noise", noise, 0.0)
    factor = real("make_circles", "factor", factor, 0.0, 1.0, low_open=True, high_open=True)
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
    classes = count("make_spirals", "classes", classes, 2)
    n = count("make_spirals", "n", n, classes)
    noise = real("make_spirals", "noise", noise, 0.0)
    turns = real("make_spirals", "turns", turns, 0.0, low_open=True)
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
    if isinstance(centers, (Mapping, str, bytes, set, frozenset)):
        raise TypeError(f"make_blobs: centers must be an integer or a list of points, got "
                        f"{type(centers).__name__}")
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        centers = count("make_blobs", "centers", centers, 2)
        cs = [[2.0 * math.cos(2 * math.pi * k / centers), 2.0 * math.sin(2 * math.pi * k / centers)]
              for k in range(centers)]
    else:
        try:
            cs = [[real("make_blobs", "a coordinate of centers", c)
                   for c in as_list("make_blobs", "a center", center)]
                  for center in centers]  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise TypeError("make_blobs: centers must be an integer or a list of points") from None
        if len(cs) < 2 or len({len(c) for c in cs}) != 1 or not cs[0]:
            raise ValueError("make_blobs: centers must list two or more points of one non-zero dimension")
    n = count("make_blobs", "n", n, len(cs))
    noise = real("make_blobs", "noise", noise, 0.0)
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
    n = count("make_line", "n", n)
    noise = real("make_line", "noise", noise, 0.0)
    if isinstance(x_range, (Mapping, str, bytes, set, frozenset)) or len(x_range) != 2:
        raise TypeError(f"make_line: x_range must be a pair (low, high), got {x_range!r:.60}")
    x_range = (real("make_line", "x_range[0]", x_range[0]), real("make_line", "x_range[1]", x_range[1]))
    m, b = real("make_line", "m", m), real("make_line", "b", b)
    lo, hi = x_range
    rng = make_rng(seed)
    X: list[list[float]] = []
    y: list[float] = []
    for _ in range(n):
        x = rng.uniform(lo, hi)
        X.append([x])
        y.append(m * x + b + rng.gauss(0.0, noise))
    return X, y


def as_list(where: str, name: str, x: Any) -> list[Any]:
    """``x`` as a list: a list, tuple, NumPy array, range or any other sequence or iterable of items.

    A dict, a set, a str and bytes are refused with a TypeError naming ``name``: iterating them
    gives keys, letters or an order that is not the data's, so a model would silently train on
    (or a metric silently score) numbers that are not the ones given."""
    if isinstance(x, (Mapping, str, bytes, set, frozenset)):
        raise TypeError(f"{where}: {name} must be a list (or another sequence), got {type(x).__name__}: "
                        f"{x!r:.60}; a {type(x).__name__} has no order of examples")
    if getattr(x, "ndim", 0) >= 1 and callable(getattr(x, "tolist", None)):
        return list(x.tolist())  # a NumPy array: its rows as lists of Python numbers, as a model takes them
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{where}: {name} must be a list (or another sequence), got {type(x).__name__}: "
                        f"{x!r:.60}") from None


def check_xy(where: str, X: Any, y: Any) -> tuple[list[Any], list[Any]]:
    """The examples and targets as two lists of one length (see :func:`as_list` for what is refused)."""
    X, y = as_list(where, "X", X), as_list(where, "y", y)
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
    k = _test_count("train_test_split", test_size, n, "examples")
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
    size = max(n, 1) if batch_size is None else count("batches", "batch_size", batch_size)
    order = list(range(n))
    if shuffle:
        make_rng(seed).shuffle(order)
    return _take(X, y, order, size)


def _how_many(where: str, n: Any, least: int, total: int, what: str) -> int:
    """How many items of a real data set to keep: ``n`` from ``least`` to ``total``, or all for None."""
    expected = f"None (all {total} {what}) or an integer from {least} to {total}"
    if n is None:
        return total
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{where}: n must be {expected}, got {type(n).__name__}: {n!r:.60}")
    if not least <= int(n) <= total:
        raise ValueError(f"{where}: n must be {expected}, got {n!r:.60}")
    return int(n)


def _test_count(where: str, test_size: Any, n: int, what: str) -> int:
    """How many of ``n`` examples ``test_size`` keeps for testing: a fraction in (0, 1) of them (at least
    one), or a whole number."""
    expected = f"a fraction in (0, 1) or a number of {what}"
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"{where}: test_size must be {expected}, got {type(test_size).__name__}: "
                        f"{test_size!r:.60}")
    whole, size = isinstance(test_size, numbers.Integral), float(test_size)
    if whole and size > 0:
        return int(size)
    if not whole and 0 < size < 1:
        return max(1, round(size * n))
    raise ValueError(f"{where}: test_size must be {expected}, got {test_size!r:.60}")


def _take(X: list[Any], y: list[Any], order: list[int], size: int) -> Iterator[tuple[list[Any], list[Any]]]:
    for start in range(0, len(order), size):
        idx = order[start : start + size]
        yield [X[i] for i in idx], [y[i] for i in idx]


#: How many images :func:`load_digits` has (scikit-learn's copy of the UCI test set).
DIGITS = 1797

Split = tuple[list[list[float]], list[list[float]], list[int], list[int]]


def load_digits(n: int | None = None, test_size: float | int = 0.25,
                seed: int | random.Random | None = 0) -> Split:
    """Handwritten digits, 8x8 pixels each, split in two: ``X_train, X_test, y_train, y_test``.

    The images are the ones scikit-learn ships with itself (``sklearn.datasets.load_digits``,
    a copy of the test part of the UCI "Optical Recognition of Handwritten Digits" set): 1,797
    digits written by 43 people, about 180 of each digit. Each was scanned as a 32x32 black and
    white bitmap, then cut into 8x8 blocks of 4x4 pixels; a pixel of the small image counts the
    black pixels in its block, 0 to 16. So a digit is 64 numbers, a coarse grey picture.

    * ``X_train``, ``X_test``: one list of 64 floats per image, the pixels row by row (top row
      first), each divided by 16 so that it lies in [0, 1] (0 is white paper, 1 is full ink).
      ``numpy.reshape(x, (8, 8))`` gives the picture back, for ``plt.imshow``.
    * ``y_train``, ``y_test``: the digit each image shows, an int 0..9. That is also its class
      index, what ``nn.losses.cross_entropy`` expects, for a model with 10 outputs.

    The images are shuffled with ``seed`` and the last ``test_size`` of them are kept apart for
    testing: a fraction in (0, 1) (0.25: a quarter, 449 of the 1,797) or a number of images.
    The same seed gives the same split every time (the default, 0, makes every run of a lesson
    alike); None draws from the global ``random`` module. ``n`` uses only the first ``n``
    shuffled images, a random subset for quick experiments (all of them by default).

    A test image is one the model never trained on, so the accuracy on ``X_test`` says how
    well it reads digits it has not seen, where the training accuracy could be memory.

    Needs scikit-learn (with NumPy): ``pip install "chainrule[digits]"``.
    """
    total = _how_many("load_digits", n, 2, DIGITS, "images")
    k = _test_count("load_digits", test_size, total, "images")
    if k >= total:
        raise ValueError(f"load_digits: test_size={test_size!r} keeps {k} of {total} images for testing, "
                         "which would leave none to train on")
    rng = make_rng(seed)
    images, labels = _digits(need("sklearn.datasets", "nn.data.load_digits"))
    order = list(range(DIGITS))
    rng.shuffle(order)
    train, test = order[: total - k], order[total - k : total]
    return ([list(images[i]) for i in train], [list(images[i]) for i in test],
            [labels[i] for i in train], [labels[i] for i in test])


@functools.lru_cache(maxsize=1)
def _digits(datasets: Any) -> tuple[tuple[tuple[float, ...], ...], tuple[int, ...]]:
    """scikit-learn's digits as tuples: pixels / 16 and labels (read once; ``load_digits`` copies them)."""
    bunch = datasets.load_digits()
    images = tuple(tuple(v / 16.0 for v in row) for row in bunch.data.tolist())
    labels = tuple(int(t) for t in bunch.target.tolist())
    if len(images) != DIGITS or any(len(row) != 64 for row in images):
        raise RuntimeError(f"load_digits: scikit-learn gave {len(images)} images, expected {DIGITS} "
                           "of 64 pixels")
    return images, labels


NAMES = os.path.join(os.path.dirname(__file__), "datasets", "names.txt")


def load_names(n: int | None = None, seed: int | random.Random | None = 0) -> list[str]:
    """English first names, one string each (``'mary'``, ``'john'``, ...), shuffled with ``seed``.

    5,163 names given to at least 0.001% of the people counted by the 1990 United States census
    (its female and male first-name files joined), in lower case: 26 letters, 2 to 11 of them.
    They are public domain and ship with chainrule (``nn/datasets/names.txt``, with
    ``NAMES-LICENSE.txt`` beside it), so nothing is downloaded. A character-level model such as
    lesson 11's GPT reads each name as one document and learns to make up new ones.

    ``n`` keeps the first ``n`` shuffled names (all of them by default); the same ``seed`` gives
    the same order every time, None draws from the global ``random`` module.
    """
    names = list(_names())
    total = _how_many("load_names", n, 1, len(names), "names")
    make_rng(seed).shuffle(names)
    return names[:total]


@functools.lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    with open(NAMES, encoding="ascii") as f:
        return tuple(line.strip() for line in f if line.strip())
