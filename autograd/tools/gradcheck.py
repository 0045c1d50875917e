"""Check the engine's derivatives against central differences.

``gradcheck(f, inputs)`` asks two independent questions about ``f`` at ``inputs``
and compares the answers: what the chain rule (``backward``) says the
derivative is, and what nudging each input a little each way says it is:

    df/dx_i  ~  (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

The error of that estimate shrinks with eps**2, so the two agree closely when
the rules are right. By default (``order=2``) every second derivative is checked
the same way too, by central differences of the engine's first derivatives: a rule
can give the right slope and still build the wrong graph for ``create_graph``, and
only a second derivative sees that. ``order=1`` checks first derivatives only.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable, Sequence

from ..core.checks import count
from ..core.engine import Value, grad
from ..core.grad_mode import no_grad

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """The engine and central differences disagree about a derivative."""


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 2,
) -> bool:
    """Compare the engine's derivatives of ``f(*inputs)`` with central differences.

    ``f`` takes one Value per input and returns a Value; ``inputs`` are numbers
    or Values (only their ``.data`` is used, nothing is modified). Every
    derivative of order 1 up to ``order`` is checked: the engine's number ``e``
    and the central difference ``n`` must satisfy ``|e - n| <= atol + rtol*|n|``.

    The default ``order=2`` checks first and second derivatives (as HIPS autograd's
    ``check_grads`` does); ``order=1`` only the first, ``order=3`` the third too.
    Returns True, or raises :class:`GradcheckError` naming the input(s), the
    order and both numbers.
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be callable, got {type(f).__name__}")
    order = count("gradcheck", "order", order)
    if not eps > 0:
        raise ValueError(f"gradcheck: eps must be > 0, got {eps!r}")
    inputs = list(inputs)
    point = [x.data if isinstance(x, Value) else x for x in inputs]
    for i, x in enumerate(point):
        try:
            point[i] = float(x)
        except (TypeError, ValueError):
            raise TypeError(
                f"gradcheck: inputs[{i}] must be a number or a Value, got {type(x).__name__}"
            ) from None
        if not math.isfinite(point[i]):
            raise ValueError(f"gradcheck: inputs[{i}] is {point[i]!r}; central differences need finite "
                             "inputs (there is no neighbouring point of a NaN or an infinity to step to)")

    # a labelled input is called by its label too (name_parameters gives them: 'layer0.attn_wq[3][5]')
    called = [f" {x.label!r:.80}" if isinstance(x, Value) and x.label else "" for x in inputs]

    def derivative(at: list[float], path: tuple[int, ...]) -> float:
        """d^k f / dx_path[0] ... dx_path[k-1] at ``at``, by the engine (k = 0: f itself)."""
        vs = [Value(x, label=f"x{i}") for i, x in enumerate(at)]
        if not path:
            with no_grad():
                y = f(*vs)
        else:
            y = f(*vs)
        if not isinstance(y, Value):
            raise TypeError(f"gradcheck: f must return a Value, got {type(y).__name__}")
        for k, i in enumerate(path):
            (y,) = grad(y, [vs[i]], create_graph=k < len(path) - 1)
        return float(y.data if isinstance(y, Value) else y)

    def moved(i: int, step: float) -> list[float]:
        at = list(point)
        at[i] += step
        return at

    n = len(point)
    for k in range(1, order + 1):
        for path in itertools.product(range(n), repeat=k):
            engine = derivative(point, path)
            last = path[-1]
            numeric = (derivative(moved(last, eps), path[:-1]) - derivative(moved(last, -eps), path[:-1])) / (
                2 * eps
            )
            if not abs(engine - numeric) <= atol + rtol * abs(numeric):
                wrt = " and ".join(f"inputs[{i}]{called[i]} (= {point[i]!r})" for i in path)
                raise GradcheckError(
                    f"gradcheck: order {k} derivative with respect to {wrt}: "
                    f"the engine gives {engine!r}, central differences give {numeric!r} "
                    f"(eps={eps}, atol={atol}, rtol={rtol})"
                )
    return True
