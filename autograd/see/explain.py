"""The chain rule, spelled out: where a gradient comes from, edge by edge.

What you can do with it::

    print(explain(L, a))      # every path from a to L, each edge's local derivative,
                              # each path's product, and their sum: dL/da
    explain(L, a)             # in Jupyter: the same, as Markdown with LaTeX
    for step in backward_steps(L):
        print(step)           # backward, one edge at a time

Why paths: the chain rule for a graph says that dL/da is a sum over every path
from ``a`` to ``L`` of the product of the local derivatives along the path.
``backward()`` computes the same sum without listing the paths, by adding up
at each node the gradients arriving from its children (the per-node form
``dL/dv = sum over children c of dL/dc * dc/dv``). :func:`explain` shows both
views and checks them against ``backward``; :func:`backward_steps` replays
backward itself, one edge at a time.

Every local derivative comes from the op table (``op.local``), evaluated on
the numbers of the graph and, for the symbolic form, on stand-ins named after
the inputs. Nodes are called by :func:`autograd.see.names.node_names`, the names
``draw_dot`` and the player draw in their boxes, and numbers are written by
:func:`autograd.see.text.format_number`, as in the pictures.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterator, Literal, overload

from ..core.checks import choice, count, flag
from ..core.engine import Value, grad
from ..core.walk import graph_order, local_numbers
from .blocks import BlockExplanation, explain_by_block
from .formula import Formula, writer
from .names import (
    grad_name,
    local_latex,
    local_symbol,
    node_latex_names,
    node_names,
    symbolic_local,
    total_latex,
    total_symbol,
)
from .text import BIG_GRAPH, BY_BLOCK, as_blocks, code_span, format_factor, format_number, tex_text

__all__ = ["explain", "Explanation", "EdgeTerm", "NodeTerm", "backward_steps", "Step"]


_SHOWN = 100  # nodes of the per-node form written out; the rest stay in Explanation.per_node
_LEGEND = 12  # numbered names defined under the text; the rest stay in Explanation.legend()


@dataclass(frozen=True)
class EdgeTerm:
    """One edge of a path: ``child`` uses ``parent`` as its argument number ``index``."""

    child: Value
    parent: Value
    index: int
    local: float  # d child / d parent, from the op's rule
    rule: Formula | None  # the same derivative as a formula, when the rule is not a plain number


@dataclass(frozen=True)
class NodeTerm:
    """The per-node form for one node: d output / d node as a sum over the node's children."""

    node: Value
    terms: tuple[tuple[Value, int, float, float], ...]  # (child, index, d output/d child, d child/d node)
    total: float


class Explanation:
    """What :func:`explain` found. Prints as text; Jupyter shows Markdown with LaTeX.

    Attributes: ``output``, ``wrt``, ``names`` (a short name per node, and
    ``latex_names``), ``n_paths``, ``paths`` (a list of paths, each a tuple of :class:`EdgeTerm`
    from the output back to ``wrt``; None when there are too many to list),
    ``products`` (one per path), ``per_node`` (a list of :class:`NodeTerm`, from
    the output down to ``wrt``), ``gradient`` (the sum the chain rule gives) and
    ``backward_gradient`` (what ``backward()`` computes, for comparison).
    """

    def __init__(self, output: Value, wrt: Value, names: dict[Value, str], latex_names: dict[Value, str],
                 n_paths: int, paths: list[tuple[EdgeTerm, ...]] | None, per_node: list[NodeTerm],
                 gradient: float, backward_gradient: float, hide_zero_paths: bool = False) -> None:
        self.output, self.wrt, self.names = output, wrt, names
        self.hide_zero_paths = hide_zero_paths
        self.latex_names = latex_names
        self.n_paths, self.paths, self.per_node = n_paths, paths, per_node
        self.products = None if paths is None else [_product(p) for p in paths]
        self.gradient, self.backward_gradient = gradient, backward_gradient

    # -- text ------------------------------------------------------------------------------

    def _d(self, top: Value, bottom: Value) -> str:
        """A local derivative, one edge's: ``∂e/∂a``."""
        return local_symbol(self.names[top], self.names[bottom])

    def _total(self, bottom: Value) -> str:
        """A total derivative of the output, all paths summed: ``dL/da`` (``d``, not the edges' ``∂``, so that
        ``dM/db = 3`` and an edge's ``∂M/∂b = 1`` read as the two different things they are)."""
        return total_symbol(self.names[self.output], self.names[bottom])

    def _edge_text(self, e: EdgeTerm) -> str:
        arg = f" (argument {e.index + 1})" if e.child._prev.count(e.parent) > 1 else ""
        rule = f" = {e.rule.text}" if e.rule is not None and e.rule.text != format_number(e.local) else ""
        return f"{self._d(e.child, e.parent)}{arg}{rule} = {format_number(e.local)}"

    def _listed(self) -> list[tuple[int, tuple[EdgeTerm, ...], float]]:
        """(number, path, product) of each path written out: all, or those whose product is not 0."""
        rows = list(zip(range(1, self.n_paths + 1), self.paths or [], self.products or []))
        return [r for r in rows if not (self.hide_zero_paths and r[2] == 0)]

    def _folded(self) -> str:
        hidden = len(self.paths or []) - len(self._listed())
        if not hidden:
            return ""
        return (f"{hidden} of the {self.n_paths} paths contribute 0 and are not listed "
                "(hide_zero_paths=False lists them)")

    def legend(self) -> list[str]:
        """``v1 = tanh(x * 2) * exp(x + 1)``: what each numbered name in the text stands for, in terms of
        the names of its inputs (the pictures draw the same names in their boxes)."""
        shown: dict[Value, None] = {self.output: None, self.wrt: None}
        for _, path, _ in self._listed() if self.paths is not None else []:
            for e in path:
                shown[e.child] = shown[e.parent] = None
        if self.paths is None:
            for t in self._shown():
                if t is not None:
                    shown[t.node] = None
                    shown.update((c, None) for c, *_ in t.terms)
        def numbered(v: Value) -> bool:  # a name node_names gave by number: v1, v12
            return bool(v._prev) and not v.label and re.fullmatch(r"v\d+", self.names[v]) is not None

        # A definition may use other numbered names (v13 = v6 + v12): they are defined too, so that
        # every name the text uses can be looked up (a walk over a list, not a recursion).
        todo = [v for v in shown if numbered(v)]
        defined = set(todo)
        while todo:
            for p in todo.pop()._prev:
                if p not in defined and numbered(p):
                    defined.add(p)
                    todo.append(p)
        out = []
        for v in sorted(defined, key=lambda v: _natural_number(self.names[v])):
            args = [_operand(self.names[p]) for p in v._prev]
            out.append(f"{self.names[v]} = {writer(v).text(args)}")
        return out

    def _path_route(self, path: tuple[EdgeTerm, ...]) -> str:
        nodes = [self.wrt] + [e.child for e in reversed(path)]
        return " → ".join(self.names[v] for v in nodes)

    def __str__(self) -> str:
        d = self._total(self.wrt)
        lines: list[str] = []
        if self.paths is not None:
            lines.append(f"{d} by the chain rule: a sum over the {self.n_paths} "
                         f"path{'s' if self.n_paths != 1 else ''} from {self.names[self.wrt]} "
                         f"to {self.names[self.output]}, each the product of the local derivatives on it")
            for k, path, prod in self._listed():
                lines += ["", f"path {k}: {self._path_route(path)}"]
                lines += [f"  {self._edge_text(e)}" for e in path]
                factors = " × ".join(format_factor(e.local) for e in path) or "1 (the output itself)"
                note = _ZERO_NOTE if _stopped(path) else ""
                lines.append(f"  product: {factors} = {format_number(prod)}{note}")
            if self._folded():
                lines += ["", self._folded()]
            lines += ["", f"sum over paths: {d} = {format_number(self.gradient)}"]
        else:
            lines.append(f"{d}: {self.n_paths} paths lead from {self.names[self.wrt]} to "
                         f"{self.names[self.output]}, too many to list (max_paths). The per-node form "
                         "adds up, at each node v, the gradient arriving from each child c:")
            lines.append(f"  {total_symbol(self.names[self.output], 'v')} = sum over children c of "
                         f"{total_symbol(self.names[self.output], 'c')} × {local_symbol('c', 'v')}")
            lines.append("")
            for t in self._shown():
                lines.append(self._node_text(t) if t is not None else
                             f"... {len(self.per_node) - _SHOWN} more nodes (all in .per_node) ...")
            lines += ["", f"so {d} = {format_number(self.gradient)}"] + [self._by_block()] * self._big()
        lines.append(f"backward() gives {d} = {format_number(self.backward_gradient)}")
        legend = self.legend()
        if legend:
            more = [f"... and {len(legend) - _LEGEND} more (all in .legend())"] * (len(legend) > _LEGEND)
            lines += ["", "where " + "\n      ".join(legend[:_LEGEND] + more)]
        return "\n".join(lines)

    def _big(self) -> bool:
        """Whether the per-node form is too long to read: a model's loss, where blocks read better."""
        return len(self.per_node) > BIG_GRAPH

    def _by_block(self) -> str:
        return (f"{len(self.per_node)} nodes are too many to read one by one: for the gradient by block, "
                f"{as_blocks(BY_BLOCK)}")

    def _shown(self) -> list[NodeTerm | None]:
        """The per-node terms to write out: all of them, or the first ones, a gap (None) and wrt's."""
        if len(self.per_node) <= _SHOWN:
            return list(self.per_node)
        return [*self.per_node[: _SHOWN - 1], None, self.per_node[-1]]

    def _node_text(self, t: NodeTerm) -> str:
        d = self._total(t.node)
        if not t.terms:
            return f"{d} = 1 (the output itself)"
        symbols = " + ".join(f"{self._total(c)} × {self._d(c, t.node)}" for c, _, _, _ in t.terms)
        numbers = " + ".join(f"{format_factor(g)} × {format_factor(l)}" for _, _, g, l in t.terms)
        return f"{d} = {symbols} = {numbers} = {format_number(t.total)}"

    def __repr__(self) -> str:
        return str(self)  # at a Python prompt, the whole explanation

    # -- LaTeX and Markdown ------------------------------------------------------------------

    def _ld(self, top: Value, bottom: Value) -> str:
        return local_latex(self.latex_names[top], self.latex_names[bottom])

    def _ltotal(self, bottom: Value) -> str:
        return total_latex(self.latex_names[self.output], self.latex_names[bottom])

    def _edge_latex(self, e: EdgeTerm) -> str:
        rule = f" = {e.rule.latex}" if e.rule is not None and e.rule.text != format_number(e.local) else ""
        return f"{self._ld(e.child, e.parent)}{rule} = {format_number(e.local)}"

    def _latex_lines(self) -> list[str]:
        d = self._ltotal(self.wrt)
        rows: list[str] = []
        if self.paths is not None:
            for _, path, prod in self._listed():
                symbols = " ".join(self._ld(e.child, e.parent) for e in path) or "1"
                factors = " \\cdot ".join(format_factor(e.local) for e in path) or "1"
                rows.append(f"&\\text{{{tex_text(self._path_route(path))}:}} && {symbols} = {factors} = "
                            f"{format_number(prod)}")
            rows.append(f"{d} &= \\text{{sum over paths}} && = {format_number(self.gradient)}")
        else:
            for t in self._shown():
                if t is None:
                    rows.append("&\\vdots")
                    continue
                if not t.terms:
                    continue
                symbols = " + ".join(f"{self._ltotal(c)} {self._ld(c, t.node)}" for c, *_ in t.terms)
                numbers = " + ".join(f"{format_factor(g)} \\cdot {format_factor(l)}" for *_, g, l in t.terms)
                rows.append(f"{self._ltotal(t.node)} &= {symbols} && = {numbers} = {format_number(t.total)}")
        return rows

    def _repr_latex_(self) -> str:
        return "$$\\begin{aligned}" + " \\\\ ".join(self._latex_lines()) + "\\end{aligned}$$"

    def _repr_markdown_(self) -> str:
        d = self._ltotal(self.wrt)
        out: list[str] = []
        if self.paths is not None:
            plural = "s" if self.n_paths != 1 else ""
            out.append(f"${d}$ is a sum over the **{self.n_paths} path{plural}** from "
                       f"{code_span(self.names[self.wrt])} to {code_span(self.names[self.output])} of the "
                       "product "
                       "of the local derivatives along each path.\n")
            for k, path, prod in self._listed():
                out.append(f"{k}. {code_span(self._path_route(path))}")
                for e in path:
                    out.append(f"    - ${self._edge_latex(e)}$")
                factors = " \\cdot ".join(format_factor(e.local) for e in path) or "1"
                note = _ZERO_NOTE if _stopped(path) else ""
                out.append(f"    - product: ${factors} = {format_number(prod)}${note}")
            if self._folded():
                out.append(f"\n{self._folded()}")
            out.append(f"\n**Sum over paths:** ${d} = {format_number(self.gradient)}$")
        else:
            out.append(f"{self.n_paths} paths lead from {code_span(self.names[self.wrt])} to "
                       f"{code_span(self.names[self.output])}: too many to list. Per-node form, "
                       "from the output down:\n")
            out.append("$$\\begin{aligned}" + " \\\\ ".join(self._latex_lines()) + "\\end{aligned}$$")
            out += [f"\n{self._by_block()}"] * self._big()
        out.append(f"\n`backward()` gives ${d} = {format_number(self.backward_gradient)}$")
        if self.legend():
            out.append("\nwhere " + ", ".join(code_span(line) for line in self.legend()))
        return "\n".join(out)


def _product(path: tuple[EdgeTerm, ...]) -> float:
    """The product of a path's local derivatives, from the output down. Once it is 0 it stays 0,
    whatever follows (an infinite slope, such as sqrt's at 0): backward() skips a node whose
    gradient is 0, since a zero gradient passes nothing on, and the sum over paths agrees with it."""
    p = 1.0
    for e in path:
        if p == 0:
            break
        p *= e.local
    return p


def _stopped(path: tuple[EdgeTerm, ...]) -> bool:
    """Whether a zero reached before a factor that is not finite decides the path's product."""
    p = 1.0
    for e in path:
        if p == 0:
            return not all(math.isfinite(f.local) for f in path)
        p *= e.local
    return False


_ZERO_NOTE = " (a zero gradient passes nothing on: backward() never multiplies by what follows it)"


def _operand(name: str) -> str:
    """A name as an operand in the legend: ``a * b`` in parentheses, ``tanh(x * 2)`` or ``x`` as it is."""
    depth = 0
    for ch in name:
        depth += (ch == "(") - (ch == ")")
        if ch == " " and depth == 0:
            return f"({name})"
    return name


def _natural_number(name: str) -> tuple[int, str]:
    return (int(name[1:]), name) if re.fullmatch(r"v\d+", name) else (-1, name)


@overload
def explain(output: Value, wrt: Value, *, max_paths: int = 32, hide_zero_paths: bool = False,
            by: Literal["path"] = "path", block: None = None) -> Explanation: ...


@overload
def explain(output: Value, wrt: Value, *, max_paths: int = 32, hide_zero_paths: bool = False,
            by: Literal["block"], block: Any = None) -> BlockExplanation: ...


def explain(output: Value, wrt: Value, *, max_paths: int = 32, hide_zero_paths: bool = False,
            by: str = "path", block: Any = None) -> Explanation | BlockExplanation:
    """How the chain rule builds d output / d wrt, written out.

    ``by='block'``, for a graph built inside ``autograd.track_blocks()``: the gradient split by the
    routes its paths take through the blocks of your code inside ``block`` (``'loss > * > forward >
    li=0'``: through the residual stream, each head, the MLP), summed and checked against
    ``autograd.grad`` (:func:`autograd.see.blocks.explain_by_block`).

    Lists every path from ``wrt`` to ``output`` (``a → e → d → L``), the local
    derivative on each edge as a formula and a number (``∂e/∂a = b = -3``),
    each path's product and the sum of the products, which is the gradient;
    ``backward()``'s answer is shown next to it. When there are more than
    ``max_paths`` paths (they multiply quickly: a chain of n diamonds has 2**n),
    it says how many and writes the per-node form instead: for every node ``v``
    between ``wrt`` and ``output``, d output/d v as a sum over ``v``'s children.
    No ``.grad`` is changed.
    """
    if not isinstance(output, Value):
        raise TypeError(f"explain: output must be a Value, got {type(output).__name__}: {output!r:.80}")
    if not isinstance(wrt, Value):
        raise TypeError(f"explain: wrt must be a Value, got {type(wrt).__name__}: {wrt!r:.80}")
    choice("explain", "by", by, ("path", "block"))
    if by == "block":
        return explain_by_block(output, wrt, block)
    if block is not None:
        raise ValueError("explain: block= names the blocks that split the gradient: it needs by='block'")
    max_paths = count("explain", "max_paths", max_paths, least=0)
    flag("explain", hide_zero_paths=hide_zero_paths)
    order = graph_order(output, "explain")
    names = node_names(order)
    latex_names = node_latex_names(order, names)
    if wrt not in names:
        swapped = graph_order(wrt, "explain")
        if output in set(swapped):  # the two arguments, the other way round
            other = node_names(swapped)
            raise ValueError(
                f"explain: wrt ({other[wrt]}) is computed from output ({other[output]}), so the arguments "
                f"look swapped: the output comes first, explain(output, wrt); here "
                f"explain({other[wrt]}, {other[output]})"
            )
        raise ValueError(
            f"explain: wrt ({wrt!r:.80}) is not in the graph of the output {names[output]!r}; "
            "expected one of the Values the output was computed from (no path leads from wrt "
            "to the output, so its gradient is 0)"
        )

    # The nodes that depend on wrt, and how many paths lead from wrt to each.
    n_paths: dict[Value, int] = {}
    for v in order:
        if v is wrt:
            n_paths[v] = 1
        else:
            through = sum(n_paths.get(p, 0) for p in v._prev)
            if through:
                n_paths[v] = through
    total = n_paths.get(output, 0)
    steps = _steps(output, names, order)  # backward's own pass, edge by edge: its numbers, its errors
    backward_gradient = 1.0 if wrt is output else next((st.parent_grad for st in reversed(steps)
                                                          if st.parent is wrt), 0.0)

    rules: dict[Value, tuple[tuple[float, ...], list[Formula | None]]] = {}

    def local(v: Value) -> tuple[tuple[float, ...], list[Formula | None]]:
        if v not in rules:
            rules[v] = (local_numbers(v), symbolic_local(v, names, latex_names))
        return rules[v]

    per_node = _per_node(output, order, n_paths, steps)
    if total <= max_paths:
        paths = _paths(output, wrt, n_paths, local)
        gradient = sum(_product(p) for p in paths)
    else:
        paths = None
        gradient = per_node[-1].total if per_node and per_node[-1].node is wrt else 0.0
    return Explanation(output, wrt, names, latex_names, total, paths, per_node, gradient, backward_gradient,
                       hide_zero_paths)


def _paths(output: Value, wrt: Value, n_paths: dict[Value, int], local: Any) -> list[tuple[EdgeTerm, ...]]:
    """Every path from ``output`` back to ``wrt``, as edges, without recursion.

    Why links: the paths being followed share their beginnings, so each is kept as its last
    edge and a link to the path it extends, and written out as a tuple only when it reaches
    ``wrt``. Copying the edges at every step instead would cost the square of the path's
    length (26 s for a chain of 100,000 additions)."""
    found: list[tuple[EdgeTerm, ...]] = []
    stack: list[tuple[Value, Any]] = [(output, None)]  # a link: (the last edge, the link before it)
    while stack:
        v, link = stack.pop()
        if v is wrt:
            edges: list[EdgeTerm] = []
            while link is not None:
                edge, link = link
                edges.append(edge)
            found.append(tuple(reversed(edges)))
            continue
        numbers, formulas = local(v)
        nexts = [
            (p, (EdgeTerm(v, p, i, numbers[i], formulas[i]), link))
            for i, p in enumerate(v._prev) if p in n_paths
        ]
        stack.extend(reversed(nexts))  # so that paths come out in argument order
    return found


def _per_node(output: Value, order: list[Value], n_paths: dict[Value, int],
              steps: list[Step]) -> list[NodeTerm]:
    """d output / d v for every node v that depends on wrt, from the output down, as sums over children.

    The terms are backward's own steps (a child whose gradient is 0 sends nothing, and is left out).
    """
    incoming: dict[Value, list[tuple[Value, int, float, float]]] = {}
    total: dict[Value, float] = {output: 1.0}
    for s in steps:
        if s.parent in n_paths and s.child in n_paths:
            incoming.setdefault(s.parent, []).append((s.child, s.index, s.upstream, s.local))
        total[s.parent] = s.parent_grad
    return [NodeTerm(v, tuple(incoming.get(v, ())), total.get(v, 0.0))
            for v in reversed(order) if v in n_paths]


# --- backward, one edge at a time ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One edge of the backward pass: ``child`` passes gradient to its argument ``parent``.

    ``contribution = upstream * local``: the child's gradient (upstream) times
    d child / d parent (local); it is added to the parent's gradient, which
    goes from ``parent_grad_before`` to ``parent_grad``. ``child_name`` and
    ``parent_name`` are the names the pictures draw in those nodes' boxes.
    """

    child: Value
    parent: Value
    index: int  # the parent's position in child._prev
    local: float
    upstream: float
    contribution: float
    parent_grad_before: float
    parent_grad: float
    child_name: str = ""
    parent_name: str = ""
    output_name: str = ""  # the name of the output whose backward pass this is

    def __str__(self) -> str:
        """``e → a: upstream dL/de = -2, local ∂e/∂a = 3, contribution (-2) × 3 = -6; a.grad 0 → -6``: the
        upstream gradient is a total derivative (d), the local one an edge's (∂), as :func:`explain`
        writes them."""
        c = self.child_name or self.child.label or "child"
        p = self.parent_name or self.parent.label or "parent"
        o = self.output_name or "output"
        up, local, n = self.upstream, self.local, format_number
        return (f"{c} → {p}: upstream {total_symbol(o, c)} = {n(up)}, "
                f"local {local_symbol(c, p)} = {n(local)}, "
                f"contribution {format_factor(up)} × {format_factor(local)} = {n(self.contribution)}; "
                f"{grad_name(p)} {n(self.parent_grad_before)} → {n(self.parent_grad)}")


def backward_steps(output: Value) -> Iterator[Step]:
    """Replay ``output.backward()`` one edge at a time: a :class:`Step` per edge, in backward's order.

    Nodes come children first (the reverse of :func:`autograd.topological_order`), each
    node's parents in argument order; a node whose gradient is 0 has nothing to pass on, and
    backward skips it, so the steps do too. It runs the engine's own backward pass on
    gradients that start from 0 (and 1 for ``output``), then puts every ``.grad`` back as it
    was: the last ``parent_grad`` of each node is what ``.grad`` holds after ``backward()``
    from zeroed gradients.
    """
    if not isinstance(output, Value):
        raise TypeError(f"backward_steps: output must be a Value, got {type(output).__name__}: "
                        f"{output!r:.80}")
    return iter(_steps(output))


def _steps(output: Value, names: dict[Value, str] | None = None,
           order: list[Value] | None = None) -> list[Step]:
    steps: list[Step] = []
    order = graph_order(output, "backward_steps") if order is None else order
    names = names if names is not None else node_names(order)

    def record(v: Value, i: int, g: Any, d: Any, contribution: Any, before: Any) -> None:
        p = v._prev[i]
        steps.append(Step(v, p, i, float(d), float(g), float(contribution), float(before),
                          float(before + contribution),
                          names[v], names[p], names[output]))

    grad(output, [], watch=record)
    return steps
