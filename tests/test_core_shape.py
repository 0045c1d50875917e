"""The shape of the code: a core that reads in one sitting, layers that import downwards only,
one op table, and graphs (ops included) that survive copying and pickling.
"""

from __future__ import annotations

import ast
import copy
import pickle
from pathlib import Path

import pytest

from autograd import Value, grad, ops, topological_order

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn")

#: The core's line budgets (every line of the file counts, docstrings included).
BUDGETS = {"autograd/engine.py": 300, "autograd/ops.py": 400}


@pytest.mark.parametrize("path, budget", sorted(BUDGETS.items()))
def test_the_core_stays_within_its_line_budget(path: str, budget: int) -> None:
    lines = len((ROOT / path).read_text(encoding="utf-8").splitlines())
    assert lines <= budget, f"{path} has {lines} lines, over its budget of {budget}: keep the core readable"


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """Every module ``name`` imports (at the top or inside a function), with the names it takes from it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            names = [alias.name for alias in node.names]
            found.append((base, names))
            found += [(f"{base}.{n}", []) for n in names]  # ``from . import ops`` imports a module
    modules = _modules()
    return [(m, names) for m, names in found if m in modules and m != name]


#: Each module's layer; a module may import modules of lower layers only (``__init__`` files gather
#: their package and are left out). ops <- engine <- tools <- cli; nn above all of autograd.
LAYERS = {
    "autograd.ops": 0, "autograd.extras": 0,
    "autograd.handmade": 1,
    "autograd.engine": 2, "autograd.grad_mode": 2.5,
    "autograd.copying": 3, "autograd.layers": 3, "autograd.formula": 3, "autograd.gradcheck": 3,
    "autograd.anomaly": 3, "autograd.parse": 3, "autograd.replay.guard": 3, "autograd.compare": 3,
    "autograd.jacobian": 3,
    "autograd.forward": 4, "autograd.display": 4, "autograd.draw": 4, "autograd.explain": 4,
    "autograd.plot": 4,
    "autograd.replay.compiler": 4,
    "autograd.player": 5, "autograd.replay.tape": 5, "autograd.explore": 5,
    "autograd.cli": 6,
    # practice: above the tools it draws with, below the command that grades files
    "autograd.practice.learner": 5, "autograd.practice.guard": 5.05, "autograd.practice.links": 5,
    "autograd.practice.mistakes": 5.1, "autograd.practice.graph": 5.1, "autograd.practice.cases": 5.2,
    "autograd.practice.report": 5.3, "autograd.practice.checks": 5.4, "autograd.practice.engine": 5.5,
    "autograd.practice.command": 6.5,
}


NN_LAYERS = {  # nn sits above all of autograd, and its own modules import downwards too
    "nn.display": 9, "nn.module": 10,
    "nn.blocks": 10.5,  # above module, below io (which saves the blocks)
    "nn.bridge": 11, "nn.data": 11, "nn.losses": 11, "nn.optim": 11, "nn.io": 11, "nn.vectorized": 11,
    "nn.network": 11, "nn.inspect": 11,
    "nn.train": 12, "nn.plot": 13, "nn.live": 13, "nn.demo": 14,
}


def _layer(module: str) -> int:
    return {**LAYERS, **NN_LAYERS}[module]


def test_every_module_has_a_layer() -> None:
    missing = [m for m in _modules() if m not in ("autograd", "autograd.replay", "autograd.practice", "nn")
               and m not in LAYERS and m not in NN_LAYERS]
    assert not missing, f"give these modules a layer in LAYERS: {missing}"


def test_imports_point_downwards_only_and_take_no_private_names() -> None:
    problems = []
    for name, path in _modules().items():
        if path.name == "__init__.py":
            continue
        for target, names in _imports(name, path):
            if target in ("autograd", "autograd.replay", "autograd.practice", "nn"):
                continue  # a package's public names (its __init__ is no layer of its own)
            if _layer(target) >= _layer(name):
                problems.append(f"{name} (layer {_layer(name)}) imports {target} (layer {_layer(target)})")
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            if private:
                problems.append(f"{name} takes private names {private} from {target}")
    assert not problems, "\n".join(problems)


def test_autograd_never_imports_nn() -> None:
    offenders = [name for name, path in _modules().items() if name.startswith("autograd")
                 and any(t.startswith("nn") for t, _ in _imports(name, path))]
    assert not offenders


def _string_lists(tree: ast.AST) -> list[tuple[int, set[str]]]:
    """Each list, tuple, set or dict literal with its string items (dict keys too), outside ``__all__``."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        is_all = isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                       for t in node.targets)
        if is_all:
            skip.add(id(node.value))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)) and items:
            strings = {i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)}
            found.append((node.lineno, strings))
    return found


def test_no_list_of_op_names_outside_the_table() -> None:
    """Adding an op touches its table entry, a Value method, the export and one test row: no other list."""
    names = set(ops.OPS)
    allowed = {ROOT / "autograd" / "ops.py", ROOT / "tests" / "op_rows.py"}
    offenders = []
    sources = [(p, p.read_text(encoding="utf-8")) for pkg in (*PACKAGES, "tests", "bench")
               for p in (ROOT / pkg).rglob("*.py")
               if p not in allowed and not any(part.startswith(".") for part in p.relative_to(ROOT).parts)]
    for lesson in sorted((ROOT / "notebooks" / "src").glob("*.py")):  # a lesson's code cells, one by one
        cells = lesson.read_text(encoding="utf-8").split("#%% ")
        sources += [(lesson, cell.removeprefix("code\n")) for cell in cells if cell.startswith("code\n")]
    for path, text in sources:
        for line, strings in _string_lists(ast.parse(text)):
            hits = strings & names
            if len(hits) >= 3:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {sorted(hits)}")
    assert not offenders, "lists of op names outside the op table:\n" + "\n".join(offenders)


def test_ops_are_one_object_each_through_copy_and_pickle() -> None:
    for op in [*ops.OPS.values(), ops.pow_const(3.0), ops.pow_const(-0.5)]:
        assert copy.copy(op) is op and copy.deepcopy(op) is op and pickle.loads(pickle.dumps(op)) is op


CLONES = pytest.mark.parametrize("clone", [copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))],
                                 ids=["deepcopy", "pickle"])


@CLONES
def test_graphs_survive_copy_and_pickle(clone: object) -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = ((a * b).tanh() + a ** 2 + a.relu() * b).sigmoid()
    out.label = "out"
    (want_a, want_b) = grad(out, [a, b])
    copied = clone(out)  # type: ignore[operator]
    order = topological_order(copied)
    assert [(v.data, v.label, str(v._op)) for v in order] == [(v.data, v.label, str(v._op))
                                                           for v in topological_order(out)]
    assert all(v not in set(topological_order(out)) for v in order)
    copied.backward()
    leaves = {v.label: v for v in order if not v._prev}
    assert (leaves["a"].grad, leaves["b"].grad) == (want_a, want_b)
    assert (a.grad, b.grad) == (0.0, 0.0)  # the original is untouched


@CLONES
def test_deep_graphs_copy_without_recursion_and_keep_shared_nodes_shared(clone: object) -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(100_000):  # a chain 100,000 nodes deep
        y = y + x
    pair = clone([y, x])  # type: ignore[operator]
    copied_y, copied_x = pair
    copied_y.backward()
    assert copied_x.grad == 100_001.0  # the x copied alone is the x inside the copied graph
