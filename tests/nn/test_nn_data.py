"""Toy data sets: shapes, labels, reproducibility; splits and batches."""

from __future__ import annotations

import math
import random

import pytest

from nn import data

GENERATORS = {
    "moons": lambda **kw: data.make_moons(60, **kw),
    "circles": lambda **kw: data.make_circles(60, **kw),
    "spirals": lambda **kw: data.make_spirals(60, **kw),
    "blobs": lambda **kw: data.make_blobs(60, **kw),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_two_class_sets_are_plain_lists_labelled_plus_minus_one(name: str) -> None:
    X, y = GENERATORS[name](seed=0)
    assert len(X) == len(y) == 60
    assert all(type(x) is list and len(x) == 2 and all(type(v) is float for v in x) for x in X)
    assert all(type(t) is float for t in y)
    assert y.count(-1.0) == y.count(1.0) == 30
    _, y01 = GENERATORS[name](seed=0, zero_one=True)
    assert [0.0 if t < 0 else 1.0 for t in y] == y01


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_seeded_sets_are_reproducible(name: str) -> None:
    assert GENERATORS[name](seed=3) == GENERATORS[name](seed=3)
    assert GENERATORS[name](seed=3) != GENERATORS[name](seed=4)
    assert GENERATORS[name](seed=random.Random(3)) == GENERATORS[name](seed=3)


def test_moons_lie_on_their_arcs_without_noise() -> None:
    X, y = data.make_moons(40, noise=0.0, seed=0)
    for (a, b), t in zip(X, y):
        if t < 0:  # upper arc: on the unit circle around (0, 0), above the axis
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # lower arc: on the unit circle around (1, 0.5), below its center
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_circles_radii_and_multi_class_sets() -> None:
    X, y = data.make_circles(40, noise=0.0, factor=0.3, seed=0)
    for x, t in zip(X, y):
        assert math.hypot(*x) == pytest.approx(1.0 if t < 0 else 0.3)
    X, y = data.make_spirals(31, classes=3, seed=0)
    assert sorted(set(y)) == [0.0, 1.0, 2.0] and len(X) == 31
    X, y = data.make_blobs(30, centers=[[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]], noise=0.1, seed=0)
    assert all(len(x) == 3 for x in X)
    for x, t in zip(X, y):
        assert abs(x[0] - (0.0 if t < 0 else 5.0)) < 1.0


def test_make_line_follows_the_line() -> None:
    X, y = data.make_line(50, m=3.0, b=-2.0, noise=0.0, seed=0)
    assert all(len(x) == 1 and -1.0 <= x[0] <= 1.0 for x in X)
    assert all(t == pytest.approx(3.0 * x[0] - 2.0) for x, t in zip(X, y))


def test_train_test_split() -> None:
    X = [[float(i)] for i in range(20)]
    y = [float(i) for i in range(20)]
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, test_size=0.25, seed=0)
    assert len(Xte) == len(yte) == 5 and len(Xtr) == len(ytr) == 15
    assert sorted(t for t in ytr + yte) == y
    assert all(x[0] == t for x, t in zip(Xtr + Xte, ytr + yte))  # pairs stay together
    assert data.train_test_split(X, y, seed=0) == data.train_test_split(X, y, seed=0)
    assert data.train_test_split(X, y, test_size=3, shuffle=False)[1] == X[17:]


def test_batches_cover_every_example_once() -> None:
    X = [[float(i)] for i in range(10)]
    y = [float(i) for i in range(10)]
    full = list(data.batches(X, y))
    assert len(full) == 1 and sorted(full[0][1]) == y
    sgd = list(data.batches(X, y, batch_size=1, seed=0))
    assert len(sgd) == 10 and all(len(b[0]) == 1 for b in sgd)
    mini = list(data.batches(X, y, batch_size=4, seed=0))
    assert [len(b[1]) for b in mini] == [4, 4, 2]
    assert sorted(t for _, yb in mini for t in yb) == y
    assert all(xb[i][0] == yb[i] for xb, yb in mini for i in range(len(yb)))
    assert list(data.batches(X, y, 3, shuffle=False))[0][1] == [0.0, 1.0, 2.0]
    rng = random.Random(0)
    assert list(data.batches(X, y, 4, seed=rng)) != list(data.batches(X, y, 4, seed=rng))  # new order


@pytest.mark.parametrize("call, match", [
    (lambda: data.make_moons(1), "make_moons: n must be an integer >= 2"),
    (lambda: data.make_moons(10, noise=-1), "noise must be a finite number >= 0"),
    (lambda: data.make_circles(10, factor=1.5), "factor must be"),
    (lambda: data.make_spirals(10, classes=1), "classes must be an integer >= 2"),
    (lambda: data.make_blobs(10, centers=[[0.0], [1.0, 2.0]]), "centers must list"),
    (lambda: data.train_test_split([[1.0]], [1.0, 2.0]), "X has 1 examples but y has 2"),
    (lambda: data.train_test_split([[1.0], [2.0]], [1.0, 2.0], test_size=2), "would leave none"),
    (lambda: data.batches([[1.0]], [1.0], batch_size=0), "batch_size must be a positive integer"),
])
def test_bad_arguments_are_named(call, match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        call()
