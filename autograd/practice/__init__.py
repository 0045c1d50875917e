"""Practice: check the derivatives, the ops and the whole engine a learner wrote, and name the mistake.

    from autograd.practice import check_op, check_engine, check_grads
    check_op(Value.exp)          # one op: micrograd's closure, microgpt's local numbers, or define_op's rule
    check_engine(Value)          # a whole Value class: every op it has, then its backward() on many graphs
    check_grads(neuron, neuron_backward, x=[0.5, -1.0], w=[0.3, 0.8], b=0.1)   # gradients by hand

The three return a :class:`Report`: truthy exactly when everything passed; ``report.failures`` names,
for each problem, the op (``'exp'``, or ``'backward'`` for the walk), the misconception (``kind``:
``'upstream'``, ``'assign'``, ``'order'``... or ``'wrong'``) and hints graded from the idea to the line
to fix; ``report.solution()`` gives the corrected line when asked. In Jupyter a report shows the
learner's own graph with the wrong edge marked. ``check_grads`` takes gradients a learner derived by
hand for a whole function (a neuron, a layer, a loss; lists or NumPy arrays) and compares them with
``backward()``. ``chainrule check FILE`` grades a file or a notebook.

:func:`to_chainrule` copies a graph built by another micrograd-family class (micrograd's, microgpt's,
a learner's) into chainrule Values, its local derivatives read from the learner's own code, so that
``draw_dot``, ``explain`` and the player show it.
"""

from .checks import check_op
from .engine import check_engine
from .grads import check_grads
from .graph import to_chainrule
from .report import Failure, Report

__all__ = ["check_op", "check_engine", "check_grads", "Report", "Failure", "to_chainrule"]
