"""The op table: every operation the engine knows, each defined once, in one entry.

Every part of the library reads an op from here (backward, gradients of gradients, the
pictures, ``explain``, the player, forward mode, anomaly mode, the formula language, the
batch replay). An :class:`Op` has ``forward(*xs)``, the value on floats with an error naming
the op outside its domain; ``local(out, *xs)``, one local derivative d out / d x_i per input,
written with arithmetic and the ops themselves (``cos(a)``, ``1 - out * out``) so that the
same rule runs on floats (``backward``), on Values (``create_graph``: a graph to differentiate
again) and on NumPy arrays (the replay); ``vectorized(*arrays)``, the forward on arrays; the
label graphs draw (the Op *is* that string, as micrograd keeps ``'+'`` in ``_op``); and how
formulas write it. An op is a function too: ``exp(2.0)`` is a float, ``exp(v)`` a new node,
``exp(array)`` an array. Add one with :func:`define_op`::

    cube = define_op("cube", lambda x: x**3, lambda out, x: 3 * x * x)
"""

from __future__ import annotations

import inspect
import math
import numbers
import operator
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Iterable

__all__ = ["Op", "OPS", "define_op", "op_named", "pow_const", "exact_number", "ADD", "SUB", "MUL", "DIV",
           "NEG", "POW", "EXP", "LOG", "TANH", "SIGMOID", "SOFTPLUS", "RELU", "ABS", "SQRT", "SIN", "COS",
           "DOT", "STEP", "SIGN", "LOG_BASE", "exp", "log", "tanh", "sigmoid", "softplus", "relu", "sqrt",
           "sin", "cos", "power"]

ATOM = 5  # precedence, loosest first: 1 sums, 2 products, 3 unary minus, 4 powers, 5 calls and names
Writer = Callable[[Sequence[str]], str]


def _numpy() -> Any:
    import numpy  # only array inputs need it: the scalar engine itself imports nothing outside the stdlib
    return numpy


class Op(str):
    """One operation (see the module docstring); its string value is the label graphs draw.

    An op is a ``str`` subclass, so it compares (and hashes) by that label: ``MUL == '*'`` is
    True, and a node made by hand with ``_op='*'`` reads like one made by ``*``. Tell the table's
    ops apart by identity (``v._op is MUL``) or by ``name``, never by ``==``.

    Also: ``text``/``latex`` (argument strings in, a formula out), ``precedence`` and ``parens``
    (where operands need parentheses), ``in_formulas``, ``arity`` (None: any number of inputs, as
    ``dot``), ``exponent`` (the k of ``a ** k``)."""

    name: str
    forward: Callable[..., Any]
    local: Callable[..., Any]
    vectorized: Callable[..., Any]
    text: Writer
    latex: Writer
    precedence: int
    parens: Callable[[int, int, bool], bool]
    in_formulas: bool
    arity: int | None
    exponent: float | None

    def __new__(cls, name: str, forward: Callable[..., Any], local: Callable[..., Any], *,
                label: str | None = None, vectorized: Callable[..., Any] | None = None,
                text: Writer | None = None, latex: Writer | None = None, precedence: int = ATOM,
                in_formulas: bool = False, arity: int | None = None, exponent: float | None = None,
                parens: Callable[[int, int, bool], bool] | None = None, doc: str = "") -> Op:
        self = super().__new__(cls, name if label is None else label)
        self.name, self.forward, self.local, self.precedence = name, forward, local, precedence
        self.vectorized = vectorized or _elementwise(forward)
        self.text = text or (lambda xs: f"{name}({', '.join(xs)})")
        tex = name.replace("_", "\\_")
        self.latex = latex or (lambda xs: f"\\operatorname{{{tex}}}\\left({', '.join(xs)}\\right)")
        self.in_formulas, self.exponent, self.__doc__ = in_formulas, exponent, doc
        # whether the operand at a position, of a precedence, needs parentheses (in LaTeX or text)
        self.parens = parens or (lambda i, child, latex: child < precedence < ATOM)
        self.arity = _arity(forward) if arity is None else arity
        return self

    def __call__(self, *args: Any) -> Any:
        """Apply the op: to floats (a float), to Values (a new node) or to NumPy arrays (an array)."""
        for a in args:
            if a.__class__ is not float:
                return self._apply(args)
        return self.forward(*args)

    def _apply(self, args: tuple[Any, ...]) -> Any:
        for a in args:
            record = getattr(a, "_apply_op", None)  # a Value: the engine records the op as a node
            if record is not None:
                out = record(self, *args)
                if out is NotImplemented:
                    raise TypeError(f"{self.name}: cannot mix Values and NumPy arrays; apply it to each item")
                return out
        if all(isinstance(a, numbers.Real) for a in args):
            return self.forward(*[float(a) for a in args])
        if all(isinstance(a, numbers.Real) or hasattr(a, "__array_ufunc__") for a in args):
            return self.vectorized(*args)
        bad = next(a for a in args if not isinstance(a, numbers.Real))
        raise TypeError(f"{self.name}: expected numbers, Values or NumPy arrays, got "
                        f"{type(bad).__name__}: {bad!r:.80}")

    def __repr__(self) -> str: return f"<op {self.name} {str.__repr__(self)}>"

    def __reduce__(self) -> Any:  # an op is one object: a copy or an unpickled op is the same one
        return (pow_const, (self.exponent,)) if self.exponent is not None else (op_named, (self.name,))

    def __copy__(self) -> Op: return self
    def __deepcopy__(self, memo: Any) -> Op: return self


def _arity(forward: Callable[..., Any]) -> int | None:
    try:
        params = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        return None
    return None if any(p.kind is p.VAR_POSITIONAL for p in params) else \
        sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params)


def _elementwise(forward: Callable[..., float]) -> Callable[..., Any]:  # on arrays, each item: same numbers
    return lambda *arrays: _numpy().vectorize(forward, otypes=[float])(*arrays)


#: Every op by name (``pow_const`` makes one more op per constant exponent, on demand).
OPS: dict[str, Op] = {}
_BUILT_IN: set[str] = set()


def op_named(name: str) -> Op:
    """The op called ``name`` (what an unpickled node looks its op up by)."""
    try:
        return OPS[name]
    except KeyError:
        raise LookupError(f"no op named {name!r} is defined; define it with autograd.define_op") from None


def define_op(name: str, forward: Callable[..., float], local: Callable[..., Any], label: str | None = None,
              *, vectorized: Callable[..., Any] | None = None, latex: str | None = None,
              in_formulas: bool = True, doc: str = "") -> Op:
    """Add an op to the table and return it: a function of numbers, Values and NumPy arrays.

    ``forward(x, ...)`` computes the value on floats (its errors are reported with the op's
    name). ``local(out, x, ...)`` returns one derivative d out / d x per input (a bare value
    for one input), written with arithmetic and autograd's functions (``exp``, ``sigmoid``...)
    so that it runs on floats, Values and arrays: gradients of gradients and the batch replay
    then come free. ``label`` is what graphs draw, ``latex`` the command formulas use,
    ``vectorized(*arrays)`` a faster forward on arrays (by default ``forward`` runs on each
    item: the same numbers), ``in_formulas`` whether formulas (``chainrule draw``) may call it.
    Every tool handles the op from then on. Defining a name again replaces your earlier
    op (as when a notebook cell runs twice); built-in ops cannot be replaced."""
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or name in _BUILT_IN:
        raise ValueError(f"define_op: name must be a Python identifier, not starting with '_' and not a "
                         f"built-in op's name, got {name!r:.60}")
    if not callable(forward) or not callable(local) or not isinstance(label, (str, type(None))):
        raise TypeError("define_op: forward and local must be functions, and label a str")
    n = _arity(forward)
    if not n:
        raise ValueError(f"define_op: forward for {name!r} must take a fixed number (1 or more) of inputs")

    def checked_forward(*xs: float) -> float:
        at = ", ".join(map(repr, xs))
        try:
            y = forward(*xs)
        except (ArithmeticError, ValueError) as e:
            raise type(e)(f"{name}: {e} (at {at})") from None
        except (LookupError, TypeError) as e:  # a table looked up out of range, a float where an int goes
            raise type(e)(f"{name}: forward raised {type(e).__name__}: {e} at {at}. It is given floats and "
                          "must return a float for every one; outside its domain raise ValueError saying "
                          "so (and use int(x) to index a table)") from None
        if isinstance(y, bool) or not isinstance(y, numbers.Real):
            raise TypeError(f"{name}: forward must return a real number, got {type(y).__name__}: {y!r:.60}")
        try:
            return float(y)
        except OverflowError:
            raise OverflowError(f"{name}: forward returned {_too_big(y)} at {at}; return a float (at most "
                                "about 1.8e308)") from None

    def checked_local(out: Any, *xs: Any) -> tuple[Any, ...]:
        try:
            ds = local(out, *xs)
        except TypeError as e:
            if all(x.__class__ is float for x in (out, *xs)):
                raise
            kind = "Values (create_graph=True)" if hasattr(out, "_prev") else "NumPy arrays (the replay)"
            raise TypeError(f"{name}: local failed on {kind}: {e}. Write it with autograd's functions "
                            "(from autograd import cos, exp, ...), not math's, so that it runs on floats, "
                            "Values and arrays alike") from None
        ds = tuple(ds) if isinstance(ds, (tuple, list)) else (ds,)
        if len(ds) != n:
            raise TypeError(f"{name}: local must return one derivative per input ({n}), got {len(ds)}")
        for d in ds:
            if isinstance(d, (str, bytes)) or not (isinstance(d, numbers.Number) or hasattr(d, "_prev")
                                                   or hasattr(d, "__array_ufunc__")):
                raise TypeError(f"{name}: local must return numbers, one derivative per input, written with "
                                f"arithmetic and autograd's functions; got {type(d).__name__}: {d!r:.60}"
                                + (" (did it forget to return?)" if d is None else ""))
        return ds

    tex = (lambda xs: f"{latex}\\left({', '.join(xs)}\\right)") if latex else None
    op = OPS[name] = Op(name, checked_forward, checked_local, label=label, vectorized=vectorized, latex=tex,
                        in_formulas=in_formulas, arity=n, doc=doc or f"{name}, defined with define_op.")
    return op


def _builtin(op: Op) -> Op:
    _BUILT_IN.add(op.name)
    OPS[op.name] = op
    return op


def exact_number(x: float) -> str:
    """A number written exactly: ``2`` for 2.0, ``0.5`` for 0.5, ``0.1234567`` in full (as ``repr``).

    Why a second way of writing numbers, beside :func:`autograd.see.text.format_number` (4 significant
    digits, what the pictures show): an op's label names its constant (``**3``, ``**-0.5``), a
    formula's constants and an error's numbers must be the very numbers computed with, and the core
    imports nothing outside the core. Rounded numbers are for reading; these are for meaning."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


# --- forwards: floats in, a float out, and a clear error outside the domain --------------


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise OverflowError(f"exp: exp({a!r}) overflows a float (the largest input is about 709.8)") from None


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
        raise ZeroDivisionError(f"pow: 0 ** {b!r} divides by zero (a negative exponent needs a non-zero "
                                "base)")
    if a < 0 and not float(b).is_integer() and not math.isnan(b):
        raise ValueError(f"pow: {a!r} ** {b!r} is not real (a negative base needs an integer exponent)")
    try:
        return float(a**b)
    except OverflowError:
        raise OverflowError(f"pow: {a!r} ** {b!r} overflows a float") from None


def _log_base(a: float) -> float:
    if a < 0:
        raise ValueError(f"pow: the derivative of {a!r} ** b with respect to the exponent b is a**b * ln(a), "
                         "which needs a base >= 0")
    return math.log(a) if a > 0 else 0.0


def _log_base_array(a: Any) -> Any:  # 0 at a = 0; a negative base: an invalid log the replay reports
    return _numpy().log(_numpy().where(a == 0, 1.0, a))


def _sigmoid(a: float) -> float:
    if a >= 0:  # two equal forms, each used where its exp cannot overflow
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _sigmoid_array(a: Any) -> Any:
    e = _numpy().exp(-_numpy().abs(a))  # the same two forms, chosen per item
    return _numpy().where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(a: float) -> float:
    return max(a, 0.0) + math.log1p(math.exp(-abs(a))) if a == a else a  # log(1 + e**a), without overflow


def _softplus_array(a: Any) -> Any:
    return _numpy().maximum(a, 0.0) + _numpy().log1p(_numpy().exp(-_numpy().abs(a)))


def _relu(a: float) -> float:
    return 0.0 if a < 0 else a + 0.0  # NaN stays NaN; -0.0 becomes 0.0


def _step(a: float) -> float:
    return 1.0 if a > 0 else 0.0 if a <= 0 else math.nan


def _sign(a: float) -> float:
    return 1.0 if a > 0 else -1.0 if a < 0 else 0.0 if a == 0 else math.nan


def _dot(*args: Any) -> Any:  # w_1 x_1 + ... + w_n x_n (+ b), on floats or on arrays
    n = len(args) // 2
    return weighted_sum(args[:n], args[n: 2 * n], *args[2 * n:])


def weighted_sum(ws: Iterable[Any], xs: Iterable[Any], *bias: Any) -> Any:  # DOT's number (layers.py's too)
    total = sum(map(operator.mul, ws, xs), 0.0)  # left to right, from 0.0, then the bias
    return total + bias[0] if bias else total


def _dot_local(out: Any, *args: Any) -> tuple[Any, ...]:
    n = len(args) // 2
    return args[n: 2 * n] + args[:n] + (1.0,) * (len(args) % 2)  # d/dw_i = x_i, d/dx_i = w_i, d/db = 1


# --- how formulas write each op ------------------------------------------------------------


def _infix(sym: str, latex_sym: str | None = None) -> dict[str, Any]:
    tex = sym if latex_sym is None else latex_sym
    return {"text": lambda xs: f"{xs[0]} {sym} {xs[1]}", "latex": lambda xs: f"{xs[0]} {tex} {xs[1]}"}


def _call(tex: str) -> dict[str, Any]:
    return {"latex": lambda xs: f"{tex}\\left({xs[0]}\\right)", "in_formulas": True}


def _dot_text(xs: Sequence[str], times: str = "*") -> str:
    n = len(xs) // 2
    terms = [f"{w}{times}{x}" for w, x in zip(xs[:n], xs[n: 2 * n])] + list(xs[2 * n:])
    return " + ".join(terms) if terms else "0"


def _pow_parens(i: int, child: int, latex: bool) -> bool:
    return child <= 4 and not (latex and i == 1)  # (a*b)**2, (-a)**2, (a**b)**c; LaTeX sets exponents apart


def _np(name: str) -> Callable[..., Any]:
    return lambda *a: getattr(_numpy(), name)(*a)


# --- the table -------------------------------------------------------------------------------

ADD = _builtin(Op("add", operator.add, lambda out, a, b: (1.0, 1.0), label="+", precedence=1,
                  vectorized=operator.add, **_infix("+"), doc="a + b.  d/da = 1, d/db = 1."))
SUB = _builtin(Op("sub", operator.sub, lambda out, a, b: (1.0, -1.0), label="-", precedence=1,
                  vectorized=operator.sub, **_infix("-"), parens=lambda i, c, tex: c < 1 or c == 1 and i == 1,
                  doc="a - b.  d/da = 1, d/db = -1."))
MUL = _builtin(Op("mul", operator.mul, lambda out, a, b: (b, a), label="*", precedence=2,
                  vectorized=operator.mul, **_infix("*", "\\cdot"), doc="a * b.  d/da = b, d/db = a."))
DIV = _builtin(Op("div", _div, lambda out, a, b: (1.0 / b, -out / b), label="/", precedence=2,
                  vectorized=operator.truediv, text=_infix("/")["text"],
                  parens=lambda i, c, latex: not latex and (c < 2 or c == 2 and i == 1),
                  latex=lambda xs: f"\\frac{{{xs[0]}}}{{{xs[1]}}}",
                  doc="a / b.  d/da = 1/b, d/db = -a/b**2 (written -out/b)."))
NEG = _builtin(Op("neg", operator.neg, lambda out, a: (-1.0,), precedence=3, vectorized=operator.neg,
                  text=lambda xs: f"-{xs[0]}", latex=lambda xs: f"-{xs[0]}", doc="-a.  d/da = -1."))
LOG_BASE = _builtin(Op("log_base", _log_base, lambda out, a: (1.0 / a,), vectorized=_log_base_array,
                       text=lambda xs: f"log({xs[0]})", latex=lambda xs: f"\\ln\\left({xs[0]}\\right)",
                       doc="ln a for a > 0 and 0 at a = 0: the ln a in d/db a**b = a**b ln a, whose limit "
                       "at a = 0 is 0.  d/da = 1/a."))
def _pow_local(out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """d/da = b * a**(b-1), d/db = a**b ln a. Why the special case: at b = 0, a**0 = 1 is flat in a,
    so d/da = 0 at 0 ** 0 too (PyTorch's value), where b * a**(b-1) would divide by 0."""
    if hasattr(b, "__array_ufunc__") and not hasattr(b, "_prev"):  # arrays: item by item
        at_0_0 = (a == 0) & (b == 0)
        slope = b * POW(_numpy().where(at_0_0, 1.0, a), b - 1.0)
        return _numpy().where(at_0_0, 0.0, slope), out * LOG_BASE(a)
    if getattr(b, "data", b) == 0 and getattr(a, "data", a) == 0:
        return 0.0, out * LOG_BASE(a)
    return b * POW(a, b - 1.0), out * LOG_BASE(a)


POW: Op = _builtin(Op("pow", _pow, _pow_local, label="**",
                  precedence=4, vectorized=operator.pow, text=_infix("**")["text"], parens=_pow_parens,
                  latex=lambda xs: f"{{{xs[0]}}}^{{{xs[1]}}}",
                  doc="a ** b with b a Value.  d/da = b * a**(b-1) (0 at 0 ** 0), d/db = a**b * ln(a) "
                  "(needs a >= 0)."))


def pow_const(k: float) -> Op:
    """The op ``a ** k`` for one constant k (graphs show ``**k``, as micrograd does); one op per exponent.

    d/da = k * a**(k-1), built from the op for k - 1, so derivatives of every order follow.
    """
    try:
        return _pow_const(float(k))
    except OverflowError:
        raise OverflowError(f"pow: the exponent is {_too_big(k)} (at most about 1.8e308)") from None


def _too_big(x: Any) -> str:  # no repr: an int of more than 4300 digits has none (Python's limit)
    return f"an int of {x.bit_length()} bits" if isinstance(x, int) else f"{x!r:.30}, too large for a float"


@lru_cache(maxsize=1024)
def _pow_const(k: float) -> Op:
    label = exact_number(k)
    local = (lambda out, a: (0.0,)) if k == 0 else (lambda out, a: (1.0,)) if k == 1 else \
        (lambda out, a: (2.0 * a,)) if k == 2 else (lambda out, a: (k * pow_const(k - 1.0)(a),))
    return Op("pow", lambda a: _pow(a, k), local, label=f"**{label}", precedence=4, exponent=k,
              vectorized=lambda a: _numpy().power(a, k), text=lambda xs: f"{xs[0]}**{label}",
              parens=_pow_parens, latex=lambda xs: f"{{{xs[0]}}}^{{{label}}}",
              doc=f"a ** {label}.  d/da = {label} * a**{exact_number(k - 1.0)}.")


EXP = _builtin(Op("exp", _exp, lambda out, a: (out,), vectorized=_np("exp"), **_call("\\exp"),
                  doc="e**a.  d/da = e**a (the output itself)."))
LOG = _builtin(Op("log", _log, lambda out, a: (1.0 / a,), vectorized=_np("log"), **_call("\\ln"),
                  doc="ln a, for a > 0.  d/da = 1/a."))
TANH = _builtin(Op("tanh", math.tanh, lambda out, a: (1.0 - out * out,), vectorized=_np("tanh"),
                   **_call("\\tanh"), doc="tanh a = (e**2a - 1)/(e**2a + 1).  d/da = 1 - tanh(a)**2."))
SIGMOID = _builtin(Op("sigmoid", _sigmoid, lambda out, a: (out * (1.0 - out),),
                      vectorized=_sigmoid_array, **_call("\\sigma"),
                      doc="sigmoid a = 1/(1 + e**-a).  d/da = sigmoid(a) * (1 - sigmoid(a))."))
SOFTPLUS = _builtin(Op("softplus", _softplus, lambda out, a: (SIGMOID(a),),
                       vectorized=_softplus_array, **_call("\\operatorname{softplus}"),
                       doc="softplus a = log(1 + e**a), a smooth relu.  d/da = sigmoid(a)."))
STEP = _builtin(Op("step", _step, lambda out, a: (0.0,), vectorized=lambda a: _numpy().heaviside(a, 0.0),
                   doc="step a = 1 for a > 0, else 0: relu's derivative.  d/da = 0 (but at the jump at 0)."))
SIGN = _builtin(Op("sign", _sign, lambda out, a: (0.0,), vectorized=_np("sign"),
                   doc="sign a = 1, 0 or -1: abs's derivative.  d/da = 0 (away from the jump at 0)."))
RELU = _builtin(Op("relu", _relu, lambda out, a: (STEP(a),), label="ReLU",
                   vectorized=lambda a: _numpy().maximum(a, 0.0), **_call("\\mathrm{relu}"),
                   doc="relu a = max(0, a).  d/da = step(a): 1 if a > 0 else 0 (0 at the kink a = 0)."))
ABS = _builtin(Op("abs", abs, lambda out, a: (SIGN(a),), vectorized=_np("abs"), in_formulas=True,
                  latex=lambda xs: f"\\left|{xs[0]}\\right|", doc="|a|.  d/da = sign(a) (0 at the kink 0)."))
SQRT = _builtin(Op("sqrt", _sqrt, lambda out, a: (0.5 / out,), vectorized=_np("sqrt"), in_formulas=True,
                   latex=lambda xs: f"\\sqrt{{{xs[0]}}}",
                   doc="sqrt a, for a >= 0.  d/da = 1 / (2 sqrt a), infinite at a = 0."))
SIN = _builtin(Op("sin", lambda a: math.sin(a) if math.isfinite(a) else math.nan, lambda out, a: (COS(a),),
                  vectorized=_np("sin"), **_call("\\sin"), doc="sin a (NaN at +-inf).  d/da = cos a."))
COS: Op = _builtin(Op("cos", lambda a: math.cos(a) if math.isfinite(a) else math.nan,
                      lambda out, a: (-SIN(a),), vectorized=_np("cos"), **_call("\\cos"),
                      doc="cos a (NaN at +-inf).  d/da = -sin a."))
DOT = _builtin(Op("dot", _dot, _dot_local, precedence=1, vectorized=_dot, text=_dot_text,
                  parens=lambda i, c, latex: c < 2,  # each weight and input stands in a product
                  latex=lambda xs: _dot_text(xs, " "),
                  doc="w_1 x_1 + ... + w_n x_n (+ b).  d/dw_i = x_i, d/dx_i = w_i, d/db = 1. "
                  "Parents are w_1..w_n, x_1..x_n, then b if given."))

# The functions for numbers, Values and arrays alike: each is its op.
exp, log, tanh, sigmoid, softplus = EXP, LOG, TANH, SIGMOID, SOFTPLUS
relu, sqrt, sin, cos = RELU, SQRT, SIN, COS


def power(x: Any, k: float) -> Any:
    """x ** k for a constant k and a number, a Value or an array (checked: no complex results)."""
    return pow_const(k)(x)

