"""Refusals that change nothing, tools that do not refuse what backward() accepts, and clear kinds.

* **Validate everything, then mutate.** A table of refused optimizer steps and refused ``fit``
  calls (the trouble in the last mini-batch, in a target the default metric cannot score, in a
  dict given as data...): each raises the documented error, and every parameter's data and
  gradient, every buffer and the optimizer's state are as they were.
* **No wrong refusals.** Graphs where a local derivative has no float value (sqrt's slope at 0)
  but the gradient reaching it is 0, so ``backward()`` succeeds: every tool succeeds too and
  agrees with it. Where ``backward()`` raises, the tools raise the same error.
* **Cycles.** A ``_prev`` edited into a cycle: every tool raises a ValueError saying so.
* **Kinds.** NumPy numbers are numbers everywhere; a gradient set to None gets the optimizers'
  message from every tool; a formula may start with ``-o`` on the command line.
* **Silent numbers.** The accuracy of NaN predictions is NaN; a diverging run gives the same
  history with ``vectorize=True`` as without.
"""

from __future__ import annotations

import math
import random
import re
import shutil
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
import nn
from autograd import Value, backward_steps, explain, formula, grad, jvp
from autograd.core.ops import ADD
from autograd.core.walk import local_numbers
from autograd.see.draw import draw_dot
from nn.train import accuracy
from tests.support.helpers import named_buffers, run_cli, same
from tests.support.lecture import lecture_L

INTERNAL = (AttributeError, KeyError, IndexError, RecursionError)


# -- a refused call changes nothing -------------------------------------------------------------


def snapshot(model: nn.Module, opt: Any = None) -> tuple[Any, ...]:
    params = [(p.data, p.grad) for p in model.parameters()]
    buffers = [list(xs) for _, xs in named_buffers(model)]
    state = None if opt is None else (opt.steps, *(list(getattr(opt, k)) for k in ("velocity", "m", "v")
                                                   if hasattr(opt, k)))
    return params, buffers, state


def trained(opt_factory: Callable[[list[Value]], Any]) -> tuple[nn.MLP, Any]:
    """A model and an optimizer that has taken two steps (so its state is not all zeros)."""
    model = nn.MLP(2, [3, 1], seed=0)
    opt = opt_factory(model.parameters())
    for _ in range(2):
        opt.zero_grad()
        (model([1.0, -2.0]) ** 2).backward()
        opt.step()
    return model, opt


OPTIMIZERS: dict[str, Callable[[list[Value]], Any]] = {
    "SGD": lambda ps: nn.optim.SGD(ps, lr=0.1),
    "SGD, momentum, decay": lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "Adam": lambda ps: nn.optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: nn.optim.Adam(ps, lr=0.1, weight_decay=0.1, decoupled_weight_decay=True),
}

#: name -> (what is done to the 6th parameter, the error, the message)
BAD_STATES: dict[str, tuple[Callable[[Value], None], type[BaseException], str]] = {
    "grad None": (lambda p: setattr(p, "grad", None), TypeError,
                  r"params\[5\] .* has grad None; expected a number \(run backward\(\) first"),
    "grad a str": (lambda p: setattr(p, "grad", "0.1"), TypeError, r"params\[5\] .* has grad '0.1'"),
    "data None": (lambda p: setattr(p, "data", None), TypeError, r"params\[5\] .* has data None; expected a"),
    "data a str": (lambda p: setattr(p, "data", "1"), TypeError, r"params\[5\] .* has data '1'"),
}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("state", list(BAD_STATES))
def test_a_refused_step_moves_no_parameter_and_no_moment(optimizer: str, state: str) -> None:
    model, opt = trained(OPTIMIZERS[optimizer])
    for i, p in enumerate(model.parameters()):
        p.grad = 0.1 * (i + 1)
    spoil, error, match = BAD_STATES[state]
    spoil(model.parameters()[5])
    before = snapshot(model, opt)
    with pytest.raises(error, match=match):
        opt.step()
    assert snapshot(model, opt) == before


def _model() -> nn.MLP:
    return nn.MLP(2, [3, 1], seed=0)


def _two_outputs() -> nn.MLP:
    return nn.MLP(2, [3, 2], seed=0)


X4 = [[0.1, 0.2], [0.3, -0.4], [-0.5, 0.6], [0.7, 0.8]]

#: name -> (model, X, y, fit's keywords, the error, the message)
RefusedFit = tuple[Callable[[], nn.Module], Any, Any, dict[str, Any], type[BaseException], str]
REFUSED_FITS: dict[str, RefusedFit] = {
    "two outputs, the default metric, regression targets": (
        _two_outputs, X4, [[0.5, 0.5]] * 4, {}, TypeError,
        r"accuracy: a target of a model with 2 outputs must be a class index 0\.\.1"),
    "two outputs, a class index out of range for accuracy": (
        _two_outputs, X4, [0, 1, 1, 2], {"loss": lambda p, t: p[0][0] * 0.0}, ValueError,
        r"accuracy: .* must be a class index 0\.\.1, got 2\.0"),
    "cross_entropy: a bad class in the last mini-batch": (
        _two_outputs, X4, [0, 1, 1, 7], {"loss": "cross_entropy", "batch_size": 1, "shuffle": False},
        ValueError, r"cross_entropy: a target must be a class index 0\.\.1, got 7"),
    "hinge: a bad label in the last mini-batch": (
        _model, X4, [1.0, -1.0, 1.0, 0.0], {"loss": "hinge", "batch_size": 2, "shuffle": False},
        ValueError, r"hinge: labels must be -1 or \+1, got 0\.0"),
    "mse: a str target in the last mini-batch": (
        _model, X4, [1.0, -1.0, 1.0, "1"], {"batch_size": 1, "shuffle": False}, TypeError,
        r"target must be a number, got str"),
    "a wider example in the last mini-batch": (
        _model, [*X4[:3], [1.0, 2.0, 3.0]], [1.0] * 4, {"batch_size": 1, "shuffle": False}, ValueError,
        r"fit: X\[3\]: MLP: expected 2 inputs, got 3"),
    "None in the last example": (
        _model, [*X4[:3], [1.0, None]], [1.0] * 4, {"batch_size": 2}, TypeError,
        r"fit: X\[3\]\[1\] must be a number or a Value, got NoneType"),
    "a dict as y": (_model, X4, dict(enumerate([1.0, -1.0, 1.0, -1.0])), {}, TypeError,
                    r"fit: y must be a list .*got dict"),
    "a dict as X": (_model, dict(enumerate(X4)), [1.0] * 4, {}, TypeError,
                    r"fit: X must be a list .*got dict"),
    "a dict as an example": (_model, [*X4[:3], {0: 1.0, 1: 2.0}], [1.0] * 4, {"batch_size": 2}, TypeError,
                             r"fit: X\[3\] must be a list .*got dict"),
    "a set as y": (_model, X4, {1.0, -1.0, 2.0, 3.0}, {}, TypeError, r"fit: y must be a list .*got set"),
    "epochs as a str": (_model, X4, [1.0] * 4, {"epochs": "3"}, TypeError, r"epochs must be an integer >= 0, "
                                                                            r"got str"),
    "batch_size 2.5": (_model, X4, [1.0] * 4, {"batch_size": 2.5}, TypeError,
                       r"batch_size must be a positive"),
    "l2 as a str": (_model, X4, [1.0] * 4, {"l2": "0.1"}, TypeError, r"l2 must be a finite number >= 0"),
    "an empty sequence for an RNN, last": (
        lambda: nn.RNN(1, 2, seed=0), [[1.0, 2.0], [0.5], []], [1.0, 0.0, 1.0], {"batch_size": 1,
                                                                                 "metrics": ()},
        ValueError, r"fit: X\[2\]: RNN: the sequence is empty"),
}


@pytest.mark.parametrize("name", list(REFUSED_FITS))
def test_a_refused_fit_changes_nothing(name: str) -> None:
    make, X, y, options, error, match = REFUSED_FITS[name]
    model = make()
    opt = nn.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    for i, p in enumerate(model.parameters()):
        p.grad = 0.25 * i
    before = snapshot(model, opt)
    with pytest.raises(error, match=match) as info:
        nn.fit(model, X, y, optimizer=opt, **{"epochs": 2, "progress": False, **options})
    assert not isinstance(info.value, INTERNAL)
    # the message names what was wrong, from where: none is a bare Python message
    assert re.match(r"(fit|accuracy|cross_entropy|hinge|mse): ", str(info.value)), str(info.value)
    assert snapshot(model, opt) == before


# -- accuracy and the metrics ----------------------------------------------------------------

NAN, INF = math.nan, math.inf
ACCURACY: dict[str, tuple[list[Any], list[Any], float]] = {
    "all NaN": ([NAN] * 4, [1.0, -1.0, 1.0, -1.0], NAN),
    "one NaN": ([1.0, NAN, 1.0, -1.0], [1.0, -1.0, 1.0, -1.0], NAN),
    "infinities": ([INF, -INF, INF, -INF], [1.0, -1.0, -1.0, -1.0], 0.75),
    "logits with a NaN": ([[0.1, NAN], [0.2, 0.1]], [1, 0], NAN),
    "logits with infinities": ([[INF, 0.0], [-INF, 0.0]], [0, 1], 1.0),
    "class indices as floats": ([[0.1, 0.9], [0.8, 0.2]], [1.0, 0.0], 1.0),
    "Values as predictions": ([Value(1.0), Value(-2.0)], [1.0, 1.0], 0.5),
    "no predictions": ([], [], NAN),
}


@pytest.mark.parametrize("name", list(ACCURACY))
def test_accuracy_on_special_values(name: str) -> None:
    predictions, targets, expected = ACCURACY[name]
    got = accuracy(predictions, targets)
    assert got == expected or (math.isnan(got) and math.isnan(expected))


@pytest.mark.parametrize("predictions, targets, error, match", [
    ([[0.1, 0.9]], [[0.0, 1.0]], TypeError, r"must be a class index 0\.\.1"),
    ([[0.1, 0.9]], [0.5], ValueError, r"class index 0\.\.1, got 0\.5"),
    ([0.1], ["1"], TypeError, r"a target must be a number \(a label\), got str"),
    ({0: 0.1}, [1.0], TypeError, r"accuracy: predictions must be a list .*got dict"),
    ([0.1, 0.2], [1.0], ValueError, r"got 2 predictions but 1 targets"),
])
def test_accuracy_refuses_targets_it_cannot_score(predictions: Any, targets: Any, error: type,
                                                  match: str) -> None:
    with pytest.raises(error, match=match):
        accuracy(predictions, targets)


def test_the_mse_metric_of_a_diverged_model_is_inf_not_an_error() -> None:
    assert nn.train.METRICS["mse"]([1e200, -1e200], [0.0, 0.0]) == INF


# -- local derivatives without a float value, where backward() does not need them -------------


def _zero_times_sqrt() -> tuple[Value, Value]:
    x = Value(0.0, label="x")
    return Value(0.0, label="z") * x.sqrt(), x


def _relu_gate() -> tuple[Value, Value]:
    x = Value(0.0, label="x")
    return Value(-1.0, label="u").relu() * x.sqrt() + x * 2.0, x


def _power_half() -> tuple[Value, Value]:
    x = Value(0.0, label="x")
    return (x ** 0.5) * 0.0 + x, x


def _pow_of_values() -> tuple[Value, Value]:
    a, b = Value(0.0, label="a"), Value(0.5, label="b")
    return (a ** b) * 0.0, a


def _negative_base() -> tuple[Value, Value]:
    a, b = Value(-2.0, label="a"), Value(2.0, label="b")
    return (a ** b) * 0.0 + a, a


UNUSED_SLOPES: dict[str, Callable[[], tuple[Value, Value]]] = {
    "0 * sqrt(x) at 0": _zero_times_sqrt,
    "relu(-1) * sqrt(x) + 2x at 0": _relu_gate,
    "x ** 0.5 * 0 + x at 0": _power_half,
    "(a ** b) * 0 at a = 0, b = 0.5": _pow_of_values,
    "(a ** b) * 0 + a at a = -2, b = 2": _negative_base,
}


@pytest.mark.parametrize("name", list(UNUSED_SLOPES))
def test_every_tool_works_where_backward_does_and_agrees_with_it(name: str) -> None:
    out, x = UNUSED_SLOPES[name]()
    out.label = "L"
    out.backward()
    want = x.grad
    e = explain(out, x)
    assert e.gradient == e.backward_gradient == want
    assert str(e) and e._repr_markdown_() and e._repr_latex_()
    assert jvp(out, {x: 1.0}) == want  # forward mode: the same number
    assert grad(out, [x]) == [want]
    # the last step into x leaves x.grad as backward() does; where x's gradient is 0 here, it is because
    # the one node above x has gradient 0, and (as documented) such a node passes nothing on: no step
    into_x = [s.parent_grad for s in backward_steps(out) if s.parent is x]
    assert into_x[-1:] == ([want] if want != 0.0 else [])
    assert "∂/∂" in draw_dot(out, edge_labels=True).source
    assert formula(out).text
    assert e.paths  # every graph here has a path from the output down to x
    slopes = [v.local for path in e.paths for v in path]
    assert slopes and all(isinstance(d, float) for d in slopes)


@pytest.mark.parametrize("name", list(UNUSED_SLOPES))
def test_the_undefined_slope_is_shown_as_ieee_gives_it(name: str) -> None:
    out, _ = UNUSED_SLOPES[name]()
    failing = [v for v in _nodes(out) if v._prev and _fails(v)]
    assert failing, "the graph holds a node whose rule has no float value"
    for v in failing:
        shown = local_numbers(v)  # inf for a slope 1/0, nan for the log of a negative base
        assert any(math.isinf(d) or math.isnan(d) for d in shown)
        with pytest.raises((ArithmeticError, ValueError)):
            local_numbers(v, strict=True)


def _nodes(out: Value) -> list[Value]:
    from autograd import topological_order
    return topological_order(out)


def _fails(v: Value) -> bool:
    try:
        local_numbers(v, strict=True)
    except (ArithmeticError, ValueError):
        return True
    return False


def test_where_backward_needs_the_slope_the_tools_raise_as_it_does() -> None:
    x = Value(0.0, label="x")
    y = x.sqrt()
    with pytest.raises(ZeroDivisionError, match="sqrt: in the backward pass"):
        y.backward()
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        explain(y, x)
    with pytest.raises(ZeroDivisionError, match="jvp: sqrt"):
        jvp(y, {x: 1.0})
    assert jvp(y, {x: 0.0}) == 0.0  # no tangent reaches it: nothing to multiply
    assert "∂/∂x = inf" in draw_dot(y, edge_labels=True).source  # a picture shows the slope


def test_plot_derivative_leaves_a_gap_where_there_is_no_slope() -> None:
    pytest.importorskip("matplotlib")
    from autograd.see.plot import plot_derivative

    fig = plot_derivative(lambda v: v.sqrt(), (0.0, 1.0), num=5, at=0.0)
    ys = fig.axes[1].lines[0].get_ydata()
    assert math.isnan(ys[0]) and all(math.isfinite(y) for y in ys[1:])
    # where backward() never needs sqrt's slope (times 0), there is no gap: f' is 0 everywhere, at 0 too
    fig = plot_derivative(lambda v: v.sqrt() * 0.0, (0.0, 1.0), num=5, at=0.0)
    assert list(fig.axes[1].lines[0].get_ydata()) == [0.0] * 5
    assert list(fig.axes[1].lines[-1].get_ydata()) == [0.0]  # the engine's slope at x = 0
    assert fig.axes[1].lines[-1].get_label().startswith("f'(0) = 0 (backward)")


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_the_command_line_draws_and_explains_a_slope_backward_never_uses(tmp_path: Any) -> None:
    code, out, err = run_cli(["draw", "sqrt(x)*0", "x=0", "--edge-labels", "-o", str(tmp_path / "g.svg")])
    assert code == 0 and err == "", err
    code, out, err = run_cli(["explain", "sqrt(x)*0", "x=0", "--wrt", "x"])
    assert code == 0 and "∂sqrt(x)/∂x = inf" in out and "= 0" in out, err


# -- cycles ----------------------------------------------------------------------------------


def cyclic() -> tuple[Value, Value]:
    """c = b + 1 with b = a * 2, and a's _prev edited to hold b: a cycle a -> b -> a."""
    a = Value(1.0, label="a")
    b = a * 2
    b.label = "b"
    a._prev, a._op = (b, Value(1.0)), ADD
    c = b + 1
    c.label = "c"
    return c, b


def _play(out: Value) -> Any:
    from autograd import play
    return play(out)


CYCLE_TOOLS: dict[str, Callable[[Value, Value], Any]] = {
    "formula": lambda c, b: formula(c),
    "explain": lambda c, b: explain(c, b),
    "draw_dot": lambda c, b: draw_dot(c),
    "draw_dot, collapsed": lambda c, b: draw_dot(c, collapse="neuron"),
    "draw_dot, blocks": lambda c, b: draw_dot(c, view="blocks"),
    "explain by block": lambda c, b: explain(c, b, by="block"),
    "jvp": lambda c, b: jvp(c, {}),
    "backward_steps": lambda c, b: backward_steps(c),
    "play": lambda c, b: _play(c),
    "layer_gradients": lambda c, b: nn.inspect.layer_gradients(nn.MLP(1, [1], seed=0), c),
}


@pytest.mark.parametrize("tool", list(CYCLE_TOOLS))
def test_every_tool_refuses_a_cycle_with_a_value_error(tool: str) -> None:
    c, b = cyclic()
    with pytest.raises(ValueError, match=r"the graph has a cycle: .*through _prev") as info:
        CYCLE_TOOLS[tool](c, b)
    assert not isinstance(info.value, INTERNAL)


# -- kinds: NumPy numbers, None gradients, formulas that start with -o -------------------------

#: How a case spells a number: ``n(2, np.int32)`` is np.int32(2) in NumPy, and 2 in plain Python.
Spell = Callable[[Any, Callable[[Any], Any]], Any]


def _numpy(x: Any, kind: Callable[[Any], Any]) -> Any:
    return kind(x)


def _python(x: Any, kind: Callable[[Any], Any]) -> Any:
    return kind(x).tolist()  # the very same number (np.float32(0.01) is not 0.01), as an int, float or list


def _fit(X: Any, y: Any, **options: Any) -> tuple[Any, ...]:
    model = _model()
    history = nn.fit(model, X, y, progress=False, **options)
    return history.loss, history.metrics, model.state_dict()


def _lecture() -> tuple[Value, Value]:
    """The lecture's L and its leaf a (one graph: each call of lecture_L builds a new one)."""
    L, (a, *_) = lecture_L()
    return L, a


def _lecture_jvp(n: Spell) -> float:
    L, a = _lecture()
    return jvp(L, {a: n(0.5, np.float32)})  # a tangent on the graph's own leaf a


#: name -> the call, its numbers spelt by ``n``; each returns what it made, to compare
NUMPY_KINDS: dict[str, Callable[[Spell], Any]] = {
    "fit: epochs, batch_size, l2": lambda n: _fit(X4, [1.0, -1.0, 1.0, -1.0], epochs=n(2, np.int64),
                                                  batch_size=n(2, np.int32), l2=n(0.01, np.float32)),
    "make_moons: n, noise": lambda n: nn.data.make_moons(n(10, np.int64), noise=n(0.1, np.float32), seed=0),
    "make_spirals: n, classes": lambda n: nn.data.make_spirals(n(9, np.int64), classes=n(3, np.int64),
                                                               seed=0),
    "make_spirals: turns": lambda n: nn.data.make_spirals(9, classes=3, turns=n(0.5, np.float32), seed=0),
    "make_circles: factor": lambda n: nn.data.make_circles(8, factor=n(0.5, np.float32), seed=0),
    "make_blobs: centers": lambda n: nn.data.make_blobs(8, centers=n(3, np.int64), seed=0),
    "make_blobs: n": lambda n: nn.data.make_blobs(n(8, np.int64), centers=3, seed=0),
    "make_circles: n": lambda n: nn.data.make_circles(n(8, np.int64), seed=0),
    "make_line: n, m, b, noise": lambda n: nn.data.make_line(n(5, np.int64), m=n(2.5, np.float32),
                                                             b=n(-1.0, np.float64), noise=n(0.5, np.float32),
                                                             seed=0),
    "train_test_split: test_size": lambda n: nn.data.train_test_split(X4, [1, 2, 3, 4],
                                                                      test_size=n(0.5, np.float32)),
    "train_test_split: a count": lambda n: nn.data.train_test_split(X4, [1, 2, 3, 4],
                                                                    test_size=n(1, np.int64)),
    "batches: batch_size": lambda n: list(nn.data.batches(X4, [1, 2, 3, 4], batch_size=n(3, np.int64))),
    "explain: max_paths": lambda n: str(explain(*_lecture(), max_paths=n(0, np.int64))),  # 0: too many paths
    "formula: max_chars": lambda n: formula(lecture_L()[0], max_chars=n(15, np.int64)).text,  # just fits
    "draw_dot: max_nodes": lambda n: draw_dot(lecture_L()[0], max_nodes=n(7, np.int64)).source,  # just fits
    "jvp: a tangent": _lecture_jvp,
    "X as a NumPy array": lambda n: _fit(n(X4, np.array), n([1.0, -1.0, 1.0, -1.0], np.array), epochs=2),
}


@pytest.mark.parametrize("name", list(NUMPY_KINDS))
def test_numpy_numbers_are_numbers_everywhere(name: str) -> None:
    """The call with NumPy numbers gives what it gives with the same numbers in plain Python."""
    random.seed(0)  # (shuffles without a seed draw from the global generator)
    got = NUMPY_KINDS[name](_numpy)
    random.seed(0)
    want = NUMPY_KINDS[name](_python)
    assert got == want
    assert _kinds(got) == _kinds(want)  # plain numbers out, too: no NumPy scalar leaks into the results


def _kinds(x: Any) -> Any:
    """The type of every number in ``x``, in the shape of ``x`` (lists, tuples and dicts kept)."""
    if isinstance(x, (list, tuple)):
        return type(x).__name__, [_kinds(v) for v in x]
    if isinstance(x, dict):
        return {k: _kinds(v) for k, v in x.items()}
    return type(x).__name__


def test_jvp_takes_a_numpy_tangent_on_a_leaf_of_the_graph() -> None:
    """L = (a*b + c) * f at a = 2, b = -3, c = 10, f = -2: dL/da = b * f = 6, so a tangent 0.5 gives 3."""
    assert _lecture_jvp(_numpy) == 3.0
    assert _lecture_jvp(_python) == 3.0


WRONG_KINDS: dict[str, tuple[Callable[[], Any], str]] = {
    "mse(a dict, ...)": (lambda: nn.losses.mse({0: 1.0}, [1.0]),
                         r"mse: predictions must be a Value, a number or a list of them, got dict"),
    "cross_entropy(a set of logits, ...)": (lambda: nn.losses.cross_entropy({1.0, 2.0}, 0),
                                            r"cross_entropy: logits must be a Value, a number or a list"),
    "make_moons(n='5')": (lambda: nn.data.make_moons("5"), r"make_moons: n must be an integer >= 2, got str"),
    "make_line(x_range=dict)": (lambda: nn.data.make_line(x_range={0: 1.0, 1: 2.0}),
                                r"x_range must be a pair"),
    "make_blobs(centers=dict)": (lambda: nn.data.make_blobs(4, centers={(0.0,): 1, (1.0,): 2}),
                                 r"centers must be an integer or a list of points, got dict"),
    "batches(X=dict)": (lambda: list(nn.data.batches({0: [1.0]}, [1.0])), r"batches: X must be a list"),
    "train_test_split(y=str)": (lambda: nn.data.train_test_split(["a", "b"], "ab"),
                                r"train_test_split: y must be a list"),
    "draw_network(x=dict)": (lambda: nn.draw_network(nn.MLP(2, [1], seed=0), x={0: 1.0, 1: 2.0}),
                             r"x must be a list of 2 numbers"),
    "explain(max_paths='3')": (lambda: explain(*_lecture(), max_paths="3"),
                               r"max_paths must be an integer >= 0"),
    "formula(max_chars=True)": (lambda: formula(lecture_L()[0], max_chars=True),
                                r"max_chars must be a positive"),
    "draw_dot(edge_labels='no')": (lambda: draw_dot(lecture_L()[0], edge_labels="no"),
                                   r"edge_labels must be True or False"),
    "decision_boundary(X=dict)": (lambda: nn.plot.decision_boundary(nn.MLP(2, [1], seed=0), {0: [1.0, 2.0]},
                                                                    [1.0]), r"X must be a list"),
}


@pytest.mark.parametrize("name", list(WRONG_KINDS))
def test_the_wrong_kind_is_a_type_error_naming_the_argument(name: str) -> None:
    if name.startswith("decision_boundary"):
        pytest.importorskip("matplotlib")
    call, match = WRONG_KINDS[name]
    with pytest.raises(TypeError, match=match):
        call()


USUAL = r"has grad None; expected a number \(run backward\(\) first, or set it to 0\.0\)"


def _none_grad_model() -> nn.MLP:
    model = nn.MLP(2, [2, 1], seed=0)
    model.parameters()[1].grad = None
    return model


def _tracked(model: nn.MLP) -> Value:
    with autograd.track_blocks():
        out: Value = model([1.0, 2.0])
    return out


NONE_GRAD: dict[str, Callable[[], Any]] = {
    "SGD.step": lambda: nn.optim.SGD(_none_grad_model(), lr=0.1).step(),
    "Adam.step": lambda: nn.optim.Adam(_none_grad_model()).step(),
    "clip_grad_norm": lambda: nn.optim.clip_grad_norm(_none_grad_model(), 1.0),
    "clip_grad_value": lambda: nn.optim.clip_grad_value(_none_grad_model(), 1.0),
    "draw_dot": lambda: draw_dot(_none_grad_model()([1.0, 2.0])),
    "draw_dot, blocks": lambda: draw_dot(_tracked(_none_grad_model()), view="blocks"),
    "draw_network, weights": lambda: nn.draw_network(_none_grad_model()),
    "draw_network, grads": lambda: nn.draw_network(_none_grad_model(), show="grad"),
    "layer_gradients": lambda: nn.inspect.layer_gradients(_none_grad_model()),
}


@pytest.mark.parametrize("tool", list(NONE_GRAD))
def test_a_gradient_set_to_none_gets_the_usual_message_from_every_tool(tool: str) -> None:
    with pytest.raises(TypeError, match=USUAL):
        NONE_GRAD[tool]()


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("fused", [True, False])
def test_backward_names_a_gradient_set_to_none(create_graph: bool, fused: bool) -> None:
    model = nn.MLP(2, [2, 1], seed=0, fused=fused)
    model.parameters()[1].grad = None
    with pytest.raises(TypeError, match=r"backward: 'layers\.0\.neurons\.0\.w\.1' has grad None; expected a "
                                        r"number to add to \(set it to 0\.0, or call zero_grad\(\)\)"):
        model([1.0, 2.0]).backward(create_graph=create_graph)


def test_the_displays_show_a_none_gradient_as_it_is() -> None:
    model = _none_grad_model()
    assert "None" in repr(model.parameter_table()) and "None" in model.parameter_table()._repr_html_()
    v = Value(1.0)
    v.grad = None
    assert "grad None" in v._repr_html_()
    fresh = nn.MLP(2, [2, 1], seed=0)
    fresh.parameters()[1].grad = None
    nn.fit(fresh, X4, [1.0, -1.0, 1.0, -1.0], epochs=1, progress=False)  # fit clears gradients first
    assert isinstance(fresh.parameters()[1].grad, float)


@pytest.mark.parametrize("formula_text, values, expected", [
    ("-offset*x", ["offset=1", "x=2"], "L = -offset*x = -2"),
    ("-o*x", ["o=3", "x=2"], "L = -o*x = -6"),
    ("-help", ["help=2"], "L = -help = -2"),
    ("-h*o", ["h=1", "o=5"], "L = -h*o = -5"),
    ("-x", ["x=2"], "L = -x = -2"),
])
def test_a_formula_may_start_with_minus_o_or_minus_h(tmp_path: Any, formula_text: str, values: list[str],
                                                    expected: str) -> None:
    code, out, err = run_cli(["explain", formula_text, *values, "--wrt", values[0].split("=")[0]])
    assert code == 0, err
    assert out.splitlines()[0] == expected


def test_the_glued_output_option_still_works_after_the_formula(tmp_path: Any) -> None:
    if shutil.which("dot") is None:
        pytest.skip("needs Graphviz's dot")
    target = tmp_path / "g.svg"
    code, out, err = run_cli(["draw", "-a*b", "a=1", "b=2", f"-o{target}"])
    assert code == 0 and target.exists(), err


# -- a diverging run: the same history on the tape as in the scalar engine ----------------------

DIVERGING = {
    "full batch, mse, lr 50": ({"loss": "mse"}, 50.0),
    "full batch, hinge, lr 1e100": ({"loss": "hinge"}, 1e100),
    "mini-batches, hinge, lr 1e3": ({"loss": "hinge", "batch_size": 5}, 1e3),
    "mini-batches, hinge, lr 1e100": ({"loss": "hinge", "batch_size": 5}, 1e100),
}


@pytest.mark.parametrize("case", list(DIVERGING))
def test_a_diverging_run_gives_the_same_history_vectorized(case: str) -> None:
    options, lr = DIVERGING[case]
    X, y = nn.data.make_moons(20, seed=0)
    histories = []
    for vectorize in (False, True):
        model = nn.MLP(2, [8, 1], seed=0)
        h = nn.fit(model, X, y, optimizer=nn.optim.SGD(model.parameters(), lr=lr), epochs=40, progress=False,
                   metrics=("accuracy", "mse"), seed=0, vectorize=vectorize, **options)
        histories.append(h)
    scalar, tape = histories
    # within 1e-9 of the scalar engine's number (NaN where NaN, the same infinity where infinite)
    assert same(tape.loss, scalar.loss, rtol=1e-9), (scalar.loss[-3:], tape.loss[-3:])
    assert same(tape["mse"], scalar["mse"], rtol=1e-9)
    # accuracy counts signs: once the weights are huge, an output's sign is decided by rounding
    # (the tape sums in another order), so only where accuracy is NaN must agree exactly
    assert [a != a for a in scalar["accuracy"]] == [a != a for a in tape["accuracy"]]
    assert any(math.isnan(x) or math.isinf(x) or x > 1e10 for x in scalar.loss)  # it did diverge
