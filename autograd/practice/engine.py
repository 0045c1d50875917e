"""Check a learner's whole ``Value`` class: every op it has, then its ``backward()`` on many graphs.

    report = check_engine(Value)      # micrograd's layout (_prev, _op, _backward) or microgpt's
    report                            # (_children, _local_grads); in Jupyter: with the graph drawn

First each op the class has is checked alone (:func:`autograd.practice.check_op`'s points, plus a
plain number on either side: ``a * 2``, ``2 * a``). Then the same graphs are built with the class and
with chainrule and run backward, node by node: a value used twice, a diamond, constants on the left,
a small MLP, softmax with its negative log likelihood, random graphs, the same graph built again
after zeroing the leaves (state kept from an earlier ``backward()``), and a chain deeper than
Python's recursion limit. The first wrong node (walking back from the output) is reported; when
every op was right on its own, the walk is to blame, and the learner's numbers are compared with
wrong walks replayed on their own graph (no reversal of the order, no order at all, ``=``...).
"""

from __future__ import annotations

import random
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import learner
from .cases import EXPONENTS, METHODS, forms_for
from .checks import op_failure, run_form
from .guard import Stopped, guarded
from .learner import code_line, error_text, source_of
from .links import Value, format_number
from .mistakes import CONCEPT, WALK_MISTAKES, close
from .report import Failure, Report

__all__ = ["check_engine", "Program", "battery", "random_program", "run_program", "compare"]

Ref = int | float  # a node's index in the program, or a plain number


@dataclass
class Program:
    """A graph as a recipe: leaves' numbers, then steps ``(method, (node index, other args...))``; the
    last node is the output. The same recipe builds the graph with any micrograd-family class."""

    name: str
    leaves: list[float]
    steps: list[tuple[str, tuple[Ref, ...]]] = field(default_factory=list)

    def needs(self) -> set[str]:
        return {m for m, _ in self.steps}

    def add(self, method: str, *args: Ref) -> int:
        self.steps.append((method, args))
        return len(self.leaves) + len(self.steps) - 1


def build(program: Program, cls: type) -> list[Any]:
    """The program's nodes, built with ``cls`` (leaves first, the output last)."""
    nodes = [cls(x) for x in program.leaves]
    for method, args in program.steps:
        first = nodes[int(args[0])]
        rest = [nodes[a] if isinstance(a, int) else a for a in args[1:]]
        nodes.append(getattr(first, method)(*rest))
    return nodes


def run_program(program: Program, cls: type) -> list[Any]:
    """Build the program with the learner's class and run its ``backward()``, both guarded."""
    nodes = guarded(f"building the graph '{program.name}' with your class", build, program, cls)
    guarded("your backward()", nodes[-1].backward)
    return nodes


def _mlp(act: str | None, rng: random.Random) -> Program:
    p = Program(
        f"a small MLP (2 inputs, 3 {act or 'linear'} neurons, 1 output, squared error)",
        [0.5, -1.2] + [round(rng.uniform(-1, 1), 3) for _ in range(3 * 3 + 4)],
    )
    x, w = [0, 1], iter(range(2, len(p.leaves)))
    hidden = []
    for _ in range(3):
        s = p.add("__mul__", next(w), x[0])
        s = p.add("__add__", s, p.add("__mul__", next(w), x[1]))
        s = p.add("__add__", s, next(w))
        hidden.append(p.add(act, s) if act else s)
    o = p.add("__mul__", next(w), hidden[0])
    for h in hidden[1:]:
        o = p.add("__add__", o, p.add("__mul__", next(w), h))
    d = p.add("__add__", o, -0.8)
    p.add("__mul__", d, d)
    return p


def _softmax(divide: str) -> Program:
    p = Program("softmax of 3 logits and the negative log likelihood of class 1", [1.0, -0.5, 2.0])
    e = [p.add("exp", i) for i in range(3)]
    s = p.add("__add__", p.add("__add__", e[0], e[1]), e[2])
    prob = (
        p.add("__truediv__", e[1], s)
        if divide == "__truediv__"
        else p.add("__mul__", e[1], p.add("__pow__", s, -1.0))
    )
    p.add("__mul__", p.add("log", prob), -1.0)
    return p


def battery(has: Callable[[str], bool], rng: random.Random) -> list[Program]:
    """The fixed graphs, each kept only if the class has every method it uses."""
    out = [
        Program("a + a (a value used twice)", [1.5], [("__add__", (0, 0))]),
        Program("b = a * a; c = b + b", [-2.0], [("__mul__", (0, 0)), ("__add__", (1, 1))]),
    ]
    d = Program("a diamond: (a * x) * (a + y)", [0.5, -1.5, 2.0])
    d.add("__mul__", d.add("__mul__", 0, 1), d.add("__add__", 0, 2))
    out.append(d)
    for method, c, text in (
        ("__rsub__", 2.0, "2 - a"),
        ("__rtruediv__", 1.0, "1 / a"),
        ("__rpow__", 2.0, "2 ** a"),
    ):
        q = Program(f"a constant on the left: ({text}) * a", [0.7])
        q.add("__mul__", q.add(method, 0, c), 0)
        out.append(q)
    act = "tanh" if has("tanh") else "relu" if has("relu") else None
    out.append(_mlp(act, rng))
    divide = "__truediv__" if has("__truediv__") else "__pow__"
    out.append(_softmax(divide))
    return [p for p in out if all(has(m) for m in p.needs())]


def random_program(has: Callable[[str], bool], rng: random.Random, index: int, steps: int = 8) -> Program:
    """A random graph of the class's ops, its steps kept only where chainrule's ops are defined."""
    methods = [m for m in METHODS if has(m) and m != "__rpow__"]
    p = Program(f"random graph #{index + 1}", [round(rng.uniform(-2, 2), 3) for _ in range(3)])
    for _ in range(steps * 3):
        if len(p.steps) == steps:
            break
        method = rng.choice(methods)
        n = len(p.leaves) + len(p.steps)
        a = rng.randrange(max(0, n - 4), n) if rng.random() < 0.7 else rng.randrange(n)
        how = METHODS[method][1]
        args: tuple[Ref, ...] = (a,)
        if how == "left":
            args = (a, rng.randrange(n) if rng.random() < 0.8 else a)
        elif how == "power":
            args = (a, rng.choice(EXPONENTS))
        elif how == "right":
            args = (a, rng.choice([2.0, -1.5, 0.5]))
        p.steps.append((method, args))
        try:  # chainrule's own graph must be defined there, backward too, with finite gradients
            nodes = build(p, Value)
            nodes[-1].backward()
            ok = all(abs(v.data) < 1e4 and abs(v.grad) < 1e6 for v in nodes)
        except (ArithmeticError, ValueError):
            ok = False
        if not ok:
            p.steps.pop()
    if len(p.steps) > 1:  # the output depends on every step's node: the sum of the last three
        last = len(p.leaves) + len(p.steps) - 1
        for i in range(max(len(p.leaves), last - 2), last):
            p.add("__add__", len(p.leaves) + len(p.steps) - 1, i)
    return p


def compare(program: Program, mine: list[Any], tol: float = 1e-6) -> tuple[list[int], list[int]]:
    """The indices of the nodes whose number, and of those whose gradient, differ from chainrule's."""
    ref = build(program, Value)
    ref[-1].backward()
    pairs = list(enumerate(zip(mine, ref)))
    return (
        [i for i, (m, r) in pairs if not close(float(m.data), r.data, tol)],
        [i for i, (m, r) in pairs if not close(float(m.grad), r.grad, tol)],
    )


# --- the walk's mistakes, replayed on the learner's own graph ------------------------------------


def _walks(root: Any) -> dict[str, tuple[str, dict[int, float]]]:
    """Each wrong walk -> (its misconception, the gradients it gives, by node id), replayed with the
    learner's own local derivatives."""
    order = learner.reverse_order(root)
    locals_ = {id(n): learner.local(n) for n in order}

    def replay(visits: list[Any], assign: bool = False, times: bool = True) -> dict[int, float]:
        g = {id(n): 0.0 for n in order}
        g[id(root)] = 1.0
        for n in visits:
            for p, d in zip(learner.parents(n), locals_[id(n)]):
                share = d * g[id(n)] if times else d
                g[id(p)] = share if assign else g[id(p)] + share
        return g

    def bfs(once: bool) -> list[Any]:
        out: list[Any] = []
        seen, queue = {id(root)}, deque([root])
        while queue and len(out) < 100_000:
            n = queue.popleft() if once else queue.pop()
            out.append(n)
            for p in learner.parents(n):
                if not once or id(p) not in seen:
                    seen.add(id(p))
                    queue.append(p)
        return out

    def per_path() -> list[Any]:  # a recursive walk without a visited set: each node once per path
        out: list[Any] = []
        stack = [root]
        while stack and len(out) < 100_000:
            n = stack.pop()
            out.append(n)
            stack.extend(reversed(learner.parents(n)))
        return out

    return {
        "walking the topological order without reversing it": ("order", replay(order[::-1])),
        "visiting the nodes breadth-first from the output, without a topological order": (
            "order",
            replay(bfs(True)),
        ),
        "a recursive walk from the output that visits a node once per path to it": (
            "order",
            replay(per_path()),
        ),
        "a depth-first walk from the output, without a topological order": ("order", replay(bfs(False))),
        "writing child.grad = ... in place of child.grad += ...": ("assign", replay(order, assign=True)),
        "adding the local derivative without multiplying by node.grad": (
            "upstream",
            replay(order, times=False),
        ),
    }


def leaf_name(i: int) -> str:
    """The name the reports and pictures give a program's leaf i: a, b, c... (then x27, x28...)."""
    return "abcdefghijklmnopqrstuvwxyz"[i] if i < 26 else f"x{i + 1}"


def _walk_failure(
    program: Program, nodes: list[Any], wrong: int, cls: type, hints: int, expected: list[Any]
) -> Failure:
    leaves = nodes[: len(program.leaves)]
    kind, variant = "wrong", ""
    for text, (k, grads) in _walks(nodes[-1]).items():
        if all(close(float(v.grad), grads.get(id(v), 0.0)) for v in leaves) and not all(
            close(float(v.grad), r.grad) for v, r in zip(leaves, expected)
        ):
            kind, variant = k, text
            break
    data = format_number(float(nodes[wrong].data))
    name = (
        "the output"
        if wrong == len(nodes) - 1
        else f"the leaf {leaf_name(wrong)} (data {data})"
        if wrong < len(leaves)
        else f"node #{wrong + 1} (data {data}, made by {program.steps[wrong - len(leaves)][0]})"
    )
    numbers = (
        f"in the graph {program.name}: the first wrong gradient, walking back from the output, is that of "
        f"{name}: it should be {format_number(expected[wrong].grad)}, your backward() gives "
        f"{format_number(float(nodes[wrong].grad))}"
        + (f": exactly what you get by {variant}" if variant else "")
        + ". Every op was right on its own, so the walk is at fault."
    )
    title = WALK_MISTAKES.get(kind, "backward() gives wrong gradients")
    user = next(
        ((i, list(a).index(wrong)) for i, (_, a) in enumerate(program.steps, len(leaves)) if wrong in a), None
    )
    graph = (
        "walk",
        nodes,
        wrong,
        user,
        [float(r.grad) for r in expected],
        {id(v): leaf_name(i) for i, v in enumerate(leaves)},
    )
    return Failure(
        "backward",
        kind,
        title,
        (CONCEPT[kind], _walk_rule(kind), numbers, _backward_line(cls, kind)),
        _walk_solution(kind),
        graph,
        hints,
    )


def _walk_rule(kind: str) -> str:
    return {
        "order": "topo = a list of every node, each after its inputs; then self.grad = 1 and "
        "for node in reversed(topo): node._backward()",
        "assign": "child.grad += local_grad * node.grad (add each share)",
        "upstream": "child.grad += local_grad * node.grad (times the node's own gradient)",
        "no_reset": "make the visited set and the order inside backward(), fresh on every call",
        "recursion": "a loop with an explicit stack of (node, its parents left to visit)",
    }.get(kind, "backward(): self.grad = 1, then each node's share, children before parents")


def _walk_solution(kind: str) -> str:
    return {
        "order": "for node in reversed(topo): node._backward()",
        "assign": "child.grad += local_grad * node.grad",
        "upstream": "child.grad += local_grad * node.grad",
        "no_reset": "def backward(self):\n    topo, visited = [], set()   # fresh on every call",
    }.get(kind, "")


def _backward_line(cls: type, kind: str) -> str:
    fn = getattr(cls, "backward", None)
    src = source_of(fn) if fn is not None else None
    if not src:
        return "your backward()"
    lines, start, path = src
    want = {
        "order": ("reversed", "for "),
        "assign": (".grad =",),
        "upstream": (".grad +=",),
        "no_reset": ("=set()", "= set()", "=[]", "= []"),
        "recursion": ("build_topo(", "(child", "(p)", ".backward("),
    }
    for key in want.get(kind, ()):
        for i, text in enumerate(lines[1:], 1):
            if key in text.replace(" ", "") or key in text:
                return f"line {start + i} of {path}, in backward: {text.strip()}"
    return f"line {start} of {path}: {lines[0].strip()}"


# --- the whole check ---------------------------------------------------------------------------------


def check_engine(
    value: type, *, seed: int = 0, graphs: int = 10, strict: bool = False, hints: int = 4
) -> Report:
    """Check the learner's class ``value``: each op it has alone, then its ``backward()`` on the battery
    of graphs and ``graphs`` random ones. ``strict``: a recursive walk that fails on a chain deeper than
    Python's recursion limit is a failure (by default a note: the lecture's own sort is recursive).
    ``hints``: how many grades of hints (1 to 4) the report shows. Nothing is raised for the learner's
    errors: each one is reported, and code that runs too long is stopped."""
    if not isinstance(value, type):
        raise TypeError(f"check_engine: expected the learner's Value class, got {type(value).__name__}")
    if not isinstance(hints, int) or not 1 <= hints <= 4:
        raise ValueError(f"check_engine: hints must be 1, 2, 3 or 4, got {hints!r}")
    rng = random.Random(seed)
    report = Report(f"check_engine({value.__name__})")
    has = lambda m: callable(getattr(value, m, None))  # noqa: E731
    expected = {METHODS[m][0] for m in METHODS if callable(getattr(Value, m, None))}  # chainrule's has them
    missing = sorted(expected - {METHODS[m][0] for m in METHODS if has(m)})
    if missing:
        report.skipped.append(f"{', '.join(missing)} (your class has no such method)")
    failed: set[str] = set()
    for method, (op, how) in METHODS.items():
        if not has(method) or op in failed:
            continue
        for form in forms_for(method, op, how):
            outcomes = run_form(form, getattr(value, method), value, rng)
            report.points += len(outcomes)
            failure = op_failure(op, outcomes, getattr(value, method), hints)
            if failure is not None:
                report.failures.append(failure)
                failed.add(op)
                break
    report.passed += [
        op for op in dict.fromkeys(METHODS[m][0] for m in METHODS if has(m)) if op not in failed
    ]
    if not has("backward"):
        report.failures.append(
            Failure(
                "backward",
                "unfinished",
                "your class has no backward() method",
                (CONCEPT["unfinished"], _walk_rule("order"), "", ""),
                level=hints,
            )
        )
        return report
    programs = battery(has, rng) + [random_program(has, rng, i) for i in range(graphs)]
    walk_failed = False
    for program in programs:
        if walk_failed:
            break
        walk_failed = _run_one(program, value, report, failed, hints)
    if not walk_failed and has("__mul__") and has("__add__"):
        _repeat(value, report, failed, hints)
    if not walk_failed and not report.failures and has("__mul__"):
        _deep(value, report, strict, hints)
    return report


def _stopped(e: BaseException, program: Program, hints: int, cls: type | None = None) -> Failure:
    if isinstance(e, Stopped):
        kind = e.kind
        small = len(program.leaves) + len(program.steps) < 200  # far from needing 1,000 nested calls
        endless = kind == "recursion" and small
        idea = CONCEPT["endless"] if endless else CONCEPT[kind]
        rule = "each call goes on to a node's parents, and a leaf ends it" if endless else _walk_rule(kind)
        where = e.line() or (_backward_line(cls, kind) if cls else "")
        return Failure(
            "backward",
            kind,
            WALK_MISTAKES[kind],
            (idea, rule, f"in the graph {program.name}: {e}", where),
            level=hints,
        )
    text = error_text(e)
    return Failure(
        "backward",
        "crash",
        f"raised {type(e).__name__}",
        (CONCEPT["crash"], _walk_rule("order"), f"in the graph {program.name}: {text}", code_line(None, e)),
        level=hints,
    )


def _run_one(program: Program, cls: type, report: Report, failed: set[str], hints: int) -> bool:
    """Run one graph; True when it found a fault of the walk (reported), False otherwise."""
    try:
        nodes = run_program(program, cls)
    except (Exception, Stopped) as e:
        report.failures.append(_stopped(e, program, hints, cls))
        return True
    bad_data, wrong = compare(program, nodes)
    if not wrong and not bad_data:
        report.passed.append(f"backward: {program.name}")
        return False
    if bad_data:  # the first node with a wrong number: the op that made it is at fault
        step = min(bad_data) - len(program.leaves)
        return (
            step >= 0
            and METHODS[program.steps[step][0]][0] not in failed
            and _forward_failure(program, nodes, min(bad_data), report, hints)
        )
    last = max(wrong)
    users = {METHODS[m][0] for m, args in program.steps if last in args}
    if users & failed:
        return False  # an op already reported explains it
    expected = build(program, Value)
    expected[-1].backward()
    report.failures.append(_walk_failure(program, nodes, last, cls, hints, expected))
    return True


def _forward_failure(program: Program, nodes: list[Any], i: int, report: Report, hints: int) -> bool:
    method = program.steps[i - len(program.leaves)][0]
    ref = build(program, Value)
    numbers = (
        f"in the graph {program.name}: node #{i + 1}, made by {method}, should hold "
        f"{format_number(ref[i].data)}; yours holds {format_number(float(nodes[i].data))}."
    )
    report.failures.append(
        Failure(
            METHODS[method][0],
            "wrong",
            "the output's number is wrong",
            (CONCEPT["wrong"], "", numbers, ""),
            level=hints,
        )
    )
    return True


def _repeat(cls: type, report: Report, failed: set[str], hints: int) -> None:
    """The same graph built again from the same leaves, their gradients set to 0 in between, must get
    the same gradients: a walk that keeps a list or a set from the first call does not."""
    p = Program("a diamond built twice from the same leaves, zeroed in between", [0.5, -1.5, 2.0])
    p.add("__mul__", p.add("__mul__", 0, 1), p.add("__add__", 0, 2))
    try:
        first = run_program(p, cls)
        grads = [float(v.grad) for v in first[:3]]

        def again() -> list[Any]:
            for v in first[:3]:
                v.grad = 0.0
            a, x, y = first[:3]
            out = (a * x) * (a + y)
            out.backward()
            return [float(v.grad) for v in first[:3]]

        second = guarded("your second backward()", again)
    except (Exception, Stopped) as e:
        report.failures.append(_stopped(e, p, hints, cls))
        return
    if all(close(a, b) for a, b in zip(grads, second)):
        report.passed.append("backward: a second graph from the same leaves")
        return
    i = next(i for i, (a, b) in enumerate(zip(grads, second)) if not close(a, b))
    numbers = (
        f"after zeroing the leaves and building {p.name.split(' built')[0]} again, leaf #{i + 1}'s gradient "
        f"should be {format_number(grads[i])} again; your second backward() gives "
        f"{format_number(second[i])}."
    )
    report.failures.append(
        Failure(
            "backward",
            "no_reset",
            WALK_MISTAKES["no_reset"],
            (CONCEPT["no_reset"], _walk_rule("no_reset"), numbers, _backward_line(cls, "no_reset")),
            _walk_solution("no_reset"),
            None,
            hints,
        )
    )


def _deep(cls: type, report: Report, strict: bool, hints: int) -> None:
    depth = sys.getrecursionlimit() + 500
    p = Program(f"a chain of {depth} multiplications", [0.3], [("__mul__", (i, 1.0)) for i in range(depth)])
    try:
        nodes = run_program(p, cls)
    except Stopped as e:
        if not e.recursion:
            report.failures.append(_stopped(e, p, hints, cls))
            return
        text = (
            f"your backward() hit Python's recursion limit on {p.name}: fine for the lessons' graphs, not "
            "for a long chain (an RNN over a long sequence): write the topological sort as a loop with "
            "a stack (check_engine(..., strict=True) counts this as a failure)."
        )
        if strict:
            report.failures.append(
                Failure(
                    "backward",
                    "recursion",
                    WALK_MISTAKES["recursion"],
                    (CONCEPT["recursion"], _walk_rule("recursion"), text, _backward_line(cls, "recursion")),
                    "",
                    None,
                    hints,
                )
            )
        else:
            report.notes.append(text)
        return
    except Exception as e:
        report.failures.append(_stopped(e, p, hints, cls))
        return
    if close(float(nodes[0].grad), 1.0):
        report.passed.append(f"backward: {p.name}")
    else:
        report.failures.append(
            Failure(
                "backward",
                "wrong",
                "a long chain gets a wrong gradient",
                (
                    CONCEPT["wrong"],
                    _walk_rule("order"),
                    f"on {p.name} by 1.0 the leaf's gradient should be 1, yours is "
                    f"{format_number(float(nodes[0].grad))}",
                    "",
                ),
                level=hints,
            )
        )

