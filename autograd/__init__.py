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
from .engine import Value, dot, enable_grad, grad, is_grad_enabled, no_grad, topological_order
from .gradcheck import GradcheckError, gradcheck
from .ops import cos, exp, log, power, relu, sigmoid, sin, sqrt, tanh

__all__ = [
    "Value", "dot", "grad", "no_grad", "enable_grad", "is_grad_enabled", "topological_order",
    "gradcheck", "GradcheckError", "ops",
    "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "sin", "cos", "power",
]

__version__ = "0.1.0"
