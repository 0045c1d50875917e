"""chainrule's automatic-differentiation engine: scalar Values that remember how they were made.

Build an expression from :class:`Value` objects, call ``backward()`` on the
result, and every Value it depends on holds its gradient in ``.grad``::

    from autograd import Value
    a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    c = Value(10.0, label='c'); f = Value(-2.0, label='f')
    L = (a * b + c) * f
    L.backward()
    a.grad, b.grad   # (6.0, -4.0)

Also here: :func:`grad` for gradients (of gradients) as values, :class:`no_grad`,
:func:`gradcheck` against finite differences, and the functions ``exp``,
``log``, ``tanh``... that work on numbers and Values alike.
"""

from . import ops
from .anomaly import AnomalyError, detect_anomaly
from .engine import Value, dot, dots, enable_grad, grad, is_grad_enabled, no_grad, topological_order
from .explain import backward_steps, explain
from .formula import formula
from .forward import jvp
from .gradcheck import GradcheckError, gradcheck
from .ops import cos, exp, log, power, relu, sigmoid, sin, sqrt, tanh
from .plot import plot_derivative

__all__ = [
    "Value", "dot", "dots", "grad", "no_grad", "enable_grad", "is_grad_enabled", "topological_order",
    "gradcheck", "GradcheckError", "ops", "detect_anomaly", "AnomalyError",
    "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "sin", "cos", "power",
    "draw_dot", "play", "explain", "backward_steps", "jvp", "formula", "plot_derivative",
]


def __getattr__(name: str) -> object:
    """``draw_dot`` and ``play`` load Graphviz's Python package, so they are imported on first use."""
    if name == "draw_dot":
        from .draw import draw_dot

        return draw_dot
    if name == "play":
        from .player import play

        return play
    if name == "trace":  # needs NumPy: imported on first use; the module is callable as trace()
        import importlib

        return importlib.import_module(".trace", __name__)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")

__version__ = "0.1.0"
