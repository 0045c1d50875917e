"""Optimizers: turn the gradients in ``p.grad`` into a step that lowers the loss.

What you can do with it::

    from nn import optim
    opt = optim.SGD(model.parameters(), lr=optim.LinearDecay(1.0, 0.1, steps=100))
    for k in range(100):
        opt.zero_grad()
        loss = ...; loss.backward()
        opt.step()

The simplest rule, gradient descent, moves every parameter a little downhill:
``p <- p - lr * dL/dp``. :class:`SGD` adds momentum (a running sum of past
steps, which speeds up travel along a long valley), :class:`Adam` scales each
parameter's step by a running estimate of its gradient's size.

The learning rate ``lr`` is a number or a schedule: a function of the number of
steps already taken (``LinearDecay``, ``StepDecay``, ``ExponentialDecay``, or
any ``lambda k: ...``). ``clip_grad_norm`` and ``clip_grad_value`` tame
exploding gradients before a step.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

from autograd import Value
from autograd.core.checks import count, flag, real

__all__ = [
    "Optimizer", "SGD", "Adam", "LinearDecay", "StepDecay", "ExponentialDecay",
    "clip_grad_norm", "clip_grad_value",
]

Schedule = Callable[[int], float]


def _params(where: str, params: Any) -> list[Value]:
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Value) or not isinstance(params, Iterable):
        raise TypeError(f"{where}: expected a list of Values or a module, got {type(params).__name__}")
    ps = list(params)
    first: dict[int, int] = {}
    for i, p in enumerate(ps):
        if not isinstance(p, Value):
            raise TypeError(f"{where}: params[{i}] must be a Value, got {type(p).__name__}")
        j = first.setdefault(id(p), i)
        if j != i:  # it would move twice per step
            raise ValueError(f"{where}: params[{j}] and params[{i}] are the same parameter; list each once "
                             "(a module's parameters() does)")
    return ps


class Optimizer:
    """What every optimizer shares: the parameters, the learning rate (or its schedule), a step count."""

    def __init__(self, params: Any, lr: float | Schedule) -> None:
        where = type(self).__name__
        self.params = _params(where, params)
        if not self.params:
            raise ValueError(
                f"{where}: got no parameters to optimize; expected a module or a non-empty list of Values "
                "(such as model.parameters())"
            )
        if not callable(lr):
            real(where, "lr", lr, 0.0)
        self.schedule = lr
        #: The number of steps taken so far.
        self.steps = 0

    @property
    def lr(self) -> float:
        """The learning rate the next ``step()`` uses (a schedule's answer is checked like a number)."""
        lr = self.schedule
        if not callable(lr):
            return float(lr)
        return real(type(self).__name__, f"the learning rate its schedule gives at step {self.steps}",
                    lr(self.steps), 0.0)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 before the next ``backward()``."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad``; subclasses define the rule."""
        raise NotImplementedError

    def _grads(self) -> list[float]:
        """Every parameter's gradient as a float, all checked (and every parameter's number) before
        anything is changed: a step refused half-way would leave the first parameters moved."""
        where = f"{type(self).__name__}.step"
        grads = _checked_grads(where, self.params)
        for i, p in enumerate(self.params):
            x = p.data
            if x.__class__ is not float and not isinstance(x, numbers.Real):
                raise TypeError(f"{where}: params[{i}] ({p.label or 'unnamed'}) has data {x!r:.40}; "
                                "expected a number")
        return grads


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay.

    For each parameter p with gradient g, at learning rate lr:

        g <- g + weight_decay * p          (L2 weight decay, when weight_decay > 0)
        v <- momentum * v + g              (v starts at 0; without momentum v = g)
        p <- p - lr * v
    """

    def __init__(self, params: Any, lr: float | Schedule, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = real("SGD", "momentum", momentum, 0.0)
        self.weight_decay = real("SGD", "weight_decay", weight_decay, 0.0)
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        vel = self.velocity
        for i, (p, g) in enumerate(zip(self.params, self._grads())):  # every gradient checked first
            if wd:
                g += wd * p.data
            if mu:
                g = vel[i] = mu * vel[i] + g
            p.data -= lr * g
        self.steps += 1

    def __repr__(self) -> str:
        return f"SGD(lr={self.schedule!r}, momentum={self.momentum}, weight_decay={self.weight_decay})"


class Adam(Optimizer):
    """Adam: a step per parameter scaled by running averages of the gradient and its square.

    At step t = 1, 2, ... for each parameter p with gradient g:

        m <- b1 m + (1 - b1) g            v <- b2 v + (1 - b2) g**2
        m_hat = m / (1 - b1**t)           v_hat = v / (1 - b2**t)      (undo the bias of starting at 0)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    ``weight_decay`` adds ``weight_decay * p`` to g (L2 decay, as classic Adam
    does). With ``decoupled_weight_decay=True`` it instead shrinks the parameter
    directly, ``p <- p - lr * weight_decay * p``, apart from the adaptive scaling
    (AdamW).
    """

    def __init__(
        self,
        params: Any,
        lr: float | Schedule = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(params, lr)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"Adam: betas must be a pair of numbers in [0, 1), got {betas!r:.60}") from None
        self.betas = (real("Adam", "betas[0]", b1, 0.0, 1.0, high_open=True),
                      real("Adam", "betas[1]", b2, 0.0, 1.0, high_open=True))
        self.eps = real("Adam", "eps", eps, 0.0, low_open=True)  # it keeps m / (sqrt(v) + eps) finite
        self.weight_decay = real("Adam", "weight_decay", weight_decay, 0.0)
        flag("Adam", decoupled_weight_decay=decoupled_weight_decay)
        self.decoupled_weight_decay = decoupled_weight_decay
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        lr = self.lr
        b1, b2 = self.betas
        t = self.steps + 1
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t
        wd, decoupled, eps = self.weight_decay, self.decoupled_weight_decay, self.eps
        m, v = self.m, self.v
        for i, (p, g) in enumerate(zip(self.params, self._grads())):  # every gradient checked first
            if wd and decoupled:
                p.data -= lr * wd * p.data
            elif wd:
                g += wd * p.data
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps)
        self.steps += 1

    def __repr__(self) -> str:
        return (
            f"Adam(lr={self.schedule!r}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay}, decoupled_weight_decay={self.decoupled_weight_decay})"
        )


# --- learning-rate schedules: the learning rate after k steps ------------------------------


class LinearDecay:
    """From ``start`` to ``end`` in a straight line over ``steps`` steps, then ``end``:
    lr(k) = start + (end - start) * min(k, steps) / steps.

    micrograd's demo uses lr = 1.0 - 0.9 k / 100, which is ``LinearDecay(1.0, 0.1, 100)``.
    """

    def __init__(self, start: float, end: float, steps: int) -> None:
        self.start = real("LinearDecay", "start", start, 0.0)
        self.end = real("LinearDecay", "end", end, 0.0)
        self.total = count("LinearDecay", "steps", steps)

    def __call__(self, k: int) -> float:
        return self.start + (self.end - self.start) * min(k, self.total) / self.total

    def __repr__(self) -> str:
        return f"LinearDecay({self.start}, {self.end}, steps={self.total})"


class StepDecay:
    """Multiply by ``gamma`` every ``step_size`` steps: lr(k) = lr * gamma ** (k // step_size)."""

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1) -> None:
        self.initial = real("StepDecay", "lr", lr, 0.0)
        self.step_size = count("StepDecay", "step_size", step_size)
        self.gamma = real("StepDecay", "gamma", gamma, 0.0, 1.0)  # a decay: the rate never grows

    def __call__(self, k: int) -> float:
        return self.initial * self.gamma ** (k // self.step_size)

    def __repr__(self) -> str:
        return f"StepDecay({self.initial}, step_size={self.step_size}, gamma={self.gamma})"


class ExponentialDecay:
    """Multiply by ``gamma`` every step: lr(k) = lr * gamma ** k."""

    def __init__(self, lr: float, gamma: float) -> None:
        self.initial = real("ExponentialDecay", "lr", lr, 0.0)
        self.gamma = real("ExponentialDecay", "gamma", gamma, 0.0, 1.0)  # a decay: the rate never grows

    def __call__(self, k: int) -> float:
        return self.initial * self.gamma**k

    def __repr__(self) -> str:
        return f"ExponentialDecay({self.initial}, gamma={self.gamma})"


# --- gradient clipping ---------------------------------------------------------------------


def clip_grad_norm(params: Any, max_norm: float) -> float:
    """Scale all gradients together so their L2 norm is at most ``max_norm``; return the norm before.

    The norm is sqrt(sum_i g_i**2) over every parameter. When it exceeds
    ``max_norm`` every gradient is multiplied by max_norm / norm: the step keeps
    its direction and only gets shorter.
    """
    ps = _params("clip_grad_norm", params)
    max_norm = real("clip_grad_norm", "max_norm", max_norm, 0.0)
    grads = _checked_grads("clip_grad_norm", ps)
    norm = math.hypot(*grads)  # no overflow: gradients of 1e200 have a norm, not inf
    if norm > max_norm:
        scale = max_norm / norm
        for p, g in zip(ps, grads):
            p.grad = g * scale
    return norm


def clip_grad_value(params: Any, clip_value: float) -> None:
    """Clamp every gradient into [-clip_value, clip_value], one by one."""
    ps = _params("clip_grad_value", params)
    c = real("clip_grad_value", "clip_value", clip_value, 0.0)
    for p, g in zip(ps, _checked_grads("clip_grad_value", ps)):
        p.grad = min(max(g, -c), c)


def _checked_grads(where: str, ps: list[Value]) -> list[float]:
    """Every gradient as a float, or a TypeError naming the parameter (before anything is changed)."""
    grads = []
    for i, p in enumerate(ps):
        g = p.grad
        if g.__class__ is float:  # the common case, without the abstract-class checks below
            grads.append(g)
            continue
        g = g.data if isinstance(g, Value) else g
        if isinstance(g, bool) or not isinstance(g, numbers.Real):
            raise TypeError(f"{where}: params[{i}] ({p.label or 'unnamed'}) has grad {g!r:.40}; expected a "
                            "number (run backward() first, or set it to 0.0)")
        grads.append(float(g))
    return grads
