"""A bridge to PyTorch: take a model trained here to the framework you graduate to, and back.

What you can do with it (needs the ``torch`` extra)::

    import nn, torch
    model = nn.MLP(2, [16, 16, 1], activation="tanh")
    net = nn.to_torch(model)                    # torch.nn.Sequential(Linear, Tanh, Linear, Tanh, Linear)
    net(torch.tensor([[0.5, -1.0]], dtype=torch.float64))   # the same number as model([0.5, -1.0])
    back = nn.from_torch(net)                   # an nn.MLP with the same weights

The torch model holds a copy of the weights in float64, so both compute the same numbers to
the last few bits; training one does not change the other. Parts map one to one: a layer of
neurons is a ``Linear`` (one row of its weight matrix per neuron) and its activation the
module of the same name (``ReLU``, ``Tanh``, ``Sigmoid``, ``Softplus``); ``LayerNorm`` and
``BatchNorm`` are torch's ``LayerNorm`` and ``BatchNorm1d`` (running statistics and mode
included); ``Residual`` and ``RNN`` become the two small modules below, :class:`TorchResidual`
(``x + body(x)``) and :class:`TorchRNN` (torch's ``RNN`` over the steps, then the readout).
Going back works for everything ``to_torch`` makes, and for plain stacks of ``Linear`` layers
and activations; every option that changes the function is carried over (``eps``, ``momentum``,
the running statistics and mode; a LayerNorm or BatchNorm1d without scale or shift comes back
with 1 and 0) or refused naming the option (``Softplus`` with ``beta`` other than 1 or a
``threshold`` below 20, ``BatchNorm1d`` with ``momentum=None`` or ``track_running_stats=False``,
a ``Linear`` without a bias); anything else is refused with a message that says what does not fit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from autograd.core.extras import need

from .blocks import RNN, BatchNorm, LayerNorm, Residual, Sequential
from .io import KINDS
from .module import ACTIVATIONS, MLP, Layer, Module, Neuron

__all__ = ["to_torch", "from_torch"]


def _torch() -> Any:
    return need("torch", "nn.to_torch / nn.from_torch")


def _torch_activations(torch: Any) -> dict[str, Any]:
    """Our activations by name, as the torch module classes of the same name (``relu``: ``ReLU``)."""
    by_name = {name.lower(): getattr(torch.nn, name) for name in dir(torch.nn)}
    return {name: by_name[name] for name, op in ACTIVATIONS.items() if op is not None and name in by_name}


def _activation(torch: Any, name: str) -> Any:
    classes = _torch_activations(torch)
    if name not in classes:
        raise ValueError(f"to_torch: torch has no module for the activation {name!r}")
    if classes[name] is torch.nn.Softplus:
        # torch's Softplus returns x itself above `threshold` (20 by default), about 1e-10 off ours
        # there; above 34, log(1 + e**x) and x agree to the last bit of a float64.
        return torch.nn.Softplus(threshold=34.0)
    return classes[name]()


def _tensor(torch: Any, rows: Any) -> Any:
    return torch.tensor(rows, dtype=torch.float64)


def _linear(torch: Any, neurons: list[Neuron]) -> Any:
    lin = torch.nn.Linear(neurons[0].nin, len(neurons), dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(_tensor(torch, [[w.data for w in n.w] for n in neurons]))
        lin.bias.copy_(_tensor(torch, [n.b.data for n in neurons]))
    return lin


def _dense(torch: Any, neurons: list[Neuron], activation: str) -> list[Any]:
    return [_linear(torch, neurons)] + ([] if activation == "linear" else [_activation(torch, activation)])


@functools.cache
def _torch_classes(torch: Any) -> tuple[Any, Any]:
    """The two modules nn's Residual and RNN become (made once, when torch is first needed)."""
    class TorchResidual(torch.nn.Module):
        """``x + body(x)``: nn.Residual in torch."""

        def __init__(self, body: Any) -> None:
            super().__init__()
            self.body = body

        def forward(self, x: Any) -> Any:
            return x + self.body(x)

    class TorchRNN(torch.nn.Module):
        """nn.RNN in torch: the steps through ``torch.nn.RNN`` from h_0 = 0, then the readout of h_T.

        Takes (batch, T * nin) flat sequences, as nn.RNN and the batch replay do, or (batch, T, nin).
        """

        def __init__(self, rnn: Any, readout: Any) -> None:
            super().__init__()
            self.rnn, self.readout = rnn, readout

        def forward(self, x: Any) -> Any:
            steps = x.reshape(x.shape[0], -1, self.rnn.input_size)
            out, _ = self.rnn(steps)
            return self.readout(out[:, -1, :])

    return TorchResidual, TorchRNN


def _mlp(torch: Any, model: MLP) -> list[Any]:
    return [m for layer in model.layers for m in _dense(torch, layer.neurons, layer.activation)]


def _norm(torch: Any, model: LayerNorm | BatchNorm) -> list[Any]:
    if isinstance(model, LayerNorm):
        norm = torch.nn.LayerNorm(model.size, eps=model.eps, dtype=torch.float64)
    else:
        norm = torch.nn.BatchNorm1d(model.size, eps=model.eps, momentum=model.momentum, dtype=torch.float64)
    with torch.no_grad():
        norm.weight.copy_(_tensor(torch, [g.data for g in model.gamma]))
        norm.bias.copy_(_tensor(torch, [b.data for b in model.beta]))
        if isinstance(model, BatchNorm):
            norm.running_mean.copy_(_tensor(torch, model.running_mean))
            norm.running_var.copy_(_tensor(torch, model.running_var))
    if isinstance(model, BatchNorm):
        norm.train(model.training)
    return [norm]


def _recurrent(torch: Any, model: RNN) -> list[Any]:
    if model.activation not in ("tanh", "relu"):
        raise ValueError(f"to_torch: torch's RNN computes tanh or relu steps, not {model.activation!r}")
    cell = model.cell
    rnn = torch.nn.RNN(cell.nin, cell.nhidden, nonlinearity=model.activation, batch_first=True,
                       dtype=torch.float64)
    with torch.no_grad():  # torch's two biases: ours, and zeros
        rnn.weight_ih_l0.copy_(_tensor(torch, [[w.data for w in row] for row in cell.wx]))
        rnn.weight_hh_l0.copy_(_tensor(torch, [[w.data for w in row] for row in cell.wh]))
        rnn.bias_ih_l0.copy_(_tensor(torch, [b.data for b in cell.b]))
        rnn.bias_hh_l0.zero_()
    return [_torch_classes(torch)[1](rnn, torch.nn.Sequential(*_part(torch, model.readout)))]


#: How each kind of ``nn.io.KINDS`` becomes torch modules (a kind missing here is refused).
_TO_TORCH: dict[str, Callable[[Any, Any], list[Any]]] = {
    "MLP": _mlp,
    "Layer": lambda torch, m: _dense(torch, m.neurons, m.activation),
    "Neuron": lambda torch, m: _dense(torch, [m], m.activation),
    "Sequential": lambda torch, m: [t for layer in m.layers for t in _part(torch, layer)],
    "Residual": lambda torch, m: [_torch_classes(torch)[0](torch.nn.Sequential(*_part(torch, m.body)))],
    "LayerNorm": _norm,
    "BatchNorm": _norm,
    "RNN": _recurrent,
}


def _part(torch: Any, model: Module) -> list[Any]:
    """``model`` as torch modules, in order."""
    kind = type(model).__name__
    if KINDS.get(kind) is not type(model) or kind not in _TO_TORCH:
        raise TypeError(f"to_torch: expected an nn model ({', '.join(_TO_TORCH)}), got {kind}")
    return _TO_TORCH[kind](torch, model)


def to_torch(model: Module) -> Any:
    """``model`` as a ``torch.nn.Sequential`` in float64, with the same weights, so the same outputs."""
    torch = _torch()
    return torch.nn.Sequential(*_part(torch, model))


def from_torch(module: Any) -> Module:
    """A torch model as an nn model with the same weights: an ``nn.MLP`` for a stack of ``Linear``
    layers with activations (hidden ones all alike), else an ``nn.Sequential`` of nn's blocks."""
    torch = _torch()
    if isinstance(module, torch.nn.Linear):
        module = torch.nn.Sequential(module)
    if not isinstance(module, torch.nn.Sequential):
        what = type(module).__name__
        raise TypeError(f"from_torch: expected a torch.nn.Sequential (or Linear), got {what}")
    parts = _blocks(torch, list(module), "")
    if not parts:
        raise ValueError("from_torch: the Sequential is empty")
    for a, b in zip(parts, parts[1:]):
        out, nxt = a.sizes()[1], b.sizes()[0]
        if out is not None and nxt is not None and out != nxt:
            raise ValueError(f"from_torch: a part with {out} outputs feeds one with {nxt} inputs")
    layers = [p for p in parts if isinstance(p, Layer)]
    hidden = {p.activation for p in layers[:-1]}
    if len(layers) == len(parts) and len(hidden) <= 1:  # a plain stack of layers: an MLP, as nn builds them
        model = MLP(layers[0].nin, [p.nout for p in layers], activation=hidden.pop() if hidden else "relu",
                    output_activation=layers[-1].activation)
        model.load_state_dict({f"layers.{i}.{k}": p.data for i, layer in enumerate(layers)
                               for k, p in layer.named_parameters()})
        return model
    return parts[0] if len(parts) == 1 else Sequential(*parts)


def _blocks(torch: Any, modules: list[Any], where: str) -> list[Module]:
    """torch modules as nn blocks: each Linear (and the activation after it) a Layer, and so on."""
    residual_class, rnn_class = _torch_classes(torch)
    names = {cls: name for name, cls in _torch_activations(torch).items()}
    parts: list[Module] = []
    i = 0
    while i < len(modules):
        m, here = modules[i], f"module {where}{i}"
        if isinstance(m, torch.nn.Linear):
            activation = "linear"
            if i + 1 < len(modules) and type(modules[i + 1]) in names:
                nxt = modules[i + 1]
                if isinstance(nxt, torch.nn.Softplus):
                    _check_softplus(nxt, f"module {where}{i + 1}")
                activation, i = names[type(nxt)], i + 1
            parts.append(_layer(m, activation, here))
        elif isinstance(m, torch.nn.Sequential):
            parts += _blocks(torch, list(m), f"{where}{i}.")
        elif isinstance(m, residual_class):
            inner = _blocks(torch, list(m.body), f"{where}{i}.body.")
            parts.append(Residual(inner[0] if len(inner) == 1 else Sequential(*inner)))
        elif isinstance(m, torch.nn.LayerNorm):
            if len(m.normalized_shape) != 1:
                shape = tuple(m.normalized_shape)
                raise ValueError(f"from_torch: {here} is a LayerNorm over the shape {shape}; "
                                 "nn's LayerNorm normalises one dimension (normalized_shape=n)")
            norm = LayerNorm(m.normalized_shape[0], eps=m.eps)
            _copy(norm.gamma, m.weight)  # without them (elementwise_affine=False, bias=False): 1 and 0
            _copy(norm.beta, m.bias)
            parts.append(norm)
        elif isinstance(m, torch.nn.BatchNorm1d):
            if not m.track_running_stats or m.momentum is None:
                option = "track_running_stats=False" if not m.track_running_stats else "momentum=None"
                raise ValueError(f"from_torch: {here} is a BatchNorm1d with {option}; nn's BatchNorm keeps "
                                 "running averages with a momentum (track_running_stats=True, a momentum "
                                 "from 0 to 1)")
            bn = BatchNorm(m.num_features, momentum=m.momentum, eps=m.eps)
            _copy(bn.gamma, m.weight)  # without them (affine=False): 1 and 0
            _copy(bn.beta, m.bias)
            bn.running_mean[:] = m.running_mean.tolist()
            bn.running_var[:] = m.running_var.tolist()
            bn.train(m.training)
            parts.append(bn)
        elif isinstance(m, rnn_class):
            parts.append(_rnn(torch, m, here))
        elif type(m) in names:
            raise ValueError(f"from_torch: {here} ({type(m).__name__}) has no Linear before it; nn applies "
                             "an activation inside a layer, so put it right after a Linear")
        else:
            supported = ", ".join(["Linear", *(f"Linear + {c.__name__}" for c in names), "LayerNorm",
                                   "BatchNorm1d", "TorchResidual", "TorchRNN"])
            raise ValueError(f"from_torch: {here} ({type(m).__name__}) has no nn counterpart; nn models are "
                             f"built from {supported}")
        i += 1
    return parts


def _layer(lin: Any, activation: str, here: str) -> Layer:
    if lin.bias is None:
        raise ValueError(f"from_torch: {here} is a Linear without a bias; nn's neurons all have one "
                         "(build it with bias=True)")
    layer = Layer(lin.in_features, lin.out_features, activation=activation)
    for neuron, row, b in zip(layer.neurons, lin.weight.detach().tolist(), lin.bias.detach().tolist()):
        for w, x in zip(neuron.w, row):
            w.data = float(x)
        neuron.b.data = float(b)
    return layer


def _copy(values: list[Any], tensor: Any) -> None:
    if tensor is None:  # torch keeps no such parameter: nn's keeps its starting value (gamma 1, beta 0)
        return
    for v, x in zip(values, tensor.detach().tolist()):
        v.data = float(x)


#: Below this ``threshold`` torch's Softplus returns x itself where nn's computes log(1 + e**x), and
#: the two differ by more than log1p(e**-20), about 2e-9 (torch's default threshold is 20).
SOFTPLUS_THRESHOLD = 20.0


def _check_softplus(m: Any, here: str) -> None:
    """torch's Softplus(beta, threshold) as nn's softplus, or a refusal naming the option that differs."""
    if m.beta != 1:
        raise ValueError(f"from_torch: {here} is Softplus(beta={m.beta}); nn's softplus has beta 1")
    if m.threshold < SOFTPLUS_THRESHOLD:
        raise ValueError(f"from_torch: {here} is Softplus(threshold={m.threshold}), which returns x itself "
                         f"above {m.threshold}, where nn's softplus is log(1 + e**x); nn takes threshold "
                         f">= {SOFTPLUS_THRESHOLD:g} (torch's default), where the two agree within 2e-9")


def _rnn(torch: Any, m: Any, here: str) -> RNN:
    rnn, readout = m.rnn, _blocks(torch, list(m.readout), f"{here}.readout.")
    if rnn.num_layers != 1 or rnn.bidirectional or not rnn.bias or len(readout) != 1 \
            or not isinstance(readout[0], Layer):
        raise ValueError(f"from_torch: {here} is an RNN that nn.RNN cannot express (one layer, one "
                         "direction, biases, one readout layer)")
    model = RNN(rnn.input_size, rnn.hidden_size, readout[0].nout, activation=rnn.nonlinearity,
                output_activation=readout[0].activation)
    bias = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().tolist()  # one bias holds torch's two
    for i, (wx, wh) in enumerate(zip(rnn.weight_ih_l0.detach().tolist(), rnn.weight_hh_l0.detach().tolist())):
        for v, x in zip(model.cell.wx[i], wx):
            v.data = float(x)
        for v, x in zip(model.cell.wh[i], wh):
            v.data = float(x)
        model.cell.b[i].data = float(bias[i])
    model.readout.load_state_dict(readout[0].state_dict())
    return model
