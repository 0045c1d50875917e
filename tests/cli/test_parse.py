"""The formula parser: what it accepts, what it refuses, and that nothing in a formula ever runs."""

from __future__ import annotations

import builtins
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, ops
from autograd.parse import FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, FormulaError, parse
from tests.support.op_rows import ROWS

# --- guards: anything that would run code or touch files raises instead ----------------------


class Escaped(Exception):
    """Raised by the guards below: something in a formula tried to run code or reach outside."""


def _trap(what: str) -> Callable[..., Any]:
    def trap(*args: Any, **kwargs: Any) -> Any:
        raise Escaped(f"{what} was called with {args[:1]!r:.80}")

    return trap


@contextmanager
def sealed() -> Iterator[None]:
    """Make import, open, eval, exec, os.system and subprocess raise for the duration."""
    with (
        mock.patch.object(builtins, "__import__", _trap("__import__")),
        mock.patch.object(builtins, "open", _trap("open")),
        mock.patch.object(builtins, "eval", _trap("eval")),
        mock.patch.object(builtins, "exec", _trap("exec")),
        mock.patch.object(os, "system", _trap("os.system")),
        mock.patch.object(subprocess, "Popen", _trap("subprocess.Popen")),
    ):
        yield


def read_safely(text: str, values: dict[str, float] | None = None) -> tuple[Any, float]:
    """Parse (and, given values, evaluate) under the guards: the result or the FormulaError, and the time.

    The time is this thread's CPU seconds (``time.thread_time``), not the wall clock's: the bound
    of 1 s is for work that takes milliseconds, and other programs on a busy machine cannot
    stretch it (a wall-clock bound failed while other work ran)."""
    modules = set(sys.modules)
    t0 = time.thread_time()
    result: Any
    with sealed():
        try:
            f = parse(text)
            result = f if values is None else f.evaluate(values)
        except FormulaError as e:
            result = e
    elapsed = time.thread_time() - t0
    assert set(sys.modules) == modules, "reading a formula imported a module"
    return result, elapsed


# --- the language --------------------------------------------------------------------------


def test_lecture_formula_builds_the_graph_with_named_leaves() -> None:
    f = parse("(a*b + c)*f")
    assert f.names == ("a", "b", "c", "f")
    L = f.evaluate({"a": 2, "b": -3, "c": 10, "f": -2})
    assert isinstance(L, Value) and L.data == -8.0
    L.backward()
    grads = {name: leaf.grad for name, leaf in f.leaves.items()}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    assert {leaf.label for leaf in f.leaves.values()} == {"a", "b", "c", "f"}


def test_neuron_formula_matches_hand_computation() -> None:
    f = parse("tanh(x1*w1 + x2*w2 + b)")
    assert f.names == ("x1", "w1", "x2", "w2", "b")
    vals = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}
    out = f.evaluate(vals)
    assert out._op == "tanh"
    assert out.data == pytest.approx(math.tanh(2 * -3 + 6.8813735870195432))
    out.backward()
    assert f.leaves["w1"].grad == pytest.approx(2.0 * (1 - out.data**2))


def test_a_name_is_one_leaf_reused_everywhere() -> None:
    f = parse("x*x + x")
    out = f.evaluate({"x": 3.0})
    out.backward()
    mul = out._prev[0]
    assert mul._prev[0] is mul._prev[1] is out._prev[1] is f.leaves["x"]
    assert f.leaves["x"].grad == 7.0  # d/dx (x^2 + x) = 2x + 1


def test_constant_exponent_is_a_one_parent_power_and_negation_a_node() -> None:
    assert parse("x**2").evaluate({"x": 3})._op == "**2"
    assert parse("-x").evaluate({"x": 3})._op == "neg"
    assert parse("+x").evaluate({"x": 3}).label == "x"
    out = parse("2**x").evaluate({"x": 3})
    assert out._op == "**" and out.data == 8.0


def test_constants_are_computed_as_in_python_and_a_constant_formula_is_a_value() -> None:
    out = parse("2*3 + 1/4 - 2**-1").evaluate({})
    assert isinstance(out, Value) and out.data == 2 * 3 + 1 / 4 - 2**-1
    assert parse("1_000 + 0x10 + 1e-3").evaluate({}).data == 1000 + 16 + 1e-3


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_builds_the_engines_op(name: str) -> None:
    op = FUNCTIONS[name]
    assert op is ops.OPS[name]
    out = parse(f"{name}(x)").evaluate({"x": 0.7})
    assert out._op is op and out._op == str(op)  # the op itself, drawn with its label
    assert out.data == op(0.7)
    (row,) = [row for row in ROWS if row.the_op is op]
    assert out.data == pytest.approx(row.ref(0.7), rel=1e-12)  # and the row's math reference


def test_whitespace_and_newlines_inside_brackets_are_fine() -> None:
    assert parse("  (a\n + b)  ").evaluate({"a": 1, "b": 2}).data == 3.0


# --- refusals: each points at the offending part -------------------------------------------


REFUSED = [
    # (formula, the part the caret must point at, a phrase the message must contain)
    ("__import__('os')", "__import__", "names may not begin with '__'"),
    ("__import__('os').system('true')", "__import__('os').system", "attribute access"),
    ("().__class__", "().__class__", "attribute access"),
    ("a.real + 1", "a.real", "attribute access"),
    ("x[0]", "x[0]", "subscripts"),
    ("(lambda: 1)", "lambda: 1", "lambdas"),
    ("[x for x in y]", "[x for x in y]", "comprehensions"),
    ("sum(x for x in y)", "sum", "unknown function sum"),
    ("f'{a}'", "f'{a}'", "f-strings"),
    ("'text' + a", "'text'", "strings"),
    ("b'x'", "b'x'", "bytes"),
    ("9**9**9", "9**9", "exponent"),
    ("x ** 1e6", "1e6", "exponent"),
    ("x ** -(2**11)", "-(2**11)", "exponent"),
    ("exp(x=1)", "x=1", "keyword arguments"),
    ("exp(a, b)", "exp(a, b)", "exactly one argument"),
    ("exp()", "exp()", "exactly one argument"),
    ("exp(*a)", "*a", "starred"),
    ("print(a)", "print", "unknown function print"),
    ("open('/etc/passwd')", "open", "unknown function open"),
    ("a(1)", "a", "unknown function a"),
    ("exp + 1", "exp", "is a function"),
    ("__x + 1", "__x", "names may not begin with '__'"),
    ("a // b", "a // b", "//"),
    ("a % b", "a % b", "%"),
    ("~a", "~a", "~"),
    ("a < b", "a < b", "comparisons"),
    ("a and b", "a and b", "'and' / 'or'"),
    ("a if b else c", "a if b else c", "if ... else"),
    ("(y := 2)", "y := 2", ":="),
    ("a, b", "a, b", "tuples"),
    ("{1: 2}", "{1: 2}", "dicts"),
    ("True + a", "True", "True and False"),
    ("None", "None", "None"),
    ("2j * a", "2j", "complex"),
    ("1e999 * a", "1e999", "too large for a float"),
    ("1" + "0" * 400, "1" + "0" * 400, "too large for a float"),
    ("x + 1/0", "1/0", "division by zero"),
    ("log(0) + a", "log(0)", "log"),
    ("a = 1", "=", "not a formula"),
    ("a +", "", "ends too soon"),
    ("\uff58 + 1", "\uff58", "plain ASCII"),
    ("a\x00b", "\x00", "plain ASCII"),
]


@pytest.mark.parametrize(("text", "part", "phrase"), REFUSED, ids=[r[0][:30] for r in REFUSED])
def test_refusals_name_and_point_at_the_offending_part(text: str, part: str, phrase: str) -> None:
    result, elapsed = read_safely(text)
    assert isinstance(result, FormulaError), f"{text!r} was accepted"
    assert phrase in result.reason
    assert result.start is not None
    assert result.text[result.start : result.end] == part
    # The rendered message shows the formula and a caret line under the part.
    lines = str(result).splitlines()
    assert lines[0] == result.reason
    carets = lines[2].strip()
    assert set(carets) == {"^"}
    assert len(carets) == max(len(part), 1) or len(part) > 60 and len(carets) < len(part)
    assert elapsed < 1.0


def test_overlong_input_is_refused_by_length() -> None:
    message = f"too long: {MAX_LENGTH + 1} characters .the limit is {MAX_LENGTH}"
    with pytest.raises(FormulaError, match=message):
        parse("a" * (MAX_LENGTH + 1))
    parse("a" * MAX_LENGTH)  # the limit itself is fine


@pytest.mark.parametrize(
    "text",
    [
        "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
        "exp(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
        "-" * (MAX_LENGTH - 1) + "x",
        "x**" * 300 + "x",
        "a+" * 300 + "a",
        "[" * 500,
    ],
    ids=["parens", "calls", "unary minus", "power tower", "long sum", "unclosed brackets"],
)
def test_deep_nesting_is_refused_quickly(text: str) -> None:
    result, elapsed = read_safely(text)
    assert isinstance(result, FormulaError)
    assert "nests" in result.reason and f"limit is {MAX_DEPTH}" in result.reason
    assert elapsed < 1.0


def test_nesting_just_inside_the_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 1  # the call nodes plus the name inside them
    f = parse("tanh(" * depth + "x" + ")" * depth)
    assert f.evaluate({"x": 0.5}).data == pytest.approx(
        _repeat(math.tanh, depth, 0.5)
    )


def _repeat(fn: Callable[[float], float], n: int, x: float) -> float:
    for _ in range(n):
        x = fn(x)
    return x


def test_exponent_bound_is_exactly_max_exponent() -> None:
    k = int(MAX_EXPONENT)
    assert parse(f"x**{k}").evaluate({"x": 1.0}).data == 1.0
    assert parse(f"x**-{k}").evaluate({"x": 1.0}).data == 1.0
    with pytest.raises(FormulaError, match="exponent"):
        parse(f"x**{k + 1}")
    # An exponent that depends on a name is computed in floats, so it cannot hang.
    with pytest.raises(FormulaError, match="overflows"):
        parse("x**y").evaluate({"x": 9.0, "y": 9.0**9})


def test_empty_and_non_string_input() -> None:
    with pytest.raises(FormulaError, match="empty"):
        parse("   ")
    with pytest.raises(TypeError, match="str"):
        parse(3)  # type: ignore[arg-type]


# --- names and values ----------------------------------------------------------------------


def test_missing_values_are_reported_by_name() -> None:
    f = parse("(a*b + c)*f")
    with pytest.raises(FormulaError, match=r"no value given for b, f \(the formula uses a, b, c, f\)"):
        f.evaluate({"a": 1, "c": 2})


def test_values_for_unknown_names_are_reported_by_name() -> None:
    f = parse("a + b")
    with pytest.raises(FormulaError, match=r"value was given for z, which the formula does not use"):
        f.evaluate({"a": 1, "b": 2, "z": 3})


@pytest.mark.parametrize("bad", ["2", None, [1.0], True, complex(1, 1)])
def test_values_must_be_numbers(bad: Any) -> None:
    with pytest.raises(FormulaError, match="the value of a must be a number"):
        parse("a + 1").evaluate({"a": bad})


def test_domain_errors_point_at_the_call() -> None:
    with pytest.raises(FormulaError) as info:
        parse("log(a - 3) + a").evaluate({"a": 1})
    e = info.value
    assert e.text[e.start : e.end] == "log(a - 3)"
    assert "expected an input > 0, got -2.0" in e.reason


def test_formula_can_be_evaluated_again_with_new_leaves() -> None:
    f = parse("a * b")
    first = f.evaluate({"a": 2, "b": 3})
    a1 = f.leaves["a"]
    second = f.evaluate({"a": 4, "b": 5})
    assert (first.data, second.data) == (6.0, 20.0)
    assert f.leaves["a"] is not a1


# --- fuzzing -------------------------------------------------------------------------------


def _assert_contained(result: Any, elapsed: float) -> None:
    assert elapsed < 1.0
    if isinstance(result, FormulaError):
        assert str(result).startswith(result.reason)
    else:
        assert result.__class__.__name__ == "ParsedFormula"


@pytest.mark.fuzz
@given(st.text(max_size=200))
def test_fuzz_arbitrary_text_never_escapes(text: str) -> None:
    _assert_contained(*read_safely(text))


# Text that looks like Python: more likely to get past the parser and into the whitelist walk.
_python_bits = st.sampled_from(
    [
        "a", "b", "x1", "__import__", "__class__", "os", "exp", "sqrt", "open", "lambda", "for", "in",
        "(", ")", "[", "]", "{", "}", ".", ",", ":", "=", "'", '"', "f'", "*", "**", "/", "//", "+",
        "-", "%", "@", "~", " ", "0", "9", "1e308", "2.5", "9**9", "j", "if", "else", "not", "and",
        ":=", "yield", "await", "*args", "x=", "\\", "\n",
    ]
)


@pytest.mark.fuzz
@given(st.lists(_python_bits, max_size=40).map("".join))
def test_fuzz_python_like_text_never_escapes(text: str) -> None:
    _assert_contained(*read_safely(text))


def test_nothing_is_written_to_the_working_directory(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    attempts = [
        "__import__('os').system('touch pwned')",
        "open('pwned', 'w').write('x')",
        "exec(\"open('pwned','w')\")",
        "eval('1')",
        "[c for c in ().__class__.__base__.__subclasses__()]",
    ]
    for text in attempts:
        result, _ = read_safely(text)
        assert isinstance(result, FormulaError)
    assert list(tmp_path.iterdir()) == []


# Well-formed formulas: a tree that we print as text and also compute directly in Python.

_NAMES = ("a", "b", "x1", "w_2")
# The functions with one argument formulas may call, and their math references: op_rows' rows.
_MATH: dict[str, Callable[[float], float]] = {
    row.op: row.ref for row in ROWS if row.op in FUNCTIONS and row.arity == 1 and row.exponent is None
}
_BINOPS: dict[str, Callable[[float, float], float]] = {
    "+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q, "/": lambda p, q: p / q,
    "**": lambda p, q: p**q,
}

Tree = Any  # ('num', v) | ('name', n) | ('neg', t) | ('call', f, t) | ('bin', op, t, t)

_leaf = st.one_of(
    st.tuples(st.just("name"), st.sampled_from(_NAMES)),
    st.tuples(st.just("num"), st.integers(-5, 5) | st.floats(-5, 5).map(lambda v: round(v, 3))),
)


def _extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    return st.one_of(
        st.tuples(st.just("neg"), children),
        st.tuples(st.just("call"), st.sampled_from(sorted(_MATH)), children),
        st.tuples(st.just("bin"), st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.tuples(st.just("bin"), st.just("**"), children, st.sampled_from([("num", k) for k in (2, 3, -1)])),
    )


_trees = st.recursive(_leaf, _extend, max_leaves=12)


def _text(tree: Tree) -> str:
    kind = tree[0]
    if kind == "num":
        return f"({tree[1]!r})"
    if kind == "name":
        return str(tree[1])
    if kind == "neg":
        return f"(-{_text(tree[1])})"
    if kind == "call":
        return f"{tree[1]}({_text(tree[2])})"
    return f"({_text(tree[2])} {tree[1]} {_text(tree[3])})"


def _compute(tree: Tree, env: dict[str, float]) -> float:
    kind = tree[0]
    if kind == "num":
        return float(tree[1])
    if kind == "name":
        return env[tree[1]]
    if kind == "neg":
        return -_compute(tree[1], env)
    if kind == "call":
        return float(_MATH[tree[1]](_compute(tree[2], env)))
    result = _BINOPS[tree[1]](_compute(tree[2], env), _compute(tree[3], env))
    if isinstance(result, complex):
        raise ValueError("complex result")
    return float(result)


@pytest.mark.fuzz
@given(_trees, st.fixed_dictionaries({n: st.floats(-3, 3, allow_nan=False) for n in _NAMES}))
def test_fuzz_well_formed_formulas_match_python_arithmetic(tree: Tree, env: dict[str, float]) -> None:
    text = _text(tree)
    try:
        expected: float | None = _compute(tree, env)
    except (ArithmeticError, ValueError):
        expected = None  # Python itself refuses (log of a negative, 1/0, overflow...)
    formula, elapsed = read_safely(text)
    assert elapsed < 1.0
    if isinstance(formula, FormulaError):
        # Only constant parts are computed while reading; they may fail as Python's do.
        assert expected is None or not math.isfinite(expected), f"{text!r} refused: {formula}"
        return
    used = {n: env[n] for n in formula.names}
    result, elapsed = read_safely(text, used)
    assert elapsed < 1.0
    if expected is None:
        assert isinstance(result, FormulaError), f"{text!r} gave {result!r}, Python raised"
    elif isinstance(result, FormulaError):
        assert not math.isfinite(expected), f"{text!r} raised {result}, Python gave {expected!r}"
    else:
        assert result.data == pytest.approx(expected, rel=1e-12, abs=1e-300, nan_ok=True)


def test_generated_text_round_trips_through_the_same_ops() -> None:
    tree = ("bin", "*", ("call", "tanh", ("name", "a")), ("bin", "**", ("name", "b"), ("num", 2)))
    assert _text(tree) == "(tanh(a) * (b ** (2)))"
    out = parse(_text(tree)).evaluate({"a": 0.5, "b": 3.0})
    assert out.data == pytest.approx(math.tanh(0.5) * 9.0)
    assert ops.TANH == out._prev[0]._op


def test_the_guards_do_catch_code_that_escapes() -> None:
    """The fuzz tests lean on sealed(); make sure it really stops imports, files and eval."""
    with sealed():
        with pytest.raises(Escaped):
            __import__("json")
        with pytest.raises(Escaped):
            open(os.devnull)
        with pytest.raises(Escaped):
            eval("1")
        with pytest.raises(Escaped):
            os.system("true")
