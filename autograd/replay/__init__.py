"""Record a scalar graph once, then replay it over a whole batch with NumPy.

A scalar engine builds the same graph for every example of a data set; only
the numbers change. :func:`trace` runs your function once on placeholder
inputs and keeps the graph it built; the :class:`Tape` it returns runs that
graph on a whole batch at once, every node holding one number per example::

    import numpy as np, nn
    from autograd import trace     # or autograd.replay.trace
    model = nn.MLP(2, [16, 16, 1])
    tape = trace(model, 2)            # model([x0, x1]) once, on two placeholders
    scores = tape(X)                  # X: shape (batch, 2) -> scores: shape (batch,)
    tape.backward(np.ones(len(X)))    # each parameter's .grad += the sum over the batch
                                      # of d(score)/d(parameter), as the scalar engine gives

What is captured, what is frozen
--------------------------------
* The placeholders stand for the columns of ``X``.
* Every other leaf of the graph is captured *by reference*: each replay reads
  its current ``.data`` and ``backward`` adds to its ``.grad``. That covers the
  model's parameters, so optimizer updates are seen. Constants written inside
  the function (the ``1`` in ``1 - x``) are leaves too; they get a gradient as
  well, exactly as the scalar engine gives them one, and nobody reads it.
* The *shape* of the graph is frozen: which ops, in which order. Anything your
  function decided in Python from an input's number would be decided once, for
  the placeholder, and replayed for every example. So a Value computed from a
  placeholder refuses to give its number away: ``bool(v)``, ``v > 0``,
  ``v == 0.5``, ``float(v)``, ``int(v)``, ``v.item()``, ``v.data`` and
  ``no_grad()`` around an op on it raise :class:`UntraceableError`, and so
  does anything in ``autograd`` that would read the number for you (a
  ``backward()`` inside the traced function, a drawing). Numbers computed only
  from parameters are not guarded: a branch on a parameter's value is frozen at
  its value when you traced. (:mod:`autograd.replay.guard` says how.)

Gradients
---------
``tape.backward(grad_out)`` adds to each captured leaf's ``.grad`` the sum
over the batch of ``grad_out * d(output)/d(leaf)``: calling ``backward()`` on
each example's output in the scalar engine adds the same (``grad_out=1/n`` for
a mean over the batch). Gradients are only computed on the way to captured
leaves; ``backward(..., input_grad=True)`` also returns d/dX, shape (batch,
n_inputs). ``tape.steps()`` lists the compiled program.

Why it is fast
--------------
The recorded graph is compiled into a short list of NumPy instructions. Nodes
that do the same op on the same arrays are done together: the neurons of a
layer are ``dot`` nodes over the same inputs, so they become one matrix
product; their activations become one elementwise call; a long ``a + b + c +
...`` chain (``sum()`` of many terms) becomes one ``sum``. An MLP of any width
replays in a handful of NumPy calls per layer. (The matrix products use
NumPy's BLAS; on a machine busy with other work, ``OPENBLAS_NUM_THREADS=1``
can make large batches several times faster.)

Training: ``nn.fit(..., vectorize=True)`` runs its steps on a tape
(:class:`nn.vectorized.FitStep`): the model replayed, the loss traced over the
batch when it can be.

Where the numbers come from
---------------------------
From the op table, and nowhere else: each op's ``vectorized`` forward, and its
``local`` rule run on arrays (the rules are written with the ops themselves, so
``cos(a)`` in sin's rule is NumPy's cos here). Kinks follow the scalar rules
per example (relu's derivative is ``step(a)``, 0 at 0). An op the replay meets
without a table entry (one written by hand with a ``_backward`` closure) is
refused. Errors follow the scalar engine too: a replay that takes ``log`` of a
non-positive number raises the engine's own error, naming the example; an
infinite local derivative met by a zero gradient is skipped, as ``backward()``
skips it.
"""

from ..core.extras import need

need("numpy", "autograd.trace (the batch replay)")

from .guard import Placeholder, Traced, UntraceableError  # noqa: E402
from .tape import Tape, trace  # noqa: E402

__all__ = ["trace", "Tape", "Placeholder", "Traced", "UntraceableError"]
