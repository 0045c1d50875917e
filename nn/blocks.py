"""Building blocks for deeper and recurrent networks, Values all the way down.

What you can do with it::

    import nn
    model = nn.Sequential(
        nn.Layer(2, 8, activation="tanh"),
        *[nn.Residual(nn.Layer(8, 8, activation="tanh")) for _ in range(20)],   # y = x + f(x)
        nn.LayerNorm(8),                                                      # per example
        nn.Layer(8, 1, activation="linear"),
    )
    score = model([0.5, -1.0])                   # one example, as for an nn.MLP

    bn = nn.Sequential(nn.Layer(2, 8, activation="tanh"), nn.BatchNorm(8), nn.Layer(8, 1, "linear"))
    scores = bn.forward_batch(X)                 # batch normalisation needs the whole batch
    bn.eval(); bn(X[0])                          # evaluation: the running statistics, per example

    rnn = nn.RNN(1, 8, bptt_steps=None)          # h_t = tanh(W_x x_t + W_h h_{t-1} + b)
    y = rnn([0.3, -0.1, 0.7])                    # a sequence of three steps, one number each
    run = rnn.unroll([0.3, -0.1, 0.7])           # every hidden state, to look at after backward()

The blocks:

* :class:`Sequential`: modules applied one after the other (``layers.0``, ``layers.1``...), like
  an ``nn.MLP`` whose layers may be any block;
* :class:`Residual`: ``y = x + f(x)``, so the gradient reaching ``x`` is the one reaching ``y``
  plus what flows through ``f``: an identity path through any depth;
* :class:`LayerNorm`: each example's activations rescaled to mean 0 and variance 1, then a learnable
  scale ``gamma`` and shift ``beta`` per feature;
* :class:`BatchNorm`: each feature rescaled over the examples of a batch in training mode (keeping
  running averages of the batch statistics), with those running averages in evaluation mode;
* :class:`RNNCell` and :class:`RNN`: a recurrent cell and the sequence model that unrolls it over
  time, trained by backpropagation through time, optionally truncated (``bptt_steps=k``).

Every parameter is a named Value (``layers.3.body.neurons.0.w.1``, ``cell.neurons.2.wh.0``, as
``nn.MLP`` names them), so drawn graphs show where each weight belongs, and every derivative
comes from the engine: the normalisations are built from ``+``, ``*``, ``/`` and ``sqrt`` nodes
and differentiated like any other graph. A module with one output returns a Value, as ``nn.MLP``
does; otherwise a list. ``nn.save``/``nn.load`` store all of them.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Value, dots, no_grad, sqrt
from autograd.core.checks import count, real
from autograd.core.engine import gc_paused
from autograd.core.walk import grad_number

from .module import (
    ACTIVATIONS,
    InitFn,
    Layer,
    Module,
    activate,
    check_activation,
    check_fits_memory,
    check_init,
    draw_weight,
    is_input_list,
    make_rng,
)

__all__ = ["Sequential", "Residual", "LayerNorm", "BatchNorm", "RNNCell", "RNN", "Unrolled", "sizes"]


# --- checking inputs ---------------------------------------------------------------------------


def _example(where: str, x: Any, n: int | None) -> list[Any]:
    """One example as a list of numbers or Values; its length checked when the block knows it."""
    if not _is_list(x):
        shown = f"{n} " if n is not None else ""
        raise TypeError(f"{where}: expected a list of {shown}inputs (numbers or Values), got "
                        f"{type(x).__name__}: {x!r:.60}")
    items = list(x)
    if n is not None and len(items) != n:
        raise ValueError(f"{where}: expected {n} inputs, got {len(items)}")
    for j, xj in enumerate(items):
        if not isinstance(xj, (numbers.Real, Value)):
            raise TypeError(f"{where}: input {j} must be a number or a Value, got {type(xj).__name__}: "
                            f"{xj!r:.60}")
    return items


def _is_list(x: Any) -> bool:
    """Whether ``x`` is a list-like of items (a list, a tuple, a row of an array) that can be iterated:
    what ``nn.Layer`` takes as inputs, so not one number, a str, a dict or a set."""
    return is_input_list(x) and hasattr(x, "__iter__")


def _batch(where: str, X: Any, n: int | None) -> list[list[Any]]:
    if not _is_list(X):
        raise TypeError(f"{where}: expected a list of examples (each a list of inputs), got "
                        f"{type(X).__name__}")
    return [_example(where, x, n) for x in X]


def _as_list(out: Any) -> list[Any]:
    """A module's result as a list: one Value (a module with one output) becomes a list of one."""
    return out if isinstance(out, list) else list(out) if isinstance(out, tuple) else [out]


def _single(out: list[Any]) -> Any:
    """The convention of ``nn.MLP``: one output is returned as a Value, several as a list."""
    return out[0] if len(out) == 1 else out


def _label(outs: list[Any], name: str, what: str) -> list[Any]:
    """Label each output Value ``<module name>.<what>.<i>`` so drawn graphs say which block made it."""
    prefix = f"{name}.{what}" if name else what
    for i, v in enumerate(outs):
        if isinstance(v, Value):
            v.label = f"{prefix}.{i}"
    return outs


def _as_float(v: Any) -> float:
    return float(v.data) if isinstance(v, Value) else float(v)


def _sum(xs: Sequence[Any]) -> Any:
    """x_1 + ... + x_n as one chain of additions (the replay turns it into one sum)."""
    return sum(xs[1:], xs[0])


def sizes(module: Any) -> tuple[int | None, int | None]:
    """How many numbers a module takes per example and gives back, where it says (None: unknown):
    what its ``sizes()`` declares."""
    return module.sizes() if isinstance(module, Module) else (None, None)


def _batched(module: Any, X: list[list[Any]]) -> list[list[Any]]:
    """A module applied to a batch: its own ``forward_batch`` if it has one (BatchNorm's needs the
    whole batch), else one call per example."""
    run = getattr(module, "forward_batch", None)
    outs = run(X) if callable(run) else [module(x) for x in X]
    return [_as_list(o) for o in outs]


# --- stacks and skips ------------------------------------------------------------------------


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Any module with a forward pass may be a layer: ``nn.Layer``, ``nn.MLP``, the blocks of this
    module, another ``Sequential``. Sizes are checked where both neighbours know theirs.
    ``forward_batch(X)`` runs a whole batch through (needed for ``BatchNorm`` in training mode);
    ``train()`` and ``eval()`` switch every block that has modes. Parameters are named
    ``layers.<i>.<name inside the layer>``, as in ``nn.MLP``, so ``nn.fit(..., grad_norms=True)``
    reports one norm per layer.
    """

    def __init__(self, *layers: Module) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("Sequential: expected at least one module, got none")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} must be an nn module, got {type(layer).__name__}")
        if len(set(map(id, layers))) != len(layers):
            raise ValueError("Sequential: the same module object is given twice; build each layer anew "
                             "(a shared module would get two names)")
        for i in range(len(layers) - 1):
            out, nxt = layers[i].sizes()[1], layers[i + 1].sizes()[0]
            if out is not None and nxt is not None and out != nxt:
                raise ValueError(f"Sequential: layer {i} gives {out} outputs but layer {i + 1} takes {nxt} "
                                 "inputs")
        self.layers: list[Module] = list(layers)
        self.nin = self.layers[0].sizes()[0]
        self._rename("")

    def __call__(self, x: Sequence[Any]) -> Any:
        x = _example("Sequential", x, self.nin)
        with gc_paused():  # a graph has no cycles: see autograd.core.engine.gc_paused
            for layer in self.layers:
                x = _as_list(layer(x))
        return _single(x)

    def forward_batch(self, X: Sequence[Sequence[Any]]) -> list[Any]:
        """The outputs for every example of ``X``, each block seeing the whole batch at once."""
        xs = _batch("Sequential.forward_batch", X, self.nin)
        if not xs:
            raise ValueError("Sequential.forward_batch: X is empty; give at least one example")
        with gc_paused():
            for layer in self.layers:
                xs = _batched(layer, xs)
        return [_single(o) for o in xs]

    CONFIG = {"layers": "architectures"}

    def children(self) -> list[tuple[str, Module]]:
        return [(f"layers.{i}", layer) for i, layer in enumerate(self.layers)]

    def sizes(self) -> tuple[int | None, int | None]:
        return self.layers[0].sizes()[0], self.layers[-1].sizes()[1]

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        return cls(*config["layers"])

    def __repr__(self) -> str:
        inner = ",\n".join("  " + repr(layer).replace("\n", "\n  ") for layer in self.layers)
        return f"Sequential(\n{inner}\n)"


class Residual(Module):
    """A skip connection around a block: ``y = x + f(x)``.

    ``f`` (the ``body``) must give as many outputs as it takes inputs. Why it helps a deep network:
    the derivative of ``y`` with respect to ``x`` is ``1 + f'(x)`` (the identity plus the body's
    Jacobian), so a gradient arriving at ``y`` reaches ``x`` whole, however small ``f'`` has become:
    stacking residual blocks never multiplies the gradient by small numbers only.
    """

    def __init__(self, body: Module) -> None:
        if not isinstance(body, Module):
            raise TypeError(f"Residual: body must be an nn module, got {type(body).__name__}")
        nin, nout = body.sizes()
        if nin is not None and nout is not None and nin != nout:
            raise ValueError(f"Residual: body must give as many outputs as it takes inputs (x + f(x)), got "
                             f"{nin} inputs and {nout} outputs")
        self.body = body
        self.size = nin if nin is not None else nout
        self._rename("")

    def __call__(self, x: Sequence[Any]) -> Any:
        x = _example("Residual", x, self.size)
        return _single(self._add(x, _as_list(self.body(x))))

    def forward_batch(self, X: Sequence[Sequence[Any]]) -> list[Any]:
        xs = _batch("Residual.forward_batch", X, self.size)
        return [_single(self._add(x, fx)) for x, fx in zip(xs, _batched(self.body, xs))]

    def _add(self, x: list[Any], fx: list[Any]) -> list[Any]:
        if len(fx) != len(x):
            raise ValueError(f"Residual: the body gave {len(fx)} outputs for {len(x)} inputs; x + f(x) needs "
                             "the same number")
        return _label([xi + fi for xi, fi in zip(x, fx)], self.name, "out")

    CONFIG = {"body": "architecture"}

    def children(self) -> list[tuple[str, Module]]:
        return [("body", self.body)]

    def sizes(self) -> tuple[int | None, int | None]:
        return self.size, self.size

    def __repr__(self) -> str:
        return f"Residual({self.body!r})"


# --- normalisation ---------------------------------------------------------------------------


class _Normalisation(Module):
    """What LayerNorm and BatchNorm share: ``size`` features, each with a learnable scale ``gamma``
    (starting at 1) and shift ``beta`` (starting at 0), and the ``eps`` added to a variance."""

    #: Numbers kept per feature: gamma and beta (BatchNorm adds its two running averages).
    PER_FEATURE = 2

    def __init__(self, where: str, size: int, eps: float) -> None:
        self.size = count(where, "size", size)
        self.eps = real(where, "eps", eps, 0.0, low_open=True)
        check_fits_memory(where, self.PER_FEATURE * self.size)  # before anything is allocated
        self.gamma = [Value(1.0) for _ in range(self.size)]
        self.beta = [Value(0.0) for _ in range(self.size)]

    def own_parameters(self) -> dict[str, Value | list[Value]]:
        return {"gamma": self.gamma, "beta": self.beta}

    def sizes(self) -> tuple[int, int]:
        return self.size, self.size

    @staticmethod
    def parameter_count(config: dict[str, Any]) -> int:
        return 2 * int(config["size"])  # a scale and a shift per feature


class LayerNorm(_Normalisation):
    """Layer normalisation of one example's activations: ``y_i = gamma_i (x_i - mu) / sigma + beta_i``.

    ``mu`` and ``sigma**2`` are the mean and (biased) variance of that example's ``size`` numbers,
    with ``eps`` added to the variance so that a constant input does not divide by zero.
    ``gamma`` starts at 1 and ``beta`` at 0, so at first the block only rescales. Why it helps: each
    layer then sees inputs of the same size whatever the weights before it did, so neither the
    signal forward nor the gradient backward drifts from layer to layer. The graph holds the
    mean, the variance and the square root as nodes: their derivatives (every output depends on
    every input through mu and sigma) come from the engine.
    """

    CONFIG = {"size": "size", "eps": "positive"}

    def __init__(self, size: int, eps: float = 1e-5) -> None:
        super().__init__("LayerNorm", size, eps)
        self._rename("")

    def __call__(self, x: Sequence[Any]) -> Any:
        xs = _example("LayerNorm", x, self.size)
        n = self.size
        mean = _sum(xs) / n
        diffs = [xi - mean for xi in xs]
        std = sqrt(_sum([d * d for d in diffs]) / n + self.eps)
        outs = [g * (d / std) + b for d, g, b in zip(diffs, self.gamma, self.beta)]
        return _single(_label(outs, self.name, "out"))

    def __repr__(self) -> str:
        return f"LayerNorm({self.size}, eps={self.eps!r})"


class BatchNorm(_Normalisation):
    """Batch normalisation: each feature rescaled over the examples of a batch.

    In training mode (the default, ``train()``) ``forward_batch(X)`` computes, for each feature j,
    the mean and (biased) variance of ``X[b][j]`` over the batch, outputs
    ``gamma_j (x - mean_j) / sqrt(var_j + eps) + beta_j``, and moves the running averages a
    fraction ``momentum`` towards this batch's mean and unbiased variance. The batch statistics
    are nodes of the graph, so each example's gradient depends on the others'. In evaluation
    mode (``eval()``) the running averages, plain numbers, take their place: each example is
    normalised on its own, ``bn(x)`` works, and so does the batch replay.

    Calling a training-mode BatchNorm on one example is refused: the statistics of a batch of one
    are the example itself, which would make every output ``beta``.
    """

    CONFIG = {"size": "size", "momentum": "fraction", "eps": "positive"}

    PER_FEATURE = 4  # gamma, beta and the two running averages

    def __init__(self, size: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__("BatchNorm", size, eps)
        self.momentum = real("BatchNorm", "momentum", momentum, 0.0, 1.0)
        self.running_mean = [0.0] * self.size
        self.running_var = [1.0] * self.size
        self._rename("")

    def __call__(self, x: Sequence[Any]) -> Any:
        if self.training:
            raise ValueError("BatchNorm: in training mode it normalises over a batch; call "
                             "forward_batch(X) with two or more examples (Sequential.forward_batch does), "
                             "or call eval() first to use the running statistics")
        xs = _example("BatchNorm", x, self.size)
        outs = [g * ((xi - m) * (1.0 / math.sqrt(v + self.eps))) + b for xi, m, v, g, b
                in zip(xs, self.running_mean, self.running_var, self.gamma, self.beta)]
        return _single(_label(outs, self.name, "out"))

    def forward_batch(self, X: Sequence[Sequence[Any]]) -> list[Any]:
        """Every example of ``X`` normalised: over the batch in training mode, else by the running
        averages."""
        xs = _batch("BatchNorm.forward_batch", X, self.size)
        if not self.training:
            return [self(x) for x in xs]
        n = len(xs)
        if n < 2:
            raise ValueError(f"BatchNorm.forward_batch: training mode needs a batch of at least 2 examples, "
                             f"got {n}")
        columns = [[x[j] for x in xs] for j in range(self.size)]
        outs: list[list[Any]] = [[] for _ in xs]
        stats = []
        for j, col in enumerate(columns):
            mean = _sum(col) / n
            diffs = [c - mean for c in col]
            var = _sum([d * d for d in diffs]) / n
            std = sqrt(var + self.eps)
            for out, y in zip(outs, [self.gamma[j] * (d / std) + self.beta[j] for d in diffs]):
                out.append(y)
            stats.append((mean, var))
        m = self.momentum  # the running averages change only once the whole batch has gone through
        for j, (mean, var) in enumerate(stats):
            self.running_mean[j] = (1 - m) * self.running_mean[j] + m * _as_float(mean)
            self.running_var[j] = (1 - m) * self.running_var[j] + m * _as_float(var) * n / (n - 1)
        return [_single(_label(out, self.name, "out")) for out in outs]

    def named_buffers(self) -> list[tuple[str, list[float]]]:
        """The running averages, by name (``nn.save`` stores them beside the parameters)."""
        return [("running_mean", self.running_mean), ("running_var", self.running_var)]

    def __repr__(self) -> str:
        return f"BatchNorm({self.size}, momentum={self.momentum!r}, eps={self.eps!r})"


# --- recurrence --------------------------------------------------------------------------------


class RNNCell(Module):
    """One step of a recurrent network: ``h_t = tanh(W_x x_t + W_h h_{t-1} + b)``.

    ``W_x`` is ``nhidden`` rows of ``nin`` weights, ``W_h`` ``nhidden`` rows of ``nhidden``; row i
    belongs to hidden neuron i, whose parameters are named ``neurons.<i>.wx.<j>``,
    ``neurons.<i>.wh.<k>`` and ``neurons.<i>.b``. Each neuron is one ``dot`` node over
    ``x_t`` and ``h_{t-1}`` followed by the activation, and its output Value is labelled with the
    neuron's name, as in ``nn.Layer``. ``init`` draws every weight with fan-in ``nin + nhidden``
    (what each neuron reads); Xavier by default, which suits tanh.
    """

    def __init__(self, nin: int, nhidden: int, activation: str = "tanh", init: str | InitFn = "xavier",
                 seed: int | random.Random | None = None, *, check_memory: bool = True) -> None:
        self.nin = count("RNNCell", "nin", nin)
        self.nhidden = nhidden = count("RNNCell", "nhidden", nhidden)
        self.activation = check_activation("RNNCell", activation)
        draw = check_init("RNNCell", init)
        if check_memory:  # (an RNN checks its cell and readout together)
            check_fits_memory("RNNCell", self.nhidden * (self.nin + self.nhidden + 1))
        rng = make_rng(seed)
        fan_in = self.nin + nhidden
        self.wx = [[Value(draw_weight(draw, rng, fan_in, nhidden)) for _ in range(self.nin)]
                   for _ in range(nhidden)]
        self.wh = [[Value(draw_weight(draw, rng, fan_in, nhidden)) for _ in range(nhidden)]
                   for _ in range(nhidden)]
        self.b = [Value(0.0) for _ in range(nhidden)]
        self._rename("")

    def __call__(self, x: Sequence[Any], h: Sequence[Any] | None = None) -> list[Value]:
        """The next hidden state, a list of ``nhidden`` Values, from the input ``x`` and the state ``h``
        (zeros when not given)."""
        xs = _example("RNNCell (x)", x, self.nin)
        hs = [0.0] * self.nhidden if h is None else _example("RNNCell (h)", h, self.nhidden)
        sums = dots([wx + wh for wx, wh in zip(self.wx, self.wh)], xs + hs, self.b)
        return activate(sums, ACTIVATIONS[self.activation], self._labels)

    def own_parameters(self) -> dict[str, Value | list[Value]]:
        own: dict[str, Value | list[Value]] = {}
        for i in range(self.nhidden):
            own.update({f"neurons.{i}.wx": self.wx[i], f"neurons.{i}.wh": self.wh[i],
                        f"neurons.{i}.b": self.b[i]})
        return own

    CONFIG = {"nin": "size", "nhidden": "size", "activation": "activation"}

    @staticmethod
    def parameter_count(config: dict[str, Any]) -> int:
        h = int(config["nhidden"])
        return (int(config["nin"]) + h + 1) * h  # W_x, W_h and b

    def _rename(self, name: str) -> None:
        super()._rename(name)
        prefix = name + "." if name else ""
        self._labels = [f"{prefix}neurons.{i}" for i in range(self.nhidden)]  # its output Values'

    def __repr__(self) -> str:
        return f"RNNCell({self.nin}, {self.nhidden}, activation={self.activation!r})"


@dataclass
class Unrolled:
    """One pass of an :class:`RNN` over a sequence, every step kept, to look at after ``backward()``.

    * ``inputs[t-1]``: x_t, the Values read at step t (t = 1..T);
    * ``hidden[t-1]``: h_t, the hidden state after step t (a list of Values); ``h0`` the start;
    * ``outputs``: the readout of h_T (a list of Values);
    * ``cut``: the step whose incoming state was made a constant by ``bptt_steps`` (None: no cut).

    After ``backward()`` on a loss of the outputs, ``grad_norms()`` lists ``|dL/dh_t|`` for each step.
    """

    inputs: list[list[Value]]
    hidden: list[list[Value]]
    outputs: list[Value]
    h0: list[Value] = field(default_factory=list)
    cut: int | None = None

    def grad_norms(self) -> list[float]:
        """``|dL/dh_t|`` (the L2 norm over the hidden units) for t = 1..T, from the last ``backward()``."""
        return [math.hypot(*[grad_number(v, "Unrolled.grad_norms") for v in h])
                for h in self.hidden]  # hypot: gradients of 1e200 have a norm, not an OverflowError

    @property
    def steps(self) -> int:
        return len(self.hidden)


class RNN(Module):
    """A recurrent network unrolled over a sequence: a :class:`RNNCell` run once per step, then a readout.

    ``RNN(nin, nhidden, nout=1)`` reads a sequence ``x_1..x_T`` (each ``nin`` numbers), computes
    ``h_t = tanh(W_x x_t + W_h h_{t-1} + b)`` from ``h_0 = 0``, and returns
    ``y = W_out h_T + b_out`` (the ``readout``, an ``nn.Layer`` with ``output_activation``). The
    same cell, so the same Values, serve every step: ``backward()`` adds up each weight's
    gradient over the steps. That is backpropagation through time: the unrolled graph is an
    ordinary deep graph whose layers share their weights.

    A sequence is a list of T steps, each a list of ``nin`` numbers or Values, or a flat list of
    ``T * nin`` numbers, read ``nin`` at a time (for ``nin = 1``, one number per step). Give
    ``nn.fit(..., vectorize=True)`` flat sequences of one length: the replay takes one row of
    numbers per example.

    ``bptt_steps=k`` truncates backpropagation through time: the first ``T - k`` steps run without
    recording a graph (``no_grad``), so the state entering step ``T - k + 1`` is a constant with the
    same numbers and the gradient flows back through the last ``k`` steps only (with the one output
    at the end, that is what cutting every k steps would give). The forward numbers do not change;
    the graph, and the work of ``backward()``, shrink to k steps. The batch replay cannot express
    such a cut (it has no op that stops a gradient), so a truncated RNN trains in the scalar engine
    only.
    """

    def __init__(self, nin: int, nhidden: int, nout: int = 1, activation: str = "tanh",
                 output_activation: str = "linear", bptt_steps: int | None = None,
                 init: str | InitFn = "xavier", seed: int | random.Random | None = None) -> None:
        self.nin = count("RNN", "nin", nin)
        self.nhidden = count("RNN", "nhidden", nhidden)
        self.nout = count("RNN", "nout", nout)
        self.activation = check_activation("RNN", activation)
        self.output_activation = check_activation("RNN", output_activation, name="output_activation")
        self.bptt_steps = None if bptt_steps is None else count("RNN", "bptt_steps", bptt_steps)
        check_init("RNN", init)
        cell, readout = self.nhidden * (self.nin + self.nhidden + 1), (self.nhidden + 1) * self.nout
        check_fits_memory("RNN", cell + readout)
        rng = make_rng(seed)
        self.cell = RNNCell(self.nin, self.nhidden, activation=self.activation, init=init, seed=rng,
                            check_memory=False)
        self.readout = Layer(self.nhidden, self.nout, activation=self.output_activation, init=init, seed=rng,
                             check_memory=False)
        self.layers: list[Module] = [self.cell, self.readout]  # so nn.fit(grad_norms=True) reports each
        self._rename("")

    def steps_of(self, xs: Any) -> list[list[Any]]:
        """A sequence as a list of steps, each a list of ``nin`` inputs (see the class docstring)."""
        if not _is_list(xs):
            raise TypeError(f"RNN: expected a sequence (a list of steps), got {type(xs).__name__}: "
                            f"{xs!r:.60}")
        items = list(xs)
        if not items:
            raise ValueError("RNN: the sequence is empty; give at least one step")
        if all(isinstance(x, (Value, numbers.Real)) and not isinstance(x, bool) for x in items):
            if len(items) % self.nin:
                raise ValueError(f"RNN: a flat sequence must hold a multiple of nin = {self.nin} numbers, "
                                 f"got {len(items)}")
            return [items[i: i + self.nin] for i in range(0, len(items), self.nin)]
        return [_example(f"RNN (step {t})", x, self.nin) for t, x in enumerate(items, 1)]

    def unroll(self, xs: Any) -> Unrolled:
        """Run the sequence and keep every step: an :class:`Unrolled` (its ``outputs`` are what a call
        gives)."""
        steps = self.steps_of(xs)
        T = len(steps)
        cut = T - self.bptt_steps + 1 if self.bptt_steps is not None and self.bptt_steps < T else None
        name = (lambda t, j: f"x{t}") if self.nin == 1 else (lambda t, j: f"x{t}[{j}]")
        inputs = [[x if isinstance(x, Value) else Value(float(x), label=name(t, j))
                   for j, x in enumerate(step)] for t, step in enumerate(steps, 1)]
        h0 = [Value(0.0, label=f"h0[{i}]") for i in range(self.nhidden)]
        h: list[Value] = h0
        hidden = []
        with gc_paused():
            if cut is not None:
                hidden = self._prefix(inputs[: cut - 1], h0, cut)
                # The window starts from copies: the prefix's own last state stays outside the graph
                # of the loss, so it shows (rightly) no gradient at all.
                h = [Value(v.data, label=f"h{cut - 1}[{i}] (bptt_steps: a constant)")
                     for i, v in enumerate(hidden[-1])]
            for x in inputs[len(hidden):]:
                h = self.cell(x, h)
                hidden.append(h)
            outputs = _as_list(self.readout(h))
        return Unrolled(inputs, hidden, outputs, h0, cut)

    def _prefix(self, inputs: list[list[Value]], h: list[Value], cut: int) -> list[list[Value]]:
        """The steps before the cut, computed without recording a graph: the same numbers, but every
        state is a leaf, so no gradient flows back past the cut (and these steps cost no graph)."""
        hidden = []
        try:
            with no_grad():
                for x in inputs:
                    h = self.cell(x, h)
                    hidden.append(h)
        except TypeError as e:
            if type(e) is TypeError:
                raise
            # autograd.replay's UntraceableError (a TypeError) refuses no_grad on traced values
            raise type(e)(
                f"RNN: bptt_steps={self.bptt_steps} makes the state entering step {cut} a constant, which "
                "the batch replay cannot express (it has no op that stops a gradient); train a truncated "
                "RNN with vectorize=False, or use bptt_steps=None") from None
        return hidden

    def __call__(self, xs: Any) -> Any:
        return _single(self.unroll(xs).outputs)

    CONFIG = {"nin": "size", "nhidden": "size", "nout": "size", "activation": "activation",
              "output_activation": "activation", "bptt_steps": "size or null"}

    def children(self) -> list[tuple[str, Module]]:
        return [("cell", self.cell), ("readout", self.readout)]

    def sizes(self) -> tuple[int | None, int]:
        return None, self.nout  # it takes sequences of any length

    @staticmethod
    def parameter_count(config: dict[str, Any]) -> int:
        return RNNCell.parameter_count(config) + (int(config["nhidden"]) + 1) * int(config["nout"])

    def __repr__(self) -> str:
        cut = f", bptt_steps={self.bptt_steps}" if self.bptt_steps is not None else ""
        return (f"RNN({self.nin}, {self.nhidden}, nout={self.nout}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}{cut})")
