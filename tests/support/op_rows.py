"""The one table of op test rows: the only place the tests list ops.

Every test that goes over "every op" reads :data:`ROWS`: test_ops (values against
``math``, first and second derivatives against central differences and sympy),
test_trace (the batch replay against the scalar engine), test_fuzz (random
programs against 50-digit mpmath and sympy), test_perf_properties
(:func:`every_op_graph`), test_parse and test_nn_module (the references of the
functions formulas and layers use).

One :class:`Row` per op (``pow_const`` has one row per exponent, ``dot`` one
without and one with a bias). Adding an op to ``autograd/ops.py``? Add its row
to ``ROWS`` below (``test_ops.test_every_op_has_a_row`` prints the line to fill
in); every one of those tests then checks it, and nothing else needs editing.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp
from hypothesis import strategies as st

import autograd
import nn.losses  # defines logaddexp with autograd.define_op: an op of the table from outside autograd
from autograd import Value, ops

#: How close to 0 an input of a ``nonzero`` domain may come.
GAP = 1e-3
#: How close to a kink (or to a point without a second derivative) derivative checks may come.
KINK_GAP = 1e-2


@dataclass(frozen=True)
class Domain:
    """Where one input is drawn from: ``[lo, hi]``, without ``(-GAP, GAP)`` if ``nonzero``.

    A domain with ``lo >= 0`` or ``nonzero`` is one the op leaves (or its derivative
    does) near 0 or below; the fuzzer feeds such an input ``x*x + c`` (c >= 0.5). Any
    other domain must hold every number the fuzzer may feed it, |x| <= 3.
    """

    lo: float
    hi: float
    nonzero: bool = False

    def __post_init__(self) -> None:
        if not self.lo < self.hi or self.nonzero and not self.lo < -GAP < GAP < self.hi:
            raise ValueError(f"bad domain {self}")

    def __contains__(self, x: float) -> bool:
        return self.lo <= x <= self.hi and not (self.nonzero and abs(x) < GAP)

    @property
    def positive_only(self) -> bool:
        """Whether the op needs this input away from 0 and above it (what the fuzzer's guard ensures)."""
        return self.lo >= 0 or self.nonzero

    def floats(self, away_from: tuple[float, ...] = ()) -> st.SearchStrategy[float]:
        """Hypothesis floats of the domain, at least ``KINK_GAP`` from each point of ``away_from``."""
        if self.nonzero:
            s = st.floats(self.lo, -GAP) | st.floats(GAP, self.hi)
        else:
            s = st.floats(self.lo, self.hi)
        if away_from:
            s = s.filter(lambda x: all(abs(x - p) > KINK_GAP for p in away_from))
        return s

    def point(self, i: int = 0) -> float:
        """An ordinary point of the domain (not 0, not at a kink), a different one for each input i < 10."""
        return (self.lo + self.hi) / 2 + 0.3 + 0.1 * i


@dataclass(frozen=True)
class Row:
    """One op, as the tests see it.

    ``call`` makes the op's node from Values (the op object itself, or its Python
    spelling: ``x + y``, ``x.exp()``, ``abs(x)``; ``spellings`` are the other ways to
    write it, which must build the same node). ``ref`` is the same function on floats
    from ``math``, ``sym`` on sympy expressions, ``mp`` on mpmath numbers. ``domain``:
    one :class:`Domain` per input. ``kink``: the op has a kink or a jump at 0 (relu,
    abs, step, sign), where its derivative is the convention 0 and central differences
    straddle the jump. ``d2_undefined_at``: points of the domain where the op has a
    first derivative but no second one (``x**1.5`` at 0).
    """

    op: str  # a key of ops.OPS, or "pow_const" (then ``exponent`` is the k)
    call: Callable[..., Any]
    ref: Callable[..., float]
    sym: Callable[..., Any]
    mp: Callable[..., Any]
    domain: tuple[Domain, ...]
    kink: bool = False
    d2_undefined_at: tuple[float, ...] = ()
    exponent: float | None = None
    spellings: tuple[Callable[..., Any], ...] = ()
    tag: str = ""  # tells rows of one op apart in test ids

    @property
    def id(self) -> str:
        return self.op + self.tag

    @property
    def arity(self) -> int:
        return len(self.domain)

    @property
    def the_op(self) -> ops.Op:
        return ops.pow_const(self.exponent) if self.op == "pow_const" else ops.OPS[self.op]

    @property
    def variadic(self) -> bool:
        """Takes any number of inputs (dot: ws..., xs..., then a bias if the count is odd)."""
        return self.op != "pow_const" and self.the_op.arity is None

    @property
    def singular(self) -> tuple[float, ...]:
        """Where derivative checks keep away from: the kink, and the points without a second derivative."""
        return ((0.0,) if self.kink else ()) + self.d2_undefined_at

    def made(self, node: Value) -> bool:
        """Whether ``node`` is this row's op (a pow_const op by its exponent: the cache may make it again)."""
        op = node._op
        if self.op == "pow_const":
            return getattr(op, "name", None) == "pow" and op.exponent == self.exponent  # type: ignore[union-attr]
        return op is self.the_op

    def points(self) -> st.SearchStrategy[list[float]]:
        """Inputs for derivative checks: in the domain, away from the points in ``singular``."""
        return st.tuples(*[d.floats(self.singular) for d in self.domain]).map(list)

    def point(self) -> list[float]:
        """An ordinary point of the domain: one number per input, all different."""
        return [d.point(i) for i, d in enumerate(self.domain)]


# --- references that share no code with the engine -----------------------------------------


def _sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a)) if a > -700 else math.exp(a)  # there 1 + e**-a is e**-a, to the last bit


def _softplus(a: float) -> float:
    return math.log1p(math.exp(a)) if a < 40 else a  # there log(1 + e**a) = a + e**-a rounds to a


def _logaddexp(a: float, b: float) -> float:
    m = max(a, b)  # the textbook shift (the op itself uses log1p of the smaller term)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def _weighted(*args: Any) -> Any:
    """w_1 x_1 + ... + w_n x_n (+ b), for any kind of number: dot's reference."""
    n = len(args) // 2
    total = sum((w * x for w, x in zip(args[:n], args[n : 2 * n])), 0)
    return total + args[2 * n] if len(args) % 2 else total


def _dot_lists(*args: Any) -> Value:  # the same node, written as autograd.dot(ws, xs, bias)
    n = len(args) // 2
    return autograd.dot(list(args[:n]), list(args[n : 2 * n]), args[2 * n] if len(args) % 2 else None)


REAL = Domain(-50.0, 50.0)
NONZERO = Domain(-10.0, 10.0, nonzero=True)
POSITIVE = Domain(GAP, 10.0)
EXPONENT = Domain(-3.0, 3.0)


def power(k: float, domain: Domain, **extra: Any) -> Row:
    """The row of ``a ** k`` for one constant k (one op per exponent)."""
    op = ops.pow_const(k)
    return Row("pow_const", op, lambda a: a**k, lambda a: a ** sp.Rational(k), lambda a: a ** mpmath.mpf(k),
               (domain,), exponent=float(k), tag=f"({ops.exact_number(k)})",
               spellings=(lambda a: a**k, lambda a: autograd.power(a, k)), **extra)


def _unary(name: str, call: Callable[..., Any], ref: Callable[..., float], sym: Callable[..., Any],
           mp: Callable[..., Any], domain: Domain = REAL, **extra: Any) -> Row:
    return Row(name, call, ref, sym, mp, (domain,), **extra)


def _binary(name: str, call: Callable[..., Any], fn: Callable[..., Any], left: Domain = REAL,
            right: Domain = REAL, **extra: Any) -> Row:
    return Row(name, call, fn, fn, fn, (left, right), **extra)


ROWS: list[Row] = [
    # Python's operators first: ``x + y``, ``x / y``, ``x ** y`` stay covered, the op object too.
    _binary("add", operator.add, lambda a, b: a + b, spellings=(ops.ADD,)),
    _binary("sub", ops.SUB, lambda a, b: a - b, spellings=(operator.sub,)),
    _binary("mul", ops.MUL, lambda a, b: a * b, spellings=(operator.mul,)),
    _binary("div", operator.truediv, lambda a, b: a / b, REAL, NONZERO, spellings=(ops.DIV,)),
    _binary("pow", operator.pow, lambda a, b: a**b, POSITIVE, EXPONENT, spellings=(ops.POW,)),
    _unary("neg", ops.NEG, lambda a: -a, lambda a: -a, lambda a: -a, spellings=(operator.neg,)),
    power(0, REAL),  # a constant, whose derivatives at 0 (and everywhere) are 0
    power(1, REAL),
    power(2, REAL),
    power(3, REAL),
    power(4, REAL),
    power(-1, NONZERO),
    power(-2, NONZERO),
    power(0.5, POSITIVE),
    power(1.5, Domain(0.0, 10.0), d2_undefined_at=(0.0,)),  # 1.5 a**0.5 is 0 at 0, 0.75 a**-0.5 infinite
    power(2.5, POSITIVE),
    power(-0.5, POSITIVE),
    power(-2.5, POSITIVE),
    power(1 / 3, POSITIVE),
    _unary("exp", lambda a: a.exp(), math.exp, sp.exp, mpmath.exp, Domain(-30.0, 30.0), spellings=(ops.EXP,)),
    _unary("log", ops.LOG, math.log, sp.log, mpmath.log, POSITIVE, spellings=(lambda a: a.log(),)),
    _unary("tanh", ops.TANH, math.tanh, sp.tanh, mpmath.tanh, spellings=(lambda a: a.tanh(),)),
    _unary("sigmoid", ops.SIGMOID, _sigmoid, lambda a: 1 / (1 + sp.exp(-a)),
           lambda a: 1 / (1 + mpmath.exp(-a)), Domain(-800.0, 800.0), spellings=(lambda a: a.sigmoid(),)),
    _unary("softplus", ops.SOFTPLUS, _softplus, lambda a: sp.log(1 + sp.exp(a)),
           lambda a: mpmath.log(1 + mpmath.exp(a)), Domain(-800.0, 800.0)),
    # an op added by nn.losses with define_op (cross_entropy's log-sum-exp); large inputs must not overflow
    Row("logaddexp", nn.losses.logaddexp, _logaddexp, lambda a, b: sp.log(sp.exp(a) + sp.exp(b)),
        lambda a, b: mpmath.log(mpmath.exp(a) + mpmath.exp(b)), (Domain(-800.0, 800.0),) * 2),
    _unary("relu", lambda a: a.relu(), lambda a: max(a, 0.0), lambda a: sp.Max(a, 0),
           lambda a: a if a > 0 else mpmath.mpf(0), kink=True, spellings=(ops.RELU,)),
    _unary("abs", abs, math.fabs, sp.Abs, mpmath.fabs, kink=True, spellings=(ops.ABS, lambda a: a.abs())),
    _unary("step", ops.STEP, lambda a: 1.0 if a > 0 else 0.0, lambda a: sp.Heaviside(a, 0),
           lambda a: mpmath.mpf(1 if a > 0 else 0), kink=True),
    _unary("sign", ops.SIGN, lambda a: math.copysign(1.0, a) if a else 0.0, sp.sign, mpmath.sign, kink=True),
    _unary("sqrt", ops.SQRT, math.sqrt, sp.sqrt, mpmath.sqrt, POSITIVE, spellings=(lambda a: a.sqrt(),)),
    _unary("sin", ops.SIN, math.sin, sp.sin, mpmath.sin, spellings=(lambda a: a.sin(),)),
    _unary("cos", ops.COS, math.cos, sp.cos, mpmath.cos, spellings=(lambda a: a.cos(),)),
    # log_base is 0 at 0, where its derivative is infinite: drawn from POSITIVE
    _unary("log_base", ops.LOG_BASE, math.log, sp.log, mpmath.log, POSITIVE),
    Row("dot", ops.DOT, _weighted, _weighted, _weighted, (REAL,) * 4, tag="(w,x)", spellings=(_dot_lists,)),
    Row("dot", ops.DOT, _weighted, _weighted, _weighted, (REAL,) * 5, tag="(w,x,b)", spellings=(_dot_lists,)),
]

BY_ID: dict[str, Row] = {row.id: row for row in ROWS}
assert len(BY_ID) == len(ROWS), "two rows share an id: give one a tag"
assert all(len(set(r.domain)) == 1 for r in ROWS if r.variadic), "a variadic row draws every input alike"


# --- each op written microgpt's way: Value(out, children, local_grads), from math alone ---------
# (tests/core/test_microgpt_idioms.py checks each against the table's op, and that every row has one)


def _exp(a: Value) -> Value:
    e = math.exp(a.data)
    return Value(e, (a,), (e,))


def _tanh(a: Value) -> Value:
    t = math.tanh(a.data)
    return Value(t, (a,), (1 - t * t,))


def _sigmoid(a: Value) -> Value:
    s = 1 / (1 + math.exp(-a.data))
    return Value(s, (a,), (s * (1 - s),))


def _logaddexp(a: Value, b: Value) -> Value:
    m = max(a.data, b.data)
    out = m + math.log(math.exp(a.data - m) + math.exp(b.data - m))
    return Value(out, (a, b), (math.exp(a.data - out), math.exp(b.data - out)))


def _sign(x: float) -> float:
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def _dot(*args: Value) -> Value:
    n = len(args) // 2
    ws, xs = args[:n], args[n: 2 * n]
    out = sum((w.data * x.data for w, x in zip(ws, xs)), 0.0) + sum(b.data for b in args[2 * n:])
    return Value(out, args, (*[x.data for x in xs], *[w.data for w in ws], *[1] * (len(args) % 2)))


#: Each op as microgpt would write it: the output's number and one local derivative per child.
MICROGPT: dict[str, Callable[..., Value]] = {
    "add": lambda a, b: Value(a.data + b.data, (a, b), (1, 1)),
    "sub": lambda a, b: Value(a.data - b.data, (a, b), (1, -1)),
    "mul": lambda a, b: Value(a.data * b.data, (a, b), (b.data, a.data)),
    "div": lambda a, b: Value(a.data / b.data, (a, b), (1 / b.data, -a.data / b.data**2)),
    "pow": lambda a, b: Value(a.data**b.data, (a, b), (b.data * a.data ** (b.data - 1),
                                                        a.data**b.data * math.log(a.data))),
    "neg": lambda a: Value(-a.data, (a,), (-1,)),
    "exp": _exp,
    "log": lambda a: Value(math.log(a.data), (a,), (1 / a.data,)),
    "tanh": _tanh,
    "sigmoid": _sigmoid,
    "softplus": lambda a: Value(math.log1p(math.exp(a.data)), (a,), (1 / (1 + math.exp(-a.data)),)),
    "logaddexp": _logaddexp,
    "relu": lambda a: Value(max(0.0, a.data), (a,), (float(a.data > 0),)),
    "abs": lambda a: Value(abs(a.data), (a,), (_sign(a.data),)),
    "step": lambda a: Value(float(a.data > 0), (a,), (0,)),
    "sign": lambda a: Value(_sign(a.data), (a,), (0,)),
    "sqrt": lambda a: Value(math.sqrt(a.data), (a,), (0.5 / math.sqrt(a.data),)),
    "sin": lambda a: Value(math.sin(a.data), (a,), (math.cos(a.data),)),
    "cos": lambda a: Value(math.cos(a.data), (a,), (-math.sin(a.data),)),
    "log_base": lambda a: Value(math.log(a.data), (a,), (1 / a.data,)),
    "dot": _dot,
}



def row_template(name: str) -> str:
    """The row to add to ROWS for the op ``name``, with the parts only its author knows left to fill in."""
    n = ops.OPS[name].arity or 2
    args = ", ".join("abcde"[:n])
    domain = "".join(["REAL, "] * n).rstrip(" ")
    return (f'Row("{name}", ops.OPS["{name}"], ref=lambda {args}: <math>, sym=lambda {args}: <sympy>, '
            f'mp=lambda {args}: <mpmath>, domain=({domain}), kink=<True if it jumps or kinks at 0>),')


def every_op_graph() -> Value:
    """One small graph that uses every row of ROWS (so every op of the table), its leaves shared."""
    leaves: dict[float, Value] = {}

    def leaf(x: float) -> Value:
        if x not in leaves:
            leaves[x] = Value(x, label=f"x{len(leaves)}")
        return leaves[x]

    total = Value(0.5, label="start")
    for row in ROWS:
        total = total + row.call(*[leaf(x) for x in row.point()])
    return total
