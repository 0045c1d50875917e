"""A catalogue of bad input: each case raises the documented error, says what was wrong, changes nothing.

Every case builds the objects it needs, names the Values it could damage
(parameters, graph nodes), calls the library wrongly, and then checks three
things:

1. the exception is the documented type (``TypeError`` for a wrong kind of
   thing, ``ValueError`` for a wrong value, the ``ArithmeticError`` family for
   numbers outside an op's domain, ``OSError`` for the file system) and never
   one of the internal-looking ``AttributeError``, ``KeyError``, ``IndexError``
   or ``RecursionError``;
2. the message matches a pattern naming what was wrong *and* what was expected;
3. every watched Value has the same data, gradient, parents, op and label as
   before the call.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import autograd
import nn
from autograd import Value, cli, detect_anomaly, dot, explain, grad, gradcheck, jvp, topological_order
from autograd.parse import FormulaError, parse
from autograd.see.draw import draw_dot
from autograd.see.player import play

INTERNAL = (AttributeError, KeyError, IndexError, RecursionError)

Call = Callable[[], Any]


def bad(x: Any) -> Any:
    """Pass ``x`` where a different type is expected (the type checker is told to look away)."""
    return x


@dataclass
class Case:
    """``build()`` returns the bad call and the Values that must come out of it unchanged."""

    build: Callable[[], tuple[Call, list[Value]]]
    error: type[BaseException]
    match: str


def alone(call: Call) -> Callable[[], tuple[Call, list[Value]]]:
    """A case that has no objects of its own to damage."""
    return lambda: (call, [])


def lecture() -> tuple[Value, list[Value]]:
    """micrograd's first example, L = (a*b + c)*f, and its leaves."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    return (a * b + c) * f, [a, b, c, f]


def with_graph(bad: Callable[[Value, list[Value]], Any]) -> Callable[[], tuple[Call, list[Value]]]:
    """A case that gets the lecture graph (every node of it is watched)."""

    def build() -> tuple[Call, list[Value]]:
        L, leaves = lecture()
        return (lambda: bad(L, leaves)), topological_order(L)

    return build


def with_model(bad: Callable[[nn.MLP], Any]) -> Callable[[], tuple[Call, list[Value]]]:
    """A case that gets a small seeded MLP (every parameter is watched)."""

    def build() -> tuple[Call, list[Value]]:
        model = nn.MLP(2, [3, 1], seed=0)
        for i, p in enumerate(model.parameters()):
            p.grad = 0.25 * i  # non-zero gradients, so that clearing one would show
        return (lambda: bad(model)), model.parameters()

    return build


def chain(n: int) -> Value:
    out = Value(0.0, label="x0")
    for i in range(n):
        out = out + Value(float(i))
    return out


# -- autograd: the engine ------------------------------------------------------------------

ENGINE: dict[str, Case] = {
    "Value('3')": Case(alone(lambda: Value("3")), TypeError, r"must be a real number .*got str: '3'"),
    "Value(None)": Case(alone(lambda: Value(None)), TypeError, r"must be a real number .*got NoneType"),
    "Value([1.0])": Case(alone(lambda: Value([1.0])), TypeError, r"must be a real number .*got list"),
    "Value(complex)": Case(alone(lambda: Value(1 + 2j)), TypeError, r"must be a real number .*got complex"),
    "Value(bytes)": Case(alone(lambda: Value(b"1")), TypeError, r"must be a real number .*got bytes"),
    "Value(Value)": Case(
        alone(lambda: Value(Value(1.0))), TypeError, r"must be a number, got a Value; use its \.data"
    ),
    "Value(10**400)": Case(
        alone(lambda: Value(10**400)), OverflowError, r"too large for a float .*expected at most"
    ),
    "Value + str": Case(
        with_graph(lambda L, _: L + "a"), TypeError, r"add: expected a number or a Value, got str: 'a'"
    ),
    "str * Value": Case(
        with_graph(lambda L, _: "a" * L), TypeError, r"mul: expected a number or a Value, got str"
    ),
    "Value / None": Case(
        with_graph(lambda L, _: L / None), TypeError, r"div: expected a number or a Value, got NoneType"
    ),
    "Value ** str": Case(
        with_graph(lambda L, _: L ** "2"), TypeError, r"pow: expected a number or a Value, got str"
    ),
    "log(0)": Case(alone(lambda: Value(0).log()), ValueError, r"log: expected an input > 0, got 0\.0"),
    "sqrt(-1)": Case(alone(lambda: Value(-1).sqrt()), ValueError, r"sqrt: expected an input >= 0, got -1\.0"),
    "(-8) ** (1/3)": Case(
        alone(lambda: Value(-8) ** (1 / 3)),
        ValueError,
        r"pow: -8\.0 \*\* 0\.333.* negative base needs an integer",
    ),
    "0 ** -1": Case(alone(lambda: Value(0) ** -1), ZeroDivisionError, r"pow: 0 \*\* -1\.0 .*non-zero base"),
    "exp(1000)": Case(
        alone(lambda: Value(1e3).exp()),
        OverflowError,
        r"exp: exp\(1000\.0\) overflows .*largest input is about 709",
    ),
    "x / 0": Case(
        alone(lambda: Value(1) / 0), ZeroDivisionError, r"div: division by zero .*must be non-zero"
    ),
    "10 ** 1000": Case(
        alone(lambda: Value(10.0) ** 1000), OverflowError, r"pow: 10\.0 \*\* 1000\.0 overflows"
    ),
    "(-2) ** Value(0.5)": Case(
        alone(lambda: Value(-2) ** Value(0.5)), ValueError, r"pow: -2\.0 \*\* 0\.5 is not real"
    ),
    "backward(1.0)": Case(
        with_graph(lambda L, _: L.backward(bad(1.0))),
        TypeError,
        r"create_graph must be True or False, got float.*no gradient argument",
    ),
    "grad(number)": Case(
        alone(lambda: grad(bad(1.0), [])), TypeError, r"grad: output must be a Value, got float"
    ),
    "grad(wrt number)": Case(
        with_graph(lambda L, _: grad(L, bad([1.0]))),
        TypeError,
        r"grad: inputs\[0\] must be a Value, got float",
    ),
    "dot lengths": Case(
        with_graph(lambda _, xs: dot(xs[:2], xs[:1])),
        ValueError,
        r"dot: expected ws and xs of the same length, got 2 .* 1",
    ),
    "dot str": Case(
        with_graph(lambda _, xs: dot(["a"], xs[:1])), TypeError, r"dot: expected a number or a Value, got str"
    ),
    "topological_order(3)": Case(
        alone(lambda: topological_order(bad(3))),
        TypeError,
        r"expected a Value, got int",
    ),
    "float(Value)": Case(
        with_graph(lambda L, _: float(bad(L))),
        TypeError,
        r"float\(v\) on a Value .*use its number, v\.data",
    ),
    "gradcheck(not callable)": Case(
        alone(lambda: gradcheck(bad(3), [1.0])),
        TypeError,
        r"gradcheck: f must be callable, got int",
    ),
    "gradcheck order 0": Case(
        alone(lambda: gradcheck(lambda x: x * x, [1.0], order=0)),
        ValueError,
        r"gradcheck: order must be a positive integer, got 0",
    ),
    "jvp(list)": Case(
        with_graph(lambda L, _: jvp(L, bad([1.0]))),
        TypeError,
        r"jvp: tangents must be a dict from Values to numbers, got list",
    ),
    "jvp(non-leaf)": Case(
        with_graph(lambda L, _: jvp(L, {L: 1.0})), ValueError, r"tangents may be given for leaves only"
    ),
    "anomaly: nan data": Case(
        alone(lambda: _in_anomaly_mode(lambda: Value(math.nan) * 2)),
        autograd.AnomalyError,
        r"mul produced nan .*input 0 was already nan",
    ),
}


def _in_anomaly_mode(f: Call) -> Any:
    with detect_anomaly():
        return f()


def _sqrt_at_zero_backward() -> tuple[Call, list[Value]]:
    x = Value(0.0, label="x")
    y = x.sqrt()
    return y.backward, [x]  # the leaf keeps its gradient: the rule fails before anything is added


def _pow_negative_base_backward() -> tuple[Call, list[Value]]:
    a, b = Value(-1.0, label="a"), Value(2.0, label="b")
    y = a**b
    return y.backward, [a, b]


ENGINE["backward: sqrt at 0"] = Case(_sqrt_at_zero_backward, ZeroDivisionError, r"sqrt: in the backward pass")
ENGINE["backward: pow exponent, base < 0"] = Case(
    _pow_negative_base_backward, ValueError, r"pow: the derivative .* needs a base >= 0"
)


def _traced(bad: Callable[[Any, nn.MLP], Any]) -> Callable[[], tuple[Call, list[Value]]]:
    """A case for the batch replay: a tape of a small model (its parameters are watched)."""

    def build() -> tuple[Call, list[Value]]:
        from autograd.replay import trace

        model = nn.MLP(2, [3, 1], seed=0)
        return (lambda: bad(trace, model)), model.parameters()

    return build


ENGINE["trace: not a function"] = Case(
    _traced(lambda trace, m: trace(3, 2)),
    TypeError,
    r"trace: fn must be a function of a list of inputs, got int",
)
ENGINE["trace: wrong n_inputs"] = Case(
    _traced(lambda trace, m: trace(m, 3)), ValueError, r"MLP: expected 2 inputs, got 3 \(while tracing"
)
ENGINE["tape: wrong columns"] = Case(
    _traced(lambda trace, m: trace(m, 2)([[1.0, 2.0, 3.0]])),
    ValueError,
    r"tape: expected X of shape \(batch, 2\), got shape \(1, 3\)",
)
ENGINE["trace: a Python branch on an input"] = Case(
    _traced(lambda trace, m: trace(lambda xs: m(xs) if xs[0] > 0 else m(xs[::-1]), 2)),
    TypeError,  # UntraceableError, a TypeError
    r"a comparison \(>\) of a traced value would be decided once.*Write the choice with ops instead",
)


# -- nn --------------------------------------------------------------------------------------

NN: dict[str, Case] = {
    "MLP(0, [1])": Case(
        alone(lambda: nn.MLP(0, [1])), ValueError, r"MLP: nin must be a positive integer, got 0"
    ),
    "MLP(2, [])": Case(
        alone(lambda: nn.MLP(2, [])), ValueError, r"MLP: nouts must list at least one layer size"
    ),
    "MLP(2, [2, 0])": Case(
        alone(lambda: nn.MLP(2, [2, 0])), ValueError, r"layer size .* positive integer, got 0"
    ),
    "MLP(2, 3)": Case(
        alone(lambda: nn.MLP(2, bad(3))), TypeError, r"nouts must be a list of layer sizes, got int"
    ),
    "MLP activation": Case(
        alone(lambda: nn.MLP(2, [1], activation="gelu")),
        ValueError,
        r"activation must be 'linear', .* or 'tanh', got 'gelu'",
    ),
    "Neuron(2.5)": Case(
        alone(lambda: nn.Neuron(bad(2.5))), TypeError,
        r"Neuron: nin must be a positive integer, got float: 2\.5"
    ),
    "model: wrong input count": Case(
        with_model(lambda m: m([1.0])), ValueError, r"MLP: expected 2 inputs, got 1"
    ),
    "model: a number, not a list": Case(
        with_model(lambda m: m(bad(5.0))), TypeError, r"MLP: expected a list of 2 inputs .*got float"
    ),
    "model: None among the inputs": Case(
        with_model(lambda m: m([None, 1.0])), TypeError, r"expected a number or a Value, got NoneType"
    ),
    "optimizer: no parameters": Case(
        alone(lambda: nn.optim.SGD([], lr=0.1)),
        ValueError,
        r"SGD: got no parameters .*expected a module or a non-empty",
    ),
    "optimizer: numbers, not Values": Case(
        alone(lambda: nn.optim.Adam([1.0, 2.0])), TypeError, r"Adam: params\[0\] must be a Value, got float"
    ),
    "optimizer: negative lr": Case(
        with_model(lambda m: nn.optim.SGD(m.parameters(), lr=-1)),
        ValueError,
        r"lr must be a finite number >= 0, got -1",
    ),
    "optimizer: nan lr": Case(
        with_model(lambda m: nn.optim.SGD(m, lr=math.nan)),
        ValueError,
        r"lr must be a finite number >= 0, got nan",
    ),
    "loss: lengths": Case(
        alone(lambda: nn.losses.mse([Value(1.0)], [1.0, 2.0])),
        ValueError,
        r"mse: got 1 predictions but 2 targets",
    ),
    "loss: empty": Case(
        alone(lambda: nn.losses.mse([], [])), ValueError, r"mse: needs at least one prediction"
    ),
    "loss: text target": Case(
        alone(lambda: nn.losses.hinge([Value(1.0)], ["a"])),
        TypeError,
        r"hinge: a target must be a number, got str",
    ),
    "cross_entropy: class out of range": Case(
        alone(lambda: nn.losses.cross_entropy([Value(1.0), Value(2.0)], 5)),
        ValueError,
        r"a target must be a class index 0\.\.1, got 5",
    ),
    "fit: unknown loss": Case(
        with_model(lambda m: nn.fit(m, [[1.0, 2.0]], [1.0], loss="nope", progress=False)),
        ValueError,
        r"fit: unknown loss 'nope'; use one of",
    ),
    "fit: wrong example width": Case(
        with_model(lambda m: nn.fit(m, [[1.0, 2.0, 3.0]], [1.0], epochs=1, progress=False)),
        ValueError,
        r"expected 2 inputs, got 3",
    ),
    "load_state_dict: NaN": Case(
        with_model(lambda m: m.load_state_dict({**m.state_dict(), "layers.1.neurons.0.b": math.nan})),
        ValueError,
        r"'layers\.1\.neurons\.0\.b' must be a finite number, got nan",
    ),
    "load_state_dict: missing names": Case(
        with_model(lambda m: m.load_state_dict({})),
        ValueError,
        r"parameter names do not match the model: missing",
    ),
    "make_moons(0)": Case(
        alone(lambda: nn.data.make_moons(0)), ValueError, r"make_moons: n must be an integer >= 2"
    ),
}


# -- rendering and the chain-rule views ---------------------------------------------------

RENDERING: dict[str, Case] = {
    "draw_dot(3)": Case(
        alone(lambda: draw_dot(bad(3))), TypeError, r"draw_dot: root must be a Value, got int"
    ),
    "draw_dot rankdir": Case(
        with_graph(lambda L, _: draw_dot(L, rankdir="XY")),
        ValueError,
        r"rankdir must be 'LR', 'TB'.*got 'XY'",
    ),
    "draw_dot color": Case(
        with_graph(lambda L, _: draw_dot(L, color="red")),
        ValueError,
        r"color must be None or 'grad', got 'red'",
    ),
    "draw_dot too big": Case(
        lambda: (lambda big: ((lambda: draw_dot(big, max_nodes=10)), topological_order(big)))(chain(30)),
        ValueError,
        r"the graph has 61 values, more than max_nodes=10; pass collapse='neuron'",
    ),
    "explain(number)": Case(
        with_graph(lambda _, xs: explain(bad(1.0), xs[0])),
        TypeError,
        r"explain: output must be a Value, got float",
    ),
    "explain(wrt name)": Case(
        with_graph(lambda L, _: explain(L, bad("a"))),
        TypeError,
        r"explain: wrt must be a Value, got str",
    ),
    "explain max_paths": Case(
        with_graph(lambda L, xs: explain(L, xs[0], max_paths=-1)),
        ValueError,
        r"max_paths must be an integer >= 0",
    ),
    "backward_steps(str)": Case(
        alone(lambda: list(autograd.backward_steps(bad("L")))),
        TypeError,
        r"backward_steps: output must be a Value",
    ),
    "play interval": Case(
        with_graph(lambda L, _: play(L, interval=0)),
        ValueError,
        r"interval must be a finite number > 0",
    ),
    "formula(3)": Case(
        alone(lambda: autograd.formula(bad(3))), TypeError, r"formula: v must be a Value, got int"
    ),
}


# -- the formula parser and the command line ---------------------------------------------

PARSER: dict[str, Case] = {
    "__import__": Case(
        alone(lambda: parse("__import__('os')")), FormulaError, r"not allowed: the name __import__"
    ),
    "attribute": Case(
        alone(lambda: parse("().__class__")), FormulaError, r"not allowed: attribute access \(expected"
    ),
    "lambda": Case(
        alone(lambda: parse("lambda: 1")), FormulaError, r"not allowed: lambdas \(expected numbers"
    ),
    "9**9**9": Case(
        alone(lambda: parse("9**9**9")), FormulaError, r"too large: a constant exponent must lie within"
    ),
    "empty": Case(alone(lambda: parse("")), FormulaError, r"the formula is empty \(expected something like"),
    "not a str": Case(
        alone(lambda: parse(bad(3))), TypeError, r"parse: expected the formula as a str, got int"
    ),
    "unclosed": Case(alone(lambda: parse("(a")), FormulaError, r"not a formula: '\(' was never closed"),
    "evaluate: missing value": Case(
        alone(lambda: parse("a*b").evaluate({"a": 1.0})),
        FormulaError,
        r"no value given for b \(the formula uses a, b\)",
    ),
    "evaluate: log(0)": Case(
        alone(lambda: parse("log(a)").evaluate({"a": 0.0})),
        FormulaError,
        r"cannot compute log\(a\): log: expected an input > 0",
    ),
}


def run_cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(argv)
    return code, err.getvalue()


# argv -> (exit status, pattern the one-line message on stderr must match)
CLI: dict[str, tuple[list[str], int, str]] = {
    "unfinished formula": (["draw", "a*"], 2, r"in the formula: not a formula: .*ends too soon"),
    "log of 0": (["draw", "log(a)", "a=0"], 1, r"log: expected an input > 0, got 0\.0"),
    "wrt not in the formula": (
        ["explain", "a*b", "a=1", "b=2", "--wrt", "c"],
        2,
        r"no name c \(its names are a, b\)",
    ),
    "value not a number": (["draw", "a*b", "a=x", "b=1"], 2, r"the value of a must be a number, got 'x'"),
    "nan value": (["draw", "a", "a=nan"], 2, r"the value of a must be a finite number"),
    "code in the formula": (["draw", "__import__('os').system('true')"], 2, r"not allowed: attribute access"),
    "unknown command": (["nope"], 2, r"invalid choice: 'nope' \(choose from"),
}


# -- model files -----------------------------------------------------------------------------


def _load_text(tmp: Path, name: str, text: str | bytes) -> Call:
    path = tmp / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return lambda: nn.load(path)


def model_file_cases(tmp: Path) -> dict[str, tuple[Call, type[BaseException], str]]:
    good = nn.MLP(2, [1], seed=0)
    doc: dict[str, Any] = {
        "format": "chainrule.nn",
        "version": 1,
        "architecture": {"type": "MLP", **good.config()},
        "parameters": good.state_dict(),
    }
    return {
        "missing file": (lambda: nn.load(tmp / "absent.json"), FileNotFoundError, r"No such file"),
        "python source": (
            _load_text(tmp, "source.json", "import os\nos.system('true')\n"),
            ValueError,
            r"invalid or truncated JSON",
        ),
        "a pickle": (_load_text(tmp, "pickle.json", pickle.dumps(good)), ValueError, r"not UTF-8 text"),
        "type names a callable": (
            _load_text(
                tmp, "eval.json", json.dumps({**doc, "architecture": {**doc["architecture"], "type": "eval"}})
            ),
            ValueError,
            r"unknown architecture type 'eval'; expected one of",
        ),
        "save a Value": (
            lambda: nn.save(bad(Value(1.0)), tmp / "v.json"),
            TypeError,
            r"save: expected one of the kinds a model file holds \(nn\.Neuron, .*\), got Value",
        ),
    }


# -- the tests -------------------------------------------------------------------------------

ALL = {
    **{f"engine: {k}": v for k, v in ENGINE.items()},
    **{f"nn: {k}": v for k, v in NN.items()},
    **{f"render: {k}": v for k, v in RENDERING.items()},
    **{f"parse: {k}": v for k, v in PARSER.items()},
}


def snapshot(values: list[Value]) -> list[tuple[Any, ...]]:
    return [(v.data, v.grad, v._prev, v._op, v.label) for v in values]


def test_the_catalogue_is_big_enough(tmp_path: Path) -> None:
    assert len(ALL) + len(CLI) + len(model_file_cases(tmp_path)) >= 40


@pytest.mark.parametrize("name", list(ALL))
def test_bad_input_raises_the_documented_error_and_changes_nothing(name: str) -> None:
    case = ALL[name]
    call, watched = case.build()
    before = snapshot(watched)
    with pytest.raises(Exception) as info:
        call()
    e = info.value
    assert not isinstance(e, INTERNAL), f"{name}: an internal {type(e).__name__}: {e}"
    assert isinstance(e, case.error), f"{name}: expected {case.error.__name__}, got {type(e).__name__}: {e}"
    assert re.search(case.match, str(e)), f"{name}: the message {str(e)!r} does not match {case.match!r}"
    assert snapshot(watched) == before, f"{name}: a watched Value changed"


@pytest.mark.parametrize("name", list(CLI))
def test_the_cli_refuses_with_one_line_and_a_status(name: str) -> None:
    argv, status, match = CLI[name]
    code, err = run_cli(argv)
    assert code == status
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chainrule: error: "), err
    assert re.search(match, lines[0]), lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "name", ["missing file", "python source", "a pickle", "type names a callable", "save a Value"]
)
def test_bad_model_files(tmp_path: Path, name: str) -> None:
    call, error, match = model_file_cases(tmp_path)[name]
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(error, match=match) as info:
        call()
    assert not isinstance(info.value, INTERNAL)
    assert sorted(os.listdir(tmp_path)) == before  # nothing written, nothing left behind


def test_a_failed_backward_leaves_the_leaves_alone_when_the_first_rule_fails() -> None:
    """The documented limit of the guarantee: backward stops at the failing rule.

    Gradients already passed to leaves by earlier steps stay added; here the
    failing rule is the first step, so nothing has reached a leaf yet.
    """
    call, leaves = _pow_negative_base_backward()
    with pytest.raises(ValueError):
        call()
    assert [v.grad for v in leaves] == [0.0, 0.0]


def test_explain_of_an_input_outside_the_graph_is_refused() -> None:
    """``explain(L, x)`` for an ``x`` outside L's graph names x and says what was expected."""
    L, nodes = lecture()
    watched = topological_order(L)
    before = snapshot(watched)
    stranger = Value(1.0, label="u")
    with pytest.raises(ValueError, match=r"explain: wrt .*'u'.* not in the graph .*expected one of"):
        explain(L, stranger)
    assert snapshot(watched) == before
