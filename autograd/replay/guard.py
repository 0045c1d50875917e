"""The guard: values computed from trace placeholders refuse to give their number away.

While :func:`autograd.trace` runs your function, every node computed from a
placeholder is a :class:`Traced` value. It holds the number of the example row
the trace was made with (so that each op can check its domain as usual), but
anything your code could decide from that number (an ``if``, a comparison,
``float()``, reading ``.data``) would be decided once, for that row, and frozen
into the tape for every example. So all of those raise :class:`UntraceableError`.

How nodes become Traced: while tracing, the engine's recording state is a
:class:`Recorder`, and the engine asks it to make every node. A node with a
traced parent is made as a Traced node, its number computed from the parents'
hidden numbers; any other node is made as usual (by the watcher that was active
before, such as anomaly mode, if there was one).
"""

from __future__ import annotations

import numbers
from typing import Any

from ..core import engine
from ..core.engine import Value
from ..core.ops import Op

__all__ = ["UntraceableError", "Traced", "Placeholder", "Recorder"]


class UntraceableError(TypeError):
    """Python code tried to use the number of a traced value, which the tape could not replay."""


_DATA = Value.__dict__["data"]  # the slot that holds a Value's number, behind Traced's property

_FROZEN = (
    "would be decided once, for the placeholder, and frozen into the tape for every example. "
    "Write the choice with ops instead (relu, abs, sigmoid...)"
)


class Traced(Value):
    """A Value computed from trace placeholders: part of a graph, but with no example's number."""

    __slots__ = ()

    @property
    def data(self) -> float:
        if isinstance(engine.recording.get(), Recorder):
            message = "trace: reading .data of a traced value: it holds the placeholder's number, not an "
            raise _noted(UntraceableError(f"{message}example's, and any use of it {_FROZEN}"))
        raise UntraceableError("trace: this Value was computed from trace placeholders; outside the traced "
                               "function, or under no_grad() inside it, its number is the placeholder's, and "
                               "anything computed from it would be frozen into the tape for every example")

    @data.setter
    def data(self, value: float) -> None:
        try:
            _DATA.__get__(self)
        except AttributeError:  # a new node: the engine sets its number once
            _DATA.__set__(self, value)
            return
        raise UntraceableError("trace: a traced value's .data cannot be set; the tape replays the graph")

    def _refuse(self, what: str) -> Any:
        raise _noted(UntraceableError(f"trace: {what} of a traced value {_FROZEN}"))

    def __bool__(self) -> bool: return bool(self._refuse("bool() (an if or while on it)"))
    def __float__(self) -> float: return float(self._refuse("float()"))
    def __int__(self) -> int: return int(self._refuse("int()"))
    def __index__(self) -> int: return int(self._refuse("using it as an index"))
    def __complex__(self) -> complex: return complex(self._refuse("complex()"))
    def __round__(self, ndigits: Any = None) -> Any: return self._refuse("round()")
    def __format__(self, spec: str) -> str:  # f"{v}" shows what it is; f"{v:.3f}" would want the number
        return repr(self) if not spec else str(self._refuse(f"formatting (an f-string with '{spec}')"))
    def item(self) -> float: return float(self._refuse(".item()"))
    def __lt__(self, other: Any) -> bool: return bool(self._refuse("a comparison (<)"))
    def __le__(self, other: Any) -> bool: return bool(self._refuse("a comparison (<=)"))
    def __gt__(self, other: Any) -> bool: return bool(self._refuse("a comparison (>)"))
    def __ge__(self, other: Any) -> bool: return bool(self._refuse("a comparison (>=)"))

    # Equality with another Value stays identity (nodes live in sets and dicts);
    # only comparing with a number would look at the value.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, numbers.Number):
            return bool(self._refuse("a comparison (==)"))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, numbers.Number):
            return bool(self._refuse("a comparison (!=)"))
        return NotImplemented

    __hash__ = Value.__hash__

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise UntraceableError("trace: a traced value cannot be copied or pickled; copy the model instead")

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Traced(op={str(self._op)!r}{label})"


class Placeholder(Traced):
    """One input of a traced function: it stands for column ``index`` of the batch."""

    __slots__ = ("index",)

    def __init__(self, index: int, number: float) -> None:
        self.data = float(number)  # set once, as for every new traced node
        self.grad = 0.0
        self.label = f"x[{index}]"
        self._prev = ()
        self._op: Op | str = ""  # a leaf: no op (ops are str subclasses, compared by label)
        self.index = index

    def __repr__(self) -> str:
        return f"Placeholder({self.index})"


def number(v: Value) -> float:
    """A node's number, traced or not: what the recorder computes new nodes from."""
    return float(_DATA.__get__(v))


class Recorder:
    """The engine's recording state while tracing: it makes every node (see the module docstring)."""

    def __init__(self, outer: Any) -> None:
        self.outer = outer if hasattr(outer, "node") else None
        self.raised: list[BaseException] = []  # errors raised while tracing, which fn may have caught

    def node(self, op: Any, parents: tuple[Value, ...]) -> Value:
        if any(isinstance(p, Traced) for p in parents):
            try:
                data = op.forward(*[number(p) for p in parents])
            except Exception as e:
                raise _noted(e) from None
            node: Value = engine.make_node(op, parents, data, Traced)
            return node
        if self.outer is not None:
            return self.outer.node(op, parents)
        return engine.make_node(op, parents)


def _noted(error: BaseException) -> BaseException:
    """``error``, noted by the Recorder tracing now. Why: a function that catches it (a ``try/except``
    "safe division") takes its ``except`` branch at the example row, and the tape would replay that
    branch for every row; :func:`autograd.trace` refuses such a function when it returns."""
    state = engine.recording.get()
    if isinstance(state, Recorder):
        state.raised.append(error)
    return error
