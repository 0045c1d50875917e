"""jvp: forward mode over the recorded graph agrees with reverse mode."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, dot, grad, jvp
from tests.support.lecture import lecture_L


def test_one_input_at_a_time_gives_the_gradient() -> None:
    L, values = lecture_L()
    leaves = values[:4]
    L.backward()
    assert [jvp(L, {x: 1.0}) for x in leaves] == [x.grad for x in leaves] == [6.0, -4.0, -2.0, 4.0]


def test_directional_derivative_and_known_closed_form() -> None:
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = x * y + x.sin()
    assert jvp(f, {x: 1.0}) == pytest.approx(3.0 + math.cos(2.0))
    assert jvp(f, {x: 1.0, y: 2.0}) == pytest.approx((3.0 + math.cos(2.0)) + 2.0 * 2.0)
    assert jvp(f, {}) == 0.0


def test_x_times_x_and_a_plus_a_count_both_edges() -> None:
    x = Value(3.0)
    assert jvp(x * x, {x: 1.0}) == 6.0
    assert jvp(x + x, {x: 0.5}) == 1.0


def random_graph(seed: int) -> tuple[Value, list[Value]]:
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(0.5, 1.5), label=f"x{i}") for i in range(4)]
    nodes = list(leaves)
    for _ in range(rng.randint(2, 14)):
        a, b = rng.choice(nodes), rng.choice(nodes)
        kind = rng.randrange(7)
        nodes.append(
            a * b if kind == 0 else a + b if kind == 1 else (a - b).tanh() if kind == 2
            else a / (b * b + 1.0) if kind == 3 else (a * 0.3).exp() if kind == 4
            else (a * a + 1.0).log() if kind == 5 else dot([a, b], [b, 2.0], 0.5)
        )
    return nodes[-1], leaves


@given(st.integers(0, 10**6), st.lists(st.floats(-3, 3), min_size=4, max_size=4))
def test_forward_mode_equals_reverse_mode(seed: int, direction: list[float]) -> None:
    out, leaves = random_graph(seed)
    grads = grad(out, leaves)
    expected = sum(g * t for g, t in zip(grads, direction))
    got = jvp(out, dict(zip(leaves, direction)))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_leaves_the_grads_alone_and_ignores_unrelated_leaves() -> None:
    L, (a, *_) = lecture_L()
    a.grad = 5.0
    assert jvp(L, {a: 1.0, Value(1.0): 3.0}) == 6.0
    assert a.grad == 5.0


def test_deep_chain() -> None:
    x = Value(1.0)
    y = x
    for _ in range(20000):
        y = y * 1.0001
    assert jvp(y, {x: 1.0}) == pytest.approx(1.0001**20000, rel=1e-9)


def test_bad_input() -> None:
    L, (a, *_) = lecture_L()
    with pytest.raises(TypeError, match="jvp: output must be a Value"):
        jvp(2.0, {a: 1.0})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="jvp: tangents must be a dict"):
        jvp(L, [(a, 1.0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="every key of tangents must be a Value"):
        jvp(L, {"a": 1.0})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="must be a number"):
        jvp(L, {a: "1"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="leaves only"):
        jvp(L, {L: 1.0})
