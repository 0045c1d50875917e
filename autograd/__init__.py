"""chainrule's automatic-differentiation engine: scalar Values that remember how they were made.

Build an expression from :class:`Value` objects, call ``backward()`` on the result, and
every Value it depends on holds its gradient in ``.grad``::

    from autograd import Value
    a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    c = Value(10.0, label='c'); f = Value(-2.0, label='f')
    L = (a * b + c) * f
    L.backward()
    a.grad, b.grad   # (6.0, -4.0)

Also here: :func:`grad` for gradients (of gradients) as values, :func:`no_grad`,
:func:`gradcheck` against finite differences, the functions ``exp``, ``log``,
``tanh``... that work on numbers, Values and arrays alike, :func:`define_op` to add an
op of your own, and the tools that show the chain rule at work.
"""

from .core import copying, ops  # noqa: F401  (copying: deep graphs survive copy.deepcopy and pickle)
from .core.engine import Value, gc_paused, grad, topological_order
from .core.grad_mode import enable_grad, is_grad_enabled, no_grad
from .core.layers import dot, dots
from .core.ops import cos, define_op, exp, log, power, relu, sigmoid, sin, softplus, sqrt, tanh
from .see.blocks import track_blocks
from .see.explain import backward_steps, explain
from .see.formula import formula
from .see.plot import plot_attention, plot_block_grads, plot_derivative
from .tools.anomaly import AnomalyError, detect_anomaly
from .tools.forward import jvp
from .tools.gradcheck import GradcheckError, gradcheck
from .tools.jacobian import jacobian

__version__ = "0.1.0"

__all__ = [
    "Value", "dot", "dots", "grad", "gc_paused", "no_grad", "enable_grad", "is_grad_enabled",
    "topological_order",
    "gradcheck", "GradcheckError", "jacobian", "ops", "define_op", "detect_anomaly", "AnomalyError",
    "exp", "log", "tanh", "sigmoid", "softplus", "relu", "sqrt", "sin", "cos", "power",
    "draw_dot", "play", "explain", "backward_steps", "jvp", "formula", "plot_derivative", "trace",
    "compare_torch", "explore", "track_blocks", "explore_blocks", "plot_attention", "plot_block_grads",
]

_LAZY = {  # loaded on first use: Graphviz's Python package, and NumPy for the replay
    "draw_dot": ("see.draw", "draw_dot"), "play": ("see.player", "play"), "trace": ("replay", "trace"),
    "compare_torch": ("tools.compare", "compare_torch"), "explore": ("see.explorer", "explore"),
    "explore_blocks": ("see.explorer", "explore_blocks"),
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
