"""Neurons, layers and MLPs: forward values, names, labels, init, micrograd compatibility."""

from __future__ import annotations

import math
import random
import statistics

import pytest

import nn
from autograd import Value, topological_order
from nn.module import ACTIVATIONS
from tests.support.op_rows import ROWS


def test_neuron_forward_matches_the_formula() -> None:
    n = nn.Neuron(3, activation="tanh", seed=0)
    n.b.data = 0.3
    x = [0.5, -1.0, 2.0]
    expected = math.tanh(sum(w.data * xi for w, xi in zip(n.w, x)) + 0.3)
    assert n(x).data == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_each_activation(activation: str) -> None:
    op = ACTIVATIONS[activation]
    # the reference from math (op_rows), not the op itself; "linear" is no op at all
    f = (lambda z: z) if op is None else next(row.ref for row in ROWS if row.the_op is op)
    n = nn.Neuron(2, activation=activation, seed=1)
    n.b.data = -0.2
    for x in ([1.0, 2.0], [-3.0, 0.5]):
        z = n.w[0].data * x[0] + n.w[1].data * x[1] - 0.2
        assert n(x).data == pytest.approx(f(z), abs=1e-12)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_fused_and_elementary_graphs_agree_in_value_and_gradient(activation: str) -> None:
    fused = nn.MLP(3, [4, 2], activation=activation, seed=7)
    plain = nn.MLP(3, [4, 2], activation=activation, seed=7, fused=False)
    x = [0.3, -1.2, 0.8]
    outs_f, outs_p = fused(x), plain(x)
    (outs_f[0] * outs_f[1]).backward()
    (outs_p[0] * outs_p[1]).backward()
    assert [o.data for o in outs_f] == pytest.approx([o.data for o in outs_p], abs=1e-12)
    grads = [p.grad for p in plain.parameters()]
    assert [p.grad for p in fused.parameters()] == pytest.approx(grads, abs=1e-12)


def test_fused_neuron_is_one_dot_node_and_elementary_is_micrograds_chain() -> None:
    x = [Value(1.0), Value(2.0)]
    fused = nn.Neuron(2, activation="tanh", seed=0)
    out = fused(x)
    assert out._op == "tanh" and out._prev[0]._op == "dot"
    assert out._prev[0]._prev == (*fused.w, *x, fused.b)
    plain = nn.Neuron(2, activation="tanh", seed=0, fused=False)
    out = plain(x)
    # tanh( (b + w0*x0) + w1*x1 ): the graph micrograd's lecture draws
    top = out._prev[0]
    assert top._op == "+" and top._prev[1]._op == "*"
    assert top._prev[1]._prev == (plain.w[1], x[1])
    inner = top._prev[0]
    assert inner._op == "+" and inner._prev[0] is plain.b and inner._prev[1]._prev == (plain.w[0], x[0])
    ops = sorted(v._op for v in topological_order(out) if v._op)
    assert ops == ["*", "*", "+", "+", "tanh"]


def test_named_parameters_and_labels() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    names = [n for n, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == len(set(names)) == 3 * 3 + 4
    for name, p in model.named_parameters():
        assert p.label == name
    assert model.parameters() == [p for _, p in model.named_parameters()]
    # a layer and a neuron on their own are named from their own root
    assert [n for n, _ in nn.Layer(1, 2, seed=0).named_parameters()] == [
        "neurons.0.w.0", "neurons.0.b", "neurons.1.w.0", "neurons.1.b"]
    assert [p.label for p in nn.Neuron(2, seed=0).parameters()] == ["w.0", "w.1", "b"]


def test_neuron_outputs_carry_the_neuron_name() -> None:
    model = nn.MLP(2, [3, 2], seed=0)
    outs = model([1.0, -1.0])
    assert [o.label for o in outs] == ["layers.1.neurons.0", "layers.1.neurons.1"]
    hidden = {v.label for v in topological_order(outs[0] + outs[1]) if v._op == "ReLU"}
    assert hidden == {"layers.0.neurons.0", "layers.0.neurons.1", "layers.0.neurons.2"}
    # a linear output neuron labels its dot node
    assert outs[0]._op == "dot"


def test_mlp_returns_a_value_for_one_output_and_a_list_otherwise() -> None:
    assert isinstance(nn.MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    out = nn.MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    # a hidden layer of one neuron still feeds the next layer
    assert len(nn.MLP(2, [1, 2], seed=0)([1.0, 2.0])) == 2
    assert isinstance(nn.Layer(2, 1, seed=0)([1.0, 2.0]), Value)


def test_last_layer_is_linear_unless_asked() -> None:
    m = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    assert [layer.activation for layer in m.layers] == ["tanh", "linear"]
    m = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in m.layers] == ["tanh", "sigmoid"]
    assert nn.MLP(2, [4, 1], nonlin=False, seed=0).layers[0].activation == "linear"
    assert nn.Neuron(2, nonlin=False).activation == "linear"
    assert nn.Neuron(2, nonlin=True).activation == "relu"
    assert nn.Layer(2, 3, nonlin=False).activation == "linear"


def test_inputs_may_be_values_and_gradients_reach_them() -> None:
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    x = [Value(0.5), Value(-0.5)]
    model(x).backward()
    assert any(xi.grad != 0 for xi in x)


def test_wrong_input_length_and_type_say_what_was_expected() -> None:
    model = nn.MLP(3, [2, 1], seed=0)
    with pytest.raises(ValueError, match="MLP: expected 3 inputs, got 2"):
        model([1.0, 2.0])
    with pytest.raises(ValueError, match="Layer: expected 2 inputs, got 3"):
        nn.Layer(2, 2)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Neuron: expected 2 inputs, got 1"):
        nn.Neuron(2)([1.0])
    with pytest.raises(TypeError, match="expected a list of 3 inputs"):
        model(1.0)
    with pytest.raises(TypeError, match="dot"):
        model([1.0, "a", 2.0])


@pytest.mark.parametrize("make, match", [
    (lambda: nn.MLP(0, [1]), "nin must be a positive integer"),
    (lambda: nn.MLP(2, []), "at least one layer"),
    (lambda: nn.MLP(2, [3, 0]), "each layer size"),
    (lambda: nn.MLP(2, 3), "nouts must be a list"),
    (lambda: nn.Neuron(2, activation="softmax"), "activation must be 'linear', .* or 'tanh', got 'softmax'"),
    (lambda: nn.Neuron(2, init="zeros"), "init must be one of"),
    (lambda: nn.Neuron(2, seed="x"), "seed must be an int"),
    (lambda: nn.Neuron(2, nonlin="yes"), "nonlin must be True or False"),
])
def test_bad_arguments_are_named(make, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_seeding_is_reproducible_and_uniform_matches_micrograd_draws() -> None:
    a = nn.MLP(2, [4, 1], seed=3).state_dict()
    assert a == nn.MLP(2, [4, 1], seed=3).state_dict()
    assert a != nn.MLP(2, [4, 1], seed=4).state_dict()
    rng = random.Random(5)
    assert nn.MLP(2, [4, 1], seed=rng).state_dict() == nn.MLP(2, [4, 1], seed=random.Random(5)).state_dict()
    # seed=None draws from the global random module, weights first, in micrograd's order, biases 0
    random.seed(1337)
    model = nn.MLP(2, [3, 1])
    random.seed(1337)
    draws = [random.uniform(-1, 1) for _ in range(2 * 3 + 3)]
    weights = [p.data for n, p in model.named_parameters() if not n.endswith(".b")]
    assert weights == draws
    assert all(p.data == 0.0 for n, p in model.named_parameters() if n.endswith(".b"))


def test_init_schemes_have_the_documented_spread() -> None:
    layer = nn.Layer(200, 100, init="xavier", seed=0)
    ws = [p.data for n, p in layer.named_parameters() if not n.endswith(".b")]
    bound = math.sqrt(6 / 300)
    assert max(abs(w) for w in ws) <= bound
    assert statistics.pvariance(ws) == pytest.approx(2 / 300, rel=0.05)
    he = nn.Layer(200, 100, init="he", seed=0)
    ws = [p.data for n, p in he.named_parameters() if not n.endswith(".b")]
    assert statistics.pvariance(ws) == pytest.approx(2 / 200, rel=0.05)
    uni = nn.Layer(200, 100, init="uniform", seed=0)
    ws = [p.data for n, p in uni.named_parameters() if not n.endswith(".b")]
    assert statistics.pvariance(ws) == pytest.approx(1 / 3, rel=0.05)
    custom = nn.Neuron(3, init=lambda rng, fan_in, fan_out: 0.25)
    assert [w.data for w in custom.w] == [0.25] * 3


def test_zero_grad_state_dict_round_trip_and_repr() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, 1.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    state = model.state_dict()
    other = nn.MLP(2, [3, 1], seed=1)
    other.load_state_dict(state)
    assert other.state_dict() == state
    assert repr(model) == "MLP(2, [3, 1], activation='relu', output_activation='linear')"
    assert repr(nn.Neuron(2, fused=False)) == "Neuron(2, activation='relu', fused=False)"
    assert repr(nn.Layer(2, 3, activation="tanh")) == "Layer(2, 3, activation='tanh')"


def test_load_state_dict_rejects_mismatches_without_changing_anything() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    bad = dict(before)
    del bad["layers.0.neurons.0.b"]
    bad["extra"] = 1.0
    with pytest.raises(ValueError, match="missing 'layers.0.neurons.0.b'.*unexpected 'extra'"):
        model.load_state_dict(bad)
    with pytest.raises(ValueError, match="finite"):
        model.load_state_dict({**before, "layers.1.neurons.0.b": math.nan})
    with pytest.raises(TypeError, match="must be a number"):
        model.load_state_dict({**before, "layers.1.neurons.0.b": "1.0"})
    with pytest.raises(TypeError, match="expected a dict"):
        model.load_state_dict([1.0])
    assert model.state_dict() == before


def test_micrograd_lecture_loop_runs_unchanged() -> None:
    random.seed(42)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    n = nn.MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")
    assert len(n.parameters()) == 41
    losses = []
    for _ in range(20):
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.1 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.1 * losses[0]
    assert all(math.copysign(1, n(x).data) == y for x, y in zip(xs, ys))


def test_micrograd_style_layer_and_neuron_keywords() -> None:
    # micrograd: Neuron(nin, nonlin=True), Layer(nin, nout, **kwargs), MLP(nin, nouts)
    layer = nn.Layer(3, 2, nonlin=False)
    assert all(n.activation == "linear" for n in layer.neurons)
    assert isinstance(nn.MLP(2, [16, 16, 1])([0.1, 0.2]), Value)


def test_a_fused_layer_builds_the_nodes_its_neurons_build() -> None:
    layer = nn.Layer(3, 4, activation="tanh", seed=0)
    x = [Value(1.0), 2.0, Value(-1.0)]
    for neuron, out in zip(layer.neurons, layer(x)):
        alone = neuron(x)
        assert (out.data, out.label, out._op) == (alone.data, alone.label, alone._op)
        s, s_alone = out._prev[0], alone._prev[0]
        assert s._op == s_alone._op == "dot"
        assert s._prev[:3] == tuple(neuron.w) and s._prev[-1] is neuron.b
        assert [p.data for p in s._prev] == [p.data for p in s_alone._prev]
