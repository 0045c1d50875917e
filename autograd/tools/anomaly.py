"""Anomaly mode: stop at the first NaN or infinity and say where it came from.

When a loss turns into ``nan`` after a few hundred steps, the number itself
says nothing about its origin. Run the suspect step inside
:func:`detect_anomaly` and the engine checks every number as it is made::

    from autograd import Value, detect_anomaly

    with detect_anomaly():
        loss = model_loss()      # forward: the first op whose value is NaN/inf raises
        loss.backward()          # backward: the first NaN/inf gradient contribution raises

The error (:class:`AnomalyError`) names the op, the numbers that went into it
and the line of *your* code that created the node (frames inside the
``autograd`` and ``nn`` packages are skipped, so you see your own line, with the
library line that did the arithmetic mentioned after it).

What is checked:

* **Forward.** Every node created inside the block is checked as soon as its
  value is computed. A NaN or infinite value raises, whether the op made it
  from finite numbers (``1e200 * 1e200``) or passed on a non-finite number it
  was given (``Value(float('nan')) * 2``: the data you fed in is the source,
  and the message says so).
* **Backward.** ``backward()`` and :func:`autograd.grad` called inside the block
  run a checked version of the chain-rule loop: each contribution
  ``upstream grad * local derivative`` sent along an edge ``child -> parent``
  is checked, and so is the parent's total after adding it. The message gives
  both factors, so you can tell an exploding upstream gradient from an
  infinite local derivative (``log`` at a tiny input, ``sqrt`` near 0...).

Why only inside the block: outside it nothing is recorded and nothing is
checked. The engine asks one ContextVar per new node (it does that anyway, to
know whether ``no_grad`` is on) and one per ``backward()`` call; the checked
loop and the creation sites exist only here. To remember where each node was
made, the block keeps a dictionary from node to source line, which keeps those
nodes alive until the block ends: use anomaly mode for the few steps you are
investigating, not for a whole training run.

How it combines with ``no_grad``: anomaly mode watches the ops that record a
graph. Inside ``no_grad()`` (or ``enable_grad()``) within the block, that inner
block's ops are neither recorded nor checked; the checks resume when it ends.
``detect_anomaly()`` entered while ``no_grad`` is on leaves recording off, so
it does not secretly start building graphs.

The setting belongs to the current thread (or asyncio task), like ``no_grad``.
"""

from __future__ import annotations

import contextvars
import math
import os
import sys
from contextlib import ContextDecorator, contextmanager
from typing import Any, Iterator

from ..core import engine
from ..core.engine import Value
from ..core.walk import describe, op_name

__all__ = ["detect_anomaly", "AnomalyError"]

# Frames whose file lies in one of these directories belong to the library, not the user.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # autograd/tools/ -> top
_LIBRARY_DIRS = tuple(os.path.join(_ROOT, pkg) + os.sep for pkg in ("autograd", "nn"))

# The engine's own files: a line in them says nothing about which library call made a node.
_CORE_FILES = tuple(os.path.join(_ROOT, "autograd", *f.split("/"))
                    for f in ("core/engine.py", "core/ops.py", "core/layers.py", "tools/anomaly.py"))

_MAX_SHOWN = 8  # inputs listed in a message (a dot node may have hundreds)


class AnomalyError(ArithmeticError):
    """A NaN or an infinity appeared inside :func:`detect_anomaly`.

    It is an :class:`ArithmeticError`, the same family as the ``OverflowError``
    and ``ZeroDivisionError`` that ops raise for overflow and division by zero:
    ``except ArithmeticError`` catches every way arithmetic can go wrong.

    Attributes (also spelled out in the message):

    * ``phase``: ``'forward'`` or ``'backward'``;
    * ``op``: the op's name (``'mul'``, ``'log'``...);
    * ``inputs``: the input values of that op (forward), or the pair
      ``(upstream grad, local derivative)`` (backward);
    * ``site``: ``'file:line'`` of your code that created the node, followed by
      the library line when a library function made it (``'train.py:12 (in
      module.py:259)'``), or ``None`` when the node was created outside the block.
    """

    def __init__(
        self,
        message: str,
        *,
        phase: str = "",
        op: str = "",
        inputs: tuple[Any, ...] = (),
        site: str | None = None,
    ) -> None:
        super().__init__(message)
        self.phase = phase
        self.op = op
        self.inputs = inputs
        self.site = site


def _is_finite(x: Any) -> bool:
    return math.isfinite(x.data if isinstance(x, Value) else x)


def _data(x: Any) -> Any:
    """The number in ``x``: a Value's data (a gradient made with ``create_graph`` is a Value)."""
    return x.data if isinstance(x, Value) else x


def _creation_site() -> str:
    """``'file:line'`` of the innermost frame outside the library, plus the library line if any.

    Walks outward from the caller with ``f_back`` (no traceback objects are built,
    so this is cheap enough to run for every node while anomaly mode is on).
    """
    frame = sys._getframe(2)
    library_line = ""
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_LIBRARY_DIRS):
            where = f"{filename}:{frame.f_lineno}"
            return f"{where} (in {library_line})" if library_line else where
        if not library_line and not filename.endswith(_CORE_FILES):
            library_line = f"{os.path.basename(filename)}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return library_line or "<unknown>"


class detect_anomaly(ContextDecorator):
    """Raise :class:`AnomalyError` at the first NaN or infinity, naming the op and your line.

    A context manager (and decorator)::

        with detect_anomaly():
            loss = model_loss()
            loss.backward()

    See the module docstring for exactly what is checked and what it costs.
    While the block is active the engine asks it to make each new node
    (:meth:`node`), and shows it every edge of a backward pass (:meth:`edge`).
    """

    def __init__(self) -> None:
        self._sites: dict[Value, str] = {}
        self._outer: detect_anomaly | None = None
        self._in_backward = False
        self._tokens: list[contextvars.Token[Any]] = []

    # -- the context manager ---------------------------------------------------------

    def _recreate_cm(self) -> detect_anomaly:  # each call of a decorated function gets its own
        return type(self)()

    def __enter__(self) -> detect_anomaly:
        state = engine.recording.get()
        self._outer = state if isinstance(state, detect_anomaly) else None
        # Under no_grad recording stays off: anomaly mode never starts building graphs.
        self._tokens.append(engine.recording.set(self if state else state))
        return self

    def __exit__(self, *exc: object) -> None:
        engine.recording.reset(self._tokens.pop())
        if not self._tokens:
            self._sites.clear()  # let go of the nodes (and their graphs)

    # -- where nodes were made -------------------------------------------------------

    def site_of(self, node: Value) -> str | None:
        """Where ``node`` was created (``'file:line'``), if it was created inside this block."""
        d: detect_anomaly | None = self
        while d is not None:
            site = d._sites.get(node)
            if site is not None:
                return site
            d = d._outer
        return None

    def _where(self, node: Value) -> str:
        site = self.site_of(node)
        if site:
            return f"created at {site}"
        if isinstance(node._op, str) and node._prev:  # made by hand (micrograd's or microgpt's way): not seen
            return ("created outside detect_anomaly(), or inside it by hand (Value(data, children, ...)), "
                    "which the block does not check as it is made")
        return "created outside detect_anomaly()"

    # -- forward: called by the engine for every node made while the block is active ---

    def node(self, op: Any, parents: tuple[Value, ...]) -> Value:
        """Make the node ``op`` of ``parents``, remember where, and check its value (the engine asks)."""
        node: Value = engine.make_node(op, parents)
        self.record(node, _creation_site())
        return node

    def record(self, node: Value, site: str) -> None:
        """Remember where ``node`` was made (``site``) and raise if its value is NaN or infinite."""
        self._sites[node] = site
        if self._in_backward or math.isfinite(node.data):
            return  # during a checked backward the edge check comes with a better message
        inputs = tuple(p.data for p in node._prev)
        shown = ", ".join(repr(x) for x in inputs[:_MAX_SHOWN])
        if len(inputs) > _MAX_SHOWN:
            shown += f", ... ({len(inputs)} inputs)"
        bad = [i for i, p in enumerate(node._prev) if not math.isfinite(p.data)]
        if bad:
            p = node._prev[bad[0]]
            origin = f"input {bad[0]} was already {p.data!r}: it is {describe(p)}, " + (
                "data fed in rather than computed by an op" if not p._prev else self._where(p)
            )
        else:
            origin = "every input was finite, so this op made it (overflow, inf - inf, 0 * inf...)"
        name = op_name(node)
        raise AnomalyError(
            f"anomaly in the forward pass: {name} produced {node.data!r} from inputs ({shown}); "
            f"{origin}. The node was created at {site}.",
            phase="forward", op=name, inputs=inputs, site=site,
        )

    # -- backward: the checked chain-rule loop -----------------------------------------

    @contextmanager
    def backward(self) -> Iterator[None]:
        """While a checked backward pass runs (the engine enters this), the nodes that
        ``create_graph`` makes are checked at their edge, where the message is better."""
        self._in_backward, was = True, self._in_backward
        try:
            yield
        except ArithmeticError as e:  # an op's rule failed: say where its node was made
            node = getattr(e, "node", None)
            if node is None or isinstance(e, AnomalyError):
                raise
            raise type(e)(f"{e} (node {self._where(node)})") from None
        finally:
            self._in_backward = was

    def edge(self, v: Value, i: int, g: Any, d: Any, contribution: Any, before: Any) -> None:
        """Check one edge of a backward pass (the engine calls this after adding its contribution).

        The contribution ``upstream grad * local derivative`` sent along ``v -> parent`` and the
        parent's new total must both be finite; the message gives both factors, so an
        exploding upstream gradient tells itself apart from an infinite local derivative.
        """
        p = v._prev[i]
        if not _is_finite(contribution):
            self._raise_backward(v, i, p, g, d, contribution, "contribution")
        total = before + contribution  # the parent's new total (grad() keeps its totals apart from .grad)
        if not _is_finite(total):
            self._raise_backward(v, i, p, g, d, total, "accumulated gradient")

    def _raise_backward(
        self, v: Value, i: int, p: Value, g: Any, d: Any, bad: Any, what: str
    ) -> None:
        name = op_name(v)
        parent = op_name(p)
        g, d, bad = _data(g), _data(d), _data(bad)
        if what == "contribution":
            cause = (
                "the upstream gradient was already non-finite" if not math.isfinite(g)
                else "the local derivative is non-finite" if not math.isfinite(d)
                else "both factors are finite: their product overflows"
            )
        else:
            cause = "adding this contribution to the parent's gradient overflowed"
        site = self.site_of(v)
        raise AnomalyError(
            f"anomaly in the backward pass: the gradient along the edge {name} -> {parent} "
            f"(input {i} of {name}, {describe(p)}) is {bad!r} ({what}): "
            f"upstream grad {g!r} * local derivative d({name})/d(input {i}) = {d!r}; {cause}. "
            f"The {name} node was {self._where(v)}.",
            phase="backward", op=name, inputs=(g, d), site=site,
        )
