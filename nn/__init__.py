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
* :mod:`nn.blocks`: ``Sequential``, ``Residual``, ``LayerNorm``, ``BatchNorm``, ``RNNCell``, ``RNN``;
* :mod:`nn.inspect`: each layer's gradients as matrices (dL/dW, dL/db, the deltas), an RNN drawn per step;
* :mod:`nn.losses`: ``mse``, ``mae``, ``hinge``, ``binary_cross_entropy``, ``cross_entropy``, ``l2``;
* :mod:`nn.optim`: ``SGD``, ``Adam``, learning-rate schedules, gradient clipping;
* :mod:`nn.data`: toy data sets (moons, circles, spirals, blobs, a line), scikit-learn's handwritten
  digits, splits and batches;
* :func:`nn.fit`: the training loop, with a progress bar and a history;
* :mod:`nn.plot`: decision boundaries, loss curves, gradient norms (matplotlib);
* :func:`nn.draw_network` (``model.draw()``): the network as columns of neurons and weighted edges;
* :func:`nn.playground` and ``nn.fit(..., live=True)``: training drawn live in Jupyter (:mod:`nn.see.live`);
* :func:`nn.save` / :func:`nn.load`: safe JSON model files.
"""

from . import blocks, data, losses, naming, optim  # noqa: F401  (naming: draw_dot groups by nn's names)
from .blocks import RNN, BatchNorm, LayerNorm, Residual, RNNCell, Sequential
from .bridge import from_torch, to_torch
from .io import load, save
from .module import ACTIVATIONS, INITS, MLP, Layer, Module, Neuron
from .see import inspect, plot
from .see.live import fit_view as _fit_view
from .see.live import playground
from .see.network import draw_network
from .train import History, fit
from .train import show_live_with as _show_live_with

_show_live_with(_fit_view)  # fit(live=...) draws with nn.see.live, which training itself never imports

__all__ = [
    "draw_network", "playground",
    "to_torch", "from_torch",
    "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "INITS", "fit", "History", "save", "load", "losses",
    "optim", "data", "plot",
    "blocks", "inspect", "Sequential", "Residual", "LayerNorm", "BatchNorm", "RNNCell", "RNN",
]

