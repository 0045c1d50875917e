"""The ``chainrule`` command: draw a formula's graph, explain its chain rule, or run the demo.

What you can do with it, from a shell::

    chainrule draw "(a*b + c)*f" a=2 b=-3 c=10 f=-2 --edge-labels -o graph.svg
    chainrule explain "tanh(x1*w1 + x2*w2 + b)" x1=2 w1=-3 x2=0 w2=1 b=6.88 --wrt w1
    chainrule demo --out demo-output

``python -m autograd.cli ...`` does the same. Formulas are read by
:mod:`autograd.parse`, which accepts arithmetic and the op table's functions and
refuses anything else, so a formula can never run code. Subcommands beyond
``draw`` and ``explain`` come from other packages through the
``chainrule.commands`` entry point: ``demo`` is :mod:`nn.see.demo`'s.

Every error is one line on standard error and a non-zero exit status: 2 for a
mistake in the command line (an unknown option, a malformed ``name=value``, a
formula that cannot be read), 1 for a formula that cannot be computed with the
given values or a file that cannot be written.
"""

from __future__ import annotations

import argparse
import errno
import importlib.metadata
import math
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .core.checks import count
from .core.engine import Value
from .core.ops import exact_number
from .parse import (
    CONSTANT_HINTS,
    MAX_LENGTH,
    FormulaError,
    ParsedFormula,
    function_list,
    missing_names,
    parse,
)
from .see.text import format_number

__all__ = ["main", "build_parser", "render_graph", "write_file", "positive_int", "UsageError", "RunError"]

PROG = "chainrule"


class UsageError(Exception):
    """A mistake in the command line: reported in one line, exit status 2."""


class RunError(Exception):
    """A well-formed command that could not be carried out: reported in one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem, not the whole usage text."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --- the command line --------------------------------------------------------------------------


_VALUES_HELP = "the value of each name in the formula, as name=number (e.g. a=2 b=-3)"


def _formula_help() -> str:  # the functions come from the op table, ops added with define_op included
    return (f"a formula such as '(a*b + c)*f' or 'tanh(x1*w1 + b)': numbers, names, + - * / **, parentheses "
            f"and {function_list().replace(',', '')} (at most {MAX_LENGTH} characters). Quote it.")


def build_parser(commands: Sequence[Callable[[Any], None]] | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``chainrule`` command: draw, explain, and the subcommands other
    packages add (``commands``: functions that each add one to an argparse subparsers object; by
    default those registered under the ``chainrule.commands`` entry point, such as nn's demo)."""
    parser = _Parser(
        prog=PROG,
        description="See backpropagation: draw a formula's computation graph with its gradients, "
        "write out the chain rule for one input, or train a small network and save pictures of it.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    draw = sub.add_parser(
        "draw",
        help="render the graph of a formula, after backward, to an SVG or PNG file",
        description="Evaluate the formula with the given values, run backward, and render the graph: "
        "one box per value with its data and grad, one oval per operation.",
    )
    _formula_arguments(draw)
    draw.add_argument("-o", "--output", metavar="PATH",
                      help="where to write the picture (default: graph.svg, or graph.png with --format png)")
    draw.add_argument("--format", choices=("svg", "png"),
                      help="the picture's format (default: from the output's suffix, else svg)")
    draw.add_argument("--edge-labels", action="store_true",
                      help="write each edge's local derivative on it, e.g. ∂/∂a = -3")
    draw.set_defaults(run=_run_draw)

    explain = sub.add_parser(
        "explain",
        help="print how the chain rule builds the gradient with respect to one input",
        description="List every path from one input to the output, the local derivative on each edge, "
        "each path's product and their sum, which is the gradient backward() computes.",
    )
    _formula_arguments(explain)
    explain.add_argument("--wrt", metavar="NAME",
                         help="the input to differentiate with respect to (one of the formula's names; "
                         "not needed when the formula has only one)")
    explain.add_argument("--markdown", action="store_true",
                         help="print Markdown with LaTeX instead of plain text")
    explain.set_defaults(run=_run_explain)

    # Other packages add subcommands through the "chainrule.commands" entry point: nn adds `demo`.
    if commands is None:
        found = sorted(importlib.metadata.entry_points(group="chainrule.commands"), key=lambda e: e.name)
        commands = [entry.load() for entry in found]
    for add in commands:
        add(sub)
    return parser


def _formula_arguments(command: argparse.ArgumentParser) -> None:
    """The arguments every subcommand on a formula takes: the formula, then its values."""
    command.add_argument("formula", help=_formula_help())
    command.add_argument("values", nargs="*", metavar="name=value", help=_VALUES_HELP)


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1, checked as every count is (:func:`autograd.core.checks.count`),
    with the message argparse writes after the option's name."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    try:
        return count(PROG, "N", n)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {n}") from None


def main(argv: Sequence[str] | None = None, commands: Sequence[Callable[[Any], None]] | None = None) -> int:
    """Run the ``chainrule`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser(commands)
    argv = _protect_formula(list(sys.argv[1:] if argv is None else argv))
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:  # --help and --version print and exit 0
            return int(e.code or 0) if not isinstance(e.code, str) else 2
        status: int = args.run(args)
        return status
    except UsageError as e:
        _fail(f"{PROG}: error: {e}")
        return 2
    except RunError as e:
        _fail(f"{PROG}: error: {e}")
        return 1
    except (ValueError, TypeError, ArithmeticError, OSError) as e:  # anything else a library call raised
        _fail(f"{PROG}: error: {_one_line(e)}")
        return 1
    except KeyboardInterrupt:
        _fail(f"{PROG}: interrupted")
        return 130


_TAKES_A_VALUE = {"-o", "--output", "--format", "--wrt"}


def _protect_formula(argv: list[str]) -> list[str]:
    """Let a formula start with a minus sign: ``chainrule draw "-a*b" a=1 b=2``.

    argparse takes any word that starts with ``-`` for an option, and reads ``-offset*x`` as
    ``-o ffset*x`` (an option glued to its value). After ``draw`` or ``explain``, until the
    formula has come, a word that starts with a single ``-`` and is not exactly one of our short
    options (``-o``, ``-h``) or the value of an option can only be the formula, so we put a
    space in front of it, which argparse leaves alone and the parser ignores. (So the glued
    ``-oPATH`` works after the formula, and ``-o PATH`` anywhere.)
    """
    if not argv or argv[0] not in ("draw", "explain"):
        return argv
    out = argv[:1]
    formula_seen = False
    for i, word in enumerate(argv[1:], start=1):
        if word == "--":
            return out + argv[i:]
        if argv[i - 1] in _TAKES_A_VALUE or word.startswith("--") or word in ("-o", "-h"):
            out.append(word)  # an option, or an option's value
            continue
        if not formula_seen and word.startswith("-") and len(word) > 1:
            word = " " + word
        formula_seen = True
        out.append(word)
    return out


def _fail(message: str) -> None:
    print(message, file=sys.stderr)


# --- shared steps ----------------------------------------------------------------------------


def _formula_problem(e: FormulaError) -> str:
    """A formula error in one line: the reason, the offending text and its column."""
    if e.start is None:
        return f"in the formula: {e.reason}"
    if e.start >= len(e.text):
        return f"in the formula: {e.reason}, at the end (column {e.start + 1})"
    part = e.text[e.start : e.end if e.end is not None else e.start + 1]
    shown = part if len(part) <= 40 else part[:37] + "..."
    return f"in the formula: {e.reason}: {shown!r} at column {e.start + 1}"


def _read_values(pairs: Sequence[str]) -> dict[str, float]:
    """``['a=2', 'b=-3']`` as ``{'a': 2.0, 'b': -3.0}``, with a usage error naming any bad pair."""
    values: dict[str, float] = {}
    for pair in pairs:
        name, eq, text = pair.partition("=")
        name, text = name.strip(), text.strip()
        if not eq or not name or not text:
            raise UsageError(f"expected name=value, got {pair!r} (e.g. a=2)")
        if not name.isidentifier() or not name.isascii():
            raise UsageError(f"{pair!r}: {name!r} is not a name (use letters, digits and _)")
        try:
            x = float(text)
        except ValueError:
            raise UsageError(f"{pair!r}: the value of {name} must be a number, got {text!r}") from None
        if not math.isfinite(x):
            raise UsageError(f"{pair!r}: the value of {name} must be a finite number, got {text!r}")
        if name in values:
            raise UsageError(f"{name} is given twice ({name}={exact_number(values[name])} and {pair})")
        values[name] = x
    return values


def _build(formula_text: str, pairs: Sequence[str]) -> tuple[ParsedFormula, Value]:
    """Read the formula, evaluate it with the values, run backward; return the formula and its output."""
    values = _read_values(pairs)
    try:
        formula = parse(formula_text)
    except FormulaError as e:
        raise UsageError(_formula_problem(e)) from None
    missing = [n for n in formula.names if n not in values]
    if missing:
        plain = [n for n in missing if n not in CONSTANT_HINTS]  # e and pi get their own hint instead
        example = f" (add {' '.join(f'{n}=1' for n in plain)}, say)" if plain else ""
        raise UsageError(f"{missing_names(missing)}{example}")
    unused = [n for n in values if n not in formula.names]
    if unused:
        names = ", ".join(formula.names) or "none"
        verb = "is" if len(unused) == 1 else "are"
        raise UsageError(f"{', '.join(unused)} {verb} not in the formula (its names are {names})")
    try:
        out = formula.evaluate(values)
    except FormulaError as e:
        raise RunError(_formula_problem(e)) from None
    if out._prev and not out.label:
        out.label = next((n for n in ("L", "out", "output", "result") if n not in formula.names), "")
    try:
        out.backward()
    except ZeroDivisionError:
        raise RunError(f"backward failed: {_infinite_slope(out)}") from None
    except (ArithmeticError, ValueError) as e:
        raise RunError(f"backward failed: {_one_line(e)}") from None
    return formula, out


def _infinite_slope(out: Value) -> str:
    """Which op's slope is infinite at these numbers (``sqrt`` at 0): the sentence for a backward that
    divided by zero."""
    from .core.engine import local_derivatives, topological_order

    for v in topological_order(out):
        if v._prev:
            try:
                local_derivatives(v)
            except ZeroDivisionError:
                at = ", ".join(format_number(p.data) for p in v._prev)
                return (f"the slope of {v._op} at {at} is infinite, so the gradients are not numbers here; "
                        f"pick values where every op has a finite slope")
    return "a slope is infinite at these numbers (a division by zero); pick other values"


def _summary(formula: ParsedFormula, out: Value) -> list[str]:
    name = f"{out.label} = " if out._prev and out.label else ""
    lines = [f"{name}{formula.text} = {format_number(out.data)}"]
    if formula.names:
        d = out.label if out._prev and out.label else formula.text
        grads = ", ".join(f"d{d}/d{n} = {format_number(formula.leaves[n].grad)}" for n in formula.names)
        lines.append(f"gradients: {grads}")
    return lines


# --- draw ------------------------------------------------------------------------------------


def _run_draw(args: argparse.Namespace) -> int:
    output, fmt_ = _draw_target(args.output, args.format)
    formula, out = _build(args.formula, args.values)
    path = render_graph(out, output, fmt_, edge_labels=args.edge_labels)
    for line in _summary(formula, out):
        print(line)
    print(f"graph written to {path}")
    return 0


def _draw_target(output: str | None, fmt_: str | None) -> tuple[Path, str]:
    if output is None:
        fmt_ = fmt_ or "svg"
        return Path(f"graph.{fmt_}"), fmt_
    path = Path(output)
    suffix = path.suffix.lower().lstrip(".")
    if fmt_ is None:
        if suffix not in ("svg", "png"):
            raise UsageError(f"-o {output}: cannot tell the format from the name; end it in .svg or .png, "
                             "or give --format")
        return path, suffix
    if suffix in ("svg", "png") and suffix != fmt_:
        raise UsageError(f"-o {output} ends in .{suffix} but --format is {fmt_}")
    return path, fmt_


#: The longest Graphviz may spend laying out one graph, in seconds, before the command gives up.
RENDER_TIMEOUT = 30.0


def render_graph(out: Value, path: Path, fmt_: str, *, edge_labels: bool = True,
                 timeout: float | None = None) -> Path:
    """Draw ``out``'s graph with :func:`autograd.see.draw.draw_dot` and write it to ``path`` as svg or png."""
    from .see.draw import draw_dot  # Graphviz's Python package, loaded only when a graph is drawn

    try:
        graph = draw_dot(out, edge_labels=edge_labels)
    except ValueError as e:
        raise RunError(f"cannot draw the graph: {e}") from None
    write_file(path, _pipe(graph, fmt_, timeout))
    return path


def _pipe(graph: Any, fmt_: str, timeout: float | None = None) -> bytes:
    """Run Graphviz's ``dot`` on a graph's DOT source and return the picture.

    Why not ``graph.pipe()``: it waits for ``dot`` however long it takes, and some
    small graphs (one name used in dozens of places, so that every edge crosses
    many ranks) keep ``dot`` busy for minutes. Here ``dot`` is stopped after
    ``timeout`` seconds (default :data:`RENDER_TIMEOUT`) with a message instead.
    """
    from .see.html import INSTALL_HINT

    timeout = RENDER_TIMEOUT if timeout is None else timeout
    try:
        proc = subprocess.run(["dot", f"-T{fmt_}"], input=graph.source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise RunError(f"Graphviz's dot program was not found, so the graph cannot be rendered. "
                       f"{INSTALL_HINT}") from None
    except subprocess.TimeoutExpired:
        raise RunError(f"Graphviz's dot gave up after {timeout:g} s laying out this graph; "
                       "draw a smaller formula (or one that uses each name fewer times)") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise RunError(f"Graphviz's dot failed: {lines[0] if lines else f'exit status {proc.returncode}'}")
    return proc.stdout


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def write_file(path: Path, data: bytes | str) -> None:
    """Write a file into a folder that exists (a missing folder is refused, not made); an OSError becomes
    a one-line RunError."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent
    if folder != Path("") and not folder.is_dir():  # refused, not made: a typo must not make folders
        what = "is not a folder" if folder.exists() else "does not exist"
        raise RunError(f"cannot write {path}: {folder} {what} (make it first: mkdir -p {folder})")
    try:
        # Opened without blocking: a FIFO that no process reads fails at once (ENXIO) instead of
        # waiting for ever; a FIFO being read, /dev/stdout or a file work as usual.
        nonblock = getattr(os, "O_NONBLOCK", 0)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | nonblock | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o644)
        try:
            if nonblock:
                os.set_blocking(fd, True)
            with os.fdopen(fd, "wb", closefd=False) as f:
                f.write(raw)
        finally:
            os.close(fd)
    except OSError as e:
        if e.errno == errno.ENXIO:
            raise RunError(f"cannot write {path}: it is a FIFO that no process is reading") from None
        raise RunError(f"cannot write {path}: {e.strerror or e}") from None


# --- explain ---------------------------------------------------------------------------------


def _run_explain(args: argparse.Namespace) -> int:
    from .see.explain import explain

    if args.wrt is not None and not args.wrt.isidentifier():
        raise UsageError(f"--wrt {args.wrt}: expected one of the formula's names")
    formula, out = _build(args.formula, args.values)
    if args.wrt is None:
        if len(formula.names) != 1:
            names = ", ".join(formula.names) or "none"
            raise UsageError(f"say which input with --wrt NAME: the gradient with respect to which of the "
                             f"formula's names ({names})?")
        args.wrt = formula.names[0]
    if args.wrt not in formula.names:
        names = ", ".join(formula.names) or "none"
        raise UsageError(f"--wrt {args.wrt}: the formula has no name {args.wrt} (its names are {names})")
    result = explain(out, formula.leaves[args.wrt])
    for line in _summary(formula, out):
        print(line)
    print()
    print(result._repr_markdown_() if args.markdown else str(result))
    return 0


# --- demo ----------------------------------------------------------------------------------


if __name__ == "__main__":
    # ``python -m autograd.cli`` runs this file as __main__, a second copy of the module whose error
    # classes the commands (which import autograd.cli) do not raise: run the one copy, as ``chainrule`` does.
    from autograd.cli import main as _main

    sys.exit(_main())
