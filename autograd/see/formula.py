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

The names of a graph's nodes and each edge's local derivative as a formula are in
:mod:`autograd.see.names`; numbers and escaping in :mod:`autograd.see.text`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, Mapping

from ..core.checks import count, flag, memory_available
from ..core.engine import Value
from ..core.ops import ADD, ATOM, MUL, Op, exact_number
from ..core.walk import graph_order
from .text import BIG_GRAPH, BLOCK_VIEW, as_blocks, latex_name, printable

__all__ = ["Formula", "formula", "writer", "needs_parens"]

_ATOM = ATOM  # the precedence of names, numbers and function calls: never wrapped in parentheses


@dataclass(frozen=True)
class Formula:
    """A formula as text and as LaTeX. ``str()`` gives the text; Jupyter shows the LaTeX."""

    text: str
    latex: str

    def __str__(self) -> str:
        return self.text

    def _repr_latex_(self) -> str:
        return f"${self.latex}$"


def _check_value(fn: str, arg: str, v: Any) -> None:
    if not isinstance(v, Value):
        raise TypeError(f"{fn}: {arg} must be a Value, got {type(v).__name__}: {v!r:.80}")


def _is_constant(v: Value) -> bool:
    return not v._prev and not v.label


def _leaf_text(v: Value, latex: bool) -> tuple[str, int]:
    if v.label:
        return (latex_name(v.label) if latex else printable(v.label)), _ATOM
    number = exact_number(v.data)
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


def needs_parens(op: Any, position: int, child_prec: int, latex: bool) -> bool:
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
            if needs_parens(op, i, prec[p], latex):
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
            _too_long(max_chars, stop_at_labels, len(order))
        parts[v], length[v], prec[v] = tuple(x for x in pieces if x != ""), size, op.precedence
    if max_chars is None:
        _check_fits(length[node])
    return _joined(parts, node)


def _too_long(max_chars: int, stop_at_labels: bool, n_nodes: int) -> None:
    """Refuse a formula over ``max_chars``, naming what shortens it (``expand=False``, if not passed)."""
    shorter = ("label the nodes to stop at (v.label = 'h')" if stop_at_labels else
               "pass expand=False to stop at labelled nodes")
    big = f"; the graph has {n_nodes} nodes: to see it, {as_blocks(BLOCK_VIEW)}"
    raise ValueError(f"formula: the expression is longer than max_chars={max_chars} characters; {shorter}, "
                     f"or max_chars=None{big if n_nodes > BIG_GRAPH else ''}")


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
        max_chars = count("formula", "max_chars", max_chars, or_none=True)
    if latex_names is not None and not isinstance(latex_names, Mapping):
        raise TypeError(f"formula: latex_names must be a dict from Values to LaTeX, got "
                        f"{type(latex_names).__name__}")
    flag("formula", expand=expand, simplify=simplify)
    stop = not expand
    order = graph_order(v, "formula")
    text = _write(v, stop, False, simplify, max_chars, v, order=order)
    latex = _write(v, stop, True, simplify, max_chars and 4 * max_chars, v, latex_names, order=order)
    if v.label and v._prev:
        return Formula(f"{printable(v.label)} = {text}", f"{latex_name(v.label)} = {latex}")
    return Formula(text, latex)
