"""Random expression graphs, checked against two references that share no code with the engine.

Hypothesis draws a small random *program*: a few inputs, then up to 30
ops, each applied to earlier results (any earlier result, so subexpressions
are shared and gradients must add up along several paths); every result no
later op used is finally added to the output, so no op is dead code. The same
program is then run three ways:

* on :class:`autograd.Value` -- the engine under test: its value, its
  gradient (``grad``) and its second derivatives (``grad`` of a gradient built
  with ``create_graph=True``);
* on 50-digit ``mpmath`` numbers, plain arithmetic with no derivatives at all,
  from which central differences give the first and second derivatives.
  At 50 digits a step of 1e-15 (1e-12 for second differences) leaves both the
  truncation and the rounding error far below the engine's own float error;
* on ``sympy`` symbols, whose exact symbolic derivatives are evaluated at the
  same point.

Every number the engine gives must match both references.

Which ops a program may draw, and how each is run on each kind of number,
comes from ``op_rows.ROWS``: a program draws an op of the table, then one of
its rows (one per exponent for ``a ** k``, with or without a bias for ``dot``),
and each backend calls that row's function (``call`` on Values, ``ref`` on
floats, ``mp`` on mpmath numbers, ``sym`` on sympy expressions).

Why the programs stay inside every op's domain *by construction*: a random
``log(x)`` is undefined half the time, and a test that throws those cases away
tests little. Instead each op gets an input that is valid whatever the
numbers are, read from its row: an input whose domain stops at 0 or leaves
it out (``log``, ``sqrt``, a divisor, the base of a power with a non-integer
or negative exponent) sees ``x*x + c`` with ``c >= 0.5``. Two choices depend
on the numbers at the drawn point, and are fixed into the program before
anything is checked: the input of an op with a kink or a jump at 0 (``relu``,
``abs``, ``step``, ``sign``) never sits within 0.1 of it (the derivative jumps
there, so a central difference would straddle it), and a result larger than
3 in size is scaled back to 2 by multiplying with a constant, so that ``exp``
never overflows and magnitudes stay moderate.

``make test`` runs these with the short "ci" profile of ``tests/conftest.py``;
``make fuzz`` (``CHAINRULE_FUZZ=long``, marker ``fuzz``) runs thousands of
programs from a random seed and prints that seed on failure
(``CHAINRULE_FUZZ_SEED=<seed> make fuzz`` reruns it; Hypothesis also prints a
``@reproduce_failure`` blob).
"""

from __future__ import annotations

import os
import random
from typing import Any, Callable, Sequence

import mpmath
import pytest
import sympy as sp
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from autograd import Value, grad, ops
from tests.support.op_rows import BY_ID, ROWS, Row

pytestmark = pytest.mark.fuzz

LONG = os.environ.get("CHAINRULE_FUZZ") == "long"
SEED = int(os.environ.get("CHAINRULE_FUZZ_SEED") or random.SystemRandom().randrange(2**32))

# An instruction: (kind, argument indices into the results so far, constants). The kind is the id of
# a row of op_rows.ROWS, or one of the guards' own steps, plain arithmetic: HELPERS.
Instr = tuple[str, tuple[int, ...], tuple[float, ...]]

HELPERS: dict[str, Callable[..., Any]] = {
    "addc": lambda x, c: x + c,  # a constant added
    "mulc": lambda x, c: x * c,  # scaled by a constant
    "square": lambda x: x * x,
    "plus": lambda x, y: x + y,  # what use_everything sums with
}

#: The rows of each op: a program draws an op (each as often), then one of its rows.
ROWS_OF: dict[str, list[Row]] = {}
for _row in ROWS:
    ROWS_OF.setdefault(_row.op, []).append(_row)
LIMIT = 3.0  # results larger than this are scaled back to 2 (see Builder.guard)


# -- four ways to run a program: the engine, floats (for the guards), mpmath, sympy -------


class Backend:
    """How one kind of number does each instruction: the row's own function for that kind."""

    def __init__(self, const: Callable[[float], Any], function: Callable[[Row], Callable[..., Any]]) -> None:
        self.const, self.function = const, function

    def apply(self, vals: list[Any], instr: Instr) -> Any:
        kind, args, consts = instr
        xs = [vals[i] for i in args]
        if kind in HELPERS:
            return HELPERS[kind](*xs, *map(self.const, consts))
        return self.function(BY_ID[kind])(*xs)


def _sympy_const(c: float) -> Any:
    return sp.Integer(int(c)) if float(c).is_integer() else sp.Float(c, 30)  # exact binary value


ENGINE = Backend(float, lambda row: row.call)
FLOAT = Backend(float, lambda row: row.ref)  # used only to place the guards while a program is built
MPMATH = Backend(mpmath.mpf, lambda row: row.mp)
SYMPY = Backend(_sympy_const, lambda row: row.sym)


def run_all(program: Sequence[Instr], inputs: Sequence[Any], backend: Backend) -> list[Any]:
    """Every intermediate result of ``program``, inputs first."""
    vals = list(inputs)
    for instr in program:
        vals.append(backend.apply(vals, instr))
    return vals


def run(program: Sequence[Instr], inputs: Sequence[Any], backend: Backend) -> Any:
    """The program's result: its last instruction's."""
    return run_all(program, inputs, backend)[-1]


# -- building programs that stay inside every domain -------------------------------------


class Builder:
    """Turns drawn rows into instructions, each valid wherever the inputs are."""

    def __init__(self, inputs: Sequence[float]) -> None:
        self.vals: list[float] = [float(x) for x in inputs]
        self.program: list[Instr] = []
        #: The results later ops may use: the inputs and each op's guarded result (never the
        #: helper nodes such as ``x*x`` inside ``x*x + c``, which the guard has not tamed).
        self.pool: list[int] = list(range(len(self.vals)))

    def emit(self, kind: str, args: Sequence[int], consts: Sequence[float] = ()) -> int:
        instr: Instr = (kind, tuple(args), tuple(consts))
        self.vals.append(FLOAT.apply(self.vals, instr))
        self.program.append(instr)
        return len(self.vals) - 1

    def positive(self, i: int, c: float) -> int:
        """``x*x + c`` with c >= 0.5: a positive input for log, sqrt, divisors, fractional powers."""
        return self.emit("addc", [self.emit("square", [i])], [c])

    def away_from(self, i: int, points: Sequence[float]) -> int:
        return self.emit("addc", [i], [0.5]) if any(abs(self.vals[i] - p) < 0.1 for p in points) else i

    def compile_op(self, row: Row, args: Sequence[int], c: float) -> int:
        """The row's op on ``args`` (as many as it takes; a variadic row: all of them), each input guarded."""
        args = list(args) if row.variadic else list(args[: row.arity])
        ins = []
        for i in args:
            d = row.domain[0 if row.variadic else len(ins)]
            if d.positive_only:
                i = self.positive(i, c)
            elif row.singular:
                i = self.away_from(i, row.singular)
            ins.append(i)
        return self.emit(row.id, ins)

    def use_everything(self) -> int:
        """Add every result no later op used to the last one, so that the output depends on all of them.

        Without this, a random program is mostly dead code: only the ops that
        happen to feed its last instruction would be checked.
        """
        used = {i for _, args, _ in self.program for i in args}
        out = len(self.vals) - 1
        for i in self.pool:
            if i not in used and i != out:
                out = self.emit("plus", [out, i])
        return out

    def guard(self, i: int) -> int:
        """Scale a result larger than LIMIT in size back to 2, keeping every later op tame."""
        v = self.vals[i]
        out = self.emit("mulc", [i], [2.0 / abs(v)]) if abs(v) > LIMIT else i
        self.pool.append(out)
        return out


def n_args(row: Row, pairs: int) -> int:
    """How many inputs a program gives the row: its arity, or ``pairs`` pairs (and a bias) for dot."""
    return 2 * pairs + row.arity % 2 if row.variadic else row.arity


@st.composite
def programs(draw: st.DrawFn, max_ops: int = 30) -> tuple[list[float], list[Instr]]:
    n_inputs = draw(st.integers(1, 3))
    inputs = [draw(st.floats(-2.0, 2.0, allow_nan=False)) for _ in range(n_inputs)]
    builder = Builder(inputs)
    n_ops = draw(st.integers(1, max_ops))
    for _ in range(n_ops):
        row = draw(st.sampled_from(ROWS_OF[draw(st.sampled_from(list(ROWS_OF)))]))
        pool = builder.pool
        # Index draws are taken modulo the pool: every earlier result may be reused.
        count = n_args(row, draw(st.integers(1, 3)) if row.variadic else 0)
        args = [pool[draw(st.integers(0, 10**6)) % len(pool)] for _ in range(count)]
        c = draw(st.floats(0.5, 2.0))
        builder.guard(builder.compile_op(row, args, c))
    builder.use_everything()
    return inputs, builder.program


# -- the references ---------------------------------------------------------------------


def mp_derivatives(
    program: Sequence[Instr], inputs: Sequence[float]
) -> tuple[Any, list[Any], list[list[Any]]]:
    """Value, gradient and Hessian by central differences in 50-digit arithmetic."""
    with mpmath.workdps(50):
        x0 = [mpmath.mpf(x) for x in inputs]
        n = len(x0)

        def f(*shifts: tuple[int, Any]) -> Any:
            x = list(x0)
            for i, h in shifts:
                x[i] += h
            return run(program, x, MPMATH)

        h1, h2 = mpmath.mpf("1e-15"), mpmath.mpf("1e-12")
        value = f()
        gradient = [(f((i, h1)) - f((i, -h1))) / (2 * h1) for i in range(n)]
        hessian = [[mpmath.mpf(0)] * n for _ in range(n)]
        for i in range(n):
            hessian[i][i] = (f((i, h2)) - 2 * value + f((i, -h2))) / h2**2
            for j in range(i):
                hij = (
                    f((i, h2), (j, h2)) - f((i, h2), (j, -h2)) - f((i, -h2), (j, h2)) + f((i, -h2), (j, -h2))
                ) / (4 * h2**2)
                hessian[i][j] = hessian[j][i] = hij
        return value, gradient, hessian


def sympy_derivatives(
    program: Sequence[Instr], inputs: Sequence[float]
) -> tuple[Any, list[Any], list[list[Any]]]:
    """Value, gradient and Hessian from sympy's symbolic derivatives, evaluated at the inputs."""
    xs = sp.symbols(f"x0:{len(inputs)}", real=True)
    expr = run(program, list(xs), SYMPY)
    point = {x: sp.Float(v, 30) for x, v in zip(xs, inputs)}

    def at(e: Any) -> Any:
        return sp.N(e.subs(point), 30)

    firsts = [sp.diff(expr, x) for x in xs]
    hessian = [[at(sp.diff(d, y)) for y in xs] for d in firsts]
    return at(expr), [at(d) for d in firsts], hessian


def engine_derivatives(
    program: Sequence[Instr], inputs: Sequence[float]
) -> tuple[float, list[float], list[list[float]]]:
    xs = [Value(x) for x in inputs]
    out = run(program, xs, ENGINE)
    gradient = grad(out, xs, create_graph=True)
    hessian = [[float(h) for h in grad(g, xs)] for g in gradient]
    return out.data, [g.data for g in gradient], hessian


def close(engine_number: float, reference: Any, scale: float) -> bool:
    """The engine's float against an exact reference, allowing float rounding along the graph.

    The error allowed is 1e-10 of the largest of 1, the reference and ``scale`` (the
    largest entry of the same gradient or Hessian, since one entry may be a near
    cancellation of terms as large as the others). Correct rules land within about
    1e-14 here; a wrong constant, sign or argument in a rule lands far outside.
    """
    return abs(engine_number - float(reference)) <= 1e-10 * max(1.0, abs(float(reference)), scale)


def check(
    program: Sequence[Instr], inputs: Sequence[float], reference: Callable[..., Any], name: str
) -> None:
    value, gradient, hessian = engine_derivatives(program, inputs)
    r_value, r_gradient, r_hessian = reference(program, inputs)
    where = f"program={program!r} inputs={inputs!r}"
    assert close(value, r_value, 0.0), f"value: engine {value!r}, {name} {r_value}; {where}"
    g_scale = max(abs(float(g)) for g in r_gradient)
    for i, (e, r) in enumerate(zip(gradient, r_gradient)):
        assert close(e, r, g_scale), f"d/dx{i}: engine {e!r}, {name} {r}; {where}"
    h_scale = max(abs(float(h)) for row in r_hessian for h in row)
    for i, row in enumerate(hessian):
        for j, e in enumerate(row):
            r = r_hessian[i][j]
            assert close(e, r, h_scale), f"d2/dx{i}dx{j}: engine {e!r}, {name} {r}; {where}"


def with_seed_note(test: Callable[[], None]) -> Callable[[], None]:
    """Run a hypothesis test from SEED in the long profile, and name that seed if it fails."""
    seeded = seed(SEED)(test)

    def wrapper() -> None:
        try:
            seeded()
        except BaseException as e:
            if LONG:
                e.add_note(f"fuzz seed {SEED}: rerun with  CHAINRULE_FUZZ_SEED={SEED} make fuzz")
            raise

    wrapper.__name__ = test.__name__
    wrapper.__doc__ = test.__doc__
    return wrapper


# -- the tests ----------------------------------------------------------------------------


def test_programs_cover_every_op_of_the_table() -> None:
    """Each row of op_rows.ROWS (so each op of ops.OPS, and pow_const's a ** k) is reachable by the fuzzer."""
    assert [row for rows in ROWS_OF.values() for row in rows] == ROWS
    builder = Builder([0.7, -1.2])
    for row in ROWS:
        builder.compile_op(row, [0, 1, 0, 1, 1][: n_args(row, 2)], 0.5)
    made = run_all(builder.program, [Value(0.7), Value(-1.2)], ENGINE)[2:]
    missing = [row.id for row in ROWS if not any(row.made(v) for v in made)]
    assert not missing, f"rows the fuzzer does not make: {missing}"
    assert set(ops.OPS) <= {v._op.name for v in made}


def test_every_row_fits_the_fuzzers_guards() -> None:
    """An input not guarded to x*x + c may see any number up to LIMIT in size: its domain must hold them."""
    narrow = [(row.id, i, d) for row in ROWS for i, d in enumerate(row.domain)
              if not d.positive_only and not d.lo <= -LIMIT < LIMIT <= d.hi]
    assert not narrow, f"domains the fuzzer's guards do not keep programs inside: {narrow}"


@with_seed_note
@settings(print_blob=True)
@given(programs())
def test_engine_matches_central_differences(case: tuple[list[float], list[Instr]]) -> None:
    """Values, gradients and Hessians agree with 50-digit central differences."""
    inputs, program = case
    check(program, inputs, mp_derivatives, "central differences")


@with_seed_note
@settings(print_blob=True)
@given(programs(max_ops=15))
def test_engine_matches_sympy(case: tuple[list[float], list[Instr]]) -> None:
    """Values, gradients and Hessians agree with sympy's exact derivatives.

    Sympy's time grows quickly with the size of an expression's second
    derivatives, so these programs have at most 15 drawn ops (up to about 50
    nodes) where the central-difference test draws 30.
    """
    inputs, program = case
    check(program, inputs, sympy_derivatives, "sympy")


def test_shared_subexpressions_add_up() -> None:
    """A hand-made program with heavy reuse: the checker itself must see sharing right."""
    mul, add, tanh = (BY_ID[op.name].id for op in (ops.MUL, ops.ADD, ops.TANH))
    dot_bias = next(row.id for row in ROWS if row.variadic and row.arity % 2)
    program: list[Instr] = [
        (mul, (0, 1), ()),  # 2: x*y
        (add, (2, 2), ()),  # 3: 2xy
        (mul, (3, 2), ()),  # 4: 2x^2y^2
        (tanh, (4,), ()),  # 5
        (dot_bias, (2, 3, 4, 5, 0, 1, 2, 3, 5), ()),  # 6: sums the above, reused again
    ]
    inputs = [0.3, -0.8]
    check(program, inputs, mp_derivatives, "central differences")
    check(program, inputs, sympy_derivatives, "sympy")
