"""The op table: every operation the engine knows, each defined exactly once.

An :class:`Op` bundles everything about one operation:

* ``forward(*xs)``: the value, computed on plain floats, with a clear error
  outside the op's domain;
* ``local(out, *xs)``: one local derivative per input, d out / d x_i. Rules are
  written with ordinary arithmetic and the functions below (``exp``, ``log``,
  ``cos``...), so the same rule gives floats when it is handed floats and builds
  new graph nodes when it is handed Values. That is what makes gradients of
  gradients work without a second set of rules;
* the label that graphs show (the ``Op`` *is* that string, just as micrograd
  keeps a string in ``Value._op``), a name, and how to write the op in a formula.

Everything that needs to know an op (``Value.backward``, ``create_graph``, the
graph renderer, ``explain``, forward mode, the step-by-step player) reads this
table. Adding an op means adding one entry here, one method on ``Value`` and
one row in the tests.
"""

from __future__ import annotations

import math
import numbers
import operator
from functools import lru_cache
from typing import Any, Callable, Sequence, TypedDict

__all__ = [
    "Op", "OPS", "ADD", "SUB", "MUL", "DIV", "NEG", "POW", "pow_const", "EXP", "LOG",
    "TANH", "SIGMOID", "RELU", "ABS", "SQRT", "SIN", "COS", "DOT",
    "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "sin", "cos", "power",
]


class Op(str):
    """One operation of the engine.

    The string value is the op's label as graphs draw it (``'+'``, ``'*'``,
    ``'tanh'``, ``'**2'``), so ``node._op == '+'`` works as in micrograd.
    """

    name: str
    forward: Callable[..., float]
    local: Callable[..., tuple[Any, ...]]
    text: Callable[[Sequence[str]], str]
    latex: Callable[[Sequence[str]], str]
    precedence: int
    exponent: float | None

    def __new__(
        cls,
        label: str,
        *,
        name: str,
        forward: Callable[..., float],
        local: Callable[..., tuple[Any, ...]],
        text: Callable[[Sequence[str]], str],
        latex: Callable[[Sequence[str]], str],
        precedence: int,
        doc: str,
        exponent: float | None = None,
    ) -> Op:
        self = super().__new__(cls, label)
        self.name = name
        self.forward = forward
        self.local = local
        self.text = text
        self.latex = latex
        self.precedence = precedence
        self.exponent = exponent
        self.__doc__ = doc
        return self

    def __repr__(self) -> str:
        return f"<op {self.name} {str.__repr__(self)}>"

    def __reduce__(self) -> Any:  # ops are singletons; copy and pickle keep the label only
        return (str, (str(self),))


def fmt(x: float) -> str:
    """A number as a short label: ``2`` for 2.0, ``0.5`` for 0.5."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


# --- forward functions: floats in, float out, a clear error outside the domain ----------


def _is_number(x: Any) -> bool:
    return isinstance(x, (float, int)) or isinstance(x, numbers.Real)


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise OverflowError(
            f"exp: exp({a!r}) overflows a float (the largest input is about 709.78)"
        ) from None


def _log(a: float) -> float:
    if a <= 0:
        raise ValueError(f"log: expected an input > 0, got {a!r} (log is defined for x > 0)")
    return math.log(a)


def _sqrt(a: float) -> float:
    if a < 0:
        raise ValueError(f"sqrt: expected an input >= 0, got {a!r} (sqrt is defined for x >= 0)")
    return math.sqrt(a)


def _div(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError(f"div: division by zero in {a!r} / {b!r} (the divisor must be non-zero)")
    return a / b


def _pow(a: float, b: float) -> float:
    if a == 0 and b < 0:
        raise ZeroDivisionError(
            f"pow: 0 ** {b!r} divides by zero (a negative exponent needs a non-zero base)"
        )
    if a < 0 and not float(b).is_integer():
        raise ValueError(
            f"pow: {a!r} ** {b!r} is not a real number "
            "(a negative base needs an integer exponent)"
        )
    try:
        return float(a**b)
    except OverflowError:
        raise OverflowError(f"pow: {a!r} ** {b!r} overflows a float") from None


def _sigmoid(a: float) -> float:
    # Two algebraically equal forms, each used where exp cannot overflow.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _relu(a: float) -> float:
    return 0.0 if a < 0 else a + 0.0  # NaN stays NaN; -0.0 becomes 0.0


def _step(a: Any) -> float:
    """relu's derivative: 1 for a > 0, 0 for a <= 0 (the kink at 0 takes 0, as micrograd does)."""
    a = _data(a)
    return 1.0 if a > 0 else 0.0 if a <= 0 else math.nan


def _sign(a: Any) -> float:
    """abs's derivative: the sign of a, with sign(0) = 0 (the kink at 0 takes 0)."""
    a = _data(a)
    return 1.0 if a > 0 else -1.0 if a < 0 else 0.0 if a == 0 else math.nan


def _data(x: Any) -> float:
    return x if _is_number(x) else x.data


def weighted_sum(ws: Sequence[float], xs: Sequence[float], bias: float | None = None) -> float:
    """w_1 x_1 + ... + w_n x_n (+ bias) on floats: the forward of ``dot``, also used for whole layers."""
    s = sum(map(operator.mul, ws, xs), 0.0)
    return s if bias is None else s + bias


def _dot(*args: float) -> float:
    n = len(args) // 2
    return weighted_sum(args[:n], args[n : 2 * n], args[-1] if len(args) % 2 else None)


# --- functions for numbers and Values alike (rules are written with these) -------------
# On a number they compute the checked forward above; on a Value they build a node.


def exp(x: Any) -> Any:
    """e**x for a number or a Value."""
    return _exp(x) if _is_number(x) else x.exp()


def log(x: Any) -> Any:
    """Natural logarithm of a number or a Value."""
    return _log(x) if _is_number(x) else x.log()


def tanh(x: Any) -> Any:
    """Hyperbolic tangent of a number or a Value."""
    return math.tanh(x) if _is_number(x) else x.tanh()


def sigmoid(x: Any) -> Any:
    """Logistic function 1 / (1 + e**-x) of a number or a Value."""
    return _sigmoid(x) if _is_number(x) else x.sigmoid()


def relu(x: Any) -> Any:
    """max(0, x) of a number or a Value."""
    return _relu(x) if _is_number(x) else x.relu()


def sqrt(x: Any) -> Any:
    """Square root of a number or a Value."""
    return _sqrt(x) if _is_number(x) else x.sqrt()


def sin(x: Any) -> Any:
    """Sine of a number or a Value."""
    return math.sin(x) if _is_number(x) else x.sin()


def cos(x: Any) -> Any:
    """Cosine of a number or a Value."""
    return math.cos(x) if _is_number(x) else x.cos()


def power(x: Any, k: float) -> Any:
    """x ** k for a constant k and a number or a Value (checked: no complex results)."""
    return _pow(x, k) if _is_number(x) else x**k


# --- how ops are written in formulas -----------------------------------------------------


_Writer = Callable[[Sequence[str]], str]


class _Writers(TypedDict):
    text: _Writer
    latex: _Writer


def _infix(sym: str, latex_sym: str | None = None) -> _Writers:
    lsym = sym if latex_sym is None else latex_sym
    return {
        "text": lambda xs: f"{xs[0]} {sym} {xs[1]}",
        "latex": lambda xs: f"{xs[0]} {lsym} {xs[1]}",
    }


def _call(name: str, latex_name: str) -> _Writers:
    return {
        "text": lambda xs: f"{name}({xs[0]})",
        "latex": lambda xs: f"{latex_name}\\left({xs[0]}\\right)",
    }


def _dot_text(xs: Sequence[str]) -> str:
    n = len(xs) // 2
    terms = [f"{w}*{x}" for w, x in zip(xs[:n], xs[n : 2 * n])] + list(xs[2 * n :])
    return " + ".join(terms) if terms else "0"


def _dot_latex(xs: Sequence[str]) -> str:
    n = len(xs) // 2
    terms = [f"{w} {x}" for w, x in zip(xs[:n], xs[n : 2 * n])] + list(xs[2 * n :])
    return " + ".join(terms) if terms else "0"


# Precedence, loosest first: 1 sums, 2 products, 3 unary minus, 4 powers, 5 calls and atoms.

ADD = Op(
    "+", name="add", precedence=1,
    forward=operator.add,
    local=lambda out, a, b: (1.0, 1.0),
    **_infix("+"),
    doc="a + b.  d/da = 1, d/db = 1.",
)
SUB = Op(
    "-", name="sub", precedence=1,
    forward=operator.sub,
    local=lambda out, a, b: (1.0, -1.0),
    **_infix("-"),
    doc="a - b.  d/da = 1, d/db = -1.",
)
MUL = Op(
    "*", name="mul", precedence=2,
    forward=operator.mul,
    local=lambda out, a, b: (b, a),
    **_infix("*", "\\cdot"),
    doc="a * b.  d/da = b, d/db = a.",
)
DIV = Op(
    "/", name="div", precedence=2,
    forward=_div,
    local=lambda out, a, b: (1.0 / b, -out / b),
    text=_infix("/")["text"], latex=(lambda xs: f"\\frac{{{xs[0]}}}{{{xs[1]}}}"),
    doc="a / b.  d/da = 1/b, d/db = -a/b**2 (written -out/b).",
)
NEG = Op(
    "neg", name="neg", precedence=3,
    forward=operator.neg,
    local=lambda out, a: (-1.0,),
    text=lambda xs: f"-{xs[0]}", latex=lambda xs: f"-{xs[0]}",
    doc="-a.  d/da = -1.",
)


def _pow_local(out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    # d/da = b * a**(b-1).  d/db = a**b * ln a, which is real only for a > 0;
    # at a == 0 (with b > 0, the only case the forward allows) its limit is 0.
    ad = _data(a)
    if ad > 0:
        db = out * log(a)
    elif ad == 0:
        db = 0.0
    else:
        raise ValueError(
            f"pow: the derivative of {ad!r} ** b with respect to the exponent b is a**b * ln(a), "
            "which needs a base > 0"
        )
    return b * power(a, _data(b) - 1.0) if _is_number(b) else b * a ** (b - 1.0), db


POW = Op(
    "**", name="pow", precedence=4,
    forward=_pow,
    local=_pow_local,
    text=_infix("**", "^")["text"], latex=(lambda xs: f"{{{xs[0]}}}^{{{xs[1]}}}"),
    doc="a ** b with b a Value.  d/da = b * a**(b-1), d/db = a**b * ln(a) (needs a > 0).",
)


@lru_cache(maxsize=1024)
def pow_const(k: float) -> Op:
    """The op ``a ** k`` for one constant exponent k (graphs show it as ``**k``, as micrograd does).

    d/da = k * a**(k-1).  One Op is kept per exponent, so nodes share it.
    """
    k = float(k)
    label = fmt(k)
    return Op(
        f"**{label}", name="pow", precedence=4, exponent=k,
        forward=lambda a: _pow(a, k),
        local=(lambda out, a: (k * a,)) if k == 2.0 else (lambda out, a: (k * power(a, k - 1.0),)),
        text=lambda xs: f"{xs[0]}**{label}", latex=lambda xs: f"{{{xs[0]}}}^{{{label}}}",
        doc=f"a ** {label}.  d/da = {label} * a**{fmt(k - 1.0)}.",
    )


EXP = Op(
    "exp", name="exp", precedence=5,
    forward=_exp,
    local=lambda out, a: (out,),
    **_call("exp", "\\exp"),
    doc="e**a.  d/da = e**a (the output itself).",
)
LOG = Op(
    "log", name="log", precedence=5,
    forward=_log,
    local=lambda out, a: (1.0 / a,),
    **_call("log", "\\ln"),
    doc="ln a, for a > 0.  d/da = 1/a.",
)
TANH = Op(
    "tanh", name="tanh", precedence=5,
    forward=math.tanh,
    local=lambda out, a: (1.0 - out * out,),
    **_call("tanh", "\\tanh"),
    doc="tanh a = (e**2a - 1)/(e**2a + 1).  d/da = 1 - tanh(a)**2.",
)
SIGMOID = Op(
    "sigmoid", name="sigmoid", precedence=5,
    forward=_sigmoid,
    local=lambda out, a: (out * (1.0 - out),),
    **_call("sigmoid", "\\sigma"),
    doc="sigmoid a = 1/(1 + e**-a).  d/da = sigmoid(a) * (1 - sigmoid(a)).",
)
RELU = Op(
    "ReLU", name="relu", precedence=5,
    forward=_relu,
    local=lambda out, a: (_step(a),),
    **_call("relu", "\\mathrm{relu}"),
    doc="relu a = max(0, a).  d/da = 1 if a > 0 else 0 (0 at the kink a = 0).",
)
ABS = Op(
    "abs", name="abs", precedence=5,
    forward=abs,
    local=lambda out, a: (_sign(a),),
    text=_call("abs", "")["text"], latex=lambda xs: f"\\left|{xs[0]}\\right|",
    doc="|a|.  d/da = sign(a) (0 at the kink a = 0).",
)
SQRT = Op(
    "sqrt", name="sqrt", precedence=5,
    forward=_sqrt,
    local=lambda out, a: (0.5 / out,),
    text=_call("sqrt", "")["text"], latex=lambda xs: f"\\sqrt{{{xs[0]}}}",
    doc="sqrt a, for a >= 0.  d/da = 1 / (2 sqrt a), infinite at a = 0.",
)
SIN = Op(
    "sin", name="sin", precedence=5,
    forward=math.sin,
    local=lambda out, a: (cos(a),),
    **_call("sin", "\\sin"),
    doc="sin a.  d/da = cos a.",
)
COS = Op(
    "cos", name="cos", precedence=5,
    forward=math.cos,
    local=lambda out, a: (-sin(a),),
    **_call("cos", "\\cos"),
    doc="cos a.  d/da = -sin a.",
)


def _dot_local(out: Any, *args: Any) -> tuple[Any, ...]:
    n = len(args) // 2
    d = args[n : 2 * n] + args[:n]  # d/dw_i = x_i, d/dx_i = w_i
    return d + (1.0,) if len(args) % 2 else d


DOT = Op(
    "dot", name="dot", precedence=1,
    forward=_dot,
    local=_dot_local,
    text=_dot_text, latex=_dot_latex,
    doc="w_1 x_1 + ... + w_n x_n (+ b).  d/dw_i = x_i, d/dx_i = w_i, d/db = 1. "
    "Parents are w_1..w_n, x_1..x_n, then b if given.",
)

#: Every op with a fixed definition, by name (``pow_const`` makes one op per exponent).
OPS: dict[str, Op] = {
    op.name: op
    for op in (ADD, SUB, MUL, DIV, NEG, POW, EXP, LOG, TANH, SIGMOID, RELU, ABS, SQRT, SIN, COS, DOT)
}
