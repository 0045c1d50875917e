"""Blocks: a big graph grouped by where in your code each node was made.

What you can do with it (``loss`` built from microgpt's ``forward`` by a function ``doc_loss``)::

    with track_blocks():                          # opt-in: every node remembers where it was made
        loss = doc_loss(doc)
    loss.backward()
    draw_dot(loss, view='blocks')                 # one box per block: its nodes, |grad| through it
    draw_dot(loss, view='blocks', block='doc_loss > pos_id=2 > forward > li=0 > h=2 > _softmax')
    explore_blocks(loss)                          # in Jupyter: a menu opens each block, down to nodes
    explain(loss, w, by='block', block='doc_loss > * > forward > li=0')  # through each head, the MLP...
    plot_attention(loss); plot_block_grads(loss)  # attention maps; |grad| through each block, as bars
    blocks(loss)                                  # every block path with its number of nodes

**What a block is.** The chain of *your* functions that were running when the node was made,
from the one called inside the ``with`` block (``doc_loss > forward > _rmsnorm``), with three
refinements so that one box is one thing of the code:

* a function called again *within the same block* gets a number: the first call of ``_linear``
  in ``forward`` is ``_linear``, the next ones ``_linear#2``, ``_linear#3``... (the count restarts
  in every block, so ``_linear#2`` is the same line of code in every call of ``forward``: the
  picture writes that line in its box);
* a ``for`` statement whose loop variable is an int splits its body by iteration, named after
  the variable: ``for h in range(n_head)`` gives ``h=0``, ``h=1``... (one attention head is
  ``forward > li=0 > h=2``, its softmax ``forward > li=0 > h=2 > _softmax``); loops over other
  things, loops whose variable is ``_``, comprehensions and ``while`` loops are not split;
* the nodes a function makes itself (not in a function it calls) are grouped by statement,
  ``line 280``, so the residual add ``x = [a + b for a, b in zip(x, x_residual)]`` is a box.

In a path, ``*`` stands for any step and ``h=*`` for any iteration of loop ``h``
(:func:`block_outputs`, ``explain(..., by='block')``, :func:`autograd.see.plot.plot_attention`);
``block=''`` is the whole graph, which the block view otherwise opens on its first block holding
more than one thing.

Which frames count: those below the one that entered ``track_blocks()``; chainrule's own frames
(``autograd``, ``nn``), the standard library's, and comprehensions, generator expressions and
lambdas are folded into the function that runs them. Leaves (parameters, inputs, constants)
belong to no block; the block view puts a leaf in the box of its users when they all sit in one
box, and in a box of shared leaves otherwise, so the boxes of the whole graph count every node
once. Nodes made outside ``track_blocks()`` are one box of their own.

**What it costs.** Inside the block each new node walks the Python stack (a few frames) and,
inside a split loop, reads the loop variable: about 2-2.5 µs a node, some 10x the cost of making
the node, measured by ``bench/blocks_cost.py`` (see :class:`track_blocks`). Outside the block
nothing changes. Where a node was made is kept on the node itself (the attributes ``_block`` and
``_made``), so it lives and dies with the graph.

**Threads, no_grad, nesting.** The switch is the engine's ``recording`` context variable (this is a
:class:`autograd.core.grad_mode.Watcher`), so another thread or asyncio task is not tracked;
``no_grad()`` inside the block makes leaves as always (not tracked, nothing recorded);
``track_blocks()`` entered under ``no_grad`` leaves recording off. A ``track_blocks()`` inside
another one changes nothing (the paths stay relative to the outer one). Entered while
``detect_anomaly()`` is on, both work (anomaly mode makes and checks each node, then it is
placed); the other order leaves the inner ``detect_anomaly`` alone in charge until it ends.
"""

from __future__ import annotations

import ast
import contextvars
import inspect
import itertools
import linecache
import os
import re
import sys
import sysconfig
import threading
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any, Iterable

from ..core import engine
from ..core.engine import Value
from ..core.walk import grad_number, graph_order

__all__ = ["track_blocks", "Block", "block_of", "blocks", "block_nodes", "block_outputs", "block_view",
           "explain_by_block", "BlockExplanation", "SEP"]

#: Written between the steps of a block path: ``forward > li=0 > h=2 > _softmax``.
SEP = " > "

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # autograd/see/ -> top
_LIBRARY = tuple(os.path.join(_ROOT, pkg) + os.sep for pkg in ("autograd", "nn"))
_STDLIB = tuple({os.path.realpath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "platstdlib")})
_FOLDED = {"<listcomp>", "<genexpr>", "<dictcomp>", "<setcomp>", "<lambda>"}
_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


class Block:
    """One block: a step (``_softmax``, ``h=2``, ``line 245``) under its parent block.

    ``path`` is the tuple of steps from the top (the top block's is ``()``), ``site`` the line of
    code that opened it (the call, the ``for`` statement, or the statement itself). While tracking,
    a block also counts the calls made in it, to number repeated calls."""

    __slots__ = ("step", "parent", "path", "site", "_children", "_calls", "_current")

    def __init__(self, step: str = "", parent: Block | None = None, site: str = "") -> None:
        self.step = step
        self.parent = parent
        self.path: tuple[str, ...] = (*parent.path, step) if parent is not None else ()
        self.site = site
        self._children: dict[str, Block] = {}
        self._calls: dict[str, int] = {}
        self._current: dict[str, tuple[FrameType, Block]] = {}  # the running call of each function

    def child(self, step: str, filename: str = "", line: int = 0) -> Block:
        """The block ``step`` inside this one, made the first time (its site: that line of that file)."""
        found = self._children.get(step)
        if found is None:
            found = self._children[step] = Block(step, self, _line_text(filename, line) if line else "")
        return found

    def call(self, frame: FrameType, name: str) -> Block:
        """The block of the call ``frame`` of function ``name`` made from this block: the same block
        for every node the call makes, a new number for the next call (why frames are held: a frame
        held cannot be freed, so a new call can never be mistaken for it)."""
        running = self._current.get(name)
        if running is not None and running[0] is frame:
            return running[1]
        n = self._calls[name] = self._calls.get(name, 0) + 1
        caller = frame.f_back
        block = self.child(name if n == 1 else f"{name}#{n}", *((caller.f_code.co_filename, caller.f_lineno)
                                                               if caller is not None else ()))
        self._current[name] = (frame, block)
        return block

    def _release(self) -> None:
        """Let go of the frames held while tracking (iteratively: a deep tree is fine)."""
        stack = [self]
        while stack:
            b = stack.pop()
            b._current.clear()
            b._calls.clear()
            stack.extend(b._children.values())

    def __str__(self) -> str:
        return SEP.join(self.path)

    def __repr__(self) -> str:
        return f"Block({str(self)!r})"

    def __reduce__(self) -> Any:  # a copied or pickled node keeps its path, not the tracking state
        return (_detached, (self.path, self.site))

    def __deepcopy__(self, memo: Any) -> Block:
        return self


def _detached(path: tuple[str, ...], site: str) -> Block:
    block = Block()
    for step in path:
        block = Block(step, block)
    block.site = site
    return block


# --- what the tracker knows of each function: its loops and statements, read once from its source ---


@dataclass
class _Code:
    """What a code object's source says: its name in a path, whether it is folded into its caller,
    its ``for`` loops over a plain name (first line of the body, last line, variable), and the first
    line of the statement each line belongs to."""

    name: str
    folded: bool
    resumable: bool = False  # a generator or coroutine: its caller may change between two nodes
    loops: list[tuple[int, int, str, int]] = field(default_factory=list)  # (first, last, name, for line)
    statements: dict[int, int] = field(default_factory=dict)


_codes: dict[CodeType, _Code] = {}
_codes_lock = threading.Lock()
_trees: dict[str, ast.Module | None] = {}


def _code_info(code: CodeType) -> _Code:
    info = _codes.get(code)
    if info is None:
        info = _read_code(code)
        with _codes_lock:
            _codes[code] = info
    return info


def _read_code(code: CodeType) -> _Code:
    filename, name = code.co_filename, code.co_name
    real = os.path.realpath(filename) if not filename.startswith("<") else filename
    folded = (name in _FOLDED or filename.startswith(_LIBRARY) or real.startswith(_LIBRARY)
              or (real.startswith(_STDLIB) and "-packages" not in real))
    if name.startswith("__") and name.endswith("__"):
        name = getattr(code, "co_qualname", name)  # Neuron.__call__ rather than __call__
    info = _Code(name, folded, bool(code.co_flags & _RESUMABLE))
    if folded:
        return info
    tree = _tree(filename)
    body = _find_body(tree, code) if tree is not None else None
    if body is None:
        return info
    for node in _own_nodes(body):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id != "_":
            info.loops.append((node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno,
                               node.target.id, node.lineno))
        if isinstance(node, ast.stmt):
            inner = [n for n in ("body", "orelse", "finalbody", "handlers") if getattr(node, n, None)]
            end = node.end_lineno or node.lineno
            if inner:  # a compound statement: its header lines only
                first_inner = min(getattr(node, n)[0].lineno for n in inner)
                end = max(node.lineno, first_inner - 1)
            for line in range(node.lineno, end + 1):
                info.statements.setdefault(line, node.lineno)
    return info


def _tree(filename: str) -> ast.Module | None:
    if filename not in _trees:
        try:
            _trees[filename] = ast.parse("".join(linecache.getlines(filename)))
        except (SyntaxError, ValueError):
            _trees[filename] = None
    return _trees[filename]


def _find_body(tree: ast.Module, code: CodeType) -> list[ast.stmt] | None:
    """The statements of the function (or module) whose code ``code`` is."""
    if code.co_name == "<module>":
        return tree.body
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == code.co_name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if first == code.co_firstlineno:
                return node.body
    return None


def _own_nodes(body: list[ast.stmt]) -> Iterable[ast.AST]:
    """The nodes of ``body``, outer first, not entering functions or classes defined in it."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _line_text(filename: str, line: int) -> str:
    return linecache.getline(filename, line).strip()


# --- the tracker ----------------------------------------------------------------------------------


class track_blocks:
    """Record, for each node made in the block, where in your code it was made (see the module).

    ::

        with track_blocks():
            loss = model_loss()
        draw_dot(loss, view='blocks')

    It costs time while on, and only then. Measured with ``python bench/blocks_cost.py`` (medians of
    7 alternating rounds, CPU time, December 2026, on a shared 2-core machine): building the loss of
    one 7-letter name on microgpt's model, 67,891 nodes, took 0.16-0.19 s inside ``track_blocks()``
    against 0.017 s without, about 10x, or 2.1-2.5 µs more a node (0.25 s against 0.024 s while the
    machine was busy); ``backward()`` is not slowed (0.02-0.03 s either way); planning a block view
    of that graph takes 0.35-0.6 s."""

    def __init__(self) -> None:
        self._token: contextvars.Token[Any] | None = None
        self._top: FrameType | None = None
        self._root = Block()
        self._outer: Any = None
        self._lock = threading.Lock()
        self._made = itertools.count(1)  # next() on it is atomic: no lock
        self._last: tuple[Any, dict[int, Block]] = (None, {})  # innermost frame, its blocks by line

    def __enter__(self) -> track_blocks:
        if self._token is not None:
            raise RuntimeError("track_blocks: this block is already active; make a new track_blocks()")
        state = engine.recording.get()
        if isinstance(state, track_blocks):  # nested: the outer one goes on recording
            self._token = engine.recording.set(state)
            return self
        self._top = sys._getframe(1)
        self._outer = state if state is not True else None
        for hook in ("edge", "backward"):  # an outer watcher (anomaly mode) still sees backward
            if getattr(self._outer, hook, None) is not None:
                setattr(self, hook, getattr(self._outer, hook))
        self._token = engine.recording.set(self if state else state)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None
        engine.recording.reset(self._token)
        self._token = None
        with self._lock:
            self._root._release()
            self._top = None
            self._last = (None, {})

    # -- called by the engine for every node made while the block is active -----------------------

    def node(self, op: Any, parents: tuple[Value, ...]) -> Value:
        """Make the node ``op`` of ``parents`` and note its block (the engine asks)."""
        outer = self._outer
        v: Value = outer.node(op, parents) if outer is not None else engine.make_node(op, parents)
        v._block = self._where(sys._getframe(1))  # type: ignore[attr-defined]
        v._made = next(self._made)  # type: ignore[attr-defined]  # the order they were made in
        return v

    def _where(self, frame: FrameType | None) -> Block:
        """The block of a node made now, ``frame`` being the engine's frame that made it. Why the lock
        only past the first loop: a frame belongs to one thread, so the cache of the last frame can
        match only in the thread that filled it; the blocks' counts are shared, and change under it."""
        chain: list[tuple[FrameType, _Code]] = []
        top, codes = self._top, _codes
        while frame is not None and frame is not top:
            info = codes.get(frame.f_code) or _code_info(frame.f_code)
            if not info.folded:
                if not chain:  # the innermost of your frames: the same call on the same line as last time?
                    last = self._last
                    if last[0] is frame:
                        known = last[1].get(frame.f_lineno)
                        if known is not None:
                            return known
                chain.append((frame, info))
            frame = frame.f_back
        with self._lock:
            return self._place(chain, frame is top and top is not None)

    def _place(self, chain: list[tuple[FrameType, _Code]], below_top: bool) -> Block:
        """The block of the frames ``chain`` (innermost first), made if new; the top's loops first."""
        top = self._top
        block = self._root
        if below_top and top is not None:
            block = self._loops(block, top, _code_info(top.f_code))
        for i in range(len(chain) - 1, -1, -1):
            f, info = chain[i]
            block = self._loops(block.call(f, info.name), f, info)
        innermost = chain[0] if chain else (top, _code_info(top.f_code)) if top is not None else None
        if innermost is None:
            return block
        f, info = innermost
        line = info.statements.get(f.f_lineno, f.f_lineno)
        block = block.child(f"line {line}", f.f_code.co_filename, line)
        if not info.resumable and not any(first <= f.f_lineno <= last for first, last, _, _ in info.loops):
            if self._last[0] is not f:  # the block of a line outside loops stays, for this call
                self._last = (f, {})
            self._last[1][f.f_lineno] = block
        return block

    @staticmethod
    def _loops(block: Block, frame: FrameType, info: _Code) -> Block:
        """``block`` refined by the int loop variables of the loops ``frame`` is inside, outer first."""
        if not info.loops:
            return block
        line = frame.f_lineno
        active = [loop for loop in info.loops if loop[0] <= line <= loop[1]]
        if not active:
            return block
        names = frame.f_locals
        for _, _, name, for_line in active:
            value = names.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                block = block.child(f"{name}={value}", frame.f_code.co_filename, for_line)
        return block


# --- reading the blocks of a graph ----------------------------------------------------------------


def block_of(v: Value) -> Block | None:
    """The block ``v`` was made in, or None (a leaf, or a node made outside ``track_blocks()``)."""
    return v.__dict__.get("_block") if hasattr(v, "__dict__") else None


def made_order(v: Value) -> int:
    """Where ``v`` comes in the order its ``track_blocks()`` made nodes (0 for a node made outside)."""
    return int(v.__dict__.get("_made", 0)) if hasattr(v, "__dict__") else 0


def block_outputs(root: Value, block: Any) -> dict[tuple[str, ...], list[Value]]:
    """For every block matching ``block`` (a path where ``*`` stands for any step and ``h=*`` for any
    iteration of loop ``h``), the nodes of it that something outside it uses (or ``root`` itself), in
    the order they were made: a function's results, such as the attention weights of each
    ``_softmax`` call of each head. In one pass over the graph."""
    order = graph_order(root, "block_outputs")
    _check_tracked(order, "block_outputs")
    pattern = parse_path("block_outputs", block)
    n = len(pattern)
    home: dict[Value, tuple[str, ...]] = {}
    for v in order:
        b = block_of(v)
        if b is not None and len(b.path) >= n and all(_step_matches(q, s) for q, s in zip(pattern, b.path)):
            home[v] = b.path[:n]
    found: dict[tuple[str, ...], list[Value]] = {}
    for v in order:
        for p in v._prev:
            if p in home and home.get(v) != home[p] and p not in found.get(home[p], ()):
                found.setdefault(home[p], []).append(p)
    if root in home and root not in found.get(home[root], ()):
        found.setdefault(home[root], []).append(root)
    if not found:
        raise ValueError(f"block_outputs: no block of this graph matches {SEP.join(pattern)!r}; "
                         f"{_suggest(order, tuple(s for s in pattern if '*' not in s))}")
    return {path: sorted(nodes, key=made_order) for path, nodes in found.items()}


def _step_matches(pattern: str, step: str) -> bool:
    """``*`` matches any step, ``h=*`` any iteration of loop ``h``, anything else only itself."""
    if pattern == "*" or pattern == step:
        return True
    return pattern.endswith("=*") and step.startswith(pattern[:-1]) and _LOOP_STEP.fullmatch(step) is not None


def _check_tracked(order: list[Value], where: str) -> None:
    if not any(block_of(v) is not None for v in order):
        raise ValueError(
            f"{where}: no node of this graph was made inside track_blocks(), so it has no blocks; "
            "build it inside `with autograd.track_blocks():` (e.g. the forward pass and the loss), "
            "then call this again"
        )


def parse_path(where: str, block: Any) -> tuple[str, ...]:
    """A block path given as ``'forward > li=0 > h=2'`` (or a tuple of steps, or a Block) as a tuple."""
    if isinstance(block, Block):
        return block.path
    if isinstance(block, str):
        return tuple(s.strip() for s in block.split(SEP.strip()) if s.strip())
    if isinstance(block, (tuple, list)) and all(isinstance(s, str) for s in block):
        return tuple(block)
    raise TypeError(f"{where}: block must be a path such as 'forward > li=0 > h=2 > _softmax' (a str), "
                    f"got {type(block).__name__}: {block!r:.60}")


def block_nodes(root: Value, block: Any = None) -> list[Value]:
    """The nodes of ``root``'s graph made in ``block`` (a path; None: every tracked node), in
    topological order."""
    order = graph_order(root, "block_nodes")
    _check_tracked(order, "block_nodes")
    path = parse_path("block_nodes", block) if block is not None else ()
    n = len(path)
    found = [v for v in order if (b := block_of(v)) is not None and b.path[:n] == path]
    if not found:
        raise ValueError(f"block_nodes: no node of this graph was made in block {SEP.join(path)!r}; "
                         f"{_suggest(order, path)}")
    return found


def blocks(root: Value, depth: int | None = None) -> dict[str, int]:
    """Every block path of ``root``'s graph (down to ``depth`` steps; None: all) with its number of
    nodes (its sub-blocks' included), in the order they were first made."""
    order = graph_order(root, "blocks")
    _check_tracked(order, "blocks")
    counts: dict[str, int] = {}
    for v in order:
        b = block_of(v)
        if b is None:
            continue
        path = b.path if depth is None else b.path[:depth]
        for k in range(1, len(path) + 1):
            key = SEP.join(path[:k])
            counts[key] = counts.get(key, 0) + 1
    return counts


def _suggest(order: list[Value], path: tuple[str, ...]) -> str:
    """What to write instead of a path that names no block: the blocks found one step above it."""
    known: dict[tuple[str, ...], None] = {}
    for k in range(len(path) - 1, -1, -1):
        for v in order:
            b = block_of(v)
            if b is not None and b.path[:k] == path[:k] and len(b.path) > k:
                known[b.path[:k + 1]] = None
        if known:
            break
    shown = [SEP.join(p) for p in list(known)[:8]]
    more = f" (and {len(known) - 8} more)" if len(known) > 8 else ""
    return "the blocks there are " + ", ".join(repr(s) for s in shown) + more if shown else \
        "blocks(root) lists them"


# --- the block view: what draw_dot(root, view='blocks', block=...) draws ---------------------------

#: A block with at most this many nodes, and no blocks inside it but its statements, is drawn node by
#: node when zoomed into (one attention head's softmax); a bigger one as one box per statement.
NODE_VIEW_LIMIT = 150

_SHARED = ("shared leaves",)  # the key of the box of leaves used by several boxes
_OUTSIDE = "made outside track_blocks()"  # the box of the nodes that have no block


@dataclass
class Box:
    """One box of the block view: a block inside the one shown, its leaves, or a block outside it
    that sends values in (``kind='from'``) or takes values out (``kind='to'``)."""

    key: tuple[str, ...]
    kind: str  # 'block', 'leaves', 'from', 'to'
    site: str = ""
    nodes: list[Value] = field(default_factory=list)
    outputs: list[Value] = field(default_factory=list)  # what it made that is used outside it (or the root)
    iterations: set[int] = field(default_factory=set)  # a box outside: the loop iterations merged in it

    @property
    def name(self) -> str:
        if self.kind == "leaves":
            return "leaves used by several blocks"
        step = self.key[-1]  # the whole path is its tooltip
        if self.iterations:
            step = step[:-1] + _span(sorted(self.iterations))
        return f"from {step}" if self.kind == "from" else f"to {step}" if self.kind == "to" else step

    def grad_norm(self) -> float:
        """The size of the gradient through the box: the norm of the grads of its outputs (of all
        its nodes, for leaves and the values coming in), as left by ``backward()``."""
        shown = self.outputs if self.kind == "block" else self.nodes
        return sum(grad_number(v, "draw_dot") ** 2 for v in shown) ** 0.5


@dataclass
class BlockView:
    """The plan of one block view: the block shown (``path``), and either its boxes and the edges
    between them (``edges[(i, j)]``: how many node-to-node edges go from box i to box j), or, for a
    small block, its ``nodes`` to draw one by one with the values coming in (``inputs``)."""

    path: tuple[str, ...]
    total: int
    boxes: list[Box] = field(default_factory=list)
    edges: dict[tuple[int, int], int] = field(default_factory=dict)
    nodes: list[Value] = field(default_factory=list)
    inputs: list[Value] = field(default_factory=list)
    note: str = ""

    @property
    def title(self) -> str:
        where = SEP.join(self.path) if self.path else "the whole graph"
        return f"{where}: {self.total:,} nodes"


def block_view(root: Value, block: Any = None, max_nodes: int | None = NODE_VIEW_LIMIT) -> BlockView:
    """Plan the block view of ``root``'s graph, zoomed into ``block`` (a path; None: the whole graph).

    Without ``block``, a graph whose tracked nodes all sit in one block is shown from inside it (the
    view opens on the first block with more than one thing in it). A block holding only statements
    and at most ``max_nodes`` nodes is planned node by node."""
    order = graph_order(root, "draw_dot")
    _check_tracked(order, "draw_dot(view='blocks')")
    path = parse_path("draw_dot", block) if block is not None else block_view_path(order)
    n = len(path)
    inside = {v for v in order  # the whole graph holds the nodes made outside track_blocks() too
              if ((b := block_of(v)) is not None and b.path[:n] == path) or (not path and v._prev)}
    if not inside:
        raise ValueError(f"draw_dot: no node of this graph was made in block {SEP.join(path)!r}; "
                         f"{_suggest(order, path)}")
    steps_inside = {b.path[n] for v in inside if (b := block_of(v)) is not None and len(b.path) > n}
    only_lines = all(s.startswith("line ") for s in steps_inside)
    if path and only_lines and (max_nodes is None or len(inside) <= max_nodes):
        inputs = {p: None for v in order if v in inside for p in v._prev if p not in inside}
        return BlockView(path, len(inside), nodes=[v for v in order if v in inside], inputs=list(inputs))
    view = _boxes(order, path, inside, root)
    if path and only_lines:
        view.note = (f"{len(inside)} nodes: more than {max_nodes} to draw one by one, so one box per "
                     "statement; pass max_nodes=None to draw every node")
    return view


def _boxes(order: list[Value], path: tuple[str, ...], inside: set[Value], root: Value) -> BlockView:
    n = len(path)
    users: dict[Value, list[Value]] = {}
    for v in order:
        for p in v._prev:
            users.setdefault(p, []).append(v)
    boxes: dict[tuple[str, ...], Box] = {}

    def box_of_made(v: Value) -> Box:
        b = block_of(v)
        loop = None
        key: tuple[str, ...]
        if b is None:  # made outside track_blocks(): one box, in the whole graph or beside a block
            key, kind, site = (_OUTSIDE,), "block" if v in inside else "from" if v in feeding else "to", ""
        elif b.path[:n] == path:
            key, kind = b.path[n:n + 1], "block"
            site = b.site if len(b.path) == n + 1 else _site(b, n)
        else:  # the first step where its path leaves the one shown; loop iterations in one box
            common = next((i for i, (a, c) in enumerate(zip(b.path, path)) if a != c), min(len(b.path), n))
            key, kind, site = b.path[:common + 1], "from" if v in feeding else "to", ""
            loop = _LOOP_STEP.fullmatch(key[-1])
            if loop:
                key = (*key[:-1], loop.group(1) + "=*")
        full = (kind, *key)
        box = boxes.get(full)
        if box is None:
            box = boxes[full] = Box(key, kind, site)
        if kind != "block" and loop:
            box.iterations.add(int(loop.group(2)))
        return box

    feeding = {p for v in inside for p in v._prev if p not in inside and p._prev}
    where: dict[Value, Box] = {}
    for v in order:
        if v in inside or v in feeding:
            where[v] = box_of_made(v)
    # leaves: in the box of their users when these all sit in one box, else in the shared box
    for v in order:
        if v._prev or v in where:
            continue
        homes = {id(where[u]): where[u] for u in users.get(v, ()) if u in inside}
        if not homes:
            continue
        if len(homes) == 1:
            where[v] = next(iter(homes.values()))
        else:
            where[v] = boxes.setdefault(("leaves", *_SHARED), Box(_SHARED, "leaves"))
    for v in order:  # nodes outside that use the block's values
        if v not in where and v not in inside and v._prev and any(p in inside for p in v._prev):
            where[v] = box_of_made(v)
    for v, box in where.items():
        box.nodes.append(v)
    for v, box in where.items():
        used_outside = v is root or any(where.get(u) is not box for u in users.get(v, ()))
        if box.kind == "block" and v._prev and used_outside:
            box.outputs.append(v)
    ordered = sorted(boxes.values(), key=lambda b: ({"from": 0, "leaves": 1, "block": 2, "to": 3}[b.kind]))
    number = {id(b): i for i, b in enumerate(ordered)}
    edges: dict[tuple[int, int], int] = {}
    for v, box in where.items():
        for p in v._prev:
            src = where.get(p)
            if src is not None and src is not box and "block" in (src.kind, box.kind):
                key = (number[id(src)], number[id(box)])  # what happens outside the block is not drawn
                edges[key] = edges.get(key, 0) + 1
    total = sum(len(b.nodes) for b in ordered if b.kind in ("block", "leaves"))
    return BlockView(path, total, boxes=ordered, edges=edges)


_LOOP_STEP = re.compile(r"(\w+)=(-?\d+)")


def _span(values: list[int]) -> str:
    """``[0, 1, 2]`` as ``0..2``, ``[0, 2, 5]`` as ``0,2,5`` (at most 6 shown)."""
    if values == list(range(values[0], values[-1] + 1)) and len(values) > 2:
        return f"{values[0]}..{values[-1]}"
    shown = ",".join(map(str, values[:6]))
    return shown + (",…" if len(values) > 6 else "")


def short_site(site: str, width: int = 34) -> str:
    """A line of code in at most ``width`` characters, both ends kept: ``x = _linear(x…{li}.mlp_fc1"])``
    (which call it is shows at the start, what it computes often at the end)."""
    if len(site) <= width:
        return site
    head = (width - 1) * 2 // 5
    return site[:head] + "…" + site[len(site) - (width - 1 - head):]


def view_names(view: BlockView) -> dict[Value, str]:
    """Names for a block drawn node by node: a label if any, a leaf's number, ``in1``, ``in2``... for
    the values coming in from other blocks, ``v1``, ``v2``... for the block's own nodes."""
    from .text import format_number, printable

    names: dict[Value, str] = {}
    counts = {"in": 0, "v": 0}
    for v in [*view.inputs, *view.nodes]:
        if v.label:
            names[v] = printable(v.label)
        elif not v._prev:
            names[v] = format_number(v.data)
        else:
            kind = "in" if v in names or v not in view.nodes else "v"
            counts[kind] += 1
            names[v] = f"{kind}{counts[kind]}"
    return names


def _site(b: Block, n: int) -> str:
    """The line of code of the step at depth ``n`` on ``b``'s path (the block a box stands for)."""
    while b.parent is not None and len(b.path) > n + 1:
        b = b.parent
    return b.site


def draw_view(g: Any, view: BlockView, rankdir: str) -> None:
    """Fill the graphviz graph ``g`` with the boxes of ``view`` (draw_dot's ``view='blocks'``): each
    block a rounded box with its name, its line of code, its nodes and the size of the gradient
    through it (shaded by that size), the boxes outside it dashed, the edges counted."""
    from . import palette
    from .text import dot_text, format_number, html_text

    largest = max((b.grad_norm() for b in view.boxes if b.kind == "block"), default=0.0)
    notes = [view.title + ". Open a box: draw_dot(..., view='blocks', block='<its path>')"]
    if view.note:
        notes.append(view.note)
    g.attr(rankdir=rankdir, fontname="Helvetica", fontsize="16", labelloc="t", labeljust="l",
           label="\\n".join(dot_text(s) for s in notes), size="12.9,40", nodesep="0.2", ranksep="0.3")
    g.attr("node", fontname="Helvetica", fontsize="13", shape="box", margin="0.1,0.05")
    g.attr("edge", fontname="Helvetica", fontsize="13", color=palette.LINE, arrowsize="0.7")
    for i, box in enumerate(view.boxes):
        what = "values" if box.kind in ("from", "to") else "nodes"
        size = f"{len(box.nodes):,} {what}"
        if box.kind != "to":
            size += f", |grad| {format_number(box.grad_norm())}"
        lines = [f"<B>{html_text(box.name)}</B>  {html_text(size)}"]
        if box.site and not _LOOP_STEP.fullmatch(box.key[-1]):  # a loop's boxes share its `for` line
            site = short_site(box.site)
            lines.append(f'<FONT FACE="Courier" POINT-SIZE="12">{html_text(site)}</FONT>')
        full = SEP.join((*view.path, *box.key)) if box.kind == "block" else SEP.join(box.key)
        attrs = {"label": "<" + "<BR/>".join(lines) + ">", "tooltip": dot_text(full)}
        if box.kind == "block":
            attrs.update(style="rounded,filled", fillcolor=palette.shade(box.grad_norm(), largest),
                         id="block:" + dot_text(full))
        else:
            attrs.update(style="rounded,dashed", color=palette.FAINT, fontcolor=palette.MUTED)
        g.node(f"b{i}", **attrs)
    # the iterations of a loop that do not feed each other (the heads) side by side, in order
    loops: dict[str, list[tuple[int, int]]] = {}
    for i, box in enumerate(view.boxes):
        m = _LOOP_STEP.fullmatch(box.key[-1]) if box.kind == "block" else None
        if m:
            loops.setdefault(m.group(1), []).append((int(m.group(2)), i))
    for members in loops.values():
        ids = {i for _, i in members}
        if len(ids) > 1 and not any(i in ids and j in ids for i, j in view.edges):
            with g.subgraph() as row:
                row.attr(rank="same")
                ordered = [f"b{i}" for _, i in sorted(members)]
                for a, b in zip(ordered, ordered[1:]):
                    row.edge(a, b, style="invis")
    for (i, j), k in view.edges.items():
        faint = view.boxes[i].kind == "leaves"
        g.edge(f"b{i}", f"b{j}", label=f" {k:,} ", penwidth=f"{1 + min(2.0, len(str(k)) * 0.4):.1f}",
               **({"color": palette.FAINT, "style": "dashed", "fontcolor": palette.MUTED} if faint else {}))


# --- a gradient explained by block: explain(root, x, by='block') ------------------------------------

#: Routes written out by ``str()`` of a :class:`BlockExplanation`; the rest are summed in one line.
_ROUTES_SHOWN = 16


@dataclass
class BlockExplanation:
    """``d root / d x`` split by the blocks its paths go through (what ``explain(root, x, by='block')``
    returns; prints as text).

    The *parts* are the blocks one step inside ``block`` (a path in which ``*`` stands for any step,
    so ``'loss > * > forward > li=0'`` takes every position's layer 0 and merges the same part of
    each: every head ``h=2`` is one part). Every path from ``x`` to ``root`` has a *route*: the parts
    it passes through, in order. ``routes`` maps each route to the sum of its paths' products, so
    the routes add up to the gradient (``gradient``, checked against ``autograd.grad``: ``expected``).
    ``through`` gives, for each part, the sum over the routes that pass through it: how much of
    the gradient arrives through that part (a path may pass several, so these do not add up)."""

    block: tuple[str, ...]
    routes: dict[tuple[str, ...], float]
    through: dict[str, float]
    sites: dict[str, str]
    gradient: float
    expected: float
    wrt_name: str = "x"
    out_name: str = "output"

    @property
    def matches(self) -> bool:
        """Whether the routes add up to the gradient ``autograd.grad`` computes (to float rounding)."""
        return abs(self.gradient - self.expected) <= 1e-9 * max(1.0, abs(self.expected))

    def __str__(self) -> str:
        from .names import total_symbol
        from .text import format_number

        where = SEP.join(self.block) or "the top"
        common = [p for p in self.through if all(p in r for r, g in self.routes.items() if g != 0)]
        total = total_symbol(self.out_name, self.wrt_name)  # d, not ∂: a total, as explain writes it
        lines = [f"{total} = {format_number(self.gradient)}, split by the routes its "
                 f"paths take through the blocks of {where}"]
        if common:
            lines.append("every path goes through " + ", ".join(
                f"{p} ({short_site(self.sites[p], 40)})" if self.sites.get(p) and not _LOOP_STEP.fullmatch(p)
                else p for p in common))
        ranked = sorted(self.routes.items(), key=lambda kv: -abs(kv[1]))
        for route, g in ranked[:_ROUTES_SHOWN]:
            rest = [p for p in route if p not in common]
            shown = " → ".join(rest) if rest else "(through no other block)"
            lines.append(f"  {format_number(g):>11}  {shown}")
        if len(ranked) > _ROUTES_SHOWN:
            others = sum(g for _, g in ranked[_ROUTES_SHOWN:])
            lines.append(f"  {format_number(others):>11}  the {len(ranked) - _ROUTES_SHOWN} other routes")
        verdict = "equal" if self.matches else "DIFFERENT from"
        lines.append(f"  sum of the routes = {format_number(self.gradient)}, {verdict} autograd.grad's "
                     f"{format_number(self.expected)}")
        lines.append("through each block (the routes that pass it; a path may pass several):")
        for part, g in self.through.items():
            site = f"   {self.sites[part]}" if self.sites.get(part) and not _LOOP_STEP.fullmatch(part) else ""
            lines.append(f"  {format_number(g):>11}  {part}{site}")
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def _matches(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    return len(path) > len(pattern) and all(_step_matches(s, q) for s, q in zip(pattern, path))


def explain_by_block(root: Value, wrt: Value, block: Any = None) -> BlockExplanation:
    """``d root / d wrt`` split by the routes its paths take through the blocks inside ``block`` (a
    path, ``*`` for any step; None: the block the block view opens on). See
    :class:`BlockExplanation`. Computed forward from ``wrt`` in one pass over the graph (a sum per
    node and route, never path by path), so a 60,000-node graph takes about a second."""
    from ..core.engine import grad as _grad_of
    from ..core.walk import local_numbers

    if not isinstance(wrt, Value):
        raise TypeError(f"explain: wrt must be a Value, got {type(wrt).__name__}: {wrt!r:.80}")
    order = graph_order(root, "explain")
    _check_tracked(order, "explain(..., by='block')")
    pattern = parse_path("explain", block) if block is not None else block_view_path(order)
    index = {v: i for i, v in enumerate(order)}
    if wrt not in index:
        raise ValueError(f"explain: wrt ({wrt!r:.80}) is not in the graph of the output; expected one of the "
                         "Values the output was computed from")
    n = len(pattern)
    parts: dict[Value, str] = {}
    sites: dict[str, str] = {}
    for v in order:
        b = block_of(v)
        if b is not None and _matches(b.path, pattern):
            parts[v] = b.path[n]
            if b.path[n] not in sites:
                sites[b.path[n]] = _site(b, n)
    if not parts:
        raise ValueError(f"explain: no node of this graph was made inside block {SEP.join(pattern)!r}; "
                         f"{_suggest(order, tuple(s for s in pattern if s != '*'))}")
    flows: dict[Value, dict[tuple[str, ...], float]] = {wrt: {(): 1.0}}
    for v in order[index[wrt] + 1:]:
        incoming = [(i, p) for i, p in enumerate(v._prev) if p in flows]
        if not incoming:
            continue
        local = local_numbers(v)
        part = parts.get(v)
        mine: dict[tuple[str, ...], float] = {}
        for i, p in incoming:
            d = local[i]
            for route, g in flows[p].items():
                if part is not None and (not route or route[-1] != part):
                    route = (*route, part)
                mine[route] = mine.get(route, 0.0) + g * d
        flows[v] = mine
    routes: dict[tuple[str, ...], float] = flows.get(root, {}) if wrt is not root else {(): 1.0}
    through: dict[str, float] = {}
    for route, g in routes.items():
        for part in dict.fromkeys(route):
            through[part] = through.get(part, 0.0) + g
    ordered = {p: through[p] for p in dict.fromkeys(parts[v] for v in order if v in parts) if p in through}
    expected = float(_grad_of(root, [wrt])[0])
    return BlockExplanation(pattern, dict(routes), ordered, sites, sum(routes.values()), expected,
                            wrt.label or "x", root.label or "output")


def block_view_path(order: list[Value]) -> tuple[str, ...]:
    """The block the block view opens on: the first with more than one thing in it (the whole graph
    if part of it was made outside ``track_blocks()``)."""
    if any(v._prev and block_of(v) is None for v in order):
        return ()  # some of it was made outside track_blocks(): the whole graph, that part one box
    tracked = [b.path for v in order if (b := block_of(v)) is not None]
    path: tuple[str, ...] = ()
    while True:
        steps = {p[len(path)] for p in tracked if p[:len(path)] == path and len(p) > len(path)}
        if len(steps) != 1 or any(len(p) == len(path) for p in tracked if p[:len(path)] == path):
            return path
        path = (*path, steps.pop())

