"""An op added through the public API, ``autograd.define_op``, and run through every tool.

Nothing but the one call defines it: backward, gradients of gradients, gradcheck, the
picture with its edge labels, explain, the player, forward mode, formulas, anomaly
mode, the batch replay and the ``chainrule`` command's formula language all handle it.
"""

from __future__ import annotations

import copy
import math
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import autograd
from autograd import (
    AnomalyError,
    Value,
    define_op,
    detect_anomaly,
    explain,
    formula,
    grad,
    gradcheck,
    jvp,
    ops,
    sigmoid,
    topological_order,
)
from autograd.cli import main
from autograd.parse import FUNCTIONS, parse


def swish_local(out: object, x: object) -> object:
    s = sigmoid(x)
    return s + x * s * (1 - s)  # type: ignore[operator]


@pytest.fixture
def swish() -> Iterator[ops.Op]:
    """``swish(x) = x * sigmoid(x)``, defined for one test and taken out of the table after it."""
    op = define_op("swish", lambda x: x / (1 + math.exp(-x)), swish_local)
    yield op
    del ops.OPS["swish"]


X = sp.Symbol("x", real=True)
SWISH = X / (1 + sp.exp(-X))


def test_the_op_works_on_numbers_values_and_arrays(swish: ops.Op) -> None:
    assert swish(1.5) == pytest.approx(float(SWISH.subs(X, 1.5)), rel=1e-15)
    v = swish(Value(1.5))
    assert isinstance(v, Value) and v._op is swish and str(v._op) == "swish"
    expected = [float(SWISH.subs(X, t)) for t in (-1, 0, 1.5)]
    np.testing.assert_allclose(swish(np.array([-1.0, 0.0, 1.5])), expected)
    assert ops.OPS["swish"] is swish and "swish" in FUNCTIONS


@pytest.mark.parametrize("at", [-2.0, 0.0, 0.7, 3.0])
def test_first_and_second_derivatives_match_sympy_and_central_differences(swish: ops.Op, at: float) -> None:
    x = Value(at)
    (d1,) = grad(swish(x), [x], create_graph=True)
    (d2,) = grad(d1, [x])
    assert d1.data == pytest.approx(float(sp.diff(SWISH, X).subs(X, at)), rel=1e-12, abs=1e-15)
    assert d2 == pytest.approx(float(sp.diff(SWISH, X, 2).subs(X, at)), rel=1e-10, abs=1e-14)
    assert gradcheck(swish, [at], order=2)
    y = Value(at)
    swish(y).backward()
    assert y.grad == d1.data


def test_every_tool_handles_it(swish: ops.Op, tmp_path: Path) -> None:
    x = Value(0.7, label="x")
    z = swish(x) * 2 + 1
    z.label = "z"
    (want,) = grad(z, [x])
    local = float(sp.diff(SWISH, X).subs(X, 0.7))
    # the picture: the op's label in its oval, its local derivative on its edge
    src = autograd.draw_dot(z, edge_labels=True).source
    assert 'label=swish' in src and f"= {local:.4g} " in src
    # the chain rule written out, the steps, the player, forward mode
    ex = explain(z, x)
    assert ex.gradient == pytest.approx(want, rel=1e-14) and "swish(x)" in str(ex)
    assert [s.local for s in autograd.backward_steps(z) if s.parent is x] == pytest.approx([local], rel=1e-14)
    player = autograd.play(z)
    assert len(player.frames) == len(player.steps) + 1 and "swish" in player.frames[0]
    assert jvp(z, {x: 1.0}) == pytest.approx(want, rel=1e-14)
    # formulas, text and LaTeX
    f = formula(z)
    assert f.text == "z = swish(x) * 2 + 1" and "\\operatorname{swish}" in f.latex
    # anomaly mode sees its nodes like any other
    with pytest.raises(AnomalyError, match="swish produced nan"), detect_anomaly():
        swish(Value(float("nan")))
    # the batch replay, against the scalar engine example by example
    w = Value(0.5)
    tape = autograd.trace(lambda v: swish(v[0] * w), 1)
    X0 = np.array([[1.0], [-2.0], [0.3]])
    out = tape(X0)
    tape.backward()
    expected = [swish(Value(float(r[0]) * 0.5)).data for r in X0]
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    ws = [Value(0.5) for _ in X0]
    for r, wi in zip(X0, ws):
        swish(Value(float(r[0])) * wi).backward()
    assert w.grad == pytest.approx(sum(wi.grad for wi in ws), rel=1e-14)
    # the formula language, and the chainrule command, in this process
    assert parse("swish(a) * 2 + 1").evaluate({"a": 0.7}).data == pytest.approx(z.data, rel=1e-15)
    out_svg = tmp_path / "g.svg"
    assert main(["draw", "swish(a)*2 + 1", "a=0.7", "-o", str(out_svg)]) == 0
    assert "swish" in out_svg.read_text()
    assert main(["explain", "swish(a)", "a=0.7", "--wrt", "a"]) == 0


def test_a_graph_using_it_survives_copy_and_pickle(swish: ops.Op) -> None:
    x = Value(0.7, label="x")
    z = swish(x * x)
    for clone in (copy.deepcopy(z), pickle.loads(pickle.dumps(z))):
        clone.backward()
        assert clone._op is swish and [v.label for v in topological_order(clone)][0] == "x"
    data = pickle.dumps(z)
    del ops.OPS["swish"]
    try:
        with pytest.raises(LookupError, match="no op named 'swish'.*define_op"):
            pickle.loads(data)
    finally:
        ops.OPS["swish"] = swish


def test_two_inputs_and_a_label() -> None:
    hyp = define_op("hyp", lambda a, b: math.hypot(a, b), lambda out, a, b: (a / out, b / out), label="‖·‖")
    try:
        a, b = Value(3.0), Value(4.0)
        h = hyp(a, b)
        h.backward()
        assert (h.data, a.grad, b.grad, str(h._op)) == (5.0, 0.6, 0.8, "‖·‖")
        assert gradcheck(hyp, [3.0, 4.0], order=2)
        assert parse("hyp(a, b)").evaluate({"a": 3, "b": 4}).data == 5.0
        with pytest.raises(ValueError, match="hyp takes exactly 2 arguments, got 1"):
            parse("hyp(a)")
    finally:
        del ops.OPS["hyp"]


def test_defining_it_again_replaces_it_as_when_a_cell_runs_twice() -> None:
    first = define_op("twice", lambda x: 2 * x, lambda out, x: 2.0)
    second = define_op("twice", lambda x: 2.0 * x, lambda out, x: (2.0,))
    try:
        assert ops.OPS["twice"] is second and first is not second
        v = Value(3.0)
        second(v).backward()
        assert v.grad == 2.0
    finally:
        del ops.OPS["twice"]


@pytest.mark.parametrize(
    "args, error, match",
    [
        (("exp", math.exp, lambda out, x: out), ValueError, "not a built-in op's name"),
        (("2x", math.exp, lambda out, x: out), ValueError, "Python identifier"),
        (("_x", math.exp, lambda out, x: out), ValueError, "not starting with '_'"),
        (("f", "exp", lambda out, x: out), TypeError, "forward and local must be functions"),
        (("f", lambda *xs: 0.0, lambda out, x: out), ValueError, "fixed number"),
    ],
)
def test_bad_definitions_are_refused_and_change_nothing(args: tuple, error: type, match: str) -> None:
    before = dict(ops.OPS)
    with pytest.raises(error, match=match):
        define_op(*args)
    assert ops.OPS == before


def test_a_wrong_rule_or_forward_is_caught_where_it_is_used() -> None:
    bad_local = define_op("bad_local", lambda x: x * x, lambda out, x: (2 * x, 1.0))
    bad_forward = define_op("bad_forward", lambda x: "no", lambda out, x: 1.0)
    domain = define_op("domain", lambda x: math.sqrt(x - 1), lambda out, x: 0.5 / out)
    try:
        v = Value(2.0)
        with pytest.raises(TypeError, match="bad_local: local must return one derivative per input .1.,"):
            bad_local(v).backward()
        with pytest.raises(TypeError, match="bad_forward: forward must return a real number, got str"):
            bad_forward(v)
        with pytest.raises(ValueError, match=r"domain: math domain error \(at 0.5\)"):
            domain(Value(0.5))
        tape = autograd.trace(lambda x: domain(x[0]), 1, example=[2.0])
        with pytest.raises(ValueError, match="domain: math domain error.*example 1"):
            tape(np.array([[2.0], [0.5]]))
    finally:
        for name in ("bad_local", "bad_forward", "domain"):
            del ops.OPS[name]
