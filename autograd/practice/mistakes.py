"""The known mistakes in writing backpropagation, each with what it does to the numbers and its hints.

Every entry of :data:`MISTAKES` names one misconception (``kind``), says in which ops it can happen,
and *predicts* the gradients a learner who made it would get at a test point (:class:`Case`): the
checker compares the learner's numbers with each prediction, and a mistake is named only when its
prediction fits every point checked (and differs from the right answer at one of them, at least).
Predictions are written with the op table's own rules (``op.local``), so a new op is covered without a
new entry. The hints come in four grades, from the idea to the line to fix (see :func:`hints`).

The walk's mistakes (visiting order, gradients left over from an earlier call, a recursive sort) are
found by :mod:`autograd.practice.checks`, which runs the walk; their hints are here too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .links import OPS, Op, Value, format_number, symbolic_local, wrap_name

__all__ = ["Case", "Mistake", "MISTAKES", "WALK_MISTAKES", "CONCEPT", "answer", "spread", "rule_of", "close"]


@dataclass
class Case:
    """One test point of an op: ``op`` applied to ``args`` (numbers, in the table's order), where
    ``names[i]`` names the learner's Value given at position i (``None``: a plain number, as in
    ``2 - a``; the same name twice: ``a * a``). ``upstream`` is d(loss)/d(out) arriving from above,
    ``before`` each input's gradient before the step (non-zero, so that ``=`` shows against ``+=``).
    ``form`` is how the call is written (``'2 - a'``), for the messages."""

    op: Op
    form: str
    args: tuple[float, ...]
    names: tuple[str | None, ...]
    upstream: float
    before: dict[str, float]
    out: float = 0.0
    local: tuple[float, ...] = ()
    expected: dict[str, float] = field(default_factory=dict)

    def inputs(self) -> dict[str, float]:
        return {n: x for n, x in zip(self.names, self.args) if n is not None}


def spread(
    case: Case,
    local: tuple[float, ...],
    *,
    times: bool = True,
    assign: bool | int = False,
    reverse: bool = False,
) -> dict[str, float]:
    """Each input's gradient after the step, given the local derivatives used: ``before + upstream *
    local`` summed over the input's positions (``times=False``: without the upstream factor;
    ``assign=True``: each share replaces the gradient, the last one written staying, or only the share
    at position ``assign`` when it is a number; ``reverse``: the shares written from the last position
    to the first)."""
    grads = dict(case.before)
    pairs = list(enumerate(zip(case.names, local)))
    for i, (name, d) in reversed(pairs) if reverse else pairs:
        if name is None:
            continue
        share = case.upstream * d if times else d
        replaces = assign is True or (assign is not False and assign == i)
        grads[name] = share if replaces else grads[name] + share
    return grads


Prediction = tuple[float | None, dict[str, float] | None]  # (data, grads); None: as the table has it
Predict = Callable[[Case, dict[str, float]], Prediction | None]


@dataclass
class Mistake:
    """One misconception: ``kind`` (its short name), a ``title``, the ops it applies to (``None``: all),
    the idioms it can happen in, and its ``variants``: named predictions ``(case, seen) -> (data, grads)``
    (``None``: this variant changes nothing at that point)."""

    kind: str
    title: str
    concept: str
    variants: dict[str, Predict]
    ops: frozenset[str] | None = None
    idioms: frozenset[str] = frozenset({"micrograd", "microgpt", "local"})

    def applies(self, op: str, idiom: str) -> bool:
        return (self.ops is None or op in self.ops) and idiom in self.idioms


def _with_local(fn: Callable[[Case], tuple[float, ...] | None], **how: Any) -> Predict:
    def predict(case: Case, seen: dict[str, float]) -> Prediction | None:
        try:
            d = fn(case)
        except (ArithmeticError, ValueError):  # the mistake divides by zero here, as the learner's code did
            return None, {n: math.nan for n in case.before}
        return None if d is None else (None, spread(case, tuple(float(x) for x in d), **how))

    return predict


def _unary(fn: Callable[[Case], tuple[float, ...]]) -> Callable[[Case], tuple[float, ...] | None]:
    return lambda c: fn(c) if len(c.args) == 1 else None


def _flip(i: int | None) -> Callable[[Case], tuple[float, ...]]:
    return lambda c: tuple(-d if i is None or j == i else d for j, d in enumerate(c.local))


def _power(c: Case, make: Callable[[float, float], float]) -> tuple[float, ...] | None:
    k = c.op.exponent
    return None if k is None else (make(c.args[0], k),)


def _swapped_order(case: Case, seen: dict[str, float]) -> Prediction | None:
    """``2 - a`` computed as ``a - 2`` (an r-method that keeps Python's operand order)."""
    if case.names[0] is not None or len(case.args) != 2:
        return None
    a, c = case.args[1], case.args[0]
    try:
        out = case.op.forward(a, c)
        d = case.op.local(out, a, c)
    except (ArithmeticError, ValueError):
        return None
    return out, {case.names[1] or "a": case.before[case.names[1] or "a"] + case.upstream * float(d[0])}


def _relu_kink(case: Case) -> tuple[float, ...]:
    return (1.0 if case.args[0] >= 0 else 0.0,)


def _relu_slope_below(case: Case, seen: dict[str, float]) -> Prediction | None:
    """Any slope that is not 0 at or below 0 (leaky, or the mask forgotten), right above 0."""
    if case.args[0] > 0:
        return None
    return None, seen if seen != spread(case, (0.0,)) else None


CONCEPT = {
    "upstream": (
        "The chain rule multiplies: what a node passes back to an input is (its local derivative) "
        "times (the gradient that arrived at the node from above, out.grad)."
    ),
    "assign": (
        "Gradients add up: an input that feeds several nodes (or one node twice, as in x * x) "
        "gets one share from each use, so each share must be added with +=, never written with =."
    ),
    "input_output": (
        "Some derivatives are written most simply with the op's output t = f(x) "
        "(tanh' = 1 - t**2, exp' = exp(x) = t), others with its input x: use each where it belongs."
    ),
    "sign": "Signs matter: a share that should pull a gradient down pushes it up instead.",
    "swapped": (
        "In a * b each input's local derivative is the *other* input: d(a*b)/da = b and d(a*b)/db = a."
    ),
    "power_rule": (
        "The power rule: d(x**k)/dx = k * x**(k-1): the exponent comes down as a factor and the "
        "new exponent is one less."
    ),
    "quotient_rule": "The quotient rule: d(a/b)/da = 1/b and d(a/b)/db = -a/b**2.",
    "operand_order": (
        "In an r-method (__rsub__, __rtruediv__) self is the *right* operand: 2 - a calls "
        "a.__rsub__(2), which must compute 2 - a, not a - 2."
    ),
    "relu_kink": (
        "relu(x) = max(0, x) has slope 1 for x > 0 and slope 0 for x < 0; at the kink x = 0 the "
        "convention (micrograd, PyTorch, chainrule) is slope 0."
    ),
    "order": (
        "backward() must visit every node after all the nodes that use it (children before "
        "parents): build a topological order (each node after its inputs) and walk it in "
        "*reverse*."
    ),
    "no_reset": (
        "Each backward() starts from scratch: nothing from an earlier call (a list of visited "
        "nodes, a topological order) may be kept and reused on the next graph."
    ),
    "recursion": (
        "Python allows about 1,000 nested calls: a topological sort that calls itself once per "
        "node fails on a deep graph (an RNN, a long chain). Use a loop with a stack instead."
    ),
    "path": (
        "An input that reaches the output along several paths gets the sum over all of them: "
        "for each path, the product of the local derivatives along it (lesson 1's sum over paths)."
    ),
    "shape": (
        "One gradient for each input, each with the shape of what it is the gradient of: dW is "
        "shaped like W, db like b."
    ),
    "endless": (
        "A function that calls itself must come closer to the end with each call: on a graph of a "
        "few nodes, a walk that still hits Python's limit of about 1,000 nested calls calls itself "
        "on the same node again (or goes round in a circle)."
    ),
    "hang": ("A loop that never ends: a walk over the graph must visit each node a bounded number of times."),
    "unfinished": "This part is not written yet.",
    "crash": "Your code raised an error where the op is defined.",
    "wrong": "The numbers differ from the op's derivative, and from every known mistake.",
}

#: The op mistakes, in the order they are tried.
MISTAKES: list[Mistake] = [
    Mistake(
        "upstream",
        "the upstream gradient is not multiplied in",
        CONCEPT["upstream"],
        {
            "from the local derivative alone, not multiplied by out.grad": _with_local(
                lambda c: c.local, times=False
            )
        },
        idioms=frozenset({"micrograd"}),
    ),
    Mistake(
        "assign",
        "= instead of +=",
        CONCEPT["assign"],
        {
            "when the share is written with = (the gradient already there is lost)": _with_local(
                lambda c: c.local, assign=True
            ),
            "when the shares are written with =, other first": _with_local(
                lambda c: c.local, assign=True, reverse=True
            ),
            "when the first input's share is written with =": _with_local(lambda c: c.local, assign=0),
            "when the second input's share is written with =": _with_local(lambda c: c.local, assign=1),
        },
        idioms=frozenset({"micrograd"}),
    ),
    Mistake(
        "input_output",
        "the input used where the output was meant, or the reverse",
        CONCEPT["input_output"],
        {
            "with the input x where the output t was meant": _with_local(
                _unary(lambda c: c.op.local(c.args[0], c.args[0]))
            ),
            "with the output t where the input x was meant": _with_local(
                _unary(lambda c: c.op.local(c.out, c.out))
            ),
        },
    ),
    Mistake(
        "sign",
        "a sign flipped",
        CONCEPT["sign"],
        {
            "with the first input's sign flipped": _with_local(_flip(0)),
            "with the second input's sign flipped": _with_local(_flip(1)),
            "with every sign flipped": _with_local(_flip(None)),
        },
    ),
    Mistake(
        "swapped",
        "the two factors of * swapped",
        CONCEPT["swapped"],
        {"when each input is given its own value in place of the other's": _with_local(lambda c: c.args)},
        ops=frozenset({"mul"}),
    ),
    Mistake(
        "power_rule",
        "the power rule off by one or missing its factor",
        CONCEPT["power_rule"],
        {
            "with k * x**k (the exponent not lowered)": _with_local(
                lambda c: _power(c, lambda x, k: k * x**k)
            ),
            "with k * x**(k-2) (lowered twice)": _with_local(
                lambda c: _power(c, lambda x, k: k * x ** (k - 2))
            ),
            "with x**(k-1) (the factor k missing)": _with_local(
                lambda c: _power(c, lambda x, k: x ** (k - 1))
            ),
        },
        ops=frozenset({"pow"}),
    ),
    Mistake(
        "quotient_rule",
        "the quotient rule",
        CONCEPT["quotient_rule"],
        {
            "with -1/b**2 for b (the a missing)": _with_local(lambda c: (1 / c.args[1], -1 / c.args[1] ** 2)),
            "with 1/b**2 for b": _with_local(lambda c: (1 / c.args[1], 1 / c.args[1] ** 2)),
            "with -a/b for b (b not squared)": _with_local(lambda c: (1 / c.args[1], -c.args[0] / c.args[1])),
            "with the derivatives for a and b swapped": _with_local(
                lambda c: (-c.args[0] / c.args[1] ** 2, 1 / c.args[1])
            ),
        },
        ops=frozenset({"div"}),
    ),
    Mistake(
        "operand_order",
        "the operands of an r-method in the wrong order",
        CONCEPT["operand_order"],
        {"with self and other swapped": _swapped_order},
    ),
    Mistake(
        "relu_kink",
        "relu's kink on the wrong side, or a slope below 0",
        CONCEPT["relu_kink"],
        {
            "with slope 1 at x = 0 (x >= 0 in place of x > 0)": _with_local(_relu_kink),
            "with a non-zero slope at or below 0": _relu_slope_below,
        },
        ops=frozenset({"relu"}),
    ),
]

#: The walk's mistakes (found by running the learner's backward()): kind -> title.
WALK_MISTAKES = {
    "order": "nodes visited in the wrong order",
    "assign": "= instead of += in the walk",
    "upstream": "the upstream gradient not multiplied in the walk",
    "no_reset": "state kept from an earlier backward()",
    "recursion": "Python's recursion limit hit",
    "hang": "a loop that never ends",
}


def answer(op: Op, idiom: str) -> str:
    """The right line for ``op``, written from the table's own rule (see.names.symbolic_local):
    a micrograd-style closure's ``self.grad += ... * out.grad``, or microgpt's tuple of local numbers."""
    xs = [Value(0.7), Value(-1.3)][: op.arity or 1]
    out = op(*xs)
    names = {xs[0]: "self.data", out: "out.data"} | ({xs[1]: "other.data"} if len(xs) > 1 else {})
    numbers = op.local(out.data, *[x.data for x in xs])
    parts = [
        str(f) if f is not None else format_number(float(d))
        for f, d in zip(symbolic_local(out, names), numbers)
    ]
    if idiom == "microgpt":  # the local numbers are computed before the node: t is the output's number
        parts = [p.replace("out.data", "t") for p in parts]
        note = "   # t = the output's number" if any(re.search(r"\bt\b", p) for p in parts) else ""
        return f"({', '.join(parts)}{',' if len(parts) == 1 else ''}){note}"
    who = ["self", "other"]
    return "; ".join(f"{who[i]}.grad += {wrap_name(p)} * out.grad" for i, p in enumerate(parts))


def rule_of(op: str) -> str:
    """The rule hint for an op: its formula and derivative, from the op table's docstring."""
    table = OPS.get(op)
    doc = (table.__doc__ or "").strip() if table is not None else ""
    return f"{op}: {doc}" if doc else f"{op}: compare with central differences of your own forward"


def close(a: float, b: float, tol: float = 1e-6) -> bool:
    """Two gradients the same up to rounding (relative, with a floor for numbers near 0)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def number(x: float) -> str:
    return format_number(x)
