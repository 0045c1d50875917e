"""Write the expression behind a Value as a formula, in plain text and in LaTeX.

What you can do with it::

    a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    c, f = Value(10.0, label='c'), Value(-2.0, label='f')
    L = (a * b + c) * f; L.label = 'L'
    print(L.formula())            # L = (a*b + c)*f
    L.formula()                   # in Jupyter: the same formula typeset with LaTeX
    (dL_da,) = grad(L, [a], create_graph=True)
    print(dL_da.formula())        # f*b: a gradient built with create_graph is a graph too

Each op writes itself from the op table (``op.text`` and ``op.latex``); this
module only decides where parentheses go, from each op's ``precedence``.

It also holds what the other teaching tools share, so that a picture and the
text beside it always agree: the one way numbers are written
(:func:`format_number`: boxes, edge labels, ``explain``, the player, the
explorer and the command line all use it), short names for the nodes of a
graph (:func:`node_names`: each picture draws a node's name in its box, and the
texts call it by the same name), and each edge's local derivative read from
the op table, as a number (:func:`local_numbers`) or as a formula
(:func:`symbolic_local`). The symbolic form costs no second copy of any rule:
the op's own rule is run on stand-in Values named after the inputs, and the
graph it builds is written out as a formula.
"""

from __future__ import annotations

import math
import numbers
import re
import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Mapping

from ..core.checks import memory_available
from ..core.engine import Value, local_derivatives, recording, topological_order
from ..core.grad_mode import enable_grad
from ..core.ops import ADD, ATOM, MUL, Op, fmt

__all__ = [
    "Formula", "formula", "format_number", "SIGNIFICANT_DIGITS", "node_names", "node_latex_names",
    "local_numbers", "symbolic_local", "latex_name", "wrap_name", "writer", "graph_order", "printable",
    "grad_number", "check_flags",
]

_ATOM = ATOM  # the precedence of names, numbers and function calls: never wrapped in parentheses
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
    "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
}


@dataclass(frozen=True)
class Formula:
    """A formula as text and as LaTeX. ``str()`` gives the text; Jupyter shows the LaTeX."""

    text: str
    latex: str

    def __str__(self) -> str:
        return self.text

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"


#: The significant digits every tool shows a number with (see :func:`format_number`).
SIGNIFICANT_DIGITS = 4


def format_number(x: Any) -> str:
    """A number as every picture and text of chainrule writes it: 4 significant digits.

    ``6.0`` is ``6``, ``-0.88137`` is ``-0.8814``, ``12346.0`` is ``1.235e4``, ``-0.0`` is
    ``0``; ``nan``, ``inf`` and ``-inf`` stay as they are. A Value is written as its
    ``data``. Boxes, edge labels, ``explain``, ``backward_steps``, the player, the explorer
    and the command line all call this one function, so one number reads the same everywhere.
    """
    if x.__class__ is not float:
        x = x.data if isinstance(x, Value) else x
        if isinstance(x, (str, bytes)) or not hasattr(x, "__float__"):  # NumPy scalars have __float__
            raise TypeError(f"format_number: expected a number or a Value, got {type(x).__name__}: {x!r:.40}")
    f = float(x)
    if f != f:
        return "nan"
    if f in (math.inf, -math.inf):
        return "inf" if f > 0 else "-inf"
    text = f"{f:.{SIGNIFICANT_DIGITS}g}"
    if "e" in text:  # 1.235e+04 as 1.235e4, 1e-05 as 1e-5
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return "0" if text == "-0" else text


def _check_value(fn: str, arg: str, v: Any) -> None:
    if not isinstance(v, Value):
        raise TypeError(f"{fn}: {arg} must be a Value, got {type(v).__name__}: {v!r:.80}")


def grad_number(v: Value, where: str) -> float:
    """``v.grad`` as a float (a Value's number for a gradient made with ``create_graph``), or the
    TypeError the optimizers give for a gradient that is not a number (``p.grad = None``)."""
    g = v.grad
    if g.__class__ is float:
        return g
    g = g.data if isinstance(g, Value) else g
    if isinstance(g, (str, bytes)) or not hasattr(g, "__float__"):
        raise TypeError(f"{where}: the node {_describe(v)} has grad {g!r:.40}; expected a number "
                        "(run backward() first, or set it to 0.0)")
    return float(g)


def _describe(v: Value) -> str:
    """A node as an error message names it: its label, or its op and number."""
    if v.label:
        return repr(printable(v.label)[:60])
    what = f"a {writer(v).name} node" if v._prev else "a leaf"
    return f"{what} (data {format_number(v.data)})"


# The Control Pictures block: a visible stand-in for each control character (U+2400 is NUL's).
_PICTURES = {**{i: 0x2400 + i for i in range(32)}, 127: 0x2421}


def printable(text: str) -> str:
    """``text`` with every control character (NUL, a line break, ESC, DEL...) shown as its Control
    Picture (``␀``, ``␊``, ``␛``, ``␡``). Why: a label is drawn in one line of a box, written into
    DOT, SVG, LaTeX and Markdown, and printed to a terminal; in each of them a control character
    either vanishes, breaks the format (a NUL ends DOT's string, a blank line ends a Markdown
    block) or does something (ESC), so every tool writes what ``printable`` gives."""
    return text.translate(_PICTURES) if not text.isprintable() else text


def graph_order(root: Value, where: str) -> list[Value]:
    """:func:`autograd.topological_order` of ``root`` (parents first), checked to be one: a
    ValueError naming ``where`` if following ``_prev`` from a node leads back to it.

    Why check: only a ``_prev`` changed by hand makes such a cycle, and the engine's walk ends
    on one too, but the order it gives then puts a node before one of its parents, so a tool
    built on it would read an entry that is not there yet, or compute a number that means
    nothing. The check is one set operation per node."""
    if not isinstance(root, Value):
        raise TypeError(f"{where}: expected a Value, got {type(root).__name__}: {root!r:.80}")
    order = topological_order(root)
    done: set[Value] = set()
    add, all_done = done.add, done.issuperset
    for v in order:
        if not all_done(v._prev):
            parent = next(p for p in v._prev if p not in done)
            raise ValueError(
                f"{where}: the graph has a cycle: {_describe(v)} is computed from {_describe(parent)}, "
                f"which is itself computed from {_describe(v)} (through _prev); a computation graph has no "
                "cycles, so check any _prev set by hand")
        add(v)
    return order


def check_flags(where: str, **flags: Any) -> None:
    """Each of ``flags`` must be True or False: a TypeError naming it and ``where`` otherwise."""
    for flag, given in flags.items():
        if not isinstance(given, bool):
            raise TypeError(f"{where}: {flag} must be True or False, got {type(given).__name__}: "
                            f"{given!r:.40}")


def latex_name(label: str) -> str:
    """A label as LaTeX: ``x1`` becomes ``x_{1}``, ``alpha`` becomes ``\\alpha``, longer names upright."""
    m = re.fullmatch(r"([A-Za-z]|[A-Za-z]+(?=_))_?(\d+)", label)
    if m:
        return f"{latex_name(m.group(1))}_{{{m.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", label):
        return label
    if label in _GREEK:
        return "\\" + label
    # Every character with a meaning in LaTeX, Markdown or HTML is written as a LaTeX command, so a
    # label (say ``<!--<script>``) can neither break the formula nor the page that shows it.
    special = {"\\": r"\backslash{}", "<": r"\lt{}", ">": r"\gt{}", "~": r"\~{}", "^": r"\^{}",
               "`": r"\text{`}"}
    escaped = "".join(special.get(ch, "\\" + ch if ch in "_#$%&{}" else ch) for ch in printable(label))
    return f"\\mathrm{{{escaped}}}"


def _is_constant(v: Value) -> bool:
    return not v._prev and not v.label


def _leaf_text(v: Value, latex: bool) -> tuple[str, int]:
    if v.label:
        return (latex_name(v.label) if latex else printable(v.label)), _ATOM
    number = fmt(v.data)
    return number, (3 if number.startswith("-") else _ATOM)  # a negative number reads like -x


class _Written:
    """How formulas write a node made by hand with a string op (not in the table): ``label(x, y)``,
    or ``(x label y)`` for a symbol such as ``*``."""

    def __init__(self, label: str, n: int) -> None:
        self.name, self.precedence, self.parens = label or "?", _ATOM, lambda i, c, latex: False
        shown = printable(self.name)
        call = n != 2 or self.name.isidentifier()
        self.text: Any = (lambda xs: f"{shown}({', '.join(xs)})") if call else \
            (lambda xs: f"({xs[0]} {shown} {xs[1]})")
        plain = re.fullmatch(r"[-+*/=.,:;!?|()\[\] A-Za-z0-9]+", self.name) and not self.name.isidentifier()
        tex = self.name if plain else latex_name(self.name)  # a symbol as it is; anything else escaped
        self.latex: Any = (lambda xs: f"{tex}\\left({', '.join(xs)}\\right)") if call else \
            (lambda xs: f"\\left({xs[0]} {tex} {xs[1]}\\right)")


def writer(v: Value) -> Any:
    """What writes ``v``'s op in a formula: its table entry, or a plain call for an op made by hand."""
    return v._op if isinstance(v._op, Op) else _Written(str(v._op), len(v._prev))


def _needs_parens(op: Any, position: int, child_prec: int, latex: bool) -> bool:
    """Whether the operand at ``position`` of ``op``, of precedence ``child_prec``, needs parentheses."""
    return bool(op.parens(position, child_prec, latex))


# A placeholder for argument i while an op's writer runs (``\x00<nonce>:i\x00``): a writer only
# places its arguments, so its output, split at the placeholders, is a template of the node.
_NONCE = "\x00" + secrets.token_hex(8) + ":"
_PLACEHOLDER = re.compile(re.escape(_NONCE) + r"(\d+)\x00")


def _write(node: Value, stop_at_labels: bool, latex: bool, simplify: bool, max_chars: int | None,
           root: Value, written: Mapping[Value, str] | None = None,
           order: list[Value] | None = None) -> str:
    """The right-hand side for ``node``, built children-first without recursion, in time linear
    in the graph and the length of the text.

    Why templates: a node's text contains its arguments' texts, so building each node's text as
    a string copies every argument once per ancestor: a sum of n terms would copy n**2 / 2
    characters (gigabytes for n = 30,000). Instead each node keeps its template (its own pieces
    of text, and its arguments by reference) and its length; the one string is written at the
    end. Lengths are known before anything is written, so ``max_chars`` refuses at once, and
    ``max_chars=None`` refuses a text that the memory could not hold."""
    order = graph_order(node, "formula") if order is None else order
    stop = _stops(node, root) if stop_at_labels else None
    parts: dict[Value, tuple[Any, ...]] = {}  # each piece: a str, or an argument (a Value) to write there
    length: dict[Value, int] = {}
    prec: dict[Value, int] = {}
    for v in order:
        if stop is not None and v not in stop:
            continue  # behind a labelled node: not written
        if not v._prev or (stop_at_labels and v.label and v is not root):
            text, prec[v] = (written[v], _ATOM) if written and v in written else _leaf_text(v, latex)
            parts[v], length[v] = (text,), len(text)
            continue
        op = writer(v)
        same = _simplified(v) if simplify else None
        if same is not None:
            parts[v], length[v], prec[v] = (same,), length[same], prec[same]
            continue
        args = []
        for i, p in enumerate(v._prev):
            t = f"{_NONCE}{i}\x00"
            if _needs_parens(op, i, prec[p], latex):
                t = f"\\left({t}\\right)" if latex else f"({t})"
            args.append(t)
        pieces: list[Any] = _PLACEHOLDER.split(op.latex(args) if latex else op.text(args))
        size = 0
        for k in range(len(pieces)):
            if k % 2:  # a placeholder's number: the argument itself
                pieces[k] = v._prev[int(pieces[k])]
                size += length[pieces[k]]
            else:
                size += len(pieces[k])
        if max_chars is not None and size > max_chars:
            raise ValueError(
                f"formula: the expression is longer than max_chars={max_chars} characters; "
                "pass expand=False to stop at labelled nodes, or max_chars=None"
            )
        parts[v], length[v], prec[v] = tuple(x for x in pieces if x != ""), size, op.precedence
    if max_chars is None:
        _check_fits(length[node])
    return _joined(parts, node)


def _stops(node: Value, root: Value) -> set[Value]:
    """The nodes ``expand=False`` writes: from ``node`` down to (and including) labelled nodes."""
    keep, stack = {node}, [node]
    while stack:
        v = stack.pop()
        if v.label and v is not root:
            continue
        for p in v._prev:
            if p not in keep:
                keep.add(p)
                stack.append(p)
    return keep


def _check_fits(n_chars: int) -> None:
    """Refuse, before writing it, a text that would not fit in memory (``max_chars=None``)."""
    free = memory_available()
    need = 3 * n_chars  # the string, and the list of pieces it is joined from
    if need > (free if free is not None else 2**62):
        raise MemoryError(f"formula: the expression would be {n_chars:,} characters long, more than the "
                          "memory available can hold (a node used many times is written out each time); "
                          "pass expand=False to stop at labelled nodes, or a max_chars")


def _joined(parts: dict[Value, tuple[Any, ...]], node: Value) -> str:
    """The text of ``node``: its template with every argument written in, depth first, no recursion."""
    out: list[str] = []
    stack = [iter(parts[node])]
    while stack:
        for piece in stack[-1]:
            if piece.__class__ is str:
                out.append(piece)
            else:
                stack.append(iter(parts[piece]))
                break
        else:
            stack.pop()
    return "".join(out)


def _simplified(v: Value) -> Value | None:
    """``1*x`` and ``x*1`` written as ``x``, ``0 + x`` and ``x + 0`` as ``x`` (unnamed constants
    only): the parent to write in ``v``'s place, or None."""
    op, prev = v._op, v._prev
    if len(prev) != 2:
        return None
    a, b = prev
    identity = 1.0 if op is MUL else 0.0 if op is ADD else None
    if identity is None:
        return None
    if _is_constant(a) and a.data == identity:
        return b
    if _is_constant(b) and b.data == identity:
        return a
    return None


def formula(
    v: Value,
    *,
    expand: bool = True,
    simplify: bool = True,
    max_chars: int | None = 4000,
    latex_names: Mapping[Value, str] | None = None,
) -> Formula:
    """The expression that computed ``v``, written with the labels of its inputs.

    The result prints as text (``L = (a*b + c)*f``) and shows as LaTeX in
    Jupyter; ``.text`` and ``.latex`` hold the two strings. The left-hand side
    is ``v``'s label, when it has one.

    * ``expand=True`` writes everything down to the leaves; ``expand=False``
      stops at any labelled node, which keeps formulas of big graphs short
      (``o = tanh(n)`` rather than the whole neuron).
    * ``simplify=True`` drops multiplications by an unnamed constant 1 and
      additions of an unnamed constant 0, which gradients built with
      ``create_graph=True`` contain (their seed is 1). The value is unchanged.
    * Unnamed constants show as their number. A node used twice is written
      twice, so a formula can grow much faster than its graph: above
      ``max_chars`` characters a ValueError says so (``max_chars=None`` lifts it).
    * ``latex_names`` maps leaves to the LaTeX to write for them, in place of
      their labels.
    """
    _check_value("formula", "v", v)
    if max_chars is not None:
        if isinstance(max_chars, bool) or not isinstance(max_chars, numbers.Integral):
            raise TypeError(f"formula: max_chars must be a positive int or None, got "
                            f"{type(max_chars).__name__}: {max_chars!r:.40}")
        if max_chars < 1:
            raise ValueError(f"formula: max_chars must be a positive int or None, got {max_chars!r}")
        max_chars = int(max_chars)
    if latex_names is not None and not isinstance(latex_names, Mapping):
        raise TypeError(f"formula: latex_names must be a dict from Values to LaTeX, got "
                        f"{type(latex_names).__name__}")
    check_flags("formula", expand=expand, simplify=simplify)
    stop = not expand
    order = graph_order(v, "formula")
    text = _write(v, stop, False, simplify, max_chars, v, order=order)
    latex = _write(v, stop, True, simplify, max_chars and 4 * max_chars, v, latex_names, order=order)
    if v.label and v._prev:
        return Formula(f"{printable(v.label)} = {text}", f"{latex_name(v.label)} = {latex}")
    return Formula(text, latex)


# --- shared by the teaching tools: names and local derivatives ----------------------------


def node_names(order: list[Value], max_len: int = 16) -> dict[Value, str]:
    """A short name for every node of a graph (``order`` is its topological order).

    A node's label if it has one; an unnamed constant is its number (as
    :func:`format_number` writes it); an unnamed result is its formula in terms
    of these names if that is at most ``max_len`` characters (``a * b``), uses no
    numbered node and names no other node; otherwise it is numbered: ``v1``,
    ``v2``... in topological order (skipping any number a label already uses).
    The pictures draw each name in its node's box, so a name in ``explain`` or
    the player can always be found in the graph.
    """
    taken = {v.label for v in order if v.label}  # and every formula given as a name, as we go
    named: dict[Value, tuple[str, int, bool]] = {}  # name, precedence, numbered
    count = 0
    for v in order:
        if v.label:
            named[v] = (printable(v.label), _ATOM, False)
            continue
        if not v._prev:
            text = format_number(v.data)
            named[v] = (text, 3 if text.startswith("-") else _ATOM, False)
            continue
        op = writer(v)
        args = []
        for k, p in enumerate(v._prev):
            t, prec, _ = named[p]
            args.append(f"({t})" if _needs_parens(op, k, prec, False) else t)
        text = op.text(args)
        if len(text) <= max_len and text not in taken and not any(named[p][2] for p in v._prev):
            named[v] = (text, op.precedence, False)
            taken.add(text)
            continue
        count += 1
        while f"v{count}" in taken:
            count += 1
        named[v] = (f"v{count}", _ATOM, True)
    return {v: t for v, (t, _, _) in named.items()}


def _numbered(v: Value, name: str) -> bool:
    """Whether :func:`node_names` gave ``v`` a number rather than a label or a formula."""
    return bool(v._prev) and not v.label and re.fullmatch(r"v\d+", name) is not None


def node_latex_names(order: list[Value], names: dict[Value, str]) -> dict[Value, str]:
    """The names of :func:`node_names` as LaTeX: ``x_{1}``, ``\\left(a \\cdot b\\right)``, ``v_{7}``.

    A name that is a formula comes in parentheses, since it follows symbols such as ∂.
    ``names`` must be :func:`node_names` of the same ``order``.
    """
    raw: dict[Value, tuple[str, int]] = {}
    for v in order:
        name = names[v]
        if v.label:
            raw[v] = latex_name(v.label), _ATOM
        elif not v._prev:
            raw[v] = name, 3 if name.startswith("-") else _ATOM
        elif _numbered(v, name):
            raw[v] = f"v_{{{name[1:]}}}", _ATOM
        else:
            op = writer(v)
            args = []
            for k, p in enumerate(v._prev):
                t, prec = raw[p]
                args.append(f"\\left({t}\\right)" if _needs_parens(op, k, prec, True) else t)
            raw[v] = op.latex(args), op.precedence
    return {v: t if prec == _ATOM else f"\\left({t}\\right)" for v, (t, prec) in raw.items()}


def local_numbers(v: Value, strict: bool = False) -> tuple[float, ...]:
    """:func:`autograd.core.engine.local_derivatives` as floats: the numbers ``backward()`` multiplies
    along each edge, as the tools show them.

    Where the op's rule has no float value at this point (sqrt's slope at 0 is ``0.5 / 0``), the
    entry is what IEEE arithmetic makes of the same rule (``inf`` for sqrt at 0, ``nan`` for the
    log of a negative base), computed with NumPy when it is installed (``nan`` without it), and
    ``strict=True`` raises the rule's error instead, naming the op. Why not always raise:
    ``backward()`` skips a node whose gradient is 0 (a zero gradient passes nothing on), so it
    succeeds where this slope is never used, and a picture or an explanation of that graph
    should too; where a non-zero gradient does reach the node, ``backward()`` raises, and so
    does every tool that runs it."""
    try:
        return tuple(float(d) for d in local_derivatives(v))
    except (ArithmeticError, ValueError) as e:
        if strict:
            if isinstance(e, ArithmeticError):
                raise type(e)(f"{writer(v).name}: local derivative: {e}") from None
            raise
        return _ieee_local(v)


def _ieee_local(v: Value) -> tuple[float, ...]:
    """The op's rule evaluated on NumPy numbers, where 1/0 is inf instead of an error."""
    nan = (math.nan,) * len(v._prev)
    if not isinstance(v._op, Op):
        return nan  # a hand-written closure computes in Python floats only
    try:
        import numpy as np
    except ImportError:
        return nan
    try:
        with np.errstate(all="ignore"):
            ds = v._op.local(np.asarray(v.data), *[np.asarray(p.data) for p in v._prev])
        return tuple(float(d) for d in ds)
    except Exception:  # a rule that cannot run on arrays: no number to show
        return nan


def symbolic_local(
    v: Value, names: dict[Value, str], latex_names: Mapping[Value, str] | None = None
) -> list[Formula | None]:
    """Each local derivative of ``v`` as a formula in the names of its inputs and output.

    The op's rule is run on stand-in Values that carry those names, and what it
    builds is written out: ``*`` gives ``b`` and ``a``, ``tanh`` gives
    ``1 - o * o``. An entry is None when the rule returns a plain number (such as
    the 1 of ``+`` or the step of ``relu``), since the number says it all.
    ``latex_names`` (as made by :func:`node_latex_names`) is the LaTeX for the names.
    """
    op = v._op
    if not isinstance(op, Op):
        return [None] * len(v._prev)
    stand_ins: dict[Value, Value] = {}
    for p in v._prev:
        if p not in stand_ins:
            stand_ins[p] = Value(p.data)
    out = Value(v.data)
    try:
        with enable_grad() if recording.get() is not True else nullcontext():
            rules = op.local(out, *[stand_ins[p] for p in v._prev])
    except (ArithmeticError, ValueError, TypeError):  # no formula to show: the number says what there is
        return [None] * len(v._prev)
    if not any(isinstance(d, Value) for d in rules):
        return [None] * len(v._prev)  # plain numbers (the 1s of +): nothing to name
    for p, s in stand_ins.items():  # named now: the rule's graph holds these very stand-ins
        s.label = wrap_name(names[p])
    out.label = wrap_name(names[v])
    lx = latex_names or {}
    written = {s: lx[p] if p in lx else latex_name(names[p]) for p, s in stand_ins.items()}
    written[out] = lx[v] if v in lx else latex_name(names[v])
    # A rule that is one of the stand-ins (d(a*b)/da = b) is written as that node's plain name.
    plain = {id(s): names[p] for p, s in stand_ins.items()} | {id(out): names[v]}
    return [
        Formula(plain[id(d)], _unwrap(written[d])) if id(d) in plain
        else formula(d, max_chars=None, latex_names=written) if isinstance(d, Value) else None
        for d in rules
    ]


def _unwrap(latex: str) -> str:
    """``\\left(a + b\\right)`` without its outer parentheses, when they enclose the whole."""
    inner = latex[6:-7]
    if latex.startswith("\\left(") and latex.endswith("\\right)") and "\\right)" not in inner.replace(
        "\\left(", "("
    ):
        return inner
    return latex


def wrap_name(name: str) -> str:
    """``a * b`` as ``(a * b)`` where it follows a symbol such as ∂; ``x``, ``2.5``, ``tanh(x)`` stay."""
    return name if re.fullmatch(r"[\w.]+(\([\w.]*\))?|-?[\d.e+-]+", name) else f"({name})"
