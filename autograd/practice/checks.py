"""Check one op a learner wrote, in any of the three idioms, against the op table.

    check_op(Value.exp)                          # a micrograd-style method (or microgpt-style)
    check_op(tanh, value=Value)                  # the lecture's way: a function taking self
    check_op(local=lambda out, x: 1 - out**2, op="tanh")   # a define_op local rule
    check_op(my_cube)                            # an op made with define_op: central differences

Each test point (see :mod:`autograd.practice.cases`) builds the op's output with the learner's class,
then runs the learner's own local rule for that output *alone*, with a random gradient arriving from
above and a non-zero gradient already in each input, and compares the output's number and every
input's gradient with the table's op of the same name (or, for an op the table lacks, with central
differences of the learner's own forward). A difference is matched against the known mistakes
(:mod:`autograd.practice.mistakes`) and reported with graded hints.
"""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Callable
from typing import Any

from . import learner
from .cases import METHODS, Form, caller, cases, forms_for
from .guard import Stopped, guarded
from .learner import code_line, error_text, source_of
from .links import OPS, Op, format_number
from .mistakes import CONCEPT, MISTAKES, Case, answer, close, rule_of, spread
from .report import Failure, Report

__all__ = ["check_op", "op_failure", "run_form", "Outcome"]

Outcome = tuple[Case, Any, float | None, dict[str, float] | None, Any]  # case, const, data, grads, out node


def check_op(
    fn: Callable[..., Any] | None = None,
    op: str | None = None,
    *,
    value: type | None = None,
    local: Callable[..., Any] | None = None,
    forward: Callable[..., float] | None = None,
    seed: int = 0,
    hints: int = 4,
) -> Report:
    """Check one op the learner wrote; see the module docstring for the three idioms.

    ``fn``: a method of the learner's class (``Value.__mul__``, ``Value.tanh``; the op is read from its
    name) or a function taking Values (give ``op``, and ``value``, the class, unless fn is a method), or
    an op made with :func:`autograd.define_op`. ``local``/``forward``: a define_op-style rule
    ``local(out, *xs)`` (and optionally its forward) for the op named ``op``. ``seed`` fixes the random
    points, ``hints`` how many grades of hints (1 to 4) the report shows."""
    if not isinstance(hints, int) or not 1 <= hints <= 4:
        raise ValueError(f"check_op: hints must be 1, 2, 3 or 4, got {hints!r}")
    rng = random.Random(seed)
    if isinstance(fn, Op) or local is not None:
        return _check_rule(fn, op, local, forward, rng, hints)
    if fn is None or not callable(fn):
        raise TypeError(
            f"check_op: expected the op to check (a method, a function, or local=...), got {fn!r:.60}"
        )
    cls = value or _owner(fn)
    name = str(_name_in(cls, fn) or getattr(fn, "__name__", ""))
    dunder = f"__{name}__"  # a function named mul or rsub, written outside the class, is __mul__ or __rsub__
    guess = {v[0]: k for k, v in METHODS.items() if v[1] in ("left", "unary", "power")}.get(op or name)
    method: str | None
    if name in METHODS:
        method = name
    else:
        method = dunder if dunder in METHODS and op in (None, METHODS[dunder][0]) else guess
    if method is None:
        raise ValueError(
            f"check_op: cannot tell which op {name or fn!r} is; pass op= one of "
            f"{', '.join(sorted(set(v[0] for v in METHODS.values())))}"
        )
    table_op, how = METHODS[method]
    if op is not None and op != table_op:
        raise ValueError(f"check_op: {name} is the op {table_op!r}, not {op!r}")
    if cls is None:
        raise TypeError(f"check_op: pass value=, the learner's Value class, to build inputs for {name}")
    report = Report(f"check_op({name})")
    for form in forms_for(method, table_op, how):
        outcomes = run_form(form, fn, cls, rng)
        report.points += len(outcomes)
        failure = op_failure(form.op, outcomes, fn, hints)
        if failure is not None:
            report.failures.append(failure)
            break
    else:
        report.passed.append(f"{table_op} ({name})")
    return report


def _owner(fn: Any) -> type | None:
    """The class a function was defined in (``Value.tanh`` -> Value), or the module's ``Value``."""
    qual = getattr(fn, "__qualname__", "")
    scope = getattr(fn, "__globals__", {})
    if "." in qual and "<locals>" not in qual:
        found = scope.get(qual.split(".")[0])
        if isinstance(found, type):
            return found
    found = scope.get("Value")
    return found if isinstance(found, type) else None


def _name_in(cls: type | None, fn: Any) -> str | None:
    """The name ``fn`` has in the class, when it is one of the ops' methods there: a method made by a
    factory or assigned under another name (chainrule's ``Value.exp``, ``Value.__rsub__ = rsub``) is
    known by where it sits, not by its ``__name__``."""
    for klass in getattr(cls, "__mro__", ()):
        for key, attr in vars(klass).items():
            if key in METHODS and (attr is fn or getattr(attr, "__func__", None) is fn):
                return key
    return None


def run_form(form: Form, fn: Callable[..., Any], cls: type, rng: random.Random) -> list[Outcome]:
    """Every test point of one form, run with the learner's class: (case, its constant, the output's
    number, each input's gradient after the step, the output node); an exception in place of the
    numbers when the learner's code raised."""
    out: list[Outcome] = []
    for case, const in cases(form, rng, None):
        out.append(run_case(case, const, form, fn, cls))
        if isinstance(out[-1][4], BaseException):
            break
    return out


def run_case(
    case: Case,
    const: Any,
    form: Form,
    fn: Callable[..., Any],
    cls: type,
    before: dict[str, float] | None = None,
) -> Outcome:
    """One test point with the learner's class (``before``: other starting gradients)."""
    call = caller(form, fn, const)
    values = {n: cls(x) for n, x in case.inputs().items()}
    grads_before = before if before is not None else case.before
    try:
        node = guarded(f"your {form.method}", call, values)
        data = float(node.data)
    except (Exception, Stopped) as e:  # the learner's code failed: reported, never raised
        return case, const, None, None, e
    for n, v in values.items():
        v.grad = grads_before[n]
    try:
        guarded(
            f"the backward step of your {form.method}",
            learner.walk_between,
            node,
            list(values.values()),
            case.upstream,
        )
    except ArithmeticError:  # 1/0 in a wrong rule: no number here, which a mistake may predict
        return case, const, data, {n: math.nan for n in values}, node
    except (Exception, Stopped) as e:
        return case, const, None, None, e
    return case, const, data, {n: float(v.grad) for n, v in values.items()}, node


def _fits(
    predicted: tuple[float | None, dict[str, float] | None] | None,
    case: Case,
    data: float,
    grads: dict[str, float],
    tol: float,
) -> tuple[bool, bool]:
    """(whether the prediction fits the seen numbers, whether it differs from the right answer)."""
    p_data, p_grads = predicted if predicted is not None else (None, None)
    want_data = case.out if p_data is None else p_data
    want = case.expected if p_grads is None else p_grads
    fits = close(data, want_data, tol) and all(close(grads[n], want[n], tol) for n in grads)
    differs = not (
        close(want_data, case.out, tol) and all(close(want[n], case.expected[n], tol) for n in want)
    )
    return fits, differs


def _idiom(outcomes: list[Outcome], fn: Any) -> str:
    nodes = [o[4] for o in outcomes if o[4] is not None and not isinstance(o[4], BaseException)]
    return "local" if fn is None else learner.idiom(nodes[0]) if nodes else "micrograd"


def op_failure(op: str, outcomes: list[Outcome], fn: Any, hints: int, tol: float = 1e-6) -> Failure | None:
    """The failure these outcomes show for ``op`` (None: all right), its misconception named."""
    for outcome in outcomes:
        if isinstance(outcome[4], BaseException):
            return _raised(op, outcome[0], outcome[4], fn, hints)
    bad = [o for o in outcomes if not _fits(None, o[0], o[2], o[3], tol)[0]]  # type: ignore[arg-type]
    if not bad:
        return None
    idiom = _idiom(outcomes, fn)
    for mistake in MISTAKES:
        if not mistake.applies(op, idiom):
            continue
        for variant, predict in mistake.variants.items():
            fits_all, differs = True, False
            for case, _, data, grads, _ in outcomes:
                f, d = _fits(predict(case, grads), case, data, grads, tol)  # type: ignore[arg-type]
                fits_all, differs = fits_all and f, differs or d
                if not fits_all:
                    break
            if fits_all and differs:
                return _failure(op, mistake.kind, mistake.title, variant, bad[0], fn, idiom, hints)
    return _failure(op, "wrong", "the numbers are wrong", "", bad[0], fn, idiom, hints)


def _failure(
    op: str, kind: str, title: str, variant: str, outcome: Outcome, fn: Any, idiom: str, hints: int
) -> Failure:
    case, const, data, grads, node = outcome
    assert grads is not None and data is not None
    if not close(data, case.out):
        numbers = (
            f"at {_where(case)}: the output's number should be {format_number(case.out)}, "
            f"yours is {format_number(data)}"
            + (f": exactly what you get {variant}" if variant else "")
            + "."
        )
        name = ""
    else:
        name = next((n for n in grads if not close(grads[n], case.expected[n])), next(iter(grads)))
        shares = " + ".join(
            f"{format_number(case.upstream)} × {format_number(d)}"
            for n, d in zip(case.names, case.local) if n == name
        )
        was = case.before[name]
        start = f" and {name}.grad = {format_number(was)} before the step" if was else ""
        numbers = (
            f"at {_where(case)}, with out.grad = {format_number(case.upstream)} "
            f"arriving from above{start}: "
            f"{name}.grad should become {format_number(was) + ' + ' if was else ''}{shares} = "
            f"{format_number(case.expected[name])} "
            f"(out.grad × the local derivative{', added' if was else ''}); "
            f"yours became {format_number(grads[name])}"
            + (f": exactly what you get {variant}" if variant else "") + "."
        )
    rule = rule_of(op)
    if kind == "upstream":
        rule += " Then multiply by out.grad."
    where = _line(fn, node, op, name, idiom)
    solution = answer(case.op, idiom) if idiom != "local" else f"return {answer(case.op, 'microgpt')}"
    graph = ("op", node, name, case, grads) if node is not None else None
    return Failure(op, kind, title, (CONCEPT[kind], rule, numbers, where), solution, graph, hints)


def _where(case: Case) -> str:
    vals = ", ".join(f"{n} = {format_number(x)}" for n, x in case.inputs().items())
    consts = [x for n, x in zip(case.names, case.args) if n is None]
    form = case.form.replace("c", format_number(consts[0])) if consts else case.form
    if case.op.exponent is not None:
        form = form.replace("k", format_number(case.op.exponent))
    return f"{vals} (in {form})"


def _raised(op: str, case: Case, error: BaseException, fn: Any, hints: int) -> Failure:
    if isinstance(error, Stopped):
        graded = (CONCEPT[error.kind], rule_of(op), f"at {_where(case)}", error.line() or code_line(fn))
        return Failure(op, error.kind, str(error), graded, level=hints)
    if isinstance(error, NotImplementedError):
        return Failure(
            op,
            "unfinished",
            "not written yet",
            (CONCEPT["unfinished"], rule_of(op), "", code_line(fn)),
            level=hints,
        )
    text = error_text(error)
    return Failure(
        op,
        "crash",
        f"raised {type(error).__name__}",
        (CONCEPT["crash"], rule_of(op), f"at {_where(case)}: {text}", code_line(fn, error)),
        level=hints,
    )


def _line(fn: Any, node: Any, op: str, name: str, idiom: str) -> str:
    """The learner's line to fix: the closure's line that adds to the wrong input's gradient, or the line
    that makes the node with its local numbers."""
    closure = getattr(node, "_backward", None)
    target = getattr(closure, "__func__", closure)
    if idiom == "micrograd" and target is not None and source_of(target) and not _is_library(target):
        lines, start, path = source_of(target)  # type: ignore[misc]
        code = getattr(fn, "__code__", None)
        params = list(code.co_varnames[:2]) if code is not None else []
        who = params[{"a": 0, "b": 1}.get(name, 0)] if len(params) > {"a": 0, "b": 1}.get(name, 0) else "self"
        for i, text in enumerate(lines):
            if f"{who}.grad" in text and "def " not in text:
                return f"line {start + i} of {path}, in the _backward of {op}: {text.strip()}"
        return f"line {start} of {path}: the _backward of {op}"
    src = source_of(fn) if fn is not None and not isinstance(fn, Op) else None
    if src:
        lines, start, path = src
        for i, text in enumerate(lines):
            if ("(" in text and "," in text and "return" in text) or "_local_grads" in text:
                return f"line {start + i} of {path}, in {op}: {text.strip()}"
        return f"line {start} of {path}: {lines[0].strip()}"
    return f"the local rule of {op}"


def _is_library(fn: Any) -> bool:
    return (getattr(fn, "__module__", "") or "").startswith("autograd")


# --- define_op-style rules, and ops the table lacks ------------------------------------------------


def _check_rule(fn: Any, op: str | None, local: Any, forward: Any, rng: random.Random, hints: int) -> Report:
    mine = fn if isinstance(fn, Op) else None
    name = op or (mine.name if mine else None)
    if name is None:
        raise ValueError("check_op: pass op=, the name of the table's op this rule is for (e.g. 'tanh')")
    local = local or (mine.local if mine else None)
    forward = forward or (mine.forward if mine else None)
    table = OPS.get(name)
    if table is None or table is mine:  # nothing to compare with but the learner's own forward
        if forward is None:
            raise ValueError(
                f"check_op: the table has no op {name!r}; pass forward= to compare with central differences"
            )
        table = _by_differences(name, forward)
    report = Report(f"check_op({name})")
    arity = table.arity or 1
    form = Form(
        name,
        name,
        "unary" if arity == 1 else "left",
        ("a",) if arity == 1 else ("a", "b"),
        f"{name}(a)" if arity == 1 else f"{name}(a, b)",
    )
    outcomes: list[Outcome] = []
    for case, _ in cases(form, rng, table):
        try:
            data = float(forward(*case.args)) if forward is not None else case.out
            ds = guarded(f"your local rule for {name}", local, case.out, *case.args)
            ds = tuple(ds) if isinstance(ds, (tuple, list)) else (ds,)
            outcomes.append((case, None, data, spread(case, tuple(float(d) for d in ds)), None))
        except (Exception, Stopped) as e:
            outcomes.append((case, None, None, None, e))
            break
    report.points = len(outcomes)
    failure = op_failure(name, outcomes, None, hints, tol=1e-6 if table is OPS.get(name) else 1e-4)
    if failure is not None:
        failure.hints = failure.hints[:3] + (code_line(local),)
        report.failures.append(failure)
    else:
        report.passed.append(name)
    return report


def _by_differences(name: str, forward: Callable[..., float]) -> Op:
    """An op whose local derivatives are central differences of ``forward`` (for ops the table lacks)."""

    def local(out: float, *xs: float) -> tuple[float, ...]:
        ds = []
        for i, x in enumerate(xs):
            h = 1e-5 * max(1.0, abs(x))
            up = list(xs)
            up[i] = x + h  # noqa: E702
            down = list(xs)
            down[i] = x - h  # noqa: E702
            ds.append((float(forward(*up)) - float(forward(*down))) / (2 * h))
        return tuple(ds)

    return Op(
        name,
        lambda *xs: float(forward(*xs)),
        local,
        doc=f"{name}, checked by central differences.",
        arity=len(inspect.signature(forward).parameters),
    )
