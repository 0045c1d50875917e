"""Check gradients a learner derived by hand for a whole function (a neuron, a layer, a loss) against
chainrule's ``backward()``, and name the mistake.

    def neuron(x, w, b):                      # the function, written with Values (lists, or NumPy
        return (sum(wi * xi for wi, xi in zip(w, x)) + b).tanh()     # arrays of Values, work too)

    def neuron_backward(x, w, b, out_grad):   # the learner's gradients, by hand, on plain numbers
        ...
        return dx, dw, db

    check_grads(neuron, neuron_backward, x=[0.5, -1.0], w=[0.3, 0.8], b=0.1)

Each input is a number, a list (nested or not) or a NumPy array of numbers; an ``int`` input (a class
label, an array of them) is a constant, passed as it is and not differentiated. At the example given
and at random points of the same shapes, the function is built with chainrule Values, a random
gradient is sent into its output from above (``out_grad``: a number, or one per output in the
output's shape), and ``backward()`` gives each input's gradient. The learner's ``backward`` gets the
inputs as plain numbers, then ``out_grad``, and returns one gradient per differentiated input, each
shaped like its input (a tuple in the inputs' order, or a dict by name).

When the numbers differ, the chain rule is replayed on chainrule's graph with each known mistake
made in one place (an op's derivative written with its input for its output, a sign flipped, the
gradient from above not multiplied in, one path left out, shares written with ``=`` rather than added
up): a mistake whose numbers fit the learner's at every point is named, with the op it sits in.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from . import learner
from .guard import Stopped, guarded
from .learner import code_line, error_text, source_of
from .links import Op, Value, format_number
from .mistakes import CONCEPT, close, rule_of
from .report import Failure, Report

__all__ = ["check_grads"]


# --- structures of numbers: a number, nested lists, or a NumPy array --------------------------------


def _leaves(x: Any) -> list[Any]:
    """The numbers (or Values) of a structure, in order."""
    if hasattr(x, "shape") and hasattr(x, "ravel"):
        return list(x.ravel())
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def _rebuild(like: Any, items: Iterator[Any]) -> Any:
    """A structure shaped like ``like`` holding the next items (a NumPy array stays one, of objects
    when the items are Values)."""
    if hasattr(like, "shape") and hasattr(like, "ravel"):
        import numpy  # the input was an array: NumPy is there

        got = [next(items) for _ in range(like.size)]
        kind = float if all(isinstance(g, float) for g in got) else object
        out = numpy.empty(like.shape, dtype=kind)
        out.ravel()[:] = got if kind is float else numpy.array(got + [None], dtype=object)[:-1]
        return out
    if isinstance(like, (list, tuple)):
        return type(like)(_rebuild(item, items) for item in like)
    return next(items)


def _shape(x: Any) -> tuple[int, ...]:
    if hasattr(x, "shape"):
        return tuple(x.shape)
    if isinstance(x, (list, tuple)):
        return (len(x), *(_shape(x[0]) if x else ()))
    return ()


def _is_constant(x: Any) -> bool:
    """An int, or an array or list of ints: a label, passed through and not differentiated."""
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    if kind is not None:
        return bool(kind in "iub")
    leaves = _leaves(x)
    return bool(leaves) and all(isinstance(v, int) for v in leaves)


def _entry(name: str, like: Any, i: int) -> str:
    """The i-th number of input ``name`` as a learner indexes it: ``b``, ``w[1]``, ``W[0, 2]``."""
    shape = _shape(like)
    if not shape:
        return name
    index = []
    for n in reversed(shape):
        index.append(i % n)
        i //= n
    return f"{name}[{', '.join(map(str, reversed(index)))}]"


# --- the chain rule, replayed on chainrule's graph with one mistake made ---------------------------


@dataclass
class Mistake:
    """One mistake made in one place: at every node of op ``op`` (``local``: the derivatives used
    there; ``times``: whether the gradient from above is multiplied in), or in the shares written
    into the input ``into`` (``keep``: 'first' or 'last', the one share kept, the others lost), or at
    the output (``top``: out_grad taken as 1)."""

    kind: str
    op: str
    text: str
    local: Callable[[Any, float, list[float]], tuple[float, ...]] | None = None
    times: bool = True
    into: str = ""
    keep: str = ""
    top: bool = False
    at: int = 0  # the input of the op the mistake is made on (a path left out)


def _mistakes(nodes: list[Value], outputs: list[Value], inputs: dict[str, list[Value]]) -> list[Mistake]:
    """Every mistake that can be made in this graph, in the order they are tried (none when a node was
    made by hand, ``Value(data, children, '*')``, without an op of the table to replay)."""
    if any(n._prev and not isinstance(n._op, Op) for n in nodes):
        return []
    ops: dict[str, Any] = {}
    for n in nodes:  # from the output down: the op nearest the output is named first
        if n._prev and _op(n).name not in ops:
            ops[_op(n).name] = n._op
    out: list[Mistake] = [
        Mistake("upstream", getattr(outputs[0]._op, "name", "") or "backward",
                "when out_grad, the gradient arriving from above, is not multiplied in", top=True)
    ]
    out += [Mistake("upstream", name, f"when the gradient arriving at each {name} node is not multiplied "
                    f"in (its local derivative alone passed on)", times=False) for name in ops]
    for name, xs in inputs.items():
        users = [_op(n).name for n in nodes if any(p is x for p in n._prev for x in xs)]
        for keep in ("last", "first"):
            out.append(Mistake("assign", users[0] if users else "add", f"when the shares reaching {name} are "
                               "written with = instead of added up (one share kept, the others lost)",
                               into=name, keep=keep))
    for name, op in ops.items():
        if op.arity == 1 and op.exponent is None:
            out.append(Mistake("input_output", name, f"with {name}'s input where its output was meant",
                               local=lambda op, out, xs: op.local(xs[0], xs[0])))
            out.append(Mistake("input_output", name, f"with {name}'s output where its input was meant",
                               local=lambda op, out, xs: op.local(out, out)))
    for name in ops:
        out.append(Mistake("sign", name, f"with the sign of {name}'s derivative flipped",
                           local=lambda op, out, xs: tuple(-float(d) for d in op.local(out, *xs))))
    if any(op.exponent is not None for op in ops.values()):
        for text, rule in POWER_RULES.items():
            out.append(Mistake("power_rule", "pow", text, local=rule))
    if "mul" in ops:
        out.append(Mistake("swapped", "mul", "with each factor of a product given its own value in place of "
                           "the other's", local=_own_values))
    for name, op in ops.items():
        for i, which in enumerate(("first", "second")[: op.arity or 0] if op.arity == 2 else ()):
            out.append(Mistake("path", name, f"when the path through the {which} input of {name} is left out",
                               local=_without(i), at=i))
    return out


def _without(i: int) -> Callable[[Op, float, list[float]], tuple[float, ...]]:
    """The op's derivatives with the one at position i taken as 0: the path through that input lost."""
    return lambda op, out, xs: tuple(0.0 if j == i else float(d) for j, d in enumerate(op.local(out, *xs)))


#: The power rule's mistakes, in ``a ** k``: the derivative used in place of k * a**(k-1).
POWER_RULES: dict[str, Callable[[Op, float, list[float]], tuple[float, ...]]] = {
    "with k * x**k for the derivative of x**k (the exponent not lowered)":
        lambda op, out, xs: (op.exponent * xs[0] ** op.exponent,),  # type: ignore[operator]
    "with x**(k-1) for the derivative of x**k (the factor k missing)":
        lambda op, out, xs: (xs[0] ** (op.exponent - 1),),  # type: ignore[operator]
    "with k * x**(k-2) for the derivative of x**k (the exponent lowered twice)":
        lambda op, out, xs: (op.exponent * xs[0] ** (op.exponent - 2),),  # type: ignore[operator]
}


def _own_values(op: Op, out: float, xs: list[float]) -> tuple[float, ...]:
    return tuple(xs)


def _replay(order: list[Value], outputs: list[Value], upstream: list[float], inputs: dict[str, list[Value]],
            mistake: Mistake | None) -> dict[int, float] | None:
    """Each node's gradient (by ``id``) from the chain rule over ``order`` (each node before its
    parents), with the mistake made (None: right); None where the mistake divides by zero."""
    g = {id(n): 0.0 for n in order}
    for out, u in zip(outputs, upstream):
        g[id(out)] += 1.0 if mistake is not None and mistake.top else u
    into = {id(x) for x in inputs.get(mistake.into, ())} if mistake is not None and mistake.into else set()
    written: set[int] = set()
    for n in order:
        if not n._prev:
            continue
        xs = [float(p.data) for p in n._prev]
        here = mistake is not None and mistake.op == _op(n).name and not mistake.into and not mistake.top
        try:
            ds = (mistake.local(_op(n), float(n.data), xs) if here and mistake.local  # type: ignore[union-attr]
                  else _op(n).local(float(n.data), *xs))
        except (ArithmeticError, ValueError, TypeError):  # undefined there (or a k ** x with no k)
            return None
        times = not (here and not mistake.times)  # type: ignore[union-attr]
        for p, d in zip(n._prev, ds):
            share = float(d) * g[id(n)] if times else float(d)
            if id(p) in into:
                if mistake.keep == "last" or id(p) not in written:  # type: ignore[union-attr]
                    g[id(p)] = share
                written.add(id(p))
            else:
                g[id(p)] += share
    return g


def _op(node: Value) -> Op:
    """The op that made a node of chainrule's graph (its ``_op`` holds the table's op itself)."""
    return node._op  # type: ignore[return-value]


def _order(outputs: list[Value]) -> list[Value]:
    """The nodes below all the outputs, each before its parents (without recursion)."""
    return learner.reverse_order(SimpleNamespace(_prev=tuple(outputs)))[1:]


# --- the check -------------------------------------------------------------------------------------


@dataclass
class _Point:
    inputs: dict[str, Any]  # the numbers given (constants included)
    upstream: Any  # out_grad, shaped like the output
    right: dict[str, list[float]]  # backward()'s gradients, flat, by input
    yours: dict[str, list[float]]  # the learner's, flat, by input
    mistakes: list[Mistake]  # the mistakes that can be made in this graph
    predict: Callable[[Mistake], dict[str, list[float]] | None]  # the gradients with one of them made
    outputs: list[Value]  # the graph built with chainrule, its gradients from backward()
    leaves: dict[str, list[Value]]
    order: list[Value]


def check_grads(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    *,
    seed: int = 0,
    points: int = 5,
    hints: int = 4,
    **inputs: Any,
) -> Report:
    """Check ``backward``, the learner's gradients of ``forward``; see the module docstring. ``inputs``:
    the example point, by name (the names ``forward`` and ``backward`` take, in their order); ``points``:
    how many points in all (the example, then random ones); ``hints``: how many grades of hints."""
    if not isinstance(hints, int) or not 1 <= hints <= 4:
        raise ValueError(f"check_grads: hints must be 1, 2, 3 or 4, got {hints!r}")
    if not callable(forward) or not callable(backward):
        raise TypeError("check_grads: expected the function (written with Values) and your backward: two "
                        f"functions, got {type(forward).__name__} and {type(backward).__name__}")
    if not inputs:
        raise ValueError("check_grads: give the inputs by name: check_grads(f, f_backward, x=0.5, "
                         "w=[1.0, 2.0])")
    names = [n for n, x in inputs.items() if not _is_constant(x)]
    for n in names:
        if not all(isinstance(v, (int, float)) or hasattr(v, "dtype") for v in _leaves(inputs[n])):
            raise TypeError(f"check_grads: input {n} must be a number, a list or an array of numbers, "
                            f"got {inputs[n]!r:.60}")
    subject = getattr(backward, "__name__", "backward")
    report = Report(f"check_grads({subject})")
    rng = random.Random(seed)
    seen: list[_Point] = []
    for k in range(points):
        given = inputs if k == 0 else {
            n: x if n not in names else _rebuild(x, iter([round(rng.gauss(0, 1), 4) for _ in _leaves(x)]))
            for n, x in inputs.items()}
        try:
            point = _point(forward, backward, given, names, rng, k)
        except _Refused as e:
            report.failures.append(e.failure(hints, backward))
            return report
        if point is not None:
            seen.append(point)
    report.points = len(seen)
    bad = [p for p in seen if not _fits(p.yours, p.right)]
    if bad:
        report.failures.append(_failure(bad[0], seen, names, inputs, hints, backward))
    else:
        report.passed.append(f"{subject}: the gradients of {', '.join(names)} agree with backward()")
    return report


class _Refused(Exception):
    """The learner's code could not be run at a point, or gave gradients of the wrong shape."""

    def __init__(self, kind: str, title: str, numbers: str, error: BaseException | None = None) -> None:
        self.kind, self.title, self.numbers, self.error = kind, title, numbers, error

    def failure(self, hints: int, backward: Any) -> Failure:
        stuck = self.error.line() if isinstance(self.error, Stopped) else ""
        where = stuck or code_line(backward, self.error)
        rule = _SHAPES if self.kind == "shape" else _PATHS
        return Failure("backward", self.kind, self.title, (CONCEPT[self.kind], rule, self.numbers, where),
                       level=hints)


def _point(forward: Any, backward: Any, given: dict[str, Any], names: list[str], rng: random.Random,
           k: int) -> _Point | None:
    """One point: backward()'s gradients, the learner's, and the replays; None where the function is
    not defined (a random point outside its domain)."""
    values = {n: _rebuild(x, iter([Value(float(v), label=_entry(n, x, i)) for i, v in enumerate(_leaves(x))]))
              if n in names else x for n, x in given.items()}
    try:
        out = guarded(f"the function {getattr(forward, '__name__', '')}", lambda: forward(**values))
    except (ArithmeticError, ValueError):
        if k == 0:
            raise
        return None
    except Stopped as e:
        raise _Refused(e.kind, str(e), str(e), e) from None
    outputs = _leaves(out)
    if not outputs or not all(isinstance(o, Value) for o in outputs):
        raise TypeError(f"check_grads: the function must return a Value, or a list or array of Values, "
                        f"got {out!r:.60}")
    nice = [1.5, -2.0, 0.5, 3.0, -0.75, 2.5]
    ups = [nice[i % len(nice)] if k == 0 else round(rng.uniform(0.3, 3) * rng.choice([-1, 1]), 3)
           for i in range(len(outputs))]
    upstream = ups[0] if isinstance(out, Value) else _rebuild(out, iter(ups))
    leaves = {n: _leaves(values[n]) for n in names}
    total = sum((o * u for o, u in zip(outputs, ups)), Value(0.0))
    total.backward()  # chainrule's own backward(): the reference
    right = {n: [float(v.grad) for v in leaves[n]] for n in names}
    if not all(math.isfinite(g) for gs in right.values() for g in gs):
        return None
    order = _order(outputs)

    def predict(mistake: Mistake) -> dict[str, list[float]] | None:
        g = _replay(order, outputs, ups, leaves, mistake)
        return None if g is None else {n: [g.get(id(v), 0.0) for v in leaves[n]] for n in names}

    try:
        what = f"your {getattr(backward, '__name__', 'backward')}"
        got = guarded(what, backward, *given.values(), upstream)
    except NotImplementedError as e:
        raise _Refused("unfinished", "not written yet", "", e) from None
    except (Exception, Stopped) as e:
        kind = e.kind if isinstance(e, Stopped) else "crash"
        raise _Refused(kind, f"raised {type(e).__name__}", f"at {_where(given, upstream)}: {error_text(e)}",
                       e) from None
    yours = _unpack(got, names, given, upstream)
    return _Point(given, upstream, right, yours, _mistakes(order, outputs, leaves), predict, outputs, leaves,
                  order)


def _unpack(got: Any, names: list[str], given: dict[str, Any], upstream: Any) -> dict[str, list[float]]:
    """The learner's gradients by input name, flat, each checked against its input's shape."""
    if isinstance(got, dict):
        missing = [n for n in names if n not in got]
        if missing:
            raise _Refused("shape", "a gradient is missing", f"your function returned no gradient for "
                           f"{', '.join(missing)} (a dict keyed {', '.join(names)} is expected)")
        got = [got[n] for n in names]
    elif len(names) == 1 and not (isinstance(got, tuple) and len(got) == len(given) > 1):
        got = [got]  # the one gradient (a tuple of one per input, labels included, is refused below)
    if not isinstance(got, (list, tuple)) or len(got) != len(names):
        count = len(got) if isinstance(got, (list, tuple)) else 1
        labels = [n for n in given if n not in names]
        note = (f" ({', '.join(labels)}: whole numbers, taken as labels and not differentiated; write "
                f"2.0 rather than 2 for a number to differentiate)" if labels else "")
        raise _Refused("shape", "not one gradient per input", f"your function returned {count} "
                       f"value{'s' if count != 1 else ''}; expected {len(names)}, one per input: "
                       f"{', '.join('d' + n for n in names)}{note}")
    out = {}
    for n, g in zip(names, got):
        if _shape(g) != _shape(given[n]):
            raise _Refused("shape", f"d{n} has the wrong shape", f"at {_where(given, upstream)}: your "
                           f"d{n} has the shape {_shape(g)}, {n} has the shape {_shape(given[n])}")
        try:
            out[n] = [float(v) for v in _leaves(g)]
        except (TypeError, ValueError) as e:
            raise _Refused("wrong", f"d{n} holds something that is not a number",
                           f"your d{n} holds {_leaves(g)!r:.80}", e) from None
    return out


def _fits(a: dict[str, list[float]] | None, b: dict[str, list[float]]) -> bool:
    return a is not None and all(close(x, y) for n in a for x, y in zip(a[n], b[n]))


TITLES = {
    "upstream": "the upstream gradient is not multiplied in",
    "assign": "= instead of adding the shares up",
    "input_output": "the input used where the output was meant, or the reverse",
    "sign": "a sign flipped",
    "swapped": "the two factors of * swapped",
    "power_rule": "the power rule off by one or missing its factor",
    "path": "a path left out",
    "wrong": "the gradients differ from backward()'s",
}


def _failure(bad: _Point, seen: list[_Point], names: list[str], inputs: dict[str, Any], hints: int,
             backward: Any) -> Failure:
    """The failure at the first wrong point, the mistake named when one fits every point (and changes
    the numbers at one of them, at least)."""
    found = next((m for m in bad.mistakes
                  if all(_fits(p.predict(m), p.yours) for p in seen)
                  and not all(_fits(p.predict(m), p.right) for p in seen)), None)
    name, i = max(((n, i) for n in names for i in range(len(bad.right[n]))),  # the largest difference
                  key=lambda ni: abs(bad.yours[ni[0]][ni[1]] - bad.right[ni[0]][ni[1]]))
    right, yours = bad.right[name][i], bad.yours[name][i]
    shown = format_number if format_number(right) != format_number(yours) else lambda x: f"{x:.10g}"
    numbers = (f"at {_where(bad.inputs, bad.upstream)}: the gradient of {_entry(name, inputs[name], i)} "
               f"should be {shown(right)}, yours is {shown(yours)}"
               + (f": exactly what you get {found.text}" if found else "") + ".")
    kind, op = (found.kind, found.op) if found else ("wrong", "backward")
    rule = _PATHS
    if found and kind in ("upstream", "input_output", "sign", "swapped", "power_rule") and not found.top:
        then = " Then multiply by the gradient arriving from above." if kind == "upstream" else ""
        rule = rule_of(op) + then
    picture = None
    if len(bad.outputs) == 1:  # a picture of one output's graph: backward()'s numbers, the wrong input
        leaf = bad.leaves[name][i]
        title = (f"the gradient of {leaf.label}: backward() gives {shown(right)} (its box), yours is "
                 f"{shown(yours)}" + (f"; the highlighted edge: {found.text}" if found else ""))
        picture = ("grads", bad.outputs[0], leaf, _edge(bad, found, leaf), title)
    graded = (CONCEPT[kind], rule, numbers, _line(backward, name))
    return Failure(op, kind, TITLES[kind], graded, graph=picture, level=hints)


def _edge(point: _Point, found: Mistake | None, leaf: Value) -> tuple[Value, int] | None:
    """The edge to highlight: the first (nearest the output) of the op the mistake is made at, or the
    edge from the wrong input into its first use."""
    if found is not None and not found.into and not found.top:
        node = next((n for n in point.order if n._prev and _op(n).name == found.op), None)
        if node is not None:
            return node, found.at
    user = next((n for n in point.order if any(p is leaf for p in n._prev)), None)
    return (user, next(i for i, p in enumerate(user._prev) if p is leaf)) if user is not None else None


_SHAPES = ("return (dW, db, ...), one per input in the inputs' order, np.shape(dW) == np.shape(W): a weight "
           "matrix's gradient is a matrix of the same shape, a bias's a vector as long as the bias (summed "
           "over a batch's examples).")

_PATHS = ("d out / d x is the sum, over every path from x to the output, of the product of the local "
          "derivatives along the path (lesson 1's sum over paths), times out_grad; shares that meet add up.")


def _where(given: dict[str, Any], upstream: Any) -> str:
    def show(x: Any) -> str:
        if hasattr(x, "tolist"):
            x = x.tolist()
        if isinstance(x, (list, tuple)):
            return "[" + ", ".join(show(v) for v in x) + "]"
        return format_number(float(x)) if isinstance(x, float) else str(x)

    return ", ".join(f"{n} = {show(x)}" for n, x in given.items()) + f", out_grad = {show(upstream)}"


def _line(backward: Any, name: str) -> str:
    """The learner's line that computes the gradient of ``name`` (``dW = ...``), else the function's
    first line."""
    src = source_of(backward)
    if not src:
        return ""
    lines, start, path = src
    for i, text in enumerate(lines[1:], 1):
        head = text.split("=")[0] if "=" in text else ""
        if f"d{name}" in head.replace(" ", "") or f"grad_{name}" in head:
            return f"line {start + i} of {path}, and the lines it is built from: {text.strip()}"
    return code_line(backward)
