"""The names of a graph's nodes, as every picture and text calls them.

What you can do with it::

    names = node_names(topological_order(L))   # {node: 'a', 'a * b', '-2', 'v3'...}
    node_latex_names(order, names)             # the same names as LaTeX
    wrap_name('a * b')                         # '(a * b)', to follow a symbol such as ∂
    local_symbol('e', 'a'), total_symbol('L', 'a')   # '∂e/∂a' (one edge), 'dL/da' (all paths)
    symbolic_local(node, names)                # each local derivative as a formula in those names
    node_id(3)                                 # 'n3': a node's id in the DOT source of draw_dot
    name_parameters(model.state_dict)          # label every Value in plain dicts and lists by its place

A node's name is its label when it has one. Parameters kept in plain containers (a dict of lists of
lists of Values, as microgpt keeps its ``state_dict``) get labels from their place in one call,
:func:`name_parameters` (``layer0.attn_wq[3][5]``), and every tool then calls them so.

``draw_dot`` writes each node's name in its box, ``explain``, ``backward_steps`` and the player
call it by the same name, so a name in a text can always be found in the picture. The player and
the explorer find a box in Graphviz's layout by :func:`node_id`, the id ``draw_dot`` gives it.

How nodes group into neurons and layers (``draw_dot(cluster=True)``, ``collapse='neuron'``) is a
network library's naming of its parameters, not the engine's: the library sets it with
:func:`set_grouping` (``nn`` does when imported); without one, no node belongs to a group.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from typing import Callable, Mapping, NamedTuple

from ..core.engine import Value, recording
from ..core.grad_mode import enable_grad
from ..core.ops import ATOM, Op
from .formula import Formula, formula, needs_parens, writer
from .text import format_number, latex_name, printable

__all__ = ["name_parameters", "node_names", "node_latex_names", "wrap_name", "local_symbol", "total_symbol",
           "grad_name", "local_latex", "total_latex", "symbolic_local", "node_id", "Grouping", "set_grouping",
           "grouping"]

_ATOM = ATOM  # the precedence of names, numbers and function calls: never wrapped in parentheses


def node_id(index: int) -> str:
    """The id of the node at ``index`` of the topological order in ``draw_dot``'s DOT source (``n3``);
    its op's oval is ``node_id(index) + 'op'``. Graphviz's layout reports sizes by these ids."""
    return f"n{index}"


class Grouping(NamedTuple):
    """A naming scheme that groups nodes: ``groups(order)`` gives the group (a neuron) of each node
    that has one, ``parent(name)`` the group around a group (its layer; ``''`` for none)."""

    groups: Callable[[list[Value]], dict[Value, str]]
    parent: Callable[[str], str]


_NO_GROUPS = Grouping(lambda order: {}, lambda name: "")
_grouping: list[Grouping] = [_NO_GROUPS]


def set_grouping(scheme: Grouping) -> None:
    """Make ``scheme`` the grouping that ``draw_dot(cluster=True)`` and ``collapse='neuron'`` use.
    Set once, when the library that names the parameters is imported (``nn`` does)."""
    if not isinstance(scheme, Grouping):
        raise TypeError(f"set_grouping: expected a Grouping, got {type(scheme).__name__}")
    _grouping[0] = scheme


def grouping() -> Grouping:
    """The grouping set by :func:`set_grouping` (none at all until a library sets one)."""
    return _grouping[0]


def name_parameters(params: object, name: str = "") -> dict[str, Value]:
    """Label every Value in ``params`` by where it is held, and return them by name, in order.

    ``params`` is a dict, list or tuple, nested as deep as you like, whose innermost items are
    Values. A dict key joins the name with a dot, a list or tuple index is written in brackets::

        name_parameters(model.state_dict)   # microgpt: {'wte': [[Value, ...], ...], 'layer0.attn_wq': ...}
        # -> {'wte[0][0]': ..., ..., 'layer0.attn_wq[3][5]': ...}; each Value's label is its name
        name_parameters([w1, w2], 'w')      # a list needs a name: 'w[0]', 'w[1]'

    Every tool then calls the parameter by that name: its box in ``draw_dot``, the paths of
    ``explain``, the leaves of ``formula``, a ``gradcheck`` report. A label already set is replaced. A
    Value (or a list) held in two places, tied weights, keeps the first name; a container inside
    itself is walked once. Everything is checked before any label is set, so a refused call labels
    nothing.
    """
    if not isinstance(name, str):
        raise TypeError(f"name_parameters: name must be a str, got {type(name).__name__}: {name!r:.60}")
    if isinstance(params, (list, tuple)) and not name:
        raise ValueError("name_parameters: a list or tuple at the top needs a name to start from, "
                         "e.g. name_parameters(weights, 'w') gives w[0], w[1], ...")
    named: dict[str, Value] = {}
    seen: set[Value] = set()
    opened: set[int] = set()  # containers already walked: one held twice (or inside itself) is walked once
    stack: list[tuple[str, object]] = [(name, params)]
    while stack:  # depth first, items in their order: the names come out as the containers list them
        where, item = stack.pop()
        if isinstance(item, Value):
            if item not in seen:
                seen.add(item)
                named[where] = item
            continue
        if id(item) in opened and isinstance(item, (Mapping, list, tuple)):
            continue
        opened.add(id(item))
        if isinstance(item, Mapping):
            for key in item:
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise TypeError(f"name_parameters: the keys of {where or 'params'} must be str or int "
                                    f"(they become names), got {type(key).__name__}: {key!r:.60}")
            inside = [(f"{where}.{key}" if where else str(key), v) for key, v in item.items()]
            stack.extend(reversed(inside))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed([(f"{where}[{i}]", v) for i, v in enumerate(item)]))
        else:
            raise TypeError(f"name_parameters: {where or 'params'} must be a Value, or a dict, list or tuple "
                            f"of them, got {type(item).__name__}: {item!r:.60}")
    for label, v in named.items():
        v.label = label
    return named


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
            args.append(f"({t})" if needs_parens(op, k, prec, False) else t)
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
                args.append(f"\\left({t}\\right)" if needs_parens(op, k, prec, True) else t)
            raw[v] = op.latex(args), op.precedence
    return {v: t if prec == _ATOM else f"\\left({t}\\right)" for v, (t, prec) in raw.items()}


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
    """``a * b`` as ``(a * b)`` where it follows a symbol such as ∂; ``x``, ``2.5``, ``tanh(x)`` and
    ``wq[3][5]`` (a :func:`name_parameters` name) stay."""
    return name if re.fullmatch(r"[\w.]+(\[\d+\])*(\([\w.]*\))?|-?[\d.e+-]+", name) else f"({name})"


# --- the two derivatives, written apart ------------------------------------------------------
# Why two symbols: an edge's local derivative (the op's rule, ``∂e/∂a``) and the output's total
# derivative (every path summed, what backward leaves in ``a.grad``, ``dL/da``) are different
# numbers for one pair of names: for ``M = a*b + b`` the edge gives ``∂M/∂b = 1`` and the total is
# ``dM/db = a + 1``. ``explain``, the step-by-step records and the player all write them with these
# functions, so no text can mix them up.


def local_symbol(top: str, bottom: str) -> str:
    """One edge's local derivative between two names, with ∂: ``∂e/∂a``, ``∂f/∂(a * b)``."""
    return f"∂{wrap_name(top)}/∂{wrap_name(bottom)}"


def total_symbol(output: str, node: str) -> str:
    """The output's total derivative with respect to a node (all paths summed), with d: ``dL/da``."""
    return f"d{wrap_name(output)}/d{wrap_name(node)}"


def grad_name(name: str) -> str:
    """Where backward adds a node's gradient, by its name: ``a.grad``, ``(a * b).grad``."""
    return f"{wrap_name(name)}.grad"


def local_latex(top: str, bottom: str) -> str:
    """:func:`local_symbol` in LaTeX, from LaTeX names (:func:`node_latex_names`)."""
    return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"


def total_latex(output: str, node: str) -> str:
    """:func:`total_symbol` in LaTeX, from LaTeX names (:func:`node_latex_names`)."""
    return f"\\frac{{d {output}}}{{d {node}}}"
