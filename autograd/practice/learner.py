"""Read a graph built by a learner's own ``Value`` class, whichever of the three idioms it uses.

* micrograd's: parents in ``_prev`` (a tuple, or a set as micrograd keeps them) and a ``_backward``
  closure on each node that adds ``local * out.grad`` into each parent;
* microgpt's: parents in ``_children`` and their local derivatives, as numbers, in ``_local_grads``;
  the engine's ``backward()`` does ``child.grad += local * node.grad``;
* chainrule's own ``Value`` (parents in ``_prev``, a ``_backward`` that applies the op table's rule).

The checker never trusts the learner's walk when it checks an op: :func:`push` runs *one* node's share
of the chain rule (its closure, or its local numbers times its gradient), and :func:`walk_between` runs
those shares over the few nodes an op made, in an order that is right, so an op is judged on its own.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

#: The autograd package's folder: code from there is chainrule's, not the learner's.
LIBRARY = str(Path(__file__).resolve().parent.parent)

__all__ = [
    "parents",
    "push",
    "walk_between",
    "local",
    "reverse_order",
    "idiom",
    "source_of",
    "code_line",
    "error_text",
]


def idiom(node: Any) -> str:
    """``'microgpt'`` for a node that stores its local derivatives, else ``'micrograd'``."""
    return (
        "micrograd"
        if callable(getattr(node, "_backward", None)) or not hasattr(node, "_local_grads")
        else "microgpt"
    )


def parents(node: Any) -> tuple[Any, ...]:
    """The node's parents, in order where the class keeps an order (``_children``, else ``_prev``)."""
    got = getattr(node, "_children", None)
    if got is None:
        got = getattr(node, "_prev", ())
    return tuple(got or ())


def push(node: Any) -> None:
    """One node's share of the chain rule, the learner's way: its ``_backward`` closure, or (microgpt's
    idiom) ``child.grad += local * node.grad`` for each child and local number."""
    backward = getattr(node, "_backward", None)
    if callable(backward):
        backward()
        return
    for child, d in zip(parents(node), getattr(node, "_local_grads", ()) or ()):
        child.grad += d * node.grad


def reverse_order(root: Any, stop: frozenset[int] = frozenset()) -> list[Any]:
    """The nodes ``root`` depends on, root first, each before its parents (a reversed topological order,
    found without recursion); the walk does not go past nodes whose ``id`` is in ``stop``."""
    order: list[Any] = []
    seen = {id(root)}
    stack: list[tuple[Any, Any]] = [(root, iter(parents(root) if id(root) not in stop else ()))]
    while stack:
        node, it = stack[-1]
        for p in it:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, iter(parents(p) if id(p) not in stop else ())))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def walk_between(out: Any, inputs: list[Any], upstream: float) -> None:
    """Backpropagate ``upstream`` from ``out`` to ``inputs`` through the nodes in between only, with the
    learner's own local rules, children before parents. The inputs' gradients are left as they were
    set (so a rule that overwrites instead of adding shows); every other node starts at 0."""
    stop = frozenset(id(x) for x in inputs)
    order = reverse_order(out, stop)
    for node in order:
        if id(node) not in stop:
            node.grad = 0.0
    out.grad = upstream
    for node in order:
        if id(node) not in stop and parents(node):
            push(node)


def local(node: Any) -> tuple[float, ...]:
    """The node's local derivative for each of its parents, measured by pushing an upstream gradient of
    1 into parents set to 0 (a parent used twice gets its whole derivative on its first edge); every
    gradient is put back afterwards."""
    ps = parents(node)
    if idiom(node) == "microgpt":  # the numbers are stored, one per edge
        return tuple(float(d) for d in getattr(node, "_local_grads", ()) or ())
    saved = [(u, u.grad) for u in (node, *ps)]
    try:
        for p in ps:
            p.grad = 0.0
        node.grad = 1.0
        push(node)
        return tuple(0.0 if any(q is p for q in ps[:i]) else float(p.grad) for i, p in enumerate(ps))
    finally:
        for u, g in reversed(saved):
            u.grad = g


def source_of(fn: Any) -> tuple[list[str], int, str] | None:
    """The source lines of a learner's function, its first line number and its file (None: unknown)."""
    try:
        lines, start = inspect.getsourcelines(fn)
        return lines, start, where(inspect.getsourcefile(fn) or "")
    except (OSError, TypeError):
        return None


def where(path: str) -> str:
    """A file as a learner knows it: a notebook cell's stand-in file (ipykernel's) is "your cell"."""
    return "your cell" if "ipykernel_" in path or not path else path


def code_line(fn: Any, error: BaseException | None = None, repeated: bool = False) -> str:
    """Where to look: the last line of the learner's own code an error went through (``repeated``: the
    line it went through most often, a call that recursed), or fn's first line."""
    tb, last = (error.__traceback__ if error is not None else None), None
    seen: dict[tuple[str, int], int] = {}
    while tb is not None:  # the last frame of the learner's code (not chainrule's)
        if not tb.tb_frame.f_code.co_filename.startswith(LIBRARY):
            key = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
            seen[key] = seen.get(key, 0) + 1
            if not repeated or seen[key] >= max(seen.values()):
                last = tb
        tb = tb.tb_next
    if last is not None:
        frame = last.tb_frame.f_code
        return f"line {last.tb_lineno} of {where(frame.co_filename)}, in {frame.co_name}"
    src = source_of(fn) if fn is not None else None
    return f"line {src[1]} of {src[2]}: {src[0][0].strip()}" if src else ""


def error_text(error: BaseException) -> str:
    """An error in one line, for a report: its type and the first line of its message."""
    return f"{type(error).__name__}: {error}".splitlines()[0][:200]
