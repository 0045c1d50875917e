"""The test points of each op: which calls, at which numbers, with which gradients arriving from above.

For every op a learner's class may have, :data:`METHODS` says which table op it is and how it is
called (``a * b``, ``a * a``, ``a * 2``, ``2 * a``, ``a ** k``, ``a.tanh()``); :func:`cases` makes the
test points: nice numbers first (so the example in a report reads easily), then the kinks and the
edges of the op's domain (0, tiny and large inputs, both signs), then random ones; each with a random
upstream gradient (never 1, so a forgotten ``* out.grad`` shows) and a non-zero gradient already in
each input (so an ``=`` that should be ``+=`` shows). The expected numbers are the op table's.
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .links import OPS, Op, ops, pow_const
from .mistakes import Case, spread

__all__ = ["METHODS", "Form", "forms_for", "cases", "finish"]

#: A learner's method -> (the table op, how it is called: 'left' a.m(b), 'right' a.m(c) meaning c op a,
#: 'unary' a.m(), 'power' a.m(k) for a number k).


def _methods() -> dict[str, tuple[str, str]]:
    """Read from the op table: an op whose array form is one of Python's operators is a dunder method
    (``operator.truediv`` -> ``__truediv__`` and ``__rtruediv__``), any other op of one input a method
    of its own name (``a.exp()``)."""
    out: dict[str, tuple[str, str]] = {}
    for name, op in OPS.items():
        py = getattr(op.vectorized, "__name__", "")
        if getattr(operator, py, None) is op.vectorized:
            if op.arity == 2:
                out[f"__{py}__"] = (name, "power" if op is ops.POW else "left")
                out[f"__r{py}__"] = (name, "right")
            else:
                out[f"__{py}__"] = (name, "unary")
        elif op.arity == 1:
            out[name] = (name, "unary")
    return out


METHODS = _methods()

NICE = [0.5, -1.5, 2.0, 1.0, -1.0, 0.0, 3.0, -0.5]
EDGES = [1e-3, -1e-3, 6.0, -6.0, 20.0, -20.0, 1e3]
NICE_UPSTREAM = [3.0, -2.0, 0.5, 2.5, -1.5, 4.0]
NICE_BEFORE = [0.25, -0.5, 1.5, 0.75]
EXPONENTS = [2.0, 3.0, -1.0, 0.5, -2.0]
BASES = [2.0, 0.5, 3.0]


@dataclass
class Form:
    """One way of calling an op: ``make(fn, consts)`` builds the call from the learner's function, for
    the positions in ``names`` (``None``: a constant); ``text`` writes it (``'a * b'``)."""

    op: str
    method: str
    how: str
    names: tuple[str | None, ...]
    text: str


def forms_for(method: str, op: str, how: str) -> list[Form]:
    """The calls that test a learner's method: two Values, one Value twice, a Value and a plain number
    (``a * 2``; the r-methods, ``2 * a``, are methods of their own)."""
    sym = str(OPS[op])
    if how == "unary":
        return [Form(op, method, how, ("a",), "-a" if op == "neg" else f"{op}(a)")]
    if how == "power":
        return [Form(op, method, how, ("a",), "a ** k")]
    if how == "right":
        return [Form(op, method, how, (None, "a"), f"c {sym} a")]
    out = [Form(op, method, how, ("a", "b"), f"a {sym} b"), Form(op, method, how, ("a", "a"), f"a {sym} a")]
    return out + [Form(op, method, how, ("a", None), f"a {sym} c")]


def _values(rng: random.Random, n: int) -> list[float]:
    return NICE + EDGES + [round(rng.gauss(0, 2), 6) for _ in range(n)]


def cases(form: Form, rng: random.Random, table: Op | None, n_random: int = 8) -> list[tuple[Case, Any]]:
    """The test points of one form, each with its constant (the k of ``a ** k``, the c of ``c - a``)
    or None. ``table`` is the op to compare with (None: the op of the table of that name)."""
    xs = _values(rng, n_random)
    ys = xs[3:] + xs[:3]  # a second input that differs from the first
    out: list[tuple[Case, Any]] = []
    for i, x in enumerate(xs):
        tries: list[tuple[Op, tuple[float, ...], Any]]
        upstream = (
            NICE_UPSTREAM[i % len(NICE_UPSTREAM)] if i < 12 else rng.choice([-1, 1]) * rng.uniform(0.3, 3)
        )
        before = (
            0.0
            if i == 0
            else NICE_BEFORE[i % len(NICE_BEFORE)]
            if i < 12
            else rng.choice([-1, 1]) * rng.uniform(0.2, 2)
        )
        if form.how == "power":
            k = EXPONENTS[i % len(EXPONENTS)]
            tries = [(pow_const(k), (x,), k)]
        elif form.how == "right":
            c = BASES[i % len(BASES)] if OPS[form.op] is ops.POW else NICE[(i + 2) % len(NICE)] or 2.0
            tries = [(table or OPS[form.op], (c, x), c)]
        elif form.names == ("a", None):
            c = NICE[(i + 2) % len(NICE)] or 2.0
            tries = [(table or OPS[form.op], (x, c), c)]
        elif form.names == ("a", "a"):
            tries = [(table or OPS[form.op], (x, x), None)]
        elif len(form.names) == 2:
            tries = [(table or OPS[form.op], (x, ys[i]), None)]
        else:
            tries = [(table or OPS[form.op], (x,), None)]
        for op, args, const in tries:
            case = Case(op, form.text, args, form.names, upstream, {n: before for n in form.names if n})
            if finish(case):
                out.append((case, const))
    return out


def finish(case: Case) -> bool:
    """Fill in the table's numbers for the case: False where the op is undefined there, or its
    derivative is not a finite number (those points test nothing)."""
    try:
        case.out = float(case.op.forward(*case.args))
        case.local = tuple(float(d) for d in case.op.local(case.out, *case.args))
    except (ArithmeticError, ValueError, TypeError):
        return False
    if not all(math.isfinite(v) and abs(v) < 1e12 for v in (case.out, *case.local)):
        return False
    case.expected = spread(case, case.local)
    return True


def caller(form: Form, fn: Callable[..., Any], const: Any) -> Callable[[dict[str, Any]], Any]:
    """The learner's call for one test point: Values by name in, the output node out."""
    if form.how in ("unary",):
        return lambda v: fn(v["a"])
    if form.how in ("power", "right") or form.names == ("a", None):
        return lambda v: fn(v["a"], const)
    if form.names == ("a", "a"):
        return lambda v: fn(v["a"], v["a"])
    return lambda v: fn(v["a"], v["b"])
