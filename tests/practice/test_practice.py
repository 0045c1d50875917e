"""autograd.practice: every misconception in every op where it applies is caught, attributed to the right op
and named; correct engines in every layout get no false alarm; learners' loops are stopped, not hung on."""

from __future__ import annotations

import inspect
import math

import micrograd.engine
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import define_op, explain, grad
from autograd.core.ops import OPS
from autograd.practice import Report, check_engine, check_op, to_chainrule
from autograd.practice.cases import METHODS
from autograd.practice.graph import failure_graph
from autograd.see import palette
from nn import microgpt
from tests.support.practice_engines import (
    UNARY,
    WALK_CODE,
    WALK_KINDS,
    WALKS,
    GptValue,
    LectureValue,
    make_engine,
    make_gpt_engine,
    op_mistakes,
)


@pytest.mark.parametrize("op,kind,variant", op_mistakes(), ids=lambda x: str(x) or "-")
def test_each_op_mistake_is_caught_attributed_and_named(op: str, kind: str, variant: str) -> None:
    report = check_engine(make_engine(op, kind, variant), graphs=1)
    assert not report
    assert [(f.op, f.kind) for f in report.failures] == [(op, kind)], str(report)
    failure = report.failures[0]
    assert failure.message and failure.title and len(failure.hints) == 4
    assert op in failure.hints[1]  # the rule names the op, from the table
    # check_op on the one method that carries the mistake says the same
    method = next(
        m for m, (o, how) in METHODS.items() if o == op and (how == "right") == (kind == "operand_order")
    )
    cls = make_engine(op, kind, variant)
    alone = check_op(getattr(cls, method), value=cls)
    assert [(f.op, f.kind) for f in alone.failures] == [(op, kind)], str(alone)


@pytest.mark.parametrize("op", UNARY)
def test_the_input_output_mistake_is_made_in_every_op_where_it_changes_a_number(op: str) -> None:
    """The table's rule uses the op's output or its input: writing one for the other changes the
    derivative of every op but relu somewhere, and those ops each have a hand-written wrong rule above."""
    table = OPS[op]
    changes = False
    for x in (0.6, -0.7, 2.0, -1.5):
        try:
            t = table.forward(x)
        except ValueError:
            continue
        right = table.local(t, x)[0]
        for mistaken in ((x, x), (t, t)):
            try:
                changes |= abs(table.local(*mistaken)[0] - right) > 1e-9
            except (ArithmeticError, ValueError):
                changes = True
    assert changes == ((op, "input_output", "") in op_mistakes()), op


@pytest.mark.parametrize("walk", WALKS)
def test_each_walk_mistake_is_named(walk: str) -> None:
    report = check_engine(make_engine(walk=walk), graphs=3, strict=True)
    assert [(f.op, f.kind) for f in report.failures] == [("backward", WALK_KINDS[walk])], str(report)


@pytest.mark.parametrize(
    "walk,texts", [("forever", ["    _forever(root)"]), ("hang", ["while node", "root.grad"])]
)
def test_a_stopped_walk_points_at_the_line_it_was_stuck_on(walk: str, texts: list[str]) -> None:
    """The loop's own line (the budget ran out there), the recursive call (the line most repeated)."""
    report = check_engine(make_engine(walk=walk), graphs=1)
    lines, start = inspect.getsourcelines(WALK_CODE[walk])
    stuck = [start + i for i, source in enumerate(lines) if any(t in source for t in texts)]
    assert any(f"line {n} of " in report.failures[0].hints[3] for n in stuck), str(report)
    assert "calls itself on the same node" in str(report) or walk == "hang"


def test_a_recursive_sort_is_a_note_unless_strict() -> None:
    report = check_engine(make_engine(walk="recursive_sort"), graphs=2)
    assert report and any("recursion limit" in n for n in report.notes)


@pytest.mark.parametrize(
    "local,walk,want",
    [
        ("tanh", "right", ("tanh", "input_output")),
        ("exp", "right", ("exp", "input_output")),
        (None, "assign", ("backward", "assign")),
        (None, "upstream", ("backward", "upstream")),
    ],
)
def test_microgpt_layout_mistakes(local: str | None, walk: str, want: tuple[str, str]) -> None:
    report = check_engine(make_gpt_engine(local, walk), graphs=3)
    assert [(f.op, f.kind) for f in report.failures] == [want], str(report)


ENGINES = {
    "micrograd 0.1.0": micrograd.engine.Value,
    "lecture": LectureValue,
    "microgpt 0.1.0": microgpt.engine(Value=None).Value,  # microgpt's own class, from strands-microgpt
    "microgpt layout": GptValue,
    "chainrule": autograd.Value,
    "factory, right": make_engine(),
}


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10**6))
@pytest.mark.parametrize("name", ENGINES)
def test_no_false_alarm_on_right_engines(name: str, seed: int) -> None:
    report = check_engine(ENGINES[name], seed=seed, graphs=6)
    assert report, str(report)
    assert len(report.passed) >= 8


@pytest.mark.parametrize("method", [m for m in METHODS if callable(getattr(autograd.Value, m, None))])
def test_check_op_knows_each_method_of_chainrules_value_by_its_place(method: str) -> None:
    """chainrule's methods are made by factories (their __name__ is not the op's): check_op(Value.exp)
    finds the op from where the method sits in the class, and the table's own op passes."""
    report = check_op(getattr(autograd.Value, method))
    assert report, str(report)
    assert report.passed == [f"{METHODS[method][0]} ({method})"] and report.points > 10


def test_the_lectures_recursive_sort_gets_a_note() -> None:
    assert any("recursion limit" in n for n in check_engine(micrograd.engine.Value, graphs=1).notes)
    assert not check_engine(GptValue, graphs=1).notes


def test_define_op_rules_and_central_differences() -> None:
    assert check_op(local=lambda out, x: 1 - out * out, op="tanh")
    wrong = check_op(local=lambda out, x: 1 - x * x, op="tanh")
    assert [(f.op, f.kind) for f in wrong.failures] == [("tanh", "input_output")]
    assert check_op(local=lambda out, a, b: (b, a), op="mul")
    assert check_op(local=lambda out, a, b: (a, b), op="mul").kinds == ["swapped"]
    try:
        cube = define_op("practice_cube", lambda x: x**3, lambda out, x: 3 * x * x)
        assert check_op(cube)  # the table lacks it: central differences of its own forward
        bad = define_op("practice_cube_bad", lambda x: x**3, lambda out, x: 3 * x)
        report = check_op(bad)
        assert not report and report.failures[0].op == "practice_cube_bad" and report.kinds == ["wrong"]
    finally:  # the table is global: leave it as it was
        for name in ("practice_cube", "practice_cube_bad"):
            OPS.pop(name, None)


def test_a_loop_that_never_ends_is_stopped() -> None:
    class Forever:
        def __init__(self, data: float, _children: tuple = ()) -> None:
            self.data, self.grad, self._prev = data, 0.0, _children

        def exp(self) -> Forever:
            out = Forever(math.exp(self.data), (self,))

            def _backward() -> None:
                while True:
                    self.grad += 0.0

            out._backward = _backward  # type: ignore[attr-defined]
            return out

    report = check_op(Forever.exp, value=Forever)
    assert report.kinds == ["hang"] and "stopped" in report.failures[0].title


def test_a_new_user_reads_what_is_wrong_with_exp() -> None:
    class Value:
        def __init__(self, data: float, _children: tuple = (), _op: str = "") -> None:
            self.data, self.grad, self._prev, self._op = data, 0.0, set(_children), _op
            self._backward = lambda: None

        def exp(self) -> Value:
            out = Value(math.exp(self.data), (self,), "exp")

            def _backward() -> None:
                self.grad += out.data

            out._backward = _backward
            return out

    report = check_op(Value.exp, value=Value)
    assert isinstance(report, Report) and not report and report.kinds == ["upstream"]
    text = str(report)
    for words in (
        "out.grad",
        "multiplies",
        "should become 3 × 1.649 = 4.946",
        "yours became 1.649",
        "self.grad += out.data",
        "[upstream]",
    ):
        assert words in text, text
    assert report.solution() == "exp: self.grad += out.data * out.grad"
    assert "out.data * out.grad" not in text  # the solution only when asked
    assert check_op(Value.exp, value=Value, hints=1).failures[0].message.count("\n") == 0
    graph = failure_graph(report.failures[0])
    marked = [line for line in graph.source.splitlines() if palette.HIGHLIGHT in line and "->" in line]
    assert len(marked) == 1 and "∂/∂a = 1.649" in marked[0]  # the learner's local derivative, marked
    assert "a.grad should be 4.946, your code gives 1.649" in graph.source
    html = report._repr_html_()
    assert "<svg" in html and "[upstream]" in html


def test_walk_failures_draw_the_learners_graph() -> None:
    report = check_engine(make_engine(walk="no_reversal"), graphs=1)
    graph = failure_graph(report.failures[0])
    assert "first wrong gradient" in graph.source and "#ffe28a" in graph.source  # the wrong node in yellow


def test_a_foreign_graph_is_drawn_and_explained() -> None:
    for cls in (micrograd.engine.Value, GptValue):
        a, b = cls(2.0), cls(-3.0)
        out = (a * b + a) * a  # a used three times
        out.backward()
        root, copies = to_chainrule(out, {id(a): "a", id(b): "b"})
        assert explain(root, copies[id(a)]).gradient == pytest.approx(a.grad)  # the sum over paths agrees
        assert grad(root, [copies[id(a)], copies[id(b)]]) == pytest.approx([a.grad, b.grad])
        assert "∂/∂b = 2" in autograd.draw_dot(root, edge_labels=True).source


def test_bad_arguments_are_refused_clearly() -> None:
    with pytest.raises(TypeError, match="Value class"):
        check_engine(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hints must be"):
        check_engine(GptValue, hints=7)
    with pytest.raises(ValueError, match="pass op="):
        check_op(lambda a: a, value=GptValue)
