"""Neural networks on top of :class:`autograd.Value`: enough to run every backpropagation lesson.

What you can do with it::

    import nn
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=nn.optim.LinearDecay(1.0, 0.1, steps=100))
    history = nn.fit(model, X, y, loss='hinge', l2=1e-4, optimizer=opt, epochs=100)
    nn.plot.decision_boundary(model, X, y)
    nn.save(model, 'moons.json'); model = nn.load('moons.json')

The pieces:

* :mod:`nn.module`: ``Neuron``, ``Layer``, ``MLP`` (micrograd-compatible), with named parameters;
* :mod:`nn.losses`: ``mse``, ``mae``, ``hinge``, ``binary_cross_entropy``, ``cross_entropy``, ``l2``;
* :mod:`nn.optim`: ``SGD``, ``Adam``, learning-rate schedules, gradient clipping;
* :mod:`nn.data`: toy data sets (moons, circles, spirals, blobs, a line), splits and batches;
* :func:`nn.fit`: the training loop, with a progress bar and a history;
* :mod:`nn.plot`: decision boundaries, loss curves, gradient norms (matplotlib);
* :func:`nn.save` / :func:`nn.load`: safe JSON model files.
"""

from . import data, losses, optim, plot
from .io import load, save
from .module import ACTIVATIONS, INITS, MLP, Layer, Module, Neuron
from .train import History, fit

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "INITS", "fit", "History", "save", "load", "losses",
    "optim", "data", "plot",
]

