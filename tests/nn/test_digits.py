"""The handwritten digits at real scale: ``nn.data.load_digits``, the log-sum-exp op that lets
``cross_entropy`` run in the batch replay, and ``nn.fit(..., vectorize=True)`` learning the digits.

The op itself (``nn.losses.logaddexp``) also has a row in ``tests/support/op_rows.py``, so every test
that walks the op table checks it too: values against ``math``, sympy and mpmath, first and
second derivatives against central differences and sympy, the replay against the scalar engine
(special numbers included) and the fuzzer's random programs. Here: what those rows cannot see,
the chain of ops that makes a K-way log-sum-exp and the loss built on it.
"""

from __future__ import annotations

import math
import random
import sys
import time
import tomllib
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
import torch

import autograd
import nn
from autograd import Value, grad, gradcheck
from autograd.core.extras import MissingExtraError
from nn.losses import cross_entropy, logaddexp, logsumexp
from nn.vectorized import FitStep
from tests.support.helpers import same

ROOT = Path(__file__).resolve().parents[2]
INF, NAN = math.inf, math.nan

# --- load_digits ---------------------------------------------------------------------------


def test_the_default_split_holds_every_image_once() -> None:
    X_train, X_test, y_train, y_test = nn.data.load_digits()
    assert (len(X_train), len(X_test), len(y_train), len(y_test)) == (1348, 449, 1348, 449)
    assert nn.data.DIGITS == 1797
    X, y = X_train + X_test, y_train + y_test
    assert all(isinstance(row, list) and len(row) == 64 for row in X)
    assert all(type(v) is float and 0.0 <= v <= 1.0 and (v * 16).is_integer() for row in X for v in row)
    assert min(min(row) for row in X) == 0.0 and max(max(row) for row in X) == 1.0
    assert all(type(t) is int for t in y) and set(y_train) == set(y_test) == set(range(10))
    # the same images as scikit-learn's, pixel / 16, each exactly once, with its own label
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    want = sorted(zip((tuple(r) for r in (bunch.data / 16).tolist()), bunch.target.tolist()))
    assert sorted(zip(map(tuple, X), y)) == want


def test_the_split_is_reproducible_and_depends_on_the_seed() -> None:
    first, again = nn.data.load_digits(seed=3), nn.data.load_digits(seed=3)
    assert first == again
    assert nn.data.load_digits(seed=4)[1] != first[1]
    assert nn.data.load_digits(seed=random.Random(3)) == first
    random.seed(7)
    from_global = nn.data.load_digits(seed=None)
    random.seed(7)
    assert nn.data.load_digits(seed=None) == from_global
    first[0][0][0] = 99.0  # the lists are the caller's own: changing them changes no later call
    assert nn.data.load_digits(seed=3) == again


@pytest.mark.parametrize("n, test_size, sizes", [(None, 0.5, (899, 898)), (None, 100, (1697, 100)),
                                                 (200, 0.25, (150, 50)), (2, 1, (1, 1)), (10, 0.01, (9, 1))])
def test_subsets_and_test_sizes(n: int | None, test_size: float, sizes: tuple[int, int]) -> None:
    X_train, X_test, y_train, y_test = nn.data.load_digits(n=n, test_size=test_size, seed=0)
    assert (len(X_train), len(X_test)) == (len(y_train), len(y_test)) == sizes


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, "n must be None .all 1797 images. or an integer from 2 to 1797, got 0"),
    ({"n": 1}, "n must be .* got 1"),
    ({"n": 1798}, "n must be .* got 1798"),
    ({"test_size": 0}, r"test_size must be a fraction in \(0, 1\) or a number of images, got 0"),
    ({"test_size": 1.0}, "test_size must be .* got 1.0"),
    ({"test_size": -0.2}, "test_size must be .* got -0.2"),
    ({"test_size": NAN}, "test_size must be .* got nan"),
    ({"test_size": 1797}, "test_size=1797 keeps 1797 of 1797 images for testing, which would leave none"),
    ({"n": 50, "test_size": 50}, "test_size=50 keeps 50 of 50 images"),
])
def test_bad_values_are_refused_naming_the_argument(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=f"^load_digits: {match}"):
        nn.data.load_digits(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 100.0}, "n must be None .all 1797 images. or an integer from 2 to 1797, got float: 100.0"),
    ({"n": True}, "n must be .* got bool: True"),
    ({"n": "100"}, "n must be .* got str: '100'"),
    ({"test_size": True}, r"test_size must be a fraction in \(0, 1\) or a number of images, got bool: True"),
    ({"test_size": "0.2"}, "test_size must be .* got str: '0.2'"),
    ({"test_size": None}, "test_size must be .* got NoneType: None"),
])
def test_the_wrong_kind_of_argument_is_a_type_error(kwargs: dict, match: str) -> None:
    with pytest.raises(TypeError, match=f"^load_digits: {match}"):
        nn.data.load_digits(**kwargs)


def test_numpy_integers_and_floats_are_accepted() -> None:
    small = nn.data.load_digits(n=np.int64(100), test_size=np.float64(0.2))
    assert small == nn.data.load_digits(n=100, test_size=0.2)
    assert len(nn.data.load_digits(n=100, test_size=np.int32(7))[1]) == 7


def test_a_bad_seed_is_refused() -> None:
    with pytest.raises(TypeError, match="seed must be an int, a random.Random or None, got str"):
        nn.data.load_digits(seed="0")  # type: ignore[arg-type]


def test_without_scikit_learn_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # None in sys.modules: the import fails
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(MissingExtraError) as info:
        nn.data.load_digits()
    message = str(info.value)
    assert message == ('nn.data.load_digits needs sklearn, which is not installed: '
                       'pip install "chainrule[digits]"')
    assert isinstance(info.value, ModuleNotFoundError) and info.value.name == "sklearn"


def test_the_extras_bring_scikit_learn() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["digits"] == ["scikit-learn>=1.3", "numpy>=1.24"]
    for name in ("notebook", "dev"):  # the lessons run in `make lab` and in the tests
        assert "scikit-learn>=1.3" in extras[name], name


# --- the log-sum-exp op --------------------------------------------------------------------


def mp_softmax_and_logsumexp(zs: list[float]) -> tuple[list[float], float]:
    """In 700-digit arithmetic: enough for z - logsumexp(z) to be exact even for z of size 1e300."""
    with mpmath.workdps(700):
        lse = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(z)) for z in zs))
        return [float(mpmath.exp(mpmath.mpf(z) - lse)) for z in zs], float(lse)


def mp_logsumexp(zs: list[float]) -> float:
    return mp_softmax_and_logsumexp(zs)[1]


@pytest.mark.parametrize("zs", [[0.0], [1.0, 2.0], [3.0, 3.0], [-2.0, 0.5, 1.5, 0.0],
                                [1000.0, -1000.0, 999.0], [-1000.0, -1001.0], [1e300, 1e300, -1e300],
                                [0.1 * k for k in range(10)]])
def test_logsumexp_matches_700_digit_arithmetic_and_never_overflows(zs: list[float]) -> None:
    soft, lse = mp_softmax_and_logsumexp(zs)  # the value, and d/dz_j = softmax_j
    vs = [Value(z) for z in zs]
    out = logsumexp(vs)
    assert out.data == pytest.approx(lse, rel=1e-15, abs=1e-15)
    assert logsumexp(zs) == out.data  # on floats: the same number
    out.backward()
    assert [v.grad for v in vs] == pytest.approx(soft, rel=1e-14, abs=1e-300)


def test_logaddexp_on_floats_is_numpys_number_for_number() -> None:
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, INF, -INF, NAN, 1.7e308, -1.7e308, 5e-324, 1e-300, 709.8, -745.2]
    pairs = [(a, b) for a in special for b in special]
    pairs += [(float(a), float(b)) for a, b in rng.normal(scale=30.0, size=(2000, 2))]
    pairs += [(float(a), float(a) + d) for a in rng.normal(size=50) for d in (0.0, 1e-16, -1e-12)]
    a, b = np.array(pairs).T
    with np.errstate(all="ignore"):
        want = np.logaddexp(a, b)
    got = np.array([logaddexp(x, y) for x, y in pairs])
    assert np.array_equal(got, want, equal_nan=True)
    with np.errstate(all="ignore"):  # (NumPy warns of 1.7e308 - -1.7e308, which overflows on the way)
        assert np.array_equal(logaddexp(a, b), want, equal_nan=True)  # on arrays: NumPy's own


@pytest.mark.parametrize("a, b, value, da, db", [
    (INF, 3.0, INF, 1.0, 0.0),  # an infinite logit takes all of the softmax
    (3.0, INF, INF, 0.0, 1.0),
    (-INF, 3.0, 3.0, 0.0, 1.0),  # -inf: a class with probability 0
    (INF, -INF, INF, 1.0, 0.0),
    (1e308, -1e308, 1e308, 1.0, 0.0),  # a - b overflows to inf, and nothing else does
    (INF, INF, INF, NAN, NAN),  # how to share between two infinities is undefined: NaN, as PyTorch gives
    (-INF, -INF, -INF, NAN, NAN),
    (NAN, 1.0, NAN, NAN, NAN),
])
def test_logaddexp_at_special_numbers(a: float, b: float, value: float, da: float, db: float) -> None:
    va, vb = Value(a), Value(b)
    out = logaddexp(va, vb)
    out.backward()
    assert [out.data, va.grad, vb.grad] == pytest.approx([value, da, db], nan_ok=True)
    ta, tb = torch.tensor(a, dtype=torch.float64, requires_grad=True), torch.tensor(b, dtype=torch.float64,
                                                                                    requires_grad=True)
    torch.logaddexp(ta, tb).backward()  # PyTorch agrees wherever it defines the derivative
    if not math.isnan(da):
        assert [ta.grad.item(), tb.grad.item()] == [da, db]


def torch_reference(zs: list[float], c: int) -> tuple[float, np.ndarray, np.ndarray]:
    """cross_entropy's value, gradient and Hessian from PyTorch in float64."""
    def f(z: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(z[None], torch.tensor([c]))

    z = torch.tensor(zs, dtype=torch.float64, requires_grad=True)
    loss = f(z)
    loss.backward()
    hessian = torch.autograd.functional.hessian(f, z.detach())
    return loss.item(), z.grad.numpy(), hessian.numpy()  # type: ignore[union-attr]


def engine_derivatives(zs: list[float], c: int) -> tuple[float, np.ndarray, np.ndarray]:
    vs = [Value(z) for z in zs]
    loss = cross_entropy(vs, c)
    firsts = grad(loss, vs, create_graph=True)
    rows = [grad(d, vs) if isinstance(d, Value) else [0.0] * len(vs) for d in firsts]
    return loss.data, np.array([d.data if isinstance(d, Value) else d for d in firsts]), np.array(rows)


CASES = [([0.3, -1.2, 2.0], 0), ([0.3, -1.2, 2.0], 2), ([1.0, 1.0, 1.0, 1.0], 1), ([5.0, -3.0], 1),
         ([0.5 * k - 2 for k in range(10)], 7), ([40.0, 41.0, -40.0], 0)]


@pytest.mark.parametrize("zs, c", CASES)
def test_cross_entropy_first_and_second_derivatives_match_pytorch(zs: list[float], c: int) -> None:
    value, g, h = engine_derivatives(zs, c)
    want_value, want_g, want_h = torch_reference(zs, c)
    assert value == pytest.approx(want_value, rel=1e-14, abs=1e-15)
    np.testing.assert_allclose(g, want_g, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(h, want_h, rtol=1e-12, atol=1e-15)
    # and the textbook forms: softmax - onehot, and diag(p) - p p^T
    p = np.exp(np.array(zs) - np.logaddexp.reduce(zs))
    np.testing.assert_allclose(g, p - np.eye(len(zs))[c], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(h, np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("zs, c", CASES[:4])
def test_cross_entropy_derivatives_match_central_differences_and_sympy(zs: list[float], c: int) -> None:
    assert gradcheck(lambda *vs: cross_entropy(list(vs), c), zs, order=2)
    syms = sp.symbols(f"z0:{len(zs)}", real=True)
    expr = sp.log(sum(sp.exp(s) for s in syms)) - syms[c]
    at = dict(zip(syms, zs))
    _, g, h = engine_derivatives(zs, c)
    for i, si in enumerate(syms):
        assert g[i] == pytest.approx(float(sp.diff(expr, si).evalf(subs=at)), rel=1e-13, abs=1e-15)
        for j, sj in enumerate(syms):
            assert h[i, j] == pytest.approx(float(sp.diff(expr, si, sj).evalf(subs=at)), rel=1e-12, abs=1e-15)


def test_cross_entropy_is_finite_and_exact_at_huge_logits() -> None:
    for zs, c in [([1000.0, -1000.0, 999.0], 2), ([1e308, -1e308, 0.0], 0), ([-800.0, -800.0], 1)]:
        vs = [Value(z) for z in zs]
        loss = cross_entropy(vs, c)
        loss.backward()
        want = mp_logsumexp(zs) - zs[c]
        assert math.isfinite(loss.data) and loss.data == pytest.approx(want, rel=1e-12, abs=1e-12)
        assert all(math.isfinite(v.grad) for v in vs)
        assert sum(v.grad for v in vs) == pytest.approx(0.0, abs=1e-15)


# --- the replay ----------------------------------------------------------------------------


def scalar_losses(model: nn.MLP, X: np.ndarray, c: int) -> tuple[list[float], np.ndarray]:
    """Per example, in the scalar engine: the loss and d loss / d x (NaN where it is NaN)."""
    values, grads = [], []
    for row in X:
        xs = [Value(float(v)) for v in row]
        loss = cross_entropy(model(xs), c)
        values.append(loss.data)
        grads.append(grad(loss, xs))
    return values, np.array(grads)


def test_cross_entropy_traces_and_replays_like_the_scalar_engine() -> None:
    model = nn.MLP(3, [6, 4], seed=1, init="xavier")
    rng = np.random.default_rng(2)
    X = rng.normal(scale=2.0, size=(40, 3))
    X[:4] *= 500.0  # logits in the hundreds: log-sum-exp must not overflow
    tape = autograd.trace(lambda x: cross_entropy(model(x), 2), 3)
    model.zero_grad()
    out = tape(X)
    dX = tape.backward(input_grad=True)
    want_values, want_dX = scalar_losses(model, X, 2)
    np.testing.assert_allclose(out, want_values, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(dX, want_dX, rtol=1e-12, atol=1e-14)
    got = [p.grad for p in model.parameters()]
    model.zero_grad()
    for row in X:
        cross_entropy(model([float(v) for v in row]), 2).backward()
    np.testing.assert_allclose(got, [p.grad for p in model.parameters()], rtol=1e-12, atol=1e-14)


def test_the_replay_equals_the_engine_at_special_numbers() -> None:
    """Logits with inf, -inf and NaN take the replay's checked path: the scalar numbers, NaN where NaN."""
    cases = [[INF, 0.0, 1.0], [-INF, 0.0, 1.0], [INF, INF, 0.0], [-INF, -INF, -INF], [NAN, 0.0, 1.0],
             [1e308, -1e308, 0.0], [0.0, -INF, INF], [2.0, -1.0, 0.5], [-INF, 3.0, -INF], [1e3, -1e3, 999.0]]
    for c in range(3):
        tape = autograd.trace(lambda z, c=c: cross_entropy(z, c), 3)
        out = tape(np.array(cases))
        dZ = tape.backward(input_grad=True)
        for row, value, g in zip(cases, out, dZ):
            vs = [Value(z) for z in row]
            loss = cross_entropy(vs, c)
            want = [loss.data, *grad(loss, vs)]
            assert same([value, *g], want, rtol=1e-15), (row, c, [value, *g], want)  # NaN where NaN


def test_fit_traces_the_cross_entropy_of_a_batch() -> None:
    """Before, cross_entropy read each logit's number (a max), so fit fell back to the scalar loss."""
    X_train, _, y_train, _ = nn.data.load_digits(n=60, test_size=10, seed=0)
    model = nn.MLP(64, [8, 10], seed=0, init="xavier")
    step = FitStep(model, cross_entropy, model.parameters())
    for _ in range(2):  # the same targets twice: the second time the loss of the batch is traced
        step(X_train, y_train)
    assert step._trace_loss and len(step._loss_tapes) == 1
    got = [p.grad for p in model.parameters()]
    model.zero_grad()
    cross_entropy([model(x) for x in X_train], y_train).backward()
    np.testing.assert_allclose(got, [p.grad for p in model.parameters()], rtol=1e-10, atol=1e-15)


# --- training on the digits ----------------------------------------------------------------


def test_fit_learns_a_subset_of_the_digits_quickly() -> None:
    X_train, X_test, y_train, y_test = nn.data.load_digits(n=400, seed=0)
    model = nn.MLP(64, [32, 10], seed=0, init="xavier")
    start = time.process_time()
    history = nn.fit(model, X_train, y_train, loss="cross_entropy", epochs=40, vectorize=True,
                     optimizer=nn.optim.Adam(model.parameters(), lr=0.02), progress=False)
    seconds = time.process_time() - start
    scores = autograd.trace(model, 64)(np.array(X_test))
    test_accuracy = float(np.mean(scores.argmax(axis=1) == np.array(y_test)))
    assert history.loss[-1] < 0.2 * history.loss[0]
    assert history["accuracy"][-1] > 0.95 and test_accuracy > 0.85  # 10 classes: chance is 0.1
    assert seconds < 10


def test_fits_accuracy_reads_the_class_from_the_largest_of_ten_logits() -> None:
    X_train, _, y_train, _ = nn.data.load_digits(n=100, test_size=1, seed=1)
    seen: list[float] = []

    def argmax_accuracy(predictions: list, targets: list) -> float:  # written here, independently of fit
        return float(np.mean(np.argmax(np.array(predictions), axis=1) == np.array(targets)))

    for vectorize in (False, True):
        model = nn.MLP(64, [16, 10], seed=3, init="xavier")
        history = nn.fit(model, X_train, y_train, loss="cross_entropy", epochs=3, progress=False,
                         metrics=("accuracy", argmax_accuracy), vectorize=vectorize)
        assert history["accuracy"] == history["argmax_accuracy"]
        seen.append(history.loss[-1])
    assert seen[0] == pytest.approx(seen[1], rel=1e-12)  # the scalar loop and the replay: the same training
    assert nn.train.accuracy([[0.1, 0.9, -1.0], [2.0, 0.0, 3.0], [5.0, 5.0, 1.0]], [1, 0, 0]) == 2 / 3
