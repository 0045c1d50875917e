"""Neurons, layers and multi-layer perceptrons built from :class:`autograd.Value`.

What you can do with it::

    import nn
    model = nn.MLP(2, [16, 16, 1])            # 2 inputs, two hidden relu layers, one linear output
    score = model([0.5, -1.0])                 # a single Value (the last layer has one neuron)
    score.backward()                           # every weight now holds d(score)/d(weight)
    for name, p in model.named_parameters():   # 'layers.0.neurons.0.w.0', ... 'layers.2.neurons.0.b'
        ...

A neuron with weights w_1..w_n and bias b computes

    out = activation(w_1 x_1 + ... + w_n x_n + b)

A layer is a list of neurons that all read the same inputs; an MLP feeds each
layer's outputs to the next layer. Code written for micrograd's ``nn`` module
runs unchanged: ``parameters()`` is a list, ``zero_grad()`` clears gradients,
``nonlin=False`` makes a neuron linear.

Two ways to build a neuron's graph
----------------------------------
By default (``fused=True``) the weighted sum is one ``dot`` node whose parents
are all the weights, all the inputs and the bias: a small graph, and a fast one.
With ``fused=False`` the sum is built one product and one addition at a time,
``b + w_1*x_1 + ... + w_n*x_n``, exactly the graph micrograd draws; use it to
see every multiplication of a neuron on a picture. Both give the same numbers.

Names
-----
Every parameter is a Value whose ``label`` is its dotted name in the model
(``layers.1.neurons.3.w.0``), and every neuron's output Value is labelled with
the neuron's name (``layers.1.neurons.3``), so a drawn graph shows which weight
and which neuron each node belongs to.
"""

from __future__ import annotations

import inspect
import math
import numbers
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Self

from autograd import Value, dot, dots
from autograd.core.checks import choice, count, flag, memory_available
from autograd.core.engine import each, gc_paused
from autograd.core.ops import RELU, SIGMOID, SOFTPLUS, TANH, Op

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "INITS", "make_rng"]

#: The activations a neuron can apply, by their op's name (and "linear": none at all).
ACTIVATIONS: dict[str, Op | None] = {op.name: op for op in (RELU, TANH, SIGMOID, SOFTPLUS)}
ACTIVATIONS["linear"] = None

#: An initialisation scheme draws one weight from ``(rng, fan_in, fan_out)``.
InitFn = Callable[[random.Random, int, int], float]


class Module:
    """What every network piece offers: its parameters, by name, and their gradients.

    A module is a leaf or a container. A leaf (``Neuron``, ``LayerNorm``...) lists its own
    parameters in ``own_parameters()``; a container (``Layer``, ``MLP``, ``Sequential``...) lists
    the modules inside it in ``children()``, and its parameters, names, buffers, modes and labels
    all follow from theirs. A new block also says how many numbers it takes and gives
    (``sizes()``) and which constructor arguments rebuild it (``CONFIG``, what ``nn.save`` writes);
    one line in ``nn.io.KINDS`` then lets files hold it.
    """

    #: The module's dotted path inside the model that holds it ('' for a model on its own).
    name: str = ""

    #: Training mode (True, the default) or evaluation mode (False): see ``train()``.
    training: bool = True

    #: The constructor arguments that rebuild the module, each with the kind of value ``nn.io``
    #: checks in a file: 'size', 'sizes', 'activation', 'bool', 'positive', 'fraction',
    #: 'size or null', or 'architecture' / 'architectures' for modules inside it. Each is also
    #: the name of the attribute holding it (``config()`` reads them).
    CONFIG: ClassVar[dict[str, str]] = {}

    def children(self) -> list[tuple[str, Module]]:
        """The modules directly inside this one, each with its name here (``layers.0``, ``body``); none
        for a leaf."""
        return []

    def own_parameters(self) -> dict[str, Value | list[Value]]:
        """The parameters a leaf holds itself, by name: one Value, or a list named ``<name>.<i>``
        (a Neuron's ``{"w": [...], "b": b}``); none for a container."""
        return {}

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, in a fixed order: the module's own, then its children's
        under their names; a parameter reached twice (one layer in two places) is listed once, under its
        first name, by identity as PyTorch lists them, so an optimizer moves it once per step."""
        named: list[tuple[str, Value]] = []
        for key, group in self.own_parameters().items():
            named += [(f"{key}.{i}", p) for i, p in enumerate(group)] if isinstance(group, list) else \
                [(key, group)]
        for name, child in self.children():
            named += [(f"{name}.{k}", p) for k, p in child.named_parameters()]
        return list({id(p): (k, p) for k, p in reversed(named)}.values())[::-1]  # shared: once, first name

    def named_buffers(self) -> list[tuple[str, list[float]]]:
        """Numbers a module keeps that are not parameters (BatchNorm's running statistics), by name."""
        return [(f"{name}.{k}", b) for name, child in self.children() for k, b in child.named_buffers()]

    def parameters(self) -> list[Value]:
        """Every parameter (the Values an optimizer updates), in the order of ``named_parameters()``.

        Why it does not just drop the names: a training loop asks for the parameters every step, and
        making a dotted name per weight to throw it away costs more than the rest of this walk, so
        it reads the same declarations (``own_parameters``, ``children``) in the same order. A module
        that writes its own ``named_parameters`` gets exactly those."""
        found: list[Value] = []
        _gather(self, found)
        return list(dict.fromkeys(found))  # a module used twice: its weights once (Values hash by identity)

    def sizes(self) -> tuple[int | None, int | None]:
        """How many numbers the module takes per example and gives back (None: it does not say)."""
        return None, None

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture (``nn.save`` writes them)."""
        return {key: list(v) if isinstance(v, list) else v for key, v in
                ((key, getattr(self, key)) for key in self.CONFIG)}

    @staticmethod
    def parameter_count(config: dict[str, Any]) -> int:
        """How many parameters of its own a module built from ``config`` holds (``nn.load`` counts them
        before building anything, to refuse a file too large); a container's belong to its children: 0."""
        return 0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        """The module ``config`` describes (``nn.load``, which sets the parameters afterwards). A
        random initialisation is seeded with 0, so loading never draws from the global ``random``."""
        seeded = {"seed": 0} if "seed" in inspect.signature(cls).parameters else {}
        return cls(**config, **seeded)

    def train(self, mode: bool = True) -> Self:
        """Training mode (``mode=True``) or evaluation mode, for this module and every one inside it;
        returns self. Only BatchNorm computes differently in the two."""
        flag(f"{type(self).__name__}.train", mode=mode)
        self.training = mode
        for _, child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Self:
        """Evaluation mode (BatchNorm uses its running statistics): ``train(False)``; returns self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (``backward()`` adds to gradients, so clear them each step)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """The parameters' numbers by name: a plain dict you can store and load back."""
        return {n: p.data for n, p in self.named_parameters()}

    def load_state_dict(self, state: Any) -> None:
        """Set every parameter from ``state`` (a dict name -> number, as ``state_dict()`` returns).

        The names must match exactly; nothing is changed unless every entry is valid.
        Parameters are updated in place, so optimizers holding them keep working.
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, dict):
            raise TypeError(f"{where}: expected a dict of name -> number, got {type(state).__name__}")
        named = self.named_parameters()
        names = [n for n, _ in named]
        missing = [n for n in names if n not in state]
        known = set(names)
        unexpected = [k for k in state if k not in known]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing {_few(missing)}")
            if unexpected:
                parts.append(f"unexpected {_few(unexpected)}")
            raise ValueError(f"{where}: parameter names do not match the model: {'; '.join(parts)}")
        values = []
        for n in names:
            v = state[n]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                got = f"{type(v).__name__}: {v!r:.60}"
                raise TypeError(f"{where}: parameter {n!r} must be a number, got {got}")
            try:
                f = float(v)
            except OverflowError:
                f = math.inf
            if not math.isfinite(f):
                raise ValueError(f"{where}: parameter {n!r} must be a finite number, got {v!r:.60}")
            values.append(f)
        for (_, p), f in zip(named, values):
            p.data = f

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define a forward pass")

    def _repr_html_(self) -> str:  # in Jupyter: its parts and how many parameters each has
        from .see.display import module_html

        return module_html(self)

    def parameter_table(self) -> Any:
        """Every named parameter with its number and gradient, as a table (text, or HTML in Jupyter)."""
        from .see.display import ParameterTable

        return ParameterTable(self)

    def draw(self, **options: Any) -> Any:
        """The network as columns of neurons and weighted edges: :func:`nn.draw_network` (a convenience
        that reaches up into nn.see, loaded when called)."""
        from .see.network import draw_network

        return draw_network(self, **options)

    def _rename(self, name: str) -> None:
        """Record this module's dotted path and label its parameters with their full names (a container
        passes each child its path; a leaf labels its own parameters)."""
        self.name = name
        prefix = name + "." if name else ""
        children = self.children()
        for key, child in children:
            child._rename(prefix + key)
        if not children:
            for n, p in self.named_parameters():
                p.label = prefix + n



def _gather(module: Module, found: list[Value]) -> None:
    """Add ``module``'s parameters to ``found``, then its children's, repeats kept (``parameters()`` drops
    them once at the end: doing it at every level cost a replayed demo step, whose ``zero_grad()`` asks
    for them, a quarter of its instructions; callgrind, and make bench's replay row)."""
    kind = type(module)
    if kind.parameters is not Module.parameters:  # a module that lists its own
        found += module.parameters()
        return
    if kind.named_parameters is not Module.named_parameters:
        found += [p for _, p in module.named_parameters()]
        return
    for group in module.own_parameters().values():
        if isinstance(group, list):
            found += group
        else:
            found.append(group)
    if kind.children is not Module.children:  # a leaf (a Neuron) has none to ask for
        for _, child in module.children():
            _gather(child, found)


def _few(names: Sequence[str], k: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:k])
    return shown + (f" and {len(names) - k} more" if len(names) > k else "")


def activate(sums: list[Value], op: Op | None, labels: list[str]) -> list[Value]:
    """The activation applied to each weighted sum, each result labelled with its neuron's name."""
    outs = sums if op is None else each(op, sums)
    for out, label in zip(outs, labels):
        out.label = label
    return outs


class Neuron(Module):
    """One neuron: ``activation(w_1 x_1 + ... + w_n x_n + b)``.

    * ``nin``: the number of inputs n;
    * ``activation``: 'relu' (the default, as in micrograd), 'tanh', 'sigmoid' or 'linear';
    * ``nonlin``: micrograd's switch; ``nonlin=False`` means 'linear';
    * ``init``: 'uniform' (micrograd's U(-1, 1)), 'xavier' or 'he', or a function
      ``(rng, fan_in, fan_out) -> float``; the bias starts at 0;
    * ``seed``: an int, a ``random.Random``, or None for the global ``random`` module;
    * ``fused``: one ``dot`` node (True) or micrograd's node-by-node sum (False);
    * ``check_memory``: refuse, before allocating, weights that cannot fit in the memory
      available (a Layer checks its total once and builds its neurons with False).

    ``fan_out`` is the size of the layer the neuron sits in (1 on its own); only
    'xavier' uses it.
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        init: str | InitFn = "uniform",
        seed: int | random.Random | None = None,
        fused: bool = True,
        nonlin: bool | None = None,
        fan_out: int = 1,
        *,
        check_memory: bool = True,
    ) -> None:
        self.nin = count("Neuron", "nin", nin)
        fan_out = count("Neuron", "fan_out", fan_out)
        self.activation = check_activation("Neuron", activation, nonlin)
        draw = check_init("Neuron", init)
        flag("Neuron", fused=fused)
        rng = make_rng(seed)
        if check_memory:
            check_fits_memory("Neuron", self.nin + 1)
        self.w = [Value(draw_weight(draw, rng, self.nin, fan_out)) for _ in range(self.nin)]
        self.b = Value(0.0)
        self.fused = fused
        self._activate = ACTIVATIONS[self.activation]
        self._rename("")

    def __call__(self, x: Sequence[Any]) -> Value:
        _input_length("Neuron", x, self.nin)
        return self._forward(x)

    def _forward(self, x: Sequence[Any]) -> Value:
        """The forward pass without the input check (a Layer checks once for all its neurons)."""
        return self._finish(dot(self.w, x, self.b, fused=self.fused))

    def _finish(self, out: Value) -> Value:
        """Apply the activation to the weighted sum and label the result with the neuron's name."""
        return activate([out], self._activate, [self._label])[0]

    CONFIG = {"nin": "size", "activation": "activation", "fused": "bool"}

    def own_parameters(self) -> dict[str, Value | list[Value]]:
        return {"w": self.w, "b": self.b}

    def sizes(self) -> tuple[int, int]:
        return self.nin, 1

    @staticmethod
    def parameter_count(config: dict[str, Any]) -> int:
        """How many parameters the neuron ``config`` describes has (``nn.load`` counts before building)."""
        return int(config["nin"]) + 1

    def _rename(self, name: str) -> None:
        super()._rename(name)
        self._label = name or "out"  # what its output Value is labelled

    def __repr__(self) -> str:
        fused = "" if self.fused else ", fused=False"
        return f"Neuron({self.nin}, activation={self.activation!r}{fused})"


class Layer(Module):
    """``nout`` neurons that all read the same ``nin`` inputs; returns a list of ``nout`` Values.

    Takes the same keywords as :class:`Neuron` (an MLP builds its layers with
    ``check_memory=False``, having checked its total). As in micrograd, a layer of one
    neuron returns that neuron's Value rather than a list of one.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        init: str | InitFn = "uniform",
        seed: int | random.Random | None = None,
        fused: bool = True,
        nonlin: bool | None = None,
        *,
        check_memory: bool = True,
    ) -> None:
        self.nin = count("Layer", "nin", nin)
        self.nout = count("Layer", "nout", nout)
        self.activation = check_activation("Layer", activation, nonlin)
        check_init("Layer", init)
        flag("Layer", fused=fused)
        if check_memory:
            check_fits_memory("Layer", (self.nin + 1) * self.nout)
        rng = make_rng(seed)
        self.fused = fused
        self.neurons = [
            Neuron(self.nin, self.activation, init=init, seed=rng, fused=fused, fan_out=self.nout,
                   check_memory=False)
            for _ in range(self.nout)
        ]
        self._rename("")

    def __call__(self, x: Sequence[Any]) -> Any:
        _input_length("Layer", x, self.nin)
        out = self._forward(x)
        return out[0] if len(out) == 1 else out

    def _forward(self, x: Sequence[Any]) -> list[Value]:
        """Every neuron's output, always as a list, without the input check."""
        neurons = self.neurons  # the same nodes as each neuron's, with the shared inputs read once
        sums = dots([n.w for n in neurons], x, [n.b for n in neurons], fused=self.fused)
        return activate(sums, ACTIVATIONS[self.activation], [n._label for n in neurons])

    CONFIG = {"nin": "size", "nout": "size", "activation": "activation", "fused": "bool"}

    def children(self) -> list[tuple[str, Module]]:
        return [(f"neurons.{i}", n) for i, n in enumerate(self.neurons)]

    def sizes(self) -> tuple[int, int]:
        return self.nin, self.nout

    @staticmethod
    def parameter_count(config: dict[str, Any]) -> int:
        return (int(config["nin"]) + 1) * int(config["nout"])

    def __repr__(self) -> str:
        fused = "" if self.fused else ", fused=False"
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r}{fused})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes ``nouts`` applied one after the other.

    ``MLP(2, [16, 16, 1])`` has two hidden layers of 16 neurons using
    ``activation`` and a last layer of one neuron using ``output_activation``
    ('linear' unless asked otherwise, so the output is a raw score). It returns
    one Value when the last layer has one neuron, a list of Values otherwise.

    ``nonlin=False`` makes the hidden layers linear too. ``init``, ``seed`` and
    ``fused`` are as for :class:`Neuron`; one random stream initialises every
    layer in order, so a seed gives the same network every time.
    """

    def __init__(
        self,
        nin: int,
        nouts: Iterable[int],
        activation: str = "relu",
        output_activation: str = "linear",
        init: str | InitFn = "uniform",
        seed: int | random.Random | None = None,
        fused: bool = True,
        nonlin: bool | None = None,
    ) -> None:
        self.nin = count("MLP", "nin", nin)
        try:
            sizes = list(nouts)
        except TypeError:
            raise TypeError(f"MLP: nouts must be a list of layer sizes, got {type(nouts).__name__}") from None
        if not sizes:
            raise ValueError("MLP: nouts must list at least one layer size, got an empty list")
        self.nouts = [count("MLP", "each layer size in nouts", n) for n in sizes]
        self.activation = check_activation("MLP", activation, nonlin)
        self.output_activation = check_activation("MLP", output_activation, None)
        check_init("MLP", init)
        flag("MLP", fused=fused)
        check_fits_memory("MLP", MLP.parameter_count({"nin": self.nin, "nouts": self.nouts}))
        rng = make_rng(seed)
        self.fused = fused
        dims = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(
                dims[i], dims[i + 1],
                activation=self.output_activation if i == last else self.activation,
                init=init, seed=rng, fused=fused, check_memory=False,
            )
            for i in range(len(self.nouts))
        ]
        self._rename("")

    def __call__(self, x: Sequence[Any]) -> Any:
        _input_length("MLP", x, self.nin)
        with gc_paused():  # the graph has no cycles; see autograd.core.engine.gc_paused for why this pays
            for layer in self.layers:
                x = layer._forward(x)
        return x[0] if len(x) == 1 else x

    CONFIG = {"nin": "size", "nouts": "sizes", "activation": "activation", "output_activation": "activation",
              "fused": "bool"}

    def children(self) -> list[tuple[str, Module]]:
        return [(f"layers.{i}", layer) for i, layer in enumerate(self.layers)]

    def sizes(self) -> tuple[int, int]:
        return self.nin, self.nouts[-1]

    @staticmethod
    def parameter_count(config: dict[str, Any]) -> int:
        dims = [config["nin"], *config["nouts"]]
        return sum((int(a) + 1) * int(b) for a, b in zip(dims, dims[1:]))

    def __repr__(self) -> str:
        fused = "" if self.fused else ", fused=False"
        return (
            f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}{fused})"
        )


# --- the details: initialisation, random sources, and the checks of arguments and inputs ----------


def _uniform(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """micrograd's scheme: w ~ U(-1, 1), whatever the layer's size."""
    return rng.uniform(-1.0, 1.0)


def _xavier(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """Xavier/Glorot: w ~ U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).

    That keeps the variance of the signal about the same from layer to layer
    for tanh and sigmoid networks: Var(w) = 2 / (fan_in + fan_out).
    """
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a)


def _he(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """He/Kaiming: w ~ N(0, 2 / fan_in), the variance that suits relu (which zeroes half its inputs)."""
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))


#: The initialisation schemes by name. Biases always start at 0.
INITS: dict[str, InitFn] = {"uniform": _uniform, "xavier": _xavier, "glorot": _xavier, "he": _he}


def make_rng(seed: int | random.Random | None) -> Any:
    """A random source from ``seed``: an int seeds a new ``random.Random``; a ``random.Random``
    is used as it is; None means the global ``random`` module (so ``random.seed(1337)`` before
    building a model reproduces micrograd's weights)."""
    if seed is None or seed is random:
        return random
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}: {seed!r:.60}")


#: About how many bytes one parameter takes: its Value, its float and its share of the lists.
BYTES_PER_PARAMETER = 200


def check_fits_memory(where: str, n_params: int) -> None:
    """Refuse, before allocating anything, a model whose parameters cannot fit in the memory available
    (every constructor that makes parameters calls it first: the layers here, the blocks of nn.blocks)."""
    free = memory_available()  # Linux's estimate of what can be allocated (None elsewhere)
    if free is None:  # elsewhere: build it and see
        return
    need = n_params * BYTES_PER_PARAMETER
    if need > free:
        raise MemoryError(f"{where}: {n_params:,} parameters need about {need / 2**30:,.1f} GiB, more than "
                          f"the {free / 2**30:,.1f} GiB of memory available; choose smaller layers")


def check_activation(where: str, activation: Any, nonlin: Any = None, name: str = "activation") -> str:
    """The activation's name, one of ``ACTIVATIONS`` ('linear' when micrograd's ``nonlin`` is False)."""
    if nonlin is not None:
        flag(where, nonlin=nonlin)
        if not nonlin:
            return "linear"
    return str(choice(where, name, activation, sorted(ACTIVATIONS)))


def draw_weight(draw: InitFn, rng: Any, fan_in: int, fan_out: int) -> float:
    """One weight from an init function, which must give a finite real number."""
    w = draw(rng, fan_in, fan_out)
    if isinstance(w, bool) or not isinstance(w, numbers.Real) or not math.isfinite(w):
        raise TypeError(f"init: the init function must return a finite number, got {type(w).__name__}: "
                        f"{w!r:.60}")
    return float(w)


def check_init(where: str, init: Any) -> InitFn:
    """The init function ``init`` names (or is), or a ValueError listing the schemes."""
    if callable(init):
        return init
    if isinstance(init, str) and init in INITS:
        return INITS[init]
    raise ValueError(
        f"{where}: init must be one of {sorted(INITS)} or a function (rng, fan_in, fan_out) -> float, "
        f"got {init!r:.60}"
    )


def is_input_list(x: Any) -> bool:
    """Whether ``x`` can be a list of inputs: it has a length, and it is not a dict, a str, bytes or a
    set (keys, letters, no order: not a vector)."""
    if isinstance(x, (Mapping, str, bytes, set, frozenset)):
        return False
    try:
        len(x)
    except TypeError:
        return False
    return True


def _input_length(where: str, x: Any, nin: int) -> None:
    """Check that ``x`` is a sequence of ``nin`` inputs; raise an error that says what was expected."""
    if not is_input_list(x):
        raise TypeError(
            f"{where}: expected a list of {nin} inputs (numbers or Values), got {type(x).__name__}: {x!r:.60}"
        )
    n = len(x)
    if n != nin:
        raise ValueError(f"{where}: expected {nin} inputs, got {n}")


