"""Practice: check the derivatives, the ops and the whole engine a learner wrote, and name the mistake.

    from autograd.practice import check_op, check_engine
    check_op(Value.exp)          # one op: micrograd's closure, microgpt's local numbers, or define_op's rule
    check_engine(Value)          # a whole Value class: every op it has, then its backward() on many graphs

Both return a :class:`Report`: truthy exactly when everything passed; ``report.failures`` names, for
each problem, the op (``'exp'``, or ``'backward'`` for the walk), the misconception (``kind``:
``'upstream'``, ``'assign'``, ``'order'``... or ``'wrong'``) and hints graded from the idea to the line
to fix; ``report.solution()`` gives the corrected line when asked. In Jupyter a report shows the
learner's own graph with the wrong edge marked. ``chainrule check FILE`` grades a file or a notebook.

:func:`to_chainrule` copies a graph built by another micrograd-family class (micrograd's, microgpt's,
a learner's) into chainrule Values, its local derivatives read from the learner's own code, so that
``draw_dot``, ``explain`` and the player show it.
"""

from .checks import check_op
from .engine import check_engine
from .graph import to_chainrule
from .report import Failure, Report

__all__ = ["check_op", "check_engine", "Report", "Failure", "to_chainrule"]
