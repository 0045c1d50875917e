"""The batch replay against the scalar engine on random graphs fed special numbers.

Each case is a random program over every op of the table (from the shared rows), run on
inputs and parameters drawn from the IEEE corner cases (0, -0, +-inf, NaN, the largest and
the smallest floats) mixed with ordinary numbers. For every example the scalar engine
either computes the outputs and the gradients or raises; the tape, replaying the same
graph on the whole batch, must do the same: the same numbers (NaN where NaN, inf where inf,
within a rounding of the finite ones), or an error of the same type.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, grad
from autograd.replay import trace
from tests.support.helpers import same
from tests.support.op_rows import ROWS

pytestmark = pytest.mark.fuzz

SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.7e308, -1.7e308, 5e-324, 1e-300]
NUMBERS = st.one_of(st.sampled_from(SPECIAL), st.floats(-3, 3), st.sampled_from([1.0, -1.0, 2.0, 0.5]))
ERRORS = (ArithmeticError, ValueError)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[tuple[int, list[int]]], list[float], np.ndarray]:
    n_inputs = draw(st.integers(1, 2))
    params = [draw(NUMBERS) for _ in range(draw(st.integers(1, 2)))]
    program: list[tuple[int, list[int]]] = []
    pool = n_inputs + len(params)
    for _ in range(draw(st.integers(1, 5))):
        r = draw(st.integers(0, len(ROWS) - 1))
        arity = ROWS[r].arity
        program.append((r, [draw(st.integers(0, pool - 1)) for _ in range(arity)]))
        pool += 1
    rows = draw(st.lists(st.lists(NUMBERS, min_size=n_inputs, max_size=n_inputs), min_size=1, max_size=3))
    return program, params, np.array(rows, dtype=float)


def run(program: list[tuple[int, list[int]]], inputs: list[Any], params: list[Value]) -> list[Value]:
    """Every result of the program, so that the replay records every node the engine computes."""
    vals = [*inputs, *params]
    for r, args in program:
        vals.append(ROWS[r].call(*[vals[i] for i in args]))
    return vals[len(inputs) + len(params):]


def scalar(program: Any, params: list[float], X: np.ndarray) -> tuple[Any, Any]:
    """Outputs and parameter gradients (summed over the batch) from the scalar engine, or the error type."""
    ps = [Value(p) for p in params]
    outs, total = [], np.zeros(len(ps))
    for row in X:
        try:
            results = run(program, [Value(float(x)) for x in row], ps)
            outs.append([v.data for v in results])
            # what tape.backward(ones) adds: the gradient of the outputs' sum, in one backward pass
            with np.errstate(all="ignore"):  # the reference's own sum over the batch follows IEEE too
                total = total + np.array(grad(sum(results[1:], results[0]), ps), dtype=float)
        except ERRORS as e:
            return type(e), None
    return np.array(outs), total


def replayed(program: Any, params: list[float], X: np.ndarray) -> tuple[Any, Any]:
    ps = [Value(p) for p in params]
    try:
        tape = trace(lambda x: run(program, x, ps), X.shape[1], example=[0.5] * X.shape[1])
    except ERRORS:
        return "untraceable", None  # an op that cannot take the placeholder example itself
    try:
        out = tape(X)
        tape.backward(np.ones(out.shape), input_grad=True)  # every node's rule runs, as in grad()
    except ERRORS as e:
        return type(e), None
    return out, np.array([p.grad for p in ps])


@settings(max_examples=400)
@given(cases())
def test_the_tape_equals_the_engine_on_special_numbers(case: Any) -> None:
    program, params, X = case
    got_out, got_grad = replayed(program, params, X)
    if isinstance(got_out, str):
        return
    want_out, want_grad = scalar(program, params, X)
    if isinstance(want_out, type):  # (with two errors in one batch, which comes first may differ)
        assert isinstance(got_out, type), f"the engine raises {want_out.__name__}, the tape gives {got_out}"
        return
    assert not isinstance(got_out, type), f"the tape raises {got_out.__name__}, the engine does not"
    assert same(got_out, want_out, rtol=1e-9, atol=1e-300), (got_out, want_out)
    assert same(got_grad, want_grad, rtol=1e-9, atol=1e-300), (got_grad, want_grad)
