"""The shape of the code: a core that reads in one sitting (counted as tinygrad counts it), folders
that import downwards only (hidden imports included), one op table, and graphs (ops included) that
survive copying and pickling.
"""

from __future__ import annotations

import ast
import copy
import io
import pickle
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograd import Value, grad, ops, topological_order
from autograd.core.extras import EXTRAS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("autograd", "nn")


# --- the core's size, counted as tinygrad's sz.py counts it ------------------------------------

#: The core's budget, in lines of micrograd's density: a line of code counts once, a docstring or a
#: long string once (where it starts), comments and blank lines not at all, and a line holding more
#: than CAP tokens counts once per CAP tokens (micrograd's engine averages 7.6 tokens a line), so
#: squeezing code onto fewer lines saves nothing. December 2026: 1,335 over autograd/core/ before the
#: engine's rebuild, 1,602 after it (two-slot parents, the float-only chain rule beside the general one,
#: the typed watcher protocol, microgpt's way of making nodes, gc_paused's counter), 1,749 with the
#: reliability round (grad's own storage for threads, a closure's state put back, define_op's messages).
CAP = 7.6
CORE_BUDGET = 1800
_NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
             tokenize.ENDMARKER, tokenize.ENCODING}


def tokens_per_line(source: str) -> dict[int, int]:
    """The number of code tokens (names, operators, numbers, strings) on each line that has any;
    a token spanning lines (a docstring) counts on the line where it starts."""
    per_line: dict[int, int] = {}
    inside_fstring = 0  # Python 3.12 splits an f-string into tokens: count it as one string, as 3.11 does
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        kind = tokenize.tok_name[tok.type]
        if kind == "FSTRING_END":
            inside_fstring -= 1
            continue
        if tok.type in _NOT_CODE or inside_fstring:
            inside_fstring += kind == "FSTRING_START"
            continue
        inside_fstring += kind == "FSTRING_START"
        per_line[tok.start[0]] = per_line.get(tok.start[0], 0) + 1
    return per_line


def core_size(root: Path) -> float:
    """The size of ``root/autograd/core`` in lines of micrograd's density (see ``CORE_BUDGET``)."""
    return sum(max(1.0, n / CAP) for path in sorted((root / "autograd" / "core").glob("*.py"))
               for n in tokens_per_line(path.read_text(encoding="utf-8")).values())


def test_the_core_stays_within_its_budget() -> None:
    size = core_size(ROOT)
    assert size <= CORE_BUDGET, (f"autograd/core/ is {size:.0f} lines of micrograd's density, over its "
                                 f"budget of {CORE_BUDGET}: keep the engine readable in one sitting")


def test_the_size_counts_code_not_comments_docstrings_or_squeezing() -> None:
    spread = ('def f(x):\n    """A docstring\n    of three lines."""\n    # a comment\n\n'
              "    y = x + 1\n    return y\n")
    assert tokens_per_line(spread) == {1: 6, 2: 1, 6: 5, 7: 2}  # the docstring: one token, one line
    squeezed = "def f(x): y = x + 1; z = y * y; w = z - y; return w * w + z * y - x\n"
    assert sum(max(1.0, n / CAP) for n in tokens_per_line(squeezed).values()) > 4  # one line, 4+ lines' worth
    assert tokens_per_line('f"a {b} c {d!r}"\n') == {1: 1}  # an f-string is one string, as in Python 3.11


# --- the layering: folder rules, read from every import, hidden ones included -------------------

#: The folder each module belongs to, and the folders it may import from (besides its own, and the
#: standard library). Arrows point down: core <- tools, replay, see <- parse, cli; nn above them.
MAY_IMPORT = {
    "autograd.core": set(),                        # the engine: nothing outside itself
    "autograd.tools": {"autograd.core"},           # forward mode, jacobian, gradcheck, anomaly, compare
    "autograd.replay": {"autograd.core"},
    "autograd.see": {"autograd.core"},             # never tools or the replay
    "autograd.practice": {"autograd", "autograd.core", "autograd.see"},  # the checker of learners' code
    "autograd.top": {"autograd", "autograd.core", "autograd.see"},  # parse and cli (and __version__)
    "nn": {"autograd", "autograd.core", "autograd.see", "autograd.replay"},
    "nn.see": {"autograd", "autograd.core", "autograd.see", "autograd.replay", "nn"},
}

#: The upward imports allowed, each by the function it sits in: conveniences that let a student
#: write ``L.draw()`` or show a model in Jupyter. Each is a function-level import of one module.
CONVENIENCES = {
    ("autograd.core.engine", "Value.draw"): "autograd.see.draw",
    ("autograd.core.engine", "Value.formula"): "autograd.see.formula",
    ("autograd.core.engine", "Value._repr_html_"): "autograd.see.display",
    ("nn.module", "Module.draw"): "nn.see.network",
    ("nn.module", "Module._repr_html_"): "nn.see.display",
    ("nn.module", "Module.parameter_table"): "nn.see.display",
    ("nn.train", "History._repr_html_"): "nn.see.display",
    # nn's command (``chainrule demo``) is a command line of its own, built on chainrule's
    ("nn.see.demo", None): "autograd.cli",
    ("nn.see.demo", "main"): "autograd.cli",
}

#: Upward imports still to go (none: ``fit`` knows nothing of the live view, which ``nn`` wires up).
PENDING: dict[tuple[str, str | None], str] = {}

#: The only places that import a module whose name is computed (``import_module(name)``), which
#: no rule could check: the public package's lazy names and the loader of optional packages.
COMPUTED_IMPORTS = {("autograd", "__getattr__"), ("autograd.core.extras", "need")}


def folder(module: str) -> str:
    """``autograd.see.draw`` -> ``autograd.see``; ``autograd.cli`` -> ``autograd.top``;
    ``nn.see.live`` -> ``nn.see``."""
    parts = module.split(".")
    if parts[0] == "nn":
        return "nn.see" if parts[1:2] == ["see"] else "nn"
    if len(parts) == 1:
        return "autograd"  # the public package, which gathers every folder (as nn's init gathers nn's)
    folders = ("core", "tools", "replay", "see", "practice")
    return f"autograd.{parts[1]}" if parts[1] in folders else "autograd.top"


@dataclass(frozen=True)
class Import:
    """One import: ``source`` imports ``target`` (a full module name; None: computed), inside
    ``function`` (its qualified name, ``Value.draw``; None at module level), taking ``names``."""

    source: str
    target: str | None
    function: str | None
    names: tuple[str, ...]
    line: int


def modules(root: Path) -> dict[str, Path]:
    """Every module of the packages under ``root``, by name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _absolute(package: str, level: int, name: str) -> str:
    base = package.split(".")[: len(package.split(".")) - level + 1] if level else []
    return ".".join([*base, *([name] if name else [])])


def imports(name: str, source: str, is_package: bool, known: set[str]) -> list[Import]:
    """Every import in ``source`` (module ``name``): ``import``/``from`` statements at any depth, and
    ``import_module("...")``/``__import__("...")`` calls, with a computed name reported as such."""
    package = name if is_package else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None, scope: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _called(child.test) == "TYPE_CHECKING":
                continue  # imports for annotations only: they never run
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qual = f"{scope}.{child.name}" if scope else child.name
                inner = qual if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
                visit(child, inner if function is None else function, qual)
                continue
            if isinstance(child, ast.Import):
                found.extend(Import(name, a.name, function, (), child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = _absolute(package, child.level, child.module or "")
                names = tuple(a.name for a in child.names)
                found.append(Import(name, base, function, names, child.lineno))
                found.extend(Import(name, f"{base}.{n}", function, (), child.lineno)  # ``from . import ops``
                             for n in names if f"{base}.{n}" in known)
            elif isinstance(child, ast.Call) and _called(child.func) in ("import_module", "__import__"):
                arg = child.args[0] if child.args else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    text = arg.value
                    level = len(text) - len(text.lstrip("."))
                    target = _absolute(package, level, text.lstrip(".")) if level else text
                    found.append(Import(name, target, function, (), child.lineno))
                else:
                    found.append(Import(name, None, function, (), child.lineno))
            visit(child, function, scope)

    visit(ast.parse(source), None, None)
    return found


def _called(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _ours(target: str, known: set[str]) -> str | None:
    """The module of ours that ``target`` names (``autograd.see.draw``), or None for another package."""
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def layering_problems(root: Path) -> list[str]:
    """Every import under ``root`` that breaks the folder rules, and every import cycle."""
    found = modules(root)
    known = set(found)
    problems: list[str] = []
    edges: dict[str, set[str]] = {m: set() for m in found}
    for name, path in found.items():
        here = folder(name)
        for imp in imports(name, path.read_text(encoding="utf-8"), path.name == "__init__.py", known):
            where = f"{name}:{imp.line}" + (f" (in {imp.function})" if imp.function else "")
            if imp.target is None:
                if (name, imp.function) not in COMPUTED_IMPORTS:
                    problems.append(f"{where} imports a computed module name, which no rule can check")
                continue
            target = _ours(imp.target, known)
            if target is None:
                top = imp.target.partition(".")[0]
                stdlib = top in sys.stdlib_module_names or top == "__future__"
                if here == "autograd.core" and not stdlib and not (imp.function and top in EXTRAS):
                    problems.append(f"{where} imports {imp.target}: the core imports the standard library "
                                    "only (an optional package inside a function, through extras)")
                continue
            private = [n for n in imp.names if n.startswith("_") and n != "__version__"]
            if private and target != name:
                problems.append(f"{where} takes private names {private} from {target}")
            if target == name:
                continue
            public = name in PACKAGES and target.startswith(name + ".")  # a package's init gathers it
            allowed = public or folder(target) == here or folder(target) in MAY_IMPORT.get(here, set())
            key = (name, imp.function)
            if target in (CONVENIENCES.get(key), PENDING.get(key)):
                continue  # an allowed upward import: no edge, so it closes no cycle
            if not allowed:
                problems.append(f"{where} imports {target}: {here} may import "
                                f"{sorted(MAY_IMPORT.get(here, set())) or 'nothing outside itself'}")
            if not (path.name == "__init__.py" and target.startswith(name + ".")):
                edges[name].add(target)  # a package's own init gathering its modules closes no cycle
    problems += [f"import cycle: {' -> '.join(c)}" for c in _cycles(edges)]
    return problems


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each group of modules that import each other round (iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []
    for start in sorted(edges):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(edges[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(edges.get(nxt, ()))))
    return cycles


def test_every_import_follows_the_folder_rules_and_none_closes_a_cycle() -> None:
    problems = layering_problems(ROOT)
    assert not problems, "\n".join(problems)


def test_every_module_is_in_a_folder_with_rules() -> None:
    assert {folder(m) for m in modules(ROOT)} <= {*MAY_IMPORT, "autograd"}


def test_the_allowed_upward_imports_are_still_there() -> None:
    """Each named convenience and pending import exists: a list that outlives its code hides the next one."""
    found = modules(ROOT)
    there = {(i.source, i.function, i.target) for m, p in found.items()
             for i in imports(m, p.read_text(encoding="utf-8"), p.name == "__init__.py", set(found))}
    stale = [(m, f, t) for (m, f), t in {**CONVENIENCES, **PENDING}.items() if (m, f, t) not in there]
    assert not stale, f"delete these entries, their imports are gone: {stale}"


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    """A scratch copy of the package layout with ``files`` (path -> source) written into it."""
    for package in ("autograd", "autograd/core", "autograd/see", "autograd/tools", "nn", "nn/see"):
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    return tmp_path


PLANTED = {
    "an import_module inside a method": (
        {"autograd/core/engine.py": "import importlib\nclass Value:\n    def show(self):\n"
                                    "        return importlib.import_module('autograd.see.draw')\n",
         "autograd/see/draw.py": ""},
        "autograd.core.engine:4 (in Value.show) imports autograd.see.draw"),
    "a relative import in a function": (
        {"autograd/tools/forward.py": "def f():\n    from ..see import names\n", "autograd/see/names.py": ""},
        "autograd.tools.forward:2 (in f) imports autograd.see.names"),
    "a relative import_module": (
        {"autograd/core/ops.py": "from importlib import import_module\n"
                                 "def f():\n    return import_module('..tools.jacobian', __name__)\n",
         "autograd/tools/jacobian.py": ""},
        "autograd.core.ops:3 (in f) imports autograd.tools.jacobian"),
    "a computed name": (
        {"autograd/see/plot.py": "import importlib\nNAME = 'autograd.tools.anomaly'\n"
                                 "def f():\n    return importlib.import_module(NAME)\n"},
        "autograd.see.plot:4 (in f) imports a computed module name"),
    "a third-party package in the core": (
        {"autograd/core/grad_mode.py": "import graphviz\n"}, "autograd.core.grad_mode:1 imports graphviz"),
    "nn reaching into the tools": (
        {"nn/train.py": "from autograd.tools.gradcheck import gradcheck\n",
         "autograd/tools/gradcheck.py": ""},
        "nn.train:1 imports autograd.tools.gradcheck"),
    "a cycle inside a folder": (
        {"autograd/see/text.py": "from . import names\n", "autograd/see/names.py": "from . import text\n"},
        "import cycle: autograd.see.names -> autograd.see.text -> autograd.see.names"),
    "a convenience's name on the wrong function": (
        {"autograd/core/engine.py": "class Value:\n    def plot(self):\n        from ..see import draw\n",
         "autograd/see/draw.py": ""},
        "autograd.core.engine:3 (in Value.plot) imports autograd.see.draw"),
}


@pytest.mark.parametrize("files, expected", PLANTED.values(), ids=list(PLANTED))
def test_the_checker_finds_a_planted_hidden_upward_import(tmp_path: Path, files: dict[str, str],
                                                          expected: str) -> None:
    problems = layering_problems(_plant(tmp_path, files))
    assert any(p.startswith(expected) for p in problems), problems


def test_the_checker_accepts_a_named_convenience_and_a_clean_tree(tmp_path: Path) -> None:
    files = {"autograd/core/engine.py": "import math\nclass Value:\n    def draw(self):\n"
                                        "        from ..see.draw import draw_dot\n"
                                        "        return draw_dot(self)\n",
             "autograd/see/draw.py": "from ..core.engine import Value\n"}
    assert layering_problems(_plant(tmp_path, files)) == []


def test_autograd_never_imports_nn() -> None:
    found = modules(ROOT)
    offenders = [(m, i.target) for m, p in found.items() if m.startswith("autograd")
                 for i in imports(m, p.read_text(encoding="utf-8"), p.name == "__init__.py", set(found))
                 if i.target and i.target.partition(".")[0] == "nn"]
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
    allowed = {ROOT / "autograd" / "core" / "ops.py", ROOT / "tests" / "support" / "op_rows.py"}
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
