"""Turn a formula written as text into a graph of Values, safely.

What you can do with it::

    from autograd.parse import parse
    f = parse("tanh(x1*w1 + x2*w2 + b)")
    f.names                      # ('x1', 'w1', 'x2', 'w2', 'b')
    out = f.evaluate({"x1": 2, "w1": -3, "x2": 0, "w2": 1, "b": 6.88})
    out.backward()               # every name is one leaf Value, labelled with its name
    f.leaves["w1"].grad          # ... and ParsedFormula.leaves finds them after evaluate()

This is what lets the command line (``chainrule draw "(a*b + c)*f" a=2 ...``)
accept formulas from a user without trusting them.

Why it is safe
--------------
The text is read by Python's own parser, ``ast.parse(..., mode='eval')``, which
only builds a syntax tree: nothing is compiled to code and nothing runs. We then
walk that tree and accept only this small language:

* numbers written as int or float literals (``2``, ``-3.5``, ``1e-3``);
* names (``a``, ``x1``, ``w_0``) in plain ASCII, except names that begin with two
  underscores;
* ``+ - * / **``, unary ``-`` and ``+``, and parentheses;
* calls by bare name to the ops of the table that formulas may call (``exp``,
  ``log``, ``tanh``, ``sigmoid``, ``relu``... and any op made with
  ``autograd.define_op``), each with its number of positional arguments.

Everything else (attribute access, subscripts, strings, f-strings, lambdas,
comprehensions, keyword arguments, any other call) is refused with a
:class:`FormulaError` that shows the formula with a caret under the part that
was refused. The formula is never handed to ``eval``.

Three limits keep a hostile formula from using up the machine:

* :data:`MAX_LENGTH` characters of text;
* :data:`MAX_DEPTH` levels of nesting, counting both brackets and operations
  (a long sum ``a + b + c + ...`` nests one level per ``+``);
* :data:`MAX_EXPONENT` for an exponent that is a constant. Python computes
  ``9**9**9`` exactly, with integers, and would take hours; we compute in
  floats, but a constant exponent beyond this bound overflows a float for any
  base of 2 or more, so such a formula is refused while it is read.

Constant parts are computed once, as plain floats, while the formula is read
(``2*3*x`` draws as ``6 * x``), exactly as they would be in Python arithmetic.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .core import ops
from .core.engine import Value
from .core.grad_mode import no_grad

__all__ = ["parse", "ParsedFormula", "FormulaError", "FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT"]

#: The longest formula accepted, in characters.
MAX_LENGTH = 1000
#: The deepest nesting accepted: brackets inside brackets, or operations inside operations.
MAX_DEPTH = 100
#: The largest absolute value allowed for a constant exponent (``x ** 1024`` is fine, ``x ** 1025`` is not).
MAX_EXPONENT = 1024.0

class _Functions(Mapping[str, ops.Op]):
    """The ops a formula may call, by name, read from the op table each time (so ops added later count)."""

    def _live(self) -> dict[str, ops.Op]:
        return {name: op for name, op in ops.OPS.items() if op.in_formulas}

    def __getitem__(self, name: str) -> ops.Op:  # one lookup in the table (a name is looked up often)
        op = ops.OPS.get(name)
        if op is None or not op.in_formulas:
            raise KeyError(name)
        return op

    def __iter__(self) -> Any:
        return iter(self._live())

    def __len__(self) -> int:
        return len(self._live())


#: The functions a formula may call, by name: the ops of the table marked ``in_formulas``.
FUNCTIONS: Mapping[str, ops.Op] = _Functions()


def function_list() -> str:
    """The callable functions, as the help and the error messages list them."""
    return ", ".join(FUNCTIONS)


# Python's arithmetic syntax: on Values the operators pick the op of the table (a constant exponent
# makes ``**k``, one parent, as in micrograd); constants are computed the same way, once.
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

_OTHER_OPERATORS = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not",
}

# Names for the kinds of syntax that are refused, in the words a learner would use.
_REFUSED_KINDS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts (indexing)",
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "'if ... else'",
    ast.NamedExpr: "assignments (:=)",
    ast.Tuple: "tuples (a comma outside a call)",
    ast.List: "lists",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.Starred: "starred arguments (*x)",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'",
    ast.Slice: "slices",
}

def _expected() -> str:
    return f"expected numbers, names, + - * / **, parentheses and calls to {function_list()}"


class FormulaError(ValueError):
    """A formula that cannot be read or evaluated, with the place that is wrong.

    ``str(error)`` is the message followed by the formula's line and a caret
    line under the offending part::

        not allowed: attribute access (expected numbers, names, ...)
          ().__class__
          ^^^^^^^^^^^^

    Attributes: ``reason`` (the message alone), ``text`` (the formula), and
    ``start``/``end``: the offending part as character offsets into ``text``
    (None when the error is about the formula as a whole).
    """

    def __init__(self, reason: str, text: str = "", start: int | None = None, end: int | None = None):
        self.reason = reason
        self.text = text
        self.start = start
        self.end = end
        super().__init__(self._render())

    def _render(self) -> str:
        if self.start is None or not self.text:
            return self.reason
        text, start = self.text, min(max(self.start, 0), len(self.text))
        # Show only the line that holds the offending part, and a caret line under it.
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        line_end = len(text) if line_end == -1 else line_end
        end = self.end if self.end is not None else start + 1
        end = min(max(end, start + 1), line_end + 1)
        # A long line is cut to a window around the offending part, marked with '...'.
        lo, hi = line_start, line_end
        if hi - lo > _WINDOW:
            lo = max(line_start, start - _WINDOW // 3)
            hi = min(line_end, lo + _WINDOW)
            end = min(end, max(hi, start + 1))
        before = "..." if lo > line_start else ""
        after = "..." if hi < line_end else ""
        pad = " " * len(before) + "".join("\t" if ch == "\t" else " " for ch in text[lo:start])
        return f"{self.reason}\n  {before}{text[lo:hi]}{after}\n  {pad}{'^' * (end - start)}"


_WINDOW = 72  # the widest piece of a formula shown in an error message


# --- the program a formula becomes ---------------------------------------------------------
#
# A formula is kept as a short program in postfix order (operands before their operator),
# which evaluate() runs with a stack: no recursion, whatever the shape of the formula.


@dataclass(frozen=True)
class _Step:
    kind: str  # 'const', 'name', 'neg', 'binary', 'call'
    arg: Any  # the number, the name, the ast operator type, or the function name
    start: int  # where the part of the formula this step computes begins and ends
    end: int


_Operand = float | Value


class ParsedFormula:
    """A formula that has been read and checked; evaluate it as many times as you like.

    * ``text``: the formula as given (without surrounding whitespace);
    * ``names``: the names it uses, in order of first appearance;
    * ``leaves``: after :meth:`evaluate`, the leaf Value made for each name, by name.
    """

    def __init__(self, text: str, names: tuple[str, ...], program: tuple[_Step, ...]) -> None:
        self.text = text
        self.names = names
        self._program = program
        self.leaves: dict[str, Value] = {}

    def __repr__(self) -> str:
        return f"ParsedFormula({self.text!r})"

    def evaluate(self, values: Mapping[str, float]) -> Value:
        """Build the graph of this formula with the given numbers and return its output Value.

        Every name becomes one leaf ``Value(values[name], label=name)``, reused
        wherever the name appears (so ``x * x`` has two edges from one ``x``),
        and ``self.leaves`` maps each name to its leaf. A name without a
        value, a value for a name the formula does not use, a value that is not
        a number, and a value outside an op's domain (``log`` of a negative
        number) each raise a :class:`FormulaError` saying which.
        """
        if not isinstance(values, Mapping):
            raise TypeError(f"evaluate: expected a mapping of names to numbers, got {type(values).__name__}")
        missing = [n for n in self.names if n not in values]
        if missing:
            raise FormulaError(f"{missing_names(missing)} (the formula uses {_listing(self.names)})")
        unknown = [str(n) for n in values if n not in self.names]
        if unknown:
            raise FormulaError(
                f"a value was given for {_listing(unknown)}, which the formula does not use "
                f"(its names are {_listing(self.names) if self.names else 'none'})"
            )
        leaves: dict[str, Value] = {}
        for name in self.names:
            x = values[name]
            if isinstance(x, bool) or not isinstance(x, (int, float)) and not hasattr(x, "__float__"):
                raise FormulaError(f"the value of {name} must be a number, got {type(x).__name__}: {x!r:.60}")
            try:
                leaves[name] = Value(float(x), label=name)
            except (TypeError, ValueError, OverflowError) as e:
                raise FormulaError(f"the value of {name} must be a number, got {x!r:.60} ({e})") from None
        stack = _run(self._program, self.text, leaves)
        self.leaves = leaves
        out = stack[0]
        return out if isinstance(out, Value) else Value(out)


def _listing(names: Any) -> str:
    return ", ".join(str(n) for n in names)


#: Names a reader may take for constants; the formula language has none, so each gets a hint.
CONSTANT_HINTS = {
    "e": "e is not a constant here: write exp(x) for e**x (or give e=2.718281828459045)",
    "pi": "pi is not a constant here: write its number, 3.141592653589793 (or give pi=3.141592653589793)",
    "tau": "tau is not a constant here: write its number, 6.283185307179586",
}


def missing_names(missing: Any) -> str:
    """The sentence for names without a value: which, and, for ``e`` or ``pi``, what to write instead."""
    hints = [CONSTANT_HINTS[n] for n in missing if n in CONSTANT_HINTS]
    return f"no value given for {_listing(missing)}" + ("; " + "; ".join(hints) if hints else "")


_JUXTAPOSED = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?)([A-Za-z_]\w*)")


def _juxtaposition_error(text: str) -> FormulaError | None:
    """``2a`` or ``3x**2``: a number written against a name means a product, which Python does not read."""
    for m in _JUXTAPOSED.finditer(text):
        number, name = m.groups()
        if re.fullmatch(r"[eE][+-]?\d*|j|J", name):  # 1e5, 2j: Python's own number syntax
            continue
        return FormulaError(f"a number against a name: write {number}*{name} for {number} times {name}",
                            text, m.start(), m.end())
    return None


def _run(program: tuple[_Step, ...], text: str, leaves: Mapping[str, Value]) -> list[_Operand]:
    """Run a postfix program on a stack; errors name the part of the formula that failed."""
    stack: list[_Operand] = []
    for step in program:
        try:
            if step.kind == "const":
                stack.append(step.arg)
            elif step.kind == "name":
                stack.append(leaves[step.arg])
            elif step.kind == "neg":
                a = stack.pop()
                stack.append(-a)
            elif step.kind == "binary":
                b = stack.pop()
                a = stack.pop()
                python_op = _BINARY[step.arg]
                if isinstance(a, Value) or isinstance(b, Value):
                    stack.append(python_op(a, b))
                else:  # constants: the same op's checked forward, through a leaf
                    with no_grad():
                        stack.append(python_op(Value(a), b).data)
            else:  # a call: the op, on its arguments
                name, n = step.arg
                args = stack[len(stack) - n:]
                del stack[len(stack) - n:]
                stack.append(FUNCTIONS[name](*args))
        except (ArithmeticError, ValueError, TypeError) as e:
            part = text[step.start : step.end]
            raise FormulaError(f"cannot compute {part}: {e}", text, step.start, step.end) from None
    return stack


# --- reading a formula ---------------------------------------------------------------------


class _Reader:
    """Checks a syntax tree against the whitelist and turns it into a postfix program."""

    def __init__(self, text: str) -> None:
        self.text = text
        # ast gives positions as (line, byte offset in that line's UTF-8); we want character offsets.
        self.line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.line_starts.append(i + 1)

    def offset(self, lineno: int | None, col: int | None) -> int | None:
        if lineno is None or col is None or not 1 <= lineno <= len(self.line_starts):
            return None
        start = self.line_starts[lineno - 1]
        line_end = self.text.find("\n", start)
        line = self.text[start : len(self.text) if line_end == -1 else line_end]
        return start + len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(getattr(node, "lineno", None), getattr(node, "col_offset", None))
        end = self.offset(getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))
        if start is None:
            return 0, len(self.text)
        return start, end if end is not None and end > start else start + 1

    def refuse(self, reason: str, node: ast.AST) -> FormulaError:
        start, end = self.span(node)
        return FormulaError(reason, self.text, start, end)

    def read(self, tree: ast.Expression) -> ParsedFormula:
        names: dict[str, None] = {}  # an ordered set
        program: list[_Step] = []
        # The constant value of each operand on the program's stack, or None if it uses a name;
        # constants are folded as they are read, so the program computes them only once.
        consts: list[float | None] = []
        # Walk without recursion: each entry is (node, depth, children done?).
        todo: list[tuple[ast.AST, int, bool]] = [(tree.body, 1, False)]
        while todo:
            node, depth, done = todo.pop()
            if not done:
                if depth > MAX_DEPTH:
                    raise self.refuse(f"the formula nests too deeply (the limit is {MAX_DEPTH} levels)", node)
                children = self.check(node)
                todo.append((node, depth, True))
                todo.extend((child, depth + 1, False) for child in reversed(children))
                continue
            start, end = self.span(node)
            if isinstance(node, ast.Constant):
                value = self.number(node)
                program.append(_Step("const", value, start, end))
                consts.append(value)
            elif isinstance(node, ast.Name):
                names[node.id] = None
                program.append(_Step("name", node.id, start, end))
                consts.append(None)
            elif isinstance(node, ast.UnaryOp):
                if isinstance(node.op, ast.USub):
                    self.emit(program, consts, _Step("neg", None, start, end), 1)
                # unary plus changes nothing, so it adds no step
            elif isinstance(node, ast.BinOp):
                if isinstance(node.op, ast.Pow) and consts[-1] is not None:
                    self.check_exponent(consts[-1], node.right)
                self.emit(program, consts, _Step("binary", type(node.op), start, end), 2)
            elif isinstance(node, ast.Call):
                assert isinstance(node.func, ast.Name)
                n = len(node.args)
                self.emit(program, consts, _Step("call", (node.func.id, n), start, end), n)
        return ParsedFormula(self.text, tuple(names), tuple(program))

    def emit(self, program: list[_Step], consts: list[float | None], step: _Step, nargs: int) -> None:
        """Add an operation to the program, or, when all its inputs are constants, compute it now."""
        args = consts[-nargs:]
        del consts[-nargs:]
        if all(a is not None for a in args):
            del program[-nargs:]
            consts_in = tuple(_Step("const", a, step.start, step.end) for a in args)
            (value,) = _run(consts_in + (step,), self.text, {})
            assert not isinstance(value, Value)
            if not math.isfinite(value):
                part = self.text[step.start : step.end]
                raise FormulaError(f"the constant {part} is not a finite number ({value})",
                                   self.text, step.start, step.end)
            program.append(_Step("const", value, step.start, step.end))
            consts.append(value)
        else:
            program.append(step)
            consts.append(None)

    def check_exponent(self, k: float, node: ast.AST) -> None:
        if abs(k) > MAX_EXPONENT:
            start, end = self.span(node)
            part = self.text[start:end]
            shown = part if part.strip() == ops.exact_number(k) else f"{part} = {ops.exact_number(k)}"
            raise FormulaError(
                f"the exponent {shown} is too large: a constant exponent must lie within "
                f"+-{ops.exact_number(MAX_EXPONENT)} (beyond that, powers overflow a float)",
                self.text, start, end,
            )

    def number(self, node: ast.Constant) -> float:
        value: Any = node.value
        if type(value) not in (int, float):
            what = {str: "strings", bytes: "bytes", bool: "True and False", complex: "complex numbers"}.get(
                type(value), f"the constant {value!r}"
            )
            raise self.refuse(f"not allowed: {what} ({_expected()})", node)
        too_large = "this number is too large for a float (the limit is about 1.8e308)"
        try:
            x = float(value)
        except OverflowError:
            raise self.refuse(too_large, node) from None
        if not math.isfinite(x):
            raise self.refuse(too_large, node)
        return x

    def check(self, node: ast.AST) -> list[ast.AST]:
        """Refuse a node outside the whitelist, or return its children in evaluation order."""
        if isinstance(node, ast.Constant):
            return []
        if isinstance(node, ast.Name):
            if node.id.startswith("__"):
                raise self.refuse(f"not allowed: the name {node.id} (names may not begin with '__')", node)
            if node.id in FUNCTIONS:
                raise self.refuse(f"{node.id} is a function: call it, as in {_example_call(node.id)}", node)
            return []
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                sym = _OTHER_OPERATORS.get(type(node.op), type(node.op).__name__)
                raise self.refuse(f"the operator {sym} is not allowed (expected unary - or +)", node)
            return [node.operand]
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                sym = _OTHER_OPERATORS.get(type(node.op), type(node.op).__name__)
                raise self.refuse(f"the operator {sym} is not allowed (expected + - * / **)", node)
            return [node.left, node.right]
        if isinstance(node, ast.Call):
            return self.check_call(node)
        kind = _REFUSED_KINDS.get(type(node), type(node).__name__)
        raise self.refuse(f"not allowed: {kind} ({_expected()})", node)

    def check_call(self, node: ast.Call) -> list[ast.AST]:
        func = node.func
        if not isinstance(func, ast.Name):
            kind = _REFUSED_KINDS.get(type(func), "calling this")
            raise self.refuse(
                f"not allowed: {kind} (only the functions {function_list()} may be called, by name)", func
            )
        if func.id not in FUNCTIONS:
            if func.id.startswith("__"):
                raise self.refuse(f"not allowed: the name {func.id} (names may not begin with '__')", func)
            raise self.refuse(f"unknown function {func.id} (the functions are {function_list()})", func)
        if node.keywords:
            kw = node.keywords[0]
            raise self.refuse(f"{func.id}: no keyword arguments, please (write {_example_call(func.id)})", kw)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.refuse(f"{func.id}: starred arguments (*x) are not allowed", arg)
        n = FUNCTIONS[func.id].arity or 1
        if len(node.args) != n:
            takes = "exactly one argument" if n == 1 else f"exactly {n} arguments"
            raise self.refuse(f"{func.id} takes {takes}, got {len(node.args)}", node)
        return list(node.args)


def _example_call(name: str) -> str:
    n = FUNCTIONS[name].arity or 1
    return f"{name}({', '.join('xyzuvw'[:n]) if n <= 6 else '...'})"


_ALLOWED_CHARACTERS = frozenset(chr(i) for i in range(32, 127)) | {"\t", "\n", "\r"}


def _character_error(text: str) -> FormulaError | None:
    """Refuse characters outside printable ASCII.

    Why: Python folds look-alike letters together (a full-width ``ｘ`` is read as
    ``x``), so a formula with such letters would not mean what it shows. Names
    are written with a-z, A-Z, digits and ``_``.
    """
    for i, ch in enumerate(text):
        if ch not in _ALLOWED_CHARACTERS:
            return FormulaError(
                f"not allowed: the character {ch!r} (U+{ord(ch):04X}); a formula is written in plain "
                "ASCII: names with a-z, A-Z, digits and _",
                text, i, i + 1,
            )
    return None


def _bracket_depth_error(text: str) -> FormulaError | None:
    """Refuse deep bracket nesting before Python's parser sees it (and spends time on it)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                return FormulaError(
                    f"the formula nests brackets too deeply (the limit is {MAX_DEPTH} levels)", text, i, i + 1
                )
        elif ch in ")]}":
            depth -= 1
    return None


def parse(text: str) -> ParsedFormula:
    """Read a formula such as ``"(a*b + c)*f"`` and return a :class:`ParsedFormula`.

    Raises :class:`FormulaError` (a ``ValueError``) for anything outside the
    language described in this module's docstring, pointing at the part that
    was refused. Nothing in the text is ever executed.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse: expected the formula as a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"the formula is too long: {len(text)} characters (the limit is {MAX_LENGTH})"
        )
    text = text.strip()
    if not text:
        raise FormulaError("the formula is empty (expected something like (a*b + c)*f)")
    error = _character_error(text) or _bracket_depth_error(text)
    if error is not None:
        raise error
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escapes in a string, refused anyway
            tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        juxtaposed = _juxtaposition_error(text)
        if juxtaposed is not None:
            raise juxtaposed from None
        reader = _Reader(text)
        message = e.msg if isinstance(e.msg, str) else "invalid syntax"
        line_start = reader.offset(e.lineno, 0)
        if line_start is None or not e.offset or e.offset < 1:  # Python says: the text ended too soon
            reason = f"not a formula: {message} (it ends too soon)"
            raise FormulaError(reason, text, len(text), None) from None
        start = line_start + e.offset - 1  # SyntaxError offsets count characters, from 1
        end = line_start + e.end_offset - 1 if e.end_offset and e.end_offset > e.offset else None
        raise FormulaError(f"not a formula: {message}", text, start, end) from None
    except (ValueError, MemoryError, RecursionError) as e:  # null bytes; pathological nesting
        raise FormulaError(f"not a formula: {e}") from None
    return _Reader(text).read(tree)
