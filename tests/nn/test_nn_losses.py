"""Losses against hand computations and against central differences (gradcheck)."""

from __future__ import annotations

import math

import pytest

from autograd import Value, gradcheck
from nn import losses


def test_mse_by_hand() -> None:
    p = [Value(1.0), Value(2.5), Value(-1.0)]
    loss = losses.mse(p, [0.0, 2.0, 1.0])
    assert loss.data == pytest.approx((1.0 + 0.25 + 4.0) / 3)
    loss.backward()
    assert [v.grad for v in p] == pytest.approx([2 * 1.0 / 3, 2 * 0.5 / 3, 2 * -2.0 / 3])


def test_mae_by_hand() -> None:
    p = [Value(1.0), Value(2.5), Value(-1.0), Value(3.0)]
    loss = losses.mae(p, [0.0, 2.0, 1.0, 3.0])
    assert loss.data == pytest.approx((1.0 + 0.5 + 2.0 + 0.0) / 4)
    loss.backward()
    assert [v.grad for v in p] == pytest.approx([0.25, 0.25, -0.25, 0.0])  # 0 at the kink


def test_hinge_by_hand_matches_micrograd_formula() -> None:
    s = [Value(2.0), Value(0.5), Value(-0.3)]
    y = [1.0, 1.0, 1.0]
    loss = losses.hinge(s, y)
    # max(0, 1 - 2) = 0, max(0, 1 - 0.5) = 0.5, max(0, 1 + 0.3) = 1.3
    assert loss.data == pytest.approx((0 + 0.5 + 1.3) / 3)
    loss.backward()
    assert [v.grad for v in s] == pytest.approx([0.0, -1 / 3, -1 / 3])
    assert losses.hinge([Value(-2.0)], [-1.0]).data == 0.0


def test_binary_cross_entropy_by_hand() -> None:
    z = [Value(0.0), Value(2.0), Value(-1.0)]
    t = [1.0, 0.0, 1.0]
    sig = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    expected = -(math.log(0.5) + math.log(1 - sig(2.0)) + math.log(sig(-1.0))) / 3
    loss = losses.binary_cross_entropy(z, t)
    assert loss.data == pytest.approx(expected, rel=1e-12)
    loss.backward()
    assert [v.grad for v in z] == pytest.approx([(sig(0.0) - 1) / 3, sig(2.0) / 3, (sig(-1.0) - 1) / 3])


@pytest.mark.parametrize("z", [800.0, -800.0, 40.0, -40.0])
def test_binary_cross_entropy_is_stable_at_large_logits(z: float) -> None:
    for t in (0.0, 1.0):
        v = Value(z)
        loss = losses.binary_cross_entropy([v], [t])
        expected = max(z, 0.0) - t * z + math.log1p(math.exp(-abs(z)))
        assert loss.data == pytest.approx(expected, rel=1e-12)
        loss.backward()
        expected_grad = (1 / (1 + math.exp(-z)) if z > -700 else 0.0) - t
        assert v.grad == pytest.approx(expected_grad, abs=1e-12)


def test_cross_entropy_by_hand() -> None:
    z = [Value(1.0), Value(2.0), Value(0.5)]
    loss = losses.cross_entropy(z, 1)
    es = [math.exp(v.data) for v in z]
    assert loss.data == pytest.approx(-math.log(es[1] / sum(es)), rel=1e-12)
    loss.backward()
    soft = [e / sum(es) for e in es]
    assert [v.grad for v in z] == pytest.approx([soft[0], soft[1] - 1, soft[2]])


def test_cross_entropy_batches_and_large_logits() -> None:
    batch = [[Value(1000.0), Value(0.0)], [Value(-1000.0), Value(1000.0)]]
    loss = losses.cross_entropy(batch, [1.0, 1])  # integral floats count as class indices
    assert loss.data == pytest.approx((1000.0 + 0.0) / 2)
    loss.backward()
    assert batch[0][1].grad == pytest.approx(-0.5)
    assert batch[1][1].grad == pytest.approx(0.0)


def test_l2_by_hand() -> None:
    ps = [Value(1.0), Value(-2.0)]
    reg = losses.l2(ps, 0.5)
    assert reg.data == pytest.approx(0.5 * 5)
    reg.backward()
    assert [p.grad for p in ps] == pytest.approx([1.0, -2.0])
    assert losses.l2([], 1e-4).data == 0.0


def test_multi_output_predictions_compare_output_by_output() -> None:
    p = [[Value(1.0), Value(2.0)], [Value(0.0), Value(0.0)]]
    assert losses.mse(p, [[1.0, 0.0], [1.0, 1.0]]).data == pytest.approx((0 + 4 + 1 + 1) / 4)


@pytest.mark.parametrize("name, f", [
    ("mse", lambda a, b, c: losses.mse([a, b, c], [0.3, -1.0, 2.0])),
    ("mae", lambda a, b, c: losses.mae([a, b, c], [0.3, -1.0, 2.0])),
    ("hinge", lambda a, b, c: losses.hinge([a, b, c], [1.0, -1.0, 1.0])),
    ("bce", lambda a, b, c: losses.binary_cross_entropy([a, b, c], [1.0, 0.0, 0.3])),
    ("cross_entropy", lambda a, b, c: losses.cross_entropy([a, b, c], 2)),
    ("l2", lambda a, b, c: losses.l2([a, b, c], 0.1)),
])
def test_gradients_match_central_differences(name: str, f) -> None:
    # points away from the kinks of mae and hinge
    assert gradcheck(f, [0.7, -0.4, 1.3])
    assert gradcheck(f, [-1.5, 0.2, -0.6])


@pytest.mark.parametrize("name", ["bce", "cross_entropy"])
def test_second_derivatives_of_the_smooth_losses(name: str) -> None:
    f = {
        "bce": lambda a, b: losses.binary_cross_entropy([a, b], [1.0, 0.0]),
        "cross_entropy": lambda a, b: losses.cross_entropy([a, b], 0),
    }[name]
    assert gradcheck(f, [0.0, 1.5], order=2)  # 0 included: no kink in the stable form


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="mse: got 2 predictions but 1 targets"):
        losses.mse([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(ValueError, match="hinge: labels must be -1 or \\+1, got 0.0"):
        losses.hinge([Value(1.0)], [0.0])
    with pytest.raises(ValueError, match="binary_cross_entropy: targets must lie in \\[0, 1\\]"):
        losses.binary_cross_entropy([Value(1.0)], [-1.0])
    with pytest.raises(ValueError, match="class index 0..1"):
        losses.cross_entropy([Value(1.0), Value(2.0)], 2)
    with pytest.raises(TypeError, match="mse: a prediction must be a Value or a number"):
        losses.mse(["a"], [1.0])
    with pytest.raises(TypeError, match="mse: a target must be a number"):
        losses.mse([Value(1.0)], ["a"])
    with pytest.raises(ValueError, match="needs at least one prediction"):
        losses.mse([], [])
    with pytest.raises(TypeError, match="l2: expected a list of Values or a module"):
        losses.l2([1.0], 0.1)
