#%% md
# 8. Keeping gradients healthy

Lesson 5 found networks that a better initialisation could not save: deep sigmoid networks
starve their first layers, because every layer multiplies the gradient by a slope of at most a
quarter. This lesson builds a network with 25 hidden sigmoid layers and tries the two changes to
the architecture that modern networks rely on:

1. **residual connections**, `y = x + f(x)`, which give the gradient a path that skips the layer;
2. **normalisation** of each layer's activations, per example (layer norm) or over a batch (batch
   norm);

and then, for gradients that grow instead of shrink, two changes to training:

3. a **lower learning rate** and **weight regularisation**, against a run that explodes.

Every block here is built from Values, so every gradient still comes from `backward()`.
#%% code
import math
import random

import matplotlib.pyplot as plt

import nn
from autograd import Value, jacobian

plt.rcParams.update({"figure.dpi": 100, "font.size": 11})
#%% md
## 1. A deep plain network

The data are 32 moons. The network: 25 hidden layers of 16 sigmoid neurons each (the first
from the 2 inputs, then `DEPTH = 24` more from 16 to 16), then one linear output neuron. They
start with Xavier's scale, the usual one for sigmoid and tanh; lesson 5 showed that no starting
scale saves a deep sigmoid network. `nn.Sequential` stacks any blocks the way `nn.MLP` stacks
layers; we use it so that later we can put other blocks between the layers.

We measure what lesson 5 measured: after one backward pass of the mean squared error, the size
(L2 norm) of the gradient of each layer's weights and biases.
#%% code
X, y = nn.data.make_moons(32, noise=0.1, seed=0)
DEPTH, WIDTH = 24, 16
HIDDEN = DEPTH + 1   # the first layer, from the 2 inputs, is a sigmoid layer too

def deep(kind, seed):
    """Layer(2, 16), then DEPTH sigmoid layers of 16 (each wrapped or followed as `kind` says), then Layer(16, 1)."""
    rng = random.Random(seed)        # one random stream for all the layers of one network
    blocks = [nn.Layer(2, WIDTH, activation="sigmoid", init="xavier", seed=rng)]
    for _ in range(DEPTH):
        layer = nn.Layer(WIDTH, WIDTH, activation="sigmoid", init="xavier", seed=rng)
        blocks.append(nn.Residual(layer) if kind == "residual" else layer)
        if kind == "layer norm":
            blocks.append(nn.LayerNorm(WIDTH))
        if kind == "batch norm":
            blocks.append(nn.BatchNorm(WIDTH))
    blocks.append(nn.Layer(WIDTH, 1, activation="linear", init="xavier", seed=rng))
    return nn.Sequential(*blocks)

def layer_gradients(model):
    """The L2 norm of each dense layer's gradient after one backward pass on the whole batch."""
    model.zero_grad()
    loss = nn.losses.mse(model.forward_batch(X), y)   # forward_batch: batch norm sees the whole batch
    loss.backward()
    return [math.sqrt(sum(p.grad ** 2 for p in layer.parameters())) for layer in nn.inspect.dense_layers(model)]

plain = deep("plain", 0)
print(plain.layers[1], "...", len(plain.layers), "blocks,", len(plain.parameters()), "parameters")
norms = layer_gradients(plain)
print(f"gradient norm of hidden layer 1: {norms[0]:.2g}, of hidden layer {HIDDEN}: {norms[-2]:.2g} "
      f"(10^{math.log10(norms[0] / norms[-2]):.0f} of it)")
#%% md
The first hidden layer's gradient is some sixteen orders of magnitude smaller than the last
one's (the power of ten printed above): after 25 layers of slopes below 0.25, almost nothing is
left. Gradient descent would change those weights by nothing at all.

## 2. Residual connections

A residual block adds its input to its output: `y = x + f(x)`, where `f` is an ordinary layer.
`nn.Residual(layer)` builds it. Its derivative is

    dy/dx = I + df/dx

so the gradient arriving at `y` reaches `x` twice: once through the layer (shrunk by the
sigmoid's slope, as before) and once unchanged, through the `+`. Whatever happens inside the
layers, the skip path carries the gradient down the whole stack.
#%% code
block = nn.Residual(nn.Layer(3, 3, activation="sigmoid", seed=0))
x_in = [Value(v, label=f"x{i}") for i, v in enumerate([0.3, -0.5, 1.0])]
J_block = jacobian(block(x_in), x_in)
J_layer = jacobian(block.body(x_in), x_in)
print("dy/dx of the residual block minus df/dx of its layer:")
for row_b, row_l in zip(J_block, J_layer):
    print("  ", [round(b - l, 12) for b, l in zip(row_b, row_l)])
residual = deep("residual", 0)
norms = layer_gradients(residual)
print(f"gradient norm of hidden layer 1: {norms[0]:.2g}, of hidden layer {HIDDEN}: {norms[-2]:.2g}")
#%% md
## 3. Normalisation

The other remedy rescales the activations of each layer. **Layer normalisation** takes one
example's 16 activations, subtracts their mean and divides by their standard deviation, then
applies a learnable scale `gamma` and shift `beta` per neuron (starting at 1 and 0):

    y_i = gamma_i * (a_i - mean(a)) / sqrt(var(a) + eps) + beta_i

**Batch normalisation** does the same for each neuron over the examples of a batch: neuron i's
mean and variance are taken over the 32 examples, so in training mode it needs the whole batch
(`forward_batch`), and it keeps running averages of those statistics for evaluation mode
(`eval()`), where each example is normalised on its own.

Why it helps the gradient: sigmoid outputs of a deep layer are squeezed into a narrow band (they
vary little from neuron to neuron). Dividing by their small standard deviation on the way forward
multiplies the gradient by the same large factor on the way back, which cancels the shrinking of
the slopes. The mean, variance and square root are nodes of the graph, so `backward()`
differentiates through them like through anything else.
#%% code
norm_layer = nn.LayerNorm(4)
print("layer norm of [1, 2, 3, 10]:", [round(v.data, 3) for v in norm_layer([1.0, 2.0, 3.0, 10.0])])
bn = nn.BatchNorm(2)
batch = bn.forward_batch([[1.0, 10.0], [2.0, 20.0], [3.0, 60.0]])
print("batch norm of a batch of 3:", [[round(v.data, 3) for v in ex] for ex in batch])
print("running mean after one batch:", [round(m, 3) for m in bn.running_mean], " (momentum 0.1, from 0)")
for kind in ("layer norm", "batch norm"):
    norms = layer_gradients(deep(kind, 0))
    print(f"{kind}: gradient norm of hidden layer 1: {norms[0]:.2g}, of hidden layer {HIDDEN}: {norms[-2]:.2g}")
#%% md
## 4. All four, layer by layer

Three random starts of each network; the lines show the gradient norm of every layer, from the
input (left) to the output (right).
#%% code
KINDS = ["plain", "residual", "layer norm", "batch norm"]
profiles = {kind: [layer_gradients(deep(kind, seed)) for seed in range(3)] for kind in KINDS}

fig, ax = plt.subplots(figsize=(8, 4.5))
for i, kind in enumerate(KINDS):
    for k, run in enumerate(profiles[kind]):
        ax.semilogy(range(1, len(run) + 1), run, "o-", color=f"C{i}", markersize=2.5, alpha=0.75,
                    label=kind if k == 0 else None)
ax.set_xlabel(f"layer (1..{HIDDEN} = the hidden sigmoid layers, {HIDDEN + 1} = the output)")
ax.set_ylabel("gradient norm (log scale)")
ax.set_title(f"{HIDDEN} hidden sigmoid layers, three random starts each")
ax.legend(); plt.show()

for kind in KINDS:
    ratios = [run[0] / run[-2] for run in profiles[kind]]
    every = [g / run[-2] for run in profiles[kind] for g in run[:-1]]   # every hidden layer, every start
    print(f"{kind:10s}: hidden layer 1 / hidden layer {HIDDEN} = " + ", ".join(f"{r:.2g}" for r in ratios)
          + f";  any hidden layer / the last: {min(every):.2g} to {max(every):.2g}")
residual_above = sum(r > n for k in range(3) for r, n in zip(profiles["residual"][k][:-1], profiles["layer norm"][k][:-1]))
print(f"the residual network's gradient is above layer norm's at {residual_above} of {3 * HIDDEN} hidden layers"
      " (3 starts)")
factor = max(max(1 / g, g) for kind in KINDS[1:] for run in profiles[kind] for g in (v / run[-2] for v in run[:-1]))
print(f"residual, layer norm and batch norm: every hidden layer within a factor of {factor:.0f} of the last")
#%% md
The plain network's curve falls by about sixteen orders of magnitude from right to left. The three
others stay flat: every hidden layer's gradient is within a few tens of the last hidden layer's
(the factor printed above), all the way down to the first, instead of sixteen orders of
magnitude. Two details to notice:

* the residual network's gradients are larger than layer norm's at most layers (the count is
  printed above): its skip path adds up the outputs of all 24 blocks, and sigmoid outputs are
  positive, so its activations (and the last layer's inputs) grow block after block.
  Normalisation does not let them drift; that is one reason real networks combine the two, with
  a normalisation inside each residual block;
* with batch norm the first hidden layer gets a *larger* gradient than the last, for every
  start (the first ratio printed for it is above 1): normalising can overshoot as well as
  correct.

### Does it train?

Healthy gradients are what let the first layers learn. 150 epochs of Adam on the plain, the
residual and the layer norm network (the batch replay, `vectorize=True`, makes this quick; batch norm is left out because in
training mode it needs the whole batch, which the replay of one example at a time cannot
express):
#%% code
histories = {}
for kind in ["plain", "residual", "layer norm"]:
    model = deep(kind, 0)
    histories[kind] = nn.fit(model, X, y, loss="mse", optimizer=nn.optim.Adam(model.parameters(), lr=0.001),
                             epochs=150, progress=False, vectorize=True)
    print(f"{kind:10s}: loss {histories[kind].loss[0]:7.3f} -> {histories[kind].loss[-1]:.3f}, "
          f"accuracy after training {histories[kind]['accuracy'][-1]:.2f}")
fig, ax = plt.subplots(figsize=(7, 3.5))
for i, (kind, h) in enumerate(histories.items()):
    ax.plot(h["accuracy"], color=f"C{i}", label=kind)
ax.set_xlabel("epoch"); ax.set_ylabel("training accuracy"); ax.set_ylim(0.4, 1.0); ax.legend()
ax.set_title(f"the same {HIDDEN} sigmoid layers, plain and with two remedies"); plt.show()
#%% md
The plain network never leaves 50%: it answers the same for every point. With the skip
connections or the layer normalisation, the same 25 sigmoid layers learn. (A deep sigmoid
network is still a poor choice for 32 points; the point here is only that it can now learn at
all.)

## 5. When gradients explode

The opposite failure: lesson 5's network with 8 relu layers of 12 neurons, started with
micrograd's uniform weights, which make every layer amplify its input. Its first gradient has
a norm of about 150 (printed at the end of the section), and plain gradient descent with a
learning rate of 0.01 turns that into a step that makes the next gradient larger still, until
the numbers overflow.

Two remedies that act on training rather than on the architecture:

* **a lower learning rate**: the same direction, a shorter step, so no step can throw the
  weights far;
* **weight regularisation**: keeping the weights themselves small, since an exploding gradient
  is a product of weights. The common form is an **L2 penalty**, `l2 * sum(w**2)` added to the
  loss (`nn.fit(..., l2=)`, `nn.losses.l2`), whose gradient `2 * l2 * w` pulls every weight
  towards 0. A stricter form is a **cap on each neuron's weight vector** (max-norm): after each
  step, a neuron whose weights are longer than `c` has them scaled back to length `c`.
#%% code
Xd, yd = nn.data.make_moons(40, noise=0.1, seed=0)

def deep_relu():
    return nn.MLP(2, [12] * 8 + [1], activation="relu", seed=0)

def cap(model, c):
    """Max-norm: scale back every neuron's weight vector that is longer than c."""
    for layer in model.layers:
        for neuron in layer.neurons:
            length = math.sqrt(sum(w.data ** 2 for w in neuron.w))
            if length > c:
                for w in neuron.w:
                    w.data *= c / length

def train(model, lr, steps=60, l2=0.0, max_norm=None):
    """Full-batch gradient descent on the MSE (plus the L2 penalty); stops when the numbers overflow."""
    params = model.parameters()
    losses, sizes = [], []
    for step in range(steps):
        try:
            loss = nn.losses.mse([model(x) for x in Xd], yd)
            total = loss + nn.losses.l2(params, l2) if l2 else loss
            model.zero_grad()
            total.backward()
        except OverflowError:
            break
        size = math.sqrt(sum(p.grad * p.grad for p in params))   # inf once the squares overflow
        if not (math.isfinite(loss.data) and math.isfinite(size)):
            break
        losses.append(loss.data)
        sizes.append(size)
        for p in params:
            p.data -= lr * p.grad
        if max_norm is not None:
            cap(model, max_norm)
    return losses, sizes

runs = {
    "lr 0.01 (explodes)": train(deep_relu(), lr=0.01),
    "lower lr, 0.001": train(deep_relu(), lr=0.001),
    "lr 0.01, L2 penalty 0.01": train(deep_relu(), lr=0.01, l2=0.01),
    "lr 0.01, max-norm 2": train(deep_relu(), lr=0.01, max_norm=2.0),
}
fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 7.5), sharex=True)
styles = [dict(ls="-", lw=6, alpha=0.45), dict(ls="-", lw=2), dict(ls="--", lw=1.5, marker="o", markersize=4),
          dict(ls="-", lw=2)]   # the L2 run follows the exploding one: thin and dashed, drawn over it
for i, (name, (losses, sizes)) in enumerate(runs.items()):
    for ax, values in ((top, losses), (bottom, sizes)):
        ax.semilogy(values, color=f"C{i}", label=name, **styles[i])
        if len(values) < 60:   # the run overflowed: mark where it left
            ax.plot(len(values) - 1, min(values[-1], 2e6), "x", color=f"C{i}", markersize=12, mew=2)
    print(f"{name:26s} {len(losses):2d} finite steps, loss {losses[0]:.3g} -> {losses[-1]:.3g}")
top.set_ylim(0.1, 1e7); bottom.set_ylim(0.01, 1e7)
top.set_title("training loss (x: the last step before overflow)")
bottom.set_title("size of the whole gradient"); bottom.set_xlabel("step")
top.legend(); plt.tight_layout(); plt.show()
losses, sizes = runs["lr 0.01, max-norm 2"]
print("max-norm 2, first steps: loss", " ".join(f"{v:.3g}" for v in losses[:5]),
      "  gradient size", " ".join(f"{v:.3g}" for v in sizes[:5]))
#%% md
Without a remedy the run lasts only a few steps. A learning rate ten times lower trains without
trouble. The cap on the weights also trains, at the original learning rate, after a rough
start: in its first steps the loss and the gradient still jump up, several times over (printed
above), but no neuron's weights can grow past length 2, so no layer can amplify its input
without bound; within a few steps the gradient falls back and the loss settles.

The L2 penalty does **not** save this run, and the reason is worth seeing. Its pull on the
weights is proportional to the weights, while the exploding gradient grows with their product:
at the first step the data's gradient is hundreds of times stronger than the penalty's.
#%% code
model = deep_relu()
params = model.parameters()
data_loss = nn.losses.mse([model(x) for x in Xd], yd)
model.zero_grad(); data_loss.backward()
data_size = math.sqrt(sum(p.grad * p.grad for p in params))   # inf once the squares overflow
pull_size = 2 * 0.01 * math.sqrt(sum(p.data ** 2 for p in params))
print(f"first step: size of the data's gradient {data_size:.3g}, of the L2 penalty's {pull_size:.3g} "
      f"({data_size / pull_size:.0f} times weaker)")
#%% md
An L2 penalty works over many steps: in a long run it stops weights from slowly growing into
the region where gradients explode, and it is usually paired with a learning rate low enough
that no single step can get there. A hard cap acts at once.

## Summary

* A deep stack of layers multiplies the gradient by one factor per layer; sigmoid layers make
  those factors small, and 25 of them leave the first layer with nothing (about 10^-16 of the
  last).
* A residual connection `y = x + f(x)` adds an identity path: `dy/dx = I + df/dx`, so the
  gradient reaches every layer.
* Layer norm (per example) and batch norm (per neuron over a batch, with running statistics for
  evaluation) rescale activations forward and so rescale gradients backward. All three keep
  every layer's gradient within a few tens of the last layer's; the residual and the layer norm
  networks, trained here, learn.
* Against exploding gradients: a lower learning rate, and keeping weights small. A hard cap on
  each neuron's weights rescues a run that explodes at once; an L2 penalty is too gentle for
  that and works over a long run.

**Try this:** set `DEPTH = 40`, or use `"tanh"` in `deep`; try `max_norm=5` and `l2=1.0`.
