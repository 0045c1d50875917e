"""check_grads: a learner's gradients of a whole function (a neuron, a layer, a loss; lists or NumPy
arrays) against backward(); each mistake, written by hand below, is named with the op it sits in, and
right gradients get no false alarm at any seed."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd.practice import check_grads
from autograd.practice.graph import failure_graph
from autograd.see import palette
from autograd.see.text import format_number


def neuron(x: list, w: list, b: Any) -> Any:
    return (sum(wi * xi for wi, xi in zip(w, x)) + b).tanh()


def neuron_grads(x: list, w: list, b: float, g: float, slope: Callable[[float, float], float] | None = None,
                 swap: bool = False, times: bool = True) -> tuple:
    z = sum(wi * xi for wi, xi in zip(w, x)) + b
    t = math.tanh(z)
    dz = (slope(z, t) if slope else 1 - t * t) * (g if times else 1.0)
    dx, dw = [wi * dz for wi in w], [xi * dz for xi in x]
    return (dw, dx, dz) if swap else (dx, dw, dz)


def softmax_nll(logits: list, target: int) -> Any:
    exps = [z.exp() for z in logits]
    return -(exps[target] / sum(exps)).log()


def softmax_grads(logits: list, target: int, g: float, how: str = "right") -> list:
    exps = [math.exp(z) for z in logits]
    p = [e / sum(exps) for e in exps]
    one = [float(j == target) for j in range(len(logits))]
    return {
        "right": [(pj - oj) * g for pj, oj in zip(p, one)],
        "sign": [(oj - pj) * g for pj, oj in zip(p, one)],
        "path": [pj * g for pj in p],
    }[how]


def square(a: Any, b: Any) -> Any:
    return (a * b) ** 2


def dense(W: Any, b: Any, A: Any) -> Any:
    return np.tanh(W @ A + b[:, None])


def dense_grads(W: Any, b: Any, A: Any, G: Any, db: str = "sum", dw: str = "right") -> tuple:
    D = G * (1 - np.tanh(W @ A + b[:, None]) ** 2)
    bias = {"sum": D.sum(axis=1), "last": D[:, -1], "unsummed": D}[db]
    return (D @ A.T if dw == "right" else A @ D.T), bias, W.T @ D


X, WS, B = [0.5, -1.0, 2.0], [0.3, 0.8, -0.2], 0.1
MATS: dict[str, Any] = {
    "W": np.array([[0.3, 0.8], [-0.2, 0.5], [0.7, -0.4]]),
    "b": np.array([0.1, 0.0, -0.3]),
    "A": np.array([[0.5, -1.0, 0.2, 1.5], [-1.0, 0.3, 0.8, -0.6]]),
}

# (forward, a wrong backward written by hand, its inputs, the op and the misconception to be named)
MISTAKES: dict[str, tuple[Any, Callable[..., Any], dict[str, Any], str, str]] = {
    "out_grad forgotten": (neuron, lambda x, w, b, g: neuron_grads(x, w, b, g, times=False),
                           {"x": X, "w": WS, "b": B}, "tanh", "upstream"),
    "tanh' with z": (neuron, lambda x, w, b, g: neuron_grads(x, w, b, g, slope=lambda z, t: 1 - z * z),
                     {"x": X, "w": WS, "b": B}, "tanh", "input_output"),
    "tanh' sign": (neuron, lambda x, w, b, g: neuron_grads(x, w, b, g, slope=lambda z, t: t * t - 1),
                   {"x": X, "w": WS, "b": B}, "tanh", "sign"),
    "dw and dx swapped": (neuron, lambda x, w, b, g: neuron_grads(x, w, b, g, swap=True),
                          {"x": X, "w": WS, "b": B}, "mul", "swapped"),
    "onehot - p": (softmax_nll, lambda z, t, g: softmax_grads(z, t, g, "sign"),
                   {"logits": [1.0, -0.5, 2.0], "target": 1}, "neg", "sign"),
    "the numerator's path": (softmax_nll, lambda z, t, g: softmax_grads(z, t, g, "path"),
                             {"logits": [1.0, -0.5, 2.0], "target": 1}, "div", "path"),
    "power rule, factor missing": (square, lambda a, b, g: (a * b * b * g, a * b * a * g),
                                   {"a": 0.7, "b": -1.2}, "pow", "power_rule"),
    "power rule, exponent kept": (square, lambda a, b, g: (2 * (a * b) ** 2 * b * g,
                                                           2 * (a * b) ** 2 * a * g),
                                  {"a": 0.7, "b": -1.2}, "pow", "power_rule"),
    "db from one example": (dense, lambda W, b, A, G: dense_grads(W, b, A, G, db="last"), MATS, "add",
                            "assign"),
    "db not summed": (dense, lambda W, b, A, G: dense_grads(W, b, A, G, db="unsummed"), MATS, "backward",
                      "shape"),
    "dW transposed": (dense, lambda W, b, A, G: dense_grads(W, b, A, G, dw="transposed"), MATS, "backward",
                      "shape"),
    "unwritten": (square, lambda a, b, g: (_ for _ in ()).throw(NotImplementedError("write it")),
                  {"a": 0.7, "b": -1.2}, "backward", "unfinished"),
    "crash": (square, lambda a, b, g: (1 / 0, 0.0), {"a": 0.7, "b": -1.2}, "backward", "crash"),
    "too few": (square, lambda a, b, g: 2 * a * b * b * g, {"a": 0.7, "b": -1.2}, "backward", "shape"),
    "not numbers": (square, lambda a, b, g: ("da", "db"), {"a": 0.7, "b": -1.2}, "backward", "wrong"),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_each_mistake_is_named_with_its_op(name: str) -> None:
    forward, backward, inputs, op, kind = MISTAKES[name]
    report = check_grads(forward, backward, **inputs)
    assert not report and [(f.op, f.kind) for f in report.failures] == [(op, kind)], str(report)
    assert report.failures[0].hints[2 if kind not in ("unfinished",) else 0], str(report)


def test_a_loop_that_never_ends_is_stopped() -> None:
    def forever(a: float, b: float, g: float) -> tuple:
        while True:
            a += 0.0

    report = check_grads(square, forever, a=0.7, b=-1.2)
    assert report.kinds == ["hang"] and "stopped" in report.failures[0].hints[2]

    def endless(a: Any) -> Any:
        return endless(a)

    assert check_grads(endless, lambda a, g: g, a=0.5).kinds == ["recursion"]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_right_gradients_pass_at_any_seed(seed: int) -> None:
    assert check_grads(neuron, neuron_grads, seed=seed, x=X, w=WS, b=B)
    assert check_grads(softmax_nll, softmax_grads, seed=seed, logits=[1.0, -0.5, 2.0], target=2)
    right = lambda a, b, g: (2 * a * b * b * g, 2 * a * a * b * g)  # noqa: E731
    assert check_grads(square, right, seed=seed, a=0.7, b=-1.2)
    report = check_grads(dense, dense_grads, seed=seed, **MATS)
    assert report and report.points == 5, str(report)


def test_the_numbers_name_the_entry_and_the_mistake() -> None:
    report = check_grads(dense, lambda W, b, A, G: dense_grads(W, b, A, G, db="last"), **MATS)
    text = str(report)
    assert "[assign]" in text and "the gradient of b[" in text
    assert "written with = instead of added up" in text
    assert "out_grad = [[1.5, -2, 0.5, 3]" in text  # the gradient sent from above, shaped like the output
    assert report.solution().startswith("no corrected line")


def test_a_label_taken_for_a_number_is_explained() -> None:
    report = check_grads(square, lambda a, b, g: (2 * a * b * b * g, 2 * a * a * b * g), a=2, b=1.5)
    assert report.kinds == ["shape"] and "write 2.0 rather than 2" in str(report)


def test_bad_arguments_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="give the inputs by name"):
        check_grads(square, square)
    with pytest.raises(TypeError, match="two functions"):
        check_grads(square, 3, a=1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="input a must be a number"):
        check_grads(square, square, a="x", b=1.0)
    with pytest.raises(TypeError, match="must return a Value"):
        check_grads(lambda a: 3.0, lambda a, g: 0.0, a=1.0)
    with pytest.raises(ValueError, match="hints must be"):
        check_grads(square, square, hints=0, a=1.0, b=1.0)


def test_the_picture_marks_the_wrong_input_and_the_op_at_fault() -> None:
    forward, backward, inputs, _, _ = MISTAKES["tanh' with z"]
    failure = check_grads(forward, backward, **inputs).failures[0]
    graph = failure_graph(failure)
    marked = [line for line in graph.source.splitlines() if palette.HIGHLIGHT in line and "->" in line]
    z = sum(w * x for w, x in zip(WS, X)) + B
    assert len(marked) == 1 and f"= {format_number(1 - math.tanh(z) ** 2)}" in marked[0]  # tanh's edge
    assert "backward()'s numbers" in graph.source and "the gradient of w[2]" in graph.source
    assert "<svg" in check_grads(forward, backward, **inputs)._repr_html_()
    many = check_grads(dense, lambda W, b, A, G: dense_grads(W, b, A, G, db="last"), **MATS)
    assert failure_graph(many.failures[0]) is None  # an array of outputs: the text alone
