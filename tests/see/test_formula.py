"""Value.formula: the expression behind a Value, as text and LaTeX, with correct parentheses."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, formula, grad, ops
from autograd.see.names import node_names, symbolic_local
from autograd.see.text import format_number, latex_name
from tests.support.lecture import lecture_L
from tests.support.op_rows import ROWS


def test_lecture_formula_text_and_latex() -> None:
    L, _ = lecture_L()
    fo = L.formula()
    assert str(fo) == "L = (a * b + c) * f"
    assert fo.latex == r"L = \left(a \cdot b + c\right) \cdot f"
    assert fo._repr_latex_() == f"${fo.latex}$"


def test_expand_false_stops_at_labelled_nodes() -> None:
    L, _ = lecture_L()
    assert L.formula(expand=False).text == "L = d * f"


def test_gradient_built_with_create_graph_writes_the_derivative() -> None:
    L, values = lecture_L()
    v = {x.label: x for x in values}
    da, df = grad(L, [v["a"], v["f"]], create_graph=True)
    assert da.formula().text == "f * b"  # dL/da = f * b, the seed's factor 1 dropped
    assert df.formula().text == "a * b + c"
    assert "1 *" in da.formula(simplify=False).text  # the seed is really there


_SYMS = {name: sp.Symbol(name) for name in "xyz"}
_UNARY = [row for row in ROWS if len(row.domain) == 1]
# Each one-input op as sympy reads it, under the name its formulas are written with.
_SYMPY_NAMES = {**{row.op: row.sym for row in _UNARY if row.op in ops.OPS}, **_SYMS}


@pytest.mark.parametrize(
    "build",
    [
        lambda x, y: (x * y + 1).tanh(),
        lambda x, y: x / (y - x * 0.5) - (x**3).exp(),
        lambda x, y: (x * x + y).log() * y.sin(),
        lambda x, y: (x**2 + y**2).sqrt() + (-x).cos() ** 2,
        lambda x, y: x ** y,
    ],
)
def test_derivative_formula_equals_sympy_derivative(build) -> None:
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    out = build(x, y)
    sym = sp.sympify(out.formula().text, locals=_SYMPY_NAMES)
    assert float(sym.subs({_SYMS["x"]: 0.7, _SYMS["y"]: 1.3})) == pytest.approx(out.data, rel=1e-12)
    for var, node in (("x", x), ("y", y)):
        (g,) = grad(out, [node], create_graph=True)
        written = sp.sympify(g.formula().text, locals=_SYMPY_NAMES)
        expected = sp.diff(sym, _SYMS[var])
        assert sp.simplify(written - expected) == 0, (g.formula().text, expected)


def _expressions() -> st.SearchStrategy:
    leaves = st.sampled_from(["x", "y", "z", 2.0, 0.5, -1.5])
    return st.recursive(
        leaves,
        lambda kids: st.one_of(
            st.tuples(st.sampled_from(["+", "-", "*", "/"]), kids, kids),
            st.tuples(st.sampled_from(_UNARY), kids),
            st.tuples(st.just("pow"), kids),
        ),
        max_leaves=8,
    )


def _build(tree, env: dict[str, Value]) -> Value:
    stack: list = [(tree, False)]
    done: list[Value] = []
    while stack:  # iterative post-order, as everything in the project
        node, ready = stack.pop()
        if isinstance(node, str):
            done.append(env[node])
        elif isinstance(node, float):
            done.append(Value(node))
        elif not ready:
            stack.append((node, True))
            stack.extend((kid, False) for kid in reversed(node[1:]))
        else:
            args = [done.pop() for _ in node[1:]][::-1]
            op = node[0]
            if op == "+":
                done.append(args[0] + args[1])
            elif op == "-":
                done.append(args[0] - args[1])
            elif op == "*":
                done.append(args[0] * args[1])
            elif op == "/":
                done.append(args[0] / args[1])
            elif op == "pow":
                done.append((args[0] * args[0] + 1) ** args[0].tanh())
            else:  # a row of the op table, on an input it accepts: tamed by tanh, or made positive
                x = args[0]
                done.append(op.call(x * x + 1 if op.domain[0].positive_only else 2 * x.tanh()))
    return done[0]


@given(_expressions())
def test_formula_text_evaluates_to_the_value(tree) -> None:
    """Parentheses are right: Python reads the formula back to the same number."""
    env = {"x": Value(0.8, label="x"), "y": Value(-1.7, label="y"), "z": Value(2.5, label="z")}
    try:
        out = _build(tree, env)
    except (ZeroDivisionError, ValueError, OverflowError):
        return  # the expression itself is undefined at this point: nothing to write
    if not math.isfinite(out.data):
        return
    text = formula(out, max_chars=None).text
    scope = {"x": 0.8, "y": -1.7, "z": 2.5, **{op.name: op for op in ops.OPS.values()}, "log": ops.LOG}
    assert eval(text, scope) == pytest.approx(out.data, rel=1e-9, abs=1e-9), text  # noqa: S307


def test_parentheses_where_order_matters() -> None:
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    assert formula(a - (b - c)).text == "a - (b - c)"
    assert formula(a + (b - c)).text == "a + b - c"
    assert formula(a / (b * c)).text == "a / (b * c)"
    assert formula((a + b) ** 2).text == "(a + b)**2"
    assert formula((-a) ** 2).text == "(-a)**2"
    assert formula(-(a**2)).text == "-a**2"
    assert formula(-(a * b)).text == "-(a * b)"
    assert formula(a / (b + c)).latex == r"\frac{a}{b + c}"
    assert formula((a + b) ** 2).latex == r"{\left(a + b\right)}^{2}"


def test_leaves_and_names() -> None:
    assert formula(Value(3.0, label="x")).text == "x"
    assert formula(Value(2.5)).text == "2.5"
    assert latex_name("x1") == "x_{1}"
    assert latex_name("alpha") == r"\alpha"
    assert latex_name("layers.1.neurons.0.w.2") == r"\mathrm{layers.1.neurons.0.w.2}"
    assert latex_name("x_y") == r"\mathrm{x\_y}"


def test_node_names_and_symbolic_local_rules_come_from_the_op_table() -> None:
    x = Value(0.5, label="x")
    o = x.tanh()
    o.label = "o"
    y = (x * 3.0) / o
    from autograd import topological_order

    order = topological_order(y)
    names = node_names(order)
    assert names[order[-1]] == "x * 3 / o"
    tanh_rule = symbolic_local(o, names)[0]
    assert tanh_rule is not None and tanh_rule.text == "1 - o * o"
    rules = symbolic_local(y, names)
    assert [r.text if r else None for r in rules] == ["1 / o", "-(x * 3 / o) / o"]


def test_long_formula_raises_a_clear_error() -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(20):
        y = y * y  # each step doubles the written formula
    with pytest.raises(ValueError, match="max_chars"):
        y.formula()
    assert len(y.formula(expand=False, max_chars=None).text) > 1000


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="formula: v must be a Value"):
        formula(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_chars"):
        formula(Value(1.0), max_chars=0)


def test_deep_chain_without_recursion() -> None:
    x = Value(0.1, label="x")
    y = x
    for _ in range(3000):
        y = y + 1.0
    assert formula(y, max_chars=None).text.count("+ 1") == 3000


@pytest.mark.parametrize("value, text", [(6.0, "6"), (-0.0, "0"), (0.5, "0.5"), (-0.88137, "-0.8814"),
                                         (12346.0, "1.235e4"), (1e-5, "1e-5"), (float("nan"), "nan"),
                                         (float("-inf"), "-inf"), (0.1 + 0.2, "0.3")])
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text
    assert format_number(Value(value)) == text


def test_long_unnamed_results_are_numbered_in_order_and_written_so_in_latex() -> None:
    from autograd import topological_order
    from autograd.see.names import node_latex_names

    x = Value(0.5, label="x")
    y = ((x * 2.0 + 1.0).tanh() * x + 3.0).exp()
    order = topological_order(y)
    names = node_names(order)
    assert [names[v] for v in order if v._prev] == ["x * 2", "x * 2 + 1", "tanh(x * 2 + 1)", "v1", "v2", "v3"]
    latex = node_latex_names(order, names)
    assert [latex[v] for v in order if names[v] in ("v1", "v2", "v3")] == ["v_{1}", "v_{2}", "v_{3}"]
    assert latex[order[-2]] == "v_{2}" and latex[x] == "x"
