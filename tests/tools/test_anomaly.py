"""Anomaly mode: the first NaN/inf raises, naming the op, the numbers and the user's line."""

from __future__ import annotations

import math
import sys
import threading
from typing import Any

import pytest

import nn
from autograd import AnomalyError, Value, detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad
from autograd.core import engine

HERE = __file__


def here() -> int:
    """The line number of the caller (``here() - 1`` names the line above the call, ``+ 1`` the one below)."""
    return sys._getframe(1).f_lineno


def site(line: int) -> str:
    return f"{HERE}:{line}"


# -- forward -------------------------------------------------------------------------------


def test_forward_overflow_names_op_inputs_and_line() -> None:
    a = Value(1e200, label="a")
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        line = here() + 1  # the line below
        a * 1e200
    e = info.value
    assert (e.phase, e.op, e.inputs, e.site) == ("forward", "mul", (1e200, 1e200), site(line))
    msg = str(e)
    assert "mul produced inf" in msg and "1e+200, 1e+200" in msg and site(line) in msg
    assert "every input was finite" in msg


def test_anomaly_error_is_an_arithmetic_error() -> None:
    assert issubclass(AnomalyError, ArithmeticError)
    with pytest.raises(ArithmeticError), detect_anomaly():
        Value(1e300) * Value(1e300)


def test_non_finite_input_counts_as_the_first_bad_op() -> None:
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        x = Value(float("nan"), label="x")
        line = here() + 1  # the line below
        x * 2
    e = info.value
    assert e.op == "mul" and e.site == site(line) and math.isnan(e.inputs[0])
    assert "input 0 was already nan" in str(e) and "'x'" in str(e) and "data fed in" in str(e)


def test_only_the_first_bad_op_raises() -> None:
    """Everything before the bad op runs; the error names the op that made the inf, not a later one."""
    a = Value(3.0)
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        b = a * 2  # fine
        c = b / 1e-320  # 6 / 1e-320 overflows to inf: this one
        c.tanh()  # never reached
    assert info.value.op == "div" and info.value.inputs == (6.0, 1e-320)


def test_site_is_the_users_line_inside_a_helper() -> None:
    def helper(v: Value) -> Value:
        return v * 1e300  # the line reported: user code, even though it is a helper

    line_in_helper = helper.__code__.co_firstlineno + 1
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        helper(Value(1e300))
    assert info.value.site == site(line_in_helper)


def test_site_skips_the_library_frames_of_a_rule() -> None:
    """Nodes made by a library function (autograd.dot) are attributed to the line that called it."""
    from autograd import dot

    with pytest.raises(AnomalyError) as info, detect_anomaly():
        line = here() + 1  # the line below
        dot([1e300, 1e300], [Value(1e300), Value(1.0)])
    assert info.value.op == "dot" and info.value.site == site(line)


def test_finite_forward_passes_and_gives_the_same_values() -> None:
    def f(a: Value, b: Value) -> Value:
        return ((a * b).tanh() + (a / b).exp() - b.log() * a.sigmoid()) ** 2

    plain = f(Value(0.3), Value(1.7)).data
    with detect_anomaly():
        checked = f(Value(0.3), Value(1.7)).data
    assert checked == plain


def test_domain_errors_are_still_the_ops_own_errors() -> None:
    """An op that refuses its input raises its own error before anomaly mode sees a value."""
    with pytest.raises(ValueError, match="log: expected an input > 0"), detect_anomaly():
        Value(-1.0).log()


# -- backward ------------------------------------------------------------------------------


def test_backward_overflowing_contribution_names_edge_numbers_and_line() -> None:
    with detect_anomaly():
        a = Value(1e200, label="a")
        b = Value(1e-200, label="b")
        z = a * b
        line = here() - 1  # the line above
        w = z * 1e200  # dw/dz = 1e200, so dw/db = 1e200 * a = inf
        with pytest.raises(AnomalyError) as info:
            w.backward()
    e = info.value
    assert (e.phase, e.op, e.inputs, e.site) == ("backward", "mul", (1e200, 1e200), site(line))
    msg = str(e)
    assert "mul -> leaf" in msg and "'b'" in msg and "upstream grad 1e+200" in msg
    assert "local derivative" in msg and "product overflows" in msg and site(line) in msg


def test_backward_infinite_local_derivative() -> None:
    with detect_anomaly():
        x = Value(5e-324, label="x")  # log(x) = -744.4 is finite, but 1/x overflows
        y = x.log()
        line = here() - 1  # the line above
        with pytest.raises(AnomalyError) as info:
            y.backward()
    e = info.value
    assert e.op == "log" and e.inputs == (1.0, math.inf) and e.site == site(line)
    assert "log -> leaf" in str(e) and "the local derivative is non-finite" in str(e)


def test_backward_overflowing_sum_of_contributions() -> None:
    """Each path is finite; their sum in x.grad is not. The addition is reported."""
    with detect_anomaly():
        x = Value(1e-300, label="x")
        y = x * 1e308 + x * 1e308  # forward 2e8, each path sends 1e308 to x
        with pytest.raises(AnomalyError) as info:
            y.backward()
    assert "accumulated gradient" in str(info.value) and "overflowed" in str(info.value)
    assert info.value.op == "mul"


def test_backward_through_grad_and_create_graph() -> None:
    with detect_anomaly():
        x = Value(5e-324)
        y = x.log()
        with pytest.raises(AnomalyError, match="log -> leaf"):
            grad(y, [x])
        with pytest.raises(AnomalyError, match="log -> leaf"):
            grad(y, [x], create_graph=True)


def test_backward_domain_error_names_op_and_site() -> None:
    """sqrt at 0 has an infinite slope: the float rule divides by zero; the site is added."""
    with detect_anomaly():
        y = Value(0.0).sqrt()
        line = here() - 1  # the line above
        with pytest.raises(ZeroDivisionError) as info:
            y.backward()
    assert "sqrt: in the backward pass" in str(info.value) and site(line) in str(info.value)


def test_gradients_match_the_fast_loop_exactly() -> None:
    def build() -> tuple[Value, list[Value]]:
        a, b, c = Value(0.7), Value(-1.3), Value(2.1)
        shared = a * b + c
        out = (shared.tanh() * shared + (a / c).sin() - (b * b + 1).log() + abs(b) ** 3).relu()
        return out * shared, [a, b, c]

    out, leaves = build()
    out.backward()
    fast = [v.grad for v in leaves]
    fast2 = grad(out, leaves, create_graph=True)
    with detect_anomaly():
        out, leaves = build()
        out.backward()
        checked = [v.grad for v in leaves]
        checked2 = grad(out, leaves, create_graph=True)
    assert checked == fast
    assert [g.data for g in checked2] == [g.data for g in fast2]


def test_leaf_gradients_accumulate_as_usual() -> None:
    with detect_anomaly():
        x = Value(2.0)
        y = x * x
        y.backward()
        y.backward()
    assert x.grad == 8.0


# -- no_grad, nesting, and the cost outside the block ------------------------------------


def test_no_grad_inside_anomaly_neither_records_nor_checks() -> None:
    with detect_anomaly():
        with no_grad():
            y = Value(1e200) * 1e200  # inf, but not watched
            assert not is_grad_enabled()
        assert y.data == math.inf and y._prev == () and y._op == ""
        with pytest.raises(AnomalyError):  # the checks are back after the no_grad block
            Value(1e200) * 1e200


def test_enable_grad_inside_anomaly_records_without_checks() -> None:
    with detect_anomaly(), no_grad(), enable_grad():
        y = Value(1e200) * 1e200
    assert y.data == math.inf and y._op == "*"


def test_anomaly_inside_no_grad_keeps_recording_off() -> None:
    with no_grad(), detect_anomaly():
        assert not is_grad_enabled()
        y = Value(2.0) * 3.0
    assert y._prev == ()


def test_nested_blocks_know_outer_sites() -> None:
    with detect_anomaly() as outer:
        x = Value(1e-300, label="x")
        y = x * 1e308
        line = here() - 1  # the line above
        with detect_anomaly() as inner:
            assert inner.site_of(y) == site(line)
            z = y * 1.0
        assert outer.site_of(z) is None  # made in the inner block, forgotten when it ended
    assert outer.site_of(y) is None  # and the outer one forgets on exit


def test_nothing_is_recorded_or_checked_outside() -> None:
    calls = {"node": 0, "edge": 0}
    d = detect_anomaly()
    original_node, original_edge = d.node, d.edge

    def counting_node(*args: Any) -> Value:
        calls["node"] += 1
        return original_node(*args)

    def counting_edge(*args: Any) -> None:
        calls["edge"] += 1
        original_edge(*args)

    d.node = counting_node  # type: ignore[method-assign]
    d.edge = counting_edge  # type: ignore[method-assign]
    with d:
        y = Value(2.0) * 3.0 + 1.0
        y.backward()
    assert calls == {"node": 2, "edge": 4}  # two nodes made, four edges checked
    assert engine.recording.get() is True  # back to plain recording
    assert d._sites == {}  # the nodes (and their graphs) are let go
    z = Value(1e200) * 1e200  # outside: IEEE rules, no error
    z.backward()
    assert z.data == math.inf
    assert calls == {"node": 2, "edge": 4}


def test_decorator_form() -> None:
    @detect_anomaly()
    def step(x: float) -> Value:
        return Value(x) * 1e300

    assert step(1.0).data == 1e300
    with pytest.raises(AnomalyError):
        step(1e300)
    assert engine.recording.get() is True


def test_anomaly_mode_belongs_to_one_thread() -> None:
    inside = threading.Event()
    other_done = threading.Event()
    seen: dict[str, object] = {}

    def other() -> None:
        inside.wait(5)
        y = Value(1e200) * 1e200  # this thread is not in anomaly mode
        seen["data"] = y.data
        seen["state"] = engine.recording.get()
        other_done.set()

    t = threading.Thread(target=other)
    t.start()
    with detect_anomaly():
        inside.set()
        assert other_done.wait(5)
        with pytest.raises(AnomalyError):
            Value(1e200) * 1e200
    t.join(5)
    assert seen == {"data": math.inf, "state": True}


def test_site_inside_nn_is_the_users_line_with_the_library_line_after_it() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[0].w[0].data = 1e300
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        line = here() + 1  # the line below
        model([1e10, 0.0])
    e = info.value
    assert e.op == "dot" and e.site is not None
    assert e.site.startswith(site(line) + " (in module.py:")
