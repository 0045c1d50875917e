"""Learners' engines for the practice tests: right ones in the three layouts, and a factory of wrong ones.

* :class:`LectureValue`: the micrograd lecture's class as a learner types it along (labels, tanh, exp,
  ``**``, division through ``** -1``, subtraction through negation, a recursive topological sort).
* :class:`GptValue`: microgpt's layout (``__slots__``, ``_children``, ``_local_grads`` as numbers).
* :func:`make_engine`: a micrograd-style class whose op ``op`` carries the mistake ``kind`` (a wrong
  local rule written out here by hand, independently of the checker's predictions), or whose walk
  ``walk`` is wrong; :func:`make_gpt_engine`: the same for microgpt's layout.
All written for these tests, in our own words.
"""

from __future__ import annotations

import math
from typing import Any

import autograd
from autograd.core.ops import OPS
from autograd.practice.cases import METHODS


class LectureValue:
    def __init__(self, data: float, _children: tuple = (), _op: str = "", label: str = "") -> None:
        self.data, self.grad, self.label = data, 0.0, label
        self._prev, self._op = set(_children), _op
        self._backward = lambda: None

    def __add__(self, other: Any) -> LectureValue:
        other = other if isinstance(other, LectureValue) else LectureValue(other)
        out = LectureValue(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> LectureValue:
        other = other if isinstance(other, LectureValue) else LectureValue(other)
        out = LectureValue(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other: float) -> LectureValue:
        out = LectureValue(self.data**other, (self,), f"**{other}")

        def _backward() -> None:
            self.grad += other * self.data ** (other - 1) * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other: Any) -> LectureValue:
        return self * other

    def __radd__(self, other: Any) -> LectureValue:
        return self + other

    def __truediv__(self, other: Any) -> LectureValue:
        return self * other**-1

    def __neg__(self) -> LectureValue:
        return self * -1

    def __sub__(self, other: Any) -> LectureValue:
        return self + (-other)

    def tanh(self) -> LectureValue:
        t = (
            (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
            if abs(self.data) < 300
            else math.copysign(1.0, self.data)
        )
        out = LectureValue(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> LectureValue:
        out = LectureValue(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def backward(self) -> None:
        topo: list[LectureValue] = []
        visited: set[LectureValue] = set()

        def build_topo(v: LectureValue) -> None:
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


class GptValue:
    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data: float, children: tuple = (), local_grads: tuple = ()) -> None:
        self.data, self.grad = data, 0.0
        self._children, self._local_grads = children, local_grads

    def __add__(self, other: Any) -> GptValue:
        other = other if isinstance(other, GptValue) else type(self)(other)
        return type(self)(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> GptValue:
        other = other if isinstance(other, GptValue) else type(self)(other)
        return type(self)(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k: float) -> GptValue:
        return type(self)(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self) -> GptValue:
        return type(self)(math.log(self.data), (self,), (1 / self.data,))

    def exp(self) -> GptValue:
        e = math.exp(self.data)
        return type(self)(e, (self,), (e,))

    def relu(self) -> GptValue:
        return type(self)(max(0.0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> GptValue:
        return self * -1

    def __radd__(self, other: Any) -> GptValue:
        return self + other

    def __sub__(self, other: Any) -> GptValue:
        return self + (-other)

    def __rsub__(self, other: Any) -> GptValue:
        return other + (-self)

    def __rmul__(self, other: Any) -> GptValue:
        return self * other

    def __truediv__(self, other: Any) -> GptValue:
        return self * other**-1

    def __rtruediv__(self, other: Any) -> GptValue:
        return other * self**-1

    def backward(self) -> None:
        order: list[GptValue] = []
        seen: set[int] = {id(self)}
        stack = [(self, iter(self._children))]
        while stack:  # each node after all its children, without recursion
            node, rest = stack[-1]
            for child in rest:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child._children)))
                    break
            else:
                stack.pop()
                order.append(node)
        self.grad = 1.0
        for node in reversed(order):
            for child, d in zip(node._children, node._local_grads):
                child.grad += d * node.grad


# --- wrong engines ---------------------------------------------------------------------------------

# The right forward and local rules come from the op table (the mistakes below are written by hand).
UNARY = tuple(name for name, op in OPS.items()
              if op.arity == 1 and callable(getattr(autograd.Value, name, None)))
BINARY = tuple(op for m, (op, how) in METHODS.items() if how == "left")


def _forward(name: str) -> Any:
    return OPS[name].forward


def _table_rule(name: str) -> Any:
    return lambda xs, t: OPS[name].local(t, *xs)


# Wrong local rules, by (op, misconception, variant).
WRONG_RULES = {
    ("exp", "input_output", ""): lambda x, t: (x[0],),
    ("log", "input_output", ""): lambda x, t: (1 / t,),
    ("tanh", "input_output", ""): lambda x, t: (1 - x[0] ** 2,),
    ("sigmoid", "input_output", ""): lambda x, t: (x[0] * (1 - x[0]),),
    ("sqrt", "input_output", ""): lambda x, t: (0.5 / x[0],),
    ("sin", "input_output", ""): lambda x, t: (math.cos(t),),
    ("cos", "input_output", ""): lambda x, t: (-math.sin(t),),
    ("abs", "input_output", ""): lambda x, t: (1.0 if t > 0 else 0.0,),  # sign(out): always 1
    ("mul", "swapped", ""): lambda x, t: (x[0], x[1]),
    ("div", "quotient_rule", ""): lambda x, t: (1 / x[1], -1 / x[1] ** 2),
    ("relu", "relu_kink", "kink"): lambda x, t: (1.0 if x[0] >= 0 else 0.0,),
    ("relu", "relu_kink", "slope"): lambda x, t: (1.0 if x[0] > 0 else 0.1,),
}
POWER_RULES = {"exponent": lambda a, k: k * a**k, "factor": lambda a, k: a ** (k - 1)}



def op_mistakes() -> list[tuple[str, str, str]]:
    """Every (op, misconception, variant) the factory can make: each op's mistakes where they apply."""
    every = [*BINARY, "neg", "pow", *UNARY]
    out = [(op, kind, "") for op in every for kind in ("upstream", "assign", "sign")]
    out += [key for key in WRONG_RULES]
    out += [("pow", "power_rule", v) for v in POWER_RULES]
    commutes = {op for op in BINARY if OPS[op].forward(2.0, 3.0) == OPS[op].forward(3.0, 2.0)}
    out += [(op, "operand_order", "") for op in BINARY if op not in commutes]
    return out


WALKS = ("no_reversal", "per_path", "no_reset", "recursive_sort", "forever", "hang")


def make_engine(
    op: str | None = None, kind: str | None = None, variant: str = "", walk: str = "right"
) -> type:
    """A micrograd-style class with one mistake: in op ``op`` (``kind``/``variant``), or in its walk."""

    class Value:
        def __init__(self, data: float, _children: tuple = (), _op: str = "") -> None:
            self.data, self.grad, self._prev, self._op = data, 0.0, tuple(_children), _op
            self._backward = lambda: None

        def _node(self, name: str, inputs: tuple, data: float, k: float | None = None) -> Value:
            out = Value(data, inputs, name)
            bug = kind if name == op else None
            rule = WRONG_RULES.get((name, kind or "", variant)) if bug else None

            def _backward() -> None:
                xs = [p.data for p in inputs]
                if name == "pow":
                    a = xs[0]
                    ds: tuple = ((POWER_RULES[variant](a, k) if bug == "power_rule" else k * a ** (k - 1)),)
                else:
                    ds = (rule or _table_rule(name))(xs, out.data)
                if bug == "sign":
                    ds = tuple(-d for d in ds)
                for p, d in zip(inputs, ds):
                    share = d if bug == "upstream" else d * out.grad
                    if bug == "assign":
                        p.grad = share
                    else:
                        p.grad += share

            out._backward = _backward
            return out

        def _binary(self, name: str, other: Any, right: bool = False) -> Value:
            other = other if isinstance(other, Value) else Value(float(other))
            a, b = (other, self) if right and not (kind == "operand_order" and name == op) else (self, other)
            return self._node(name, (a, b), _forward(name)(a.data, b.data))

        def __neg__(self) -> Value:
            return self._node("neg", (self,), -self.data)

        def __pow__(self, k: float) -> Value:
            return self._node("pow", (self,), self.data**k, k)

        def backward(self) -> None:
            WALK_CODE[walk](self)

    for name in UNARY:  # a.exp(), a.tanh()... and a + b, 2 - a...: one method per row of the table
        method = lambda self, name=name: self._node(name, (self,), _forward(name)(self.data))  # noqa: E731
        method.__name__ = method.__qualname__ = name
        setattr(Value, name, method)
    for dunder, (name, how) in METHODS.items():
        if name in BINARY and how in ("left", "right"):
            method = lambda self, o, name=name, right=how == "right": self._binary(name, o, right)  # noqa: E731
            method.__name__ = method.__qualname__ = dunder
            setattr(Value, dunder, method)
    return Value


def _topo(root: Any) -> list[Any]:
    order, seen, stack = [], {root}, [(root, iter(root._prev))]
    while stack:
        node, rest = stack[-1]
        for p in rest:
            if p not in seen:
                seen.add(p)
                stack.append((p, iter(p._prev)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _right(root: Any) -> None:
    root.grad = 1.0
    for node in reversed(_topo(root)):
        node._backward()


def _no_reversal(root: Any) -> None:
    root.grad = 1.0
    for node in _topo(root):
        node._backward()


def _per_path(root: Any) -> None:
    def visit(node: Any) -> None:
        node._backward()
        for p in node._prev:
            visit(p)

    root.grad = 1.0
    visit(root)


def _walk_recursively(root: Any, topo: list, visited: set) -> None:
    """micrograd's backward: a recursive topological sort into ``topo``, then each node's step."""
    def build(v: Any) -> None:
        if v not in visited:
            visited.add(v)
            for p in v._prev:
                build(p)
            topo.append(v)

    build(root)
    root.grad = 1.0
    for node in reversed(topo):
        node._backward()


def _no_reset(root: Any, topo: list = [], visited: set = set()) -> None:  # noqa: B006 (the mistake itself)
    _walk_recursively(root, topo, visited)  # the lists outlive the call: a second backward() reuses them


def _recursive_sort(root: Any) -> None:
    _walk_recursively(root, [], set())


def _forever(root: Any) -> None:
    root.grad = 1.0
    _forever(root)


def _hang(root: Any) -> None:
    node = root
    while node is not None:  # the mistake: node never changes
        root.grad = 1.0


WALK_CODE = {
    "right": _right,
    "no_reversal": _no_reversal,
    "per_path": _per_path,
    "no_reset": _no_reset,
    "recursive_sort": _recursive_sort,
    "forever": _forever,
    "hang": _hang,
}

#: The misconception each wrong walk must be named with.
WALK_KINDS = {
    "no_reversal": "order",
    "per_path": "order",
    "no_reset": "no_reset",
    "recursive_sort": "recursion",
    "forever": "recursion",
    "hang": "hang",
}


def make_gpt_engine(local: str | None = None, walk: str = "right") -> type:
    """microgpt's layout with a wrong local number (``local``: 'tanh' uses 1 - x**2, 'exp' uses x) or a
    wrong walk ('assign': = in place of +=, 'upstream': the node's gradient not multiplied in)."""

    class Node(GptValue):
        __slots__ = ()

        def tanh(self) -> Node:
            t = math.tanh(self.data)
            return Node(t, (self,), (1 - self.data**2,) if local == "tanh" else (1 - t * t,))

        def exp(self) -> Node:
            e = math.exp(self.data)
            return Node(e, (self,), (self.data,) if local == "exp" else (e,))

        def __add__(self, other: Any) -> Node:
            other = other if isinstance(other, GptValue) else Node(other)
            return Node(self.data + other.data, (self, other), (1.0, 1.0))

        def __mul__(self, other: Any) -> Node:
            other = other if isinstance(other, GptValue) else Node(other)
            return Node(self.data * other.data, (self, other), (other.data, self.data))

        def backward(self) -> None:
            if walk == "right":
                return GptValue.backward(self)
            order: list[Any] = []
            seen: set[int] = set()
            stack = [self]
            while stack:  # a post-order without recursion
                node = stack[-1]
                todo = [c for c in node._children if id(c) not in seen]
                if todo:
                    for c in todo:
                        seen.add(id(c))
                    stack.extend(todo)
                    continue
                stack.pop()
                order.append(node)
            self.grad = 1.0
            for node in reversed(order):
                for child, d in zip(node._children, node._local_grads):
                    if walk == "assign":
                        child.grad = d * node.grad
                    else:
                        child.grad += d

    return Node
