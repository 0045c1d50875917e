"""Optimizers' first steps against updates computed by hand; schedules; clipping."""

from __future__ import annotations

import math

import pytest

import nn
from autograd import Value
from nn import optim


def _param(data: float, grad: float) -> Value:
    p = Value(data)
    p.grad = grad
    return p


def test_plain_sgd_step() -> None:
    p, q = _param(1.0, 0.5), _param(-2.0, -1.0)
    opt = optim.SGD([p, q], lr=0.1)
    opt.step()
    assert (p.data, q.data) == pytest.approx((1.0 - 0.05, -2.0 + 0.1))
    opt.zero_grad()
    assert p.grad == q.grad == 0.0


def test_sgd_momentum_and_weight_decay_by_hand() -> None:
    p = _param(1.0, 0.5)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step()
    g1 = 0.5 + 0.01 * 1.0          # v1 = g1
    p1 = 1.0 - 0.1 * g1
    assert p.data == pytest.approx(p1)
    p.grad = -0.2
    opt.step()
    v2 = 0.9 * g1 + (-0.2 + 0.01 * p1)
    assert p.data == pytest.approx(p1 - 0.1 * v2)


def test_adam_first_steps_by_hand() -> None:
    p = _param(1.0, 0.5)
    opt = optim.Adam([p], lr=0.01)
    opt.step()
    # after bias correction the first step is lr * g / (|g| + eps): lr times the sign of g
    assert p.data == pytest.approx(1.0 - 0.01 * 0.5 / (0.5 + 1e-8))
    p1 = p.data
    p.grad = -1.0
    opt.step()
    m = 0.9 * 0.05 + 0.1 * -1.0
    v = 0.999 * 0.00025 + 0.001 * 1.0
    step = 0.01 * (m / (1 - 0.9**2)) / (math.sqrt(v / (1 - 0.999**2)) + 1e-8)
    assert p.data == pytest.approx(p1 - step)


def test_adam_weight_decay_coupled_and_decoupled() -> None:
    p = _param(2.0, 0.0)
    optim.Adam([p], lr=0.1, weight_decay=0.5).step()
    # coupled: g = 0 + 0.5 * 2 = 1, the first step is lr * sign(g)
    assert p.data == pytest.approx(2.0 - 0.1, rel=1e-7)
    q = _param(2.0, 0.0)
    optim.Adam([q], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True).step()
    # decoupled: p <- p - lr * wd * p, and a zero gradient moves it no further
    assert q.data == pytest.approx(2.0 - 0.1 * 0.5 * 2.0)


def test_schedules() -> None:
    lin = optim.LinearDecay(1.0, 0.1, 100)
    expected = [1.0, 0.55, 1.0 - 0.9 * 99 / 100, 0.1, 0.1]
    assert [lin(k) for k in (0, 50, 99, 100, 500)] == pytest.approx(expected)
    step = optim.StepDecay(0.5, step_size=10, gamma=0.1)
    assert [step(k) for k in (0, 9, 10, 25)] == pytest.approx([0.5, 0.5, 0.05, 0.005])
    exp = optim.ExponentialDecay(1.0, 0.9)
    assert exp(3) == pytest.approx(0.729)


def test_optimizer_follows_its_schedule() -> None:
    p = _param(0.0, 1.0)
    opt = optim.SGD([p], lr=optim.LinearDecay(1.0, 0.1, 100))
    for k in range(3):
        assert opt.lr == pytest.approx(1.0 - 0.9 * k / 100)
        opt.step()
    assert p.data == pytest.approx(-(1.0 + 0.991 + 0.982))
    assert opt.steps == 3
    lam = optim.SGD([p], lr=lambda k: 0.5 / (k + 1))
    lam.step()
    lam.step()
    assert lam.lr == pytest.approx(0.5 / 3)


def test_clip_grad_norm_and_value() -> None:
    a, b = _param(0.0, 3.0), _param(0.0, 4.0)
    assert optim.clip_grad_norm([a, b], 1.0) == pytest.approx(5.0)
    assert (a.grad, b.grad) == pytest.approx((0.6, 0.8))
    assert optim.clip_grad_norm([a, b], 10.0) == pytest.approx(1.0)
    assert (a.grad, b.grad) == pytest.approx((0.6, 0.8))  # under the limit: untouched
    c, d = _param(0.0, -7.0), _param(0.0, 0.3)
    optim.clip_grad_value([c, d], 0.5)
    assert (c.grad, d.grad) == (-0.5, 0.3)


def test_optimizers_accept_a_module() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    opt = optim.Adam(model, lr=0.01)
    assert opt.params == model.parameters()


@pytest.mark.parametrize("make, match", [
    (lambda: optim.SGD([1.0], lr=0.1), "params\\[0\\] must be a Value"),
    (lambda: optim.SGD([Value(1.0)], lr=-1), "lr must be a finite number >= 0"),
    (lambda: optim.SGD(Value(1.0), lr=0.1), "expected a list of Values"),
    (lambda: optim.Adam([Value(1.0)], betas=(0.9, 1.0)), r"betas\[1\] must be a finite number >= 0 and < 1"),
    (lambda: optim.LinearDecay(1.0, 0.1, 0), "steps must be a positive integer"),
    (lambda: optim.clip_grad_norm([Value(1.0)], -1.0), "max_norm"),
])
def test_bad_arguments_are_named(make, match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        make()
