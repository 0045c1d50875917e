#%% md
# 5. Vanishing and exploding gradients

Backpropagation multiplies. The gradient that reaches a weight in the first layer of a deep
network is a product with (roughly) one factor per layer above it: an activation's slope times a
weight, again and again. Multiply many numbers below 1 and the product **vanishes**; multiply
many numbers above 1 and it **explodes**. This lesson makes both visible and tries the usual
remedies:

1. the slopes of the activation functions;
2. gradient size per layer in deep sigmoid, tanh and relu networks;
3. initialisation that keeps the signal steady (Xavier, He);
4. an exploding run, caught by anomaly mode and tamed by clipping;
5. plain SGD, momentum and Adam on one hard problem.
#%% code
import math
import random

import matplotlib.pyplot as plt

import nn
from autograd import AnomalyError, Value, detect_anomaly, grad

random.seed(0)
plt.rcParams.update({"figure.figsize": (6.5, 3.8), "figure.dpi": 100, "font.size": 11})
#%% md
## 1. How steep is each activation?

The chain rule multiplies by the activation's slope at every layer. The engine can tell us
those slopes: here they are for sigmoid, tanh and relu.
#%% code
grid = [-5 + 10 * i / 200 for i in range(201)]

def slope(fn, x0):
    x = Value(x0)
    return grad(fn(x), [x])[0]

for name, fn in [("sigmoid", Value.sigmoid), ("tanh", Value.tanh), ("relu", Value.relu)]:
    plt.plot(grid, [slope(fn, g) for g in grid], label=f"slope of {name}")
plt.axhline(0.25, color="gray", ls=":", lw=1)
plt.legend(); plt.xlabel("input of the activation"); plt.title("activation slopes (from the engine)")
plt.show()
print("largest slope of sigmoid:", max(slope(Value.sigmoid, g) for g in grid))
#%% md
Sigmoid's slope is never more than a quarter. Ten sigmoid layers in a row multiply the gradient
by at most a quarter each time, before the weights even enter. tanh reaches slope 1, but only
near 0. relu's slope is exactly 1 for every positive input, so it passes gradients through
without shrinking them (and blocks them completely for negative inputs).

## 2. Gradient size, layer by layer

Now a real deep network: 8 hidden layers of 16 neurons on the moons data. We run one forward
and one backward pass and measure, for each layer, the size (the L2 norm) of the gradient of all
its weights together. All weights start the way micrograd starts them, uniformly in [-1, 1].
#%% code
X, y = nn.data.make_moons(32, noise=0.1, seed=0)
DEPTH, WIDTH = 8, 16

def layer_gradients(model):
    """The L2 norm of each layer's gradient after one backward pass of the MSE on (X, y)."""
    model.zero_grad()
    loss = nn.losses.mse([model(x) for x in X], y)
    loss.backward()
    return [math.sqrt(sum(p.grad ** 2 for p in layer.parameters())) for layer in model.layers]

def compare(setups, title):
    norms = {}
    for label, activation, init in setups:
        for seed in range(3):   # three different random starts, to see the spread
            model = nn.MLP(2, [WIDTH] * DEPTH + [1], activation=activation, init=init, seed=seed)
            norms.setdefault(label, []).append(layer_gradients(model))
    for i, (label, runs) in enumerate(norms.items()):
        for k, run in enumerate(runs):
            plt.semilogy(range(1, DEPTH + 2), run, "o-", color=f"C{i}", alpha=0.7,
                         label=label if k == 0 else None, markersize=3)
    plt.xlabel("layer (1 = next to the input)"); plt.ylabel("gradient norm (log scale)")
    plt.title(title); plt.legend(); plt.show()
    for label, runs in norms.items():
        ratios = [run[0] / run[-1] for run in runs]
        print(f"{label}: first layer / last layer = {min(ratios):.2g} to {max(ratios):.2g}, "
              f"last layer's gradient {min(run[-1] for run in runs):.2g} to {max(run[-1] for run in runs):.2g}")
    return norms

uniform = compare([("sigmoid", "sigmoid", "uniform"), ("tanh", "tanh", "uniform"), ("relu", "relu", "uniform")],
                  "micrograd's uniform init, three seeds each")
#%% md
Read the plot from right to left, the way backpropagation travels. With sigmoid, the
gradient shrinks at every layer, and the first layer gets only a tiny fraction of what the last
one gets (the printed ratio). Those early layers barely learn: a **vanishing gradient**. With
uniform weights in [-1, 1], the tanh and relu networks keep their gradients large, but look at
the scale: relu's are much larger than the others', because with these weights every layer
makes the signal bigger on the way forward, and the gradients grow with it.

## 3. Initialisation: keep the signal the same size

A layer with `n` inputs adds up `n` products. If each weight is drawn with variance `v`, the
sum's variance is about `n * v` times the inputs' variance. To keep signals (and gradients)
the same size from layer to layer, `v` should shrink as `1/n`:

* **Xavier (Glorot)** initialisation: variance `2 / (fan_in + fan_out)`, made for tanh, which
  behaves like the identity near 0 (slope 1, output 0). Sigmoid does not: near 0 it is about
  `1/2 + x/4`, a slope of a quarter, and its outputs are all positive;
* **He** initialisation: variance `2 / fan_in`, twice as large, because relu zeroes half of its
  inputs and so halves the variance.

`nn.MLP(..., init="xavier")` and `init="he"` do this:
#%% code
matched = compare([("sigmoid, xavier", "sigmoid", "xavier"), ("tanh, xavier", "tanh", "xavier"),
                   ("relu, he", "relu", "he")],
                  "Xavier for sigmoid and tanh, He for relu, three seeds each")

def median_ratio(runs):
    return sorted(run[0] / run[-1] for run in runs)[len(runs) // 2]

print(f"sigmoid: the first layer's share is {median_ratio(uniform['sigmoid']) / median_ratio(matched['sigmoid, xavier']):.0f}"
      " times smaller with Xavier than with the uniform start (medians of the three seeds)")
#%% md
tanh with Xavier and relu with He keep the gradient within a small factor of the same size all
the way down: the network can train every layer. Sigmoid gets *worse* with Xavier, by the factor
printed above: for 16 inputs and 16 outputs Xavier's weights (variance 1/16) are smaller than
the uniform ones (variance 1/3), so every layer multiplies the gradient by smaller weights as well
as by a slope of at most a quarter. No starting scale fixes that slope: this is one reason deep
networks moved from sigmoid to relu (and lesson 8 shows two changes to the network that do help).

**Try this:** set `DEPTH = 16` and re-run this section. Which curves change the most?

## 4. An exploding run

Now a network whose gradients are too *large*: 8 hidden relu layers of 12 neurons, micrograd's
uniform start, plain gradient descent. We print the loss and the size of the whole gradient
at every step, and stop at the first number that is no longer finite (overflow).
#%% code
Xd, yd = nn.data.make_moons(40, noise=0.1, seed=0)

def train(model, lr=0.01, steps=10, clip=None, verbose=True):
    """Full-batch gradient descent on the MSE; returns the losses.

    Stops at the first number that is not finite."""
    params = model.parameters()
    losses = []
    for step in range(steps):
        try:
            loss = nn.losses.mse([model(x) for x in Xd], yd)
            model.zero_grad()
            loss.backward()
        except OverflowError as e:   # an op's result is too large for a float
            if verbose:
                print(f"step {step}: {type(e).__name__}: {e}")
            break
        size = math.hypot(*(p.grad for p in params))   # the L2 norm, without squares that could overflow
        losses.append(loss.data)
        if verbose:
            print(f"step {step}: loss {loss.data:10.4g}   gradient size {size:10.4g}")
        if not (math.isfinite(loss.data) and math.isfinite(size)):
            break   # no step can be taken with an infinite or undefined gradient
        if clip is not None:
            nn.optim.clip_grad_norm(params, clip)
        for p in params:
            p.data -= lr * p.grad
    return losses

def deep_relu(init="uniform"):
    return nn.MLP(2, [12] * 8 + [1], activation="relu", init=init, seed=0)

exploded = train(deep_relu())
#%% md
Each step is huge because the gradient is huge; the step throws the weights far away, the
next forward pass produces bigger numbers still, and within a few steps the arithmetic runs out
of floats. In a long training run, this usually shows up as a loss of `nan` out of nowhere.

### Anomaly mode: where did it go wrong?

`detect_anomaly()` checks every value and every gradient as it is computed. The first one that
is not finite raises an `AnomalyError` naming the operation, its inputs and the line of *your*
code that created it.
#%% code
try:
    with detect_anomaly():
        train(deep_relu(), verbose=False)
except AnomalyError as e:
    print("AnomalyError:", e)
#%% md
### Remedies

* **Gradient clipping**: if the whole gradient is longer than `max_norm`, scale it down to that
  length before the update (`nn.optim.clip_grad_norm(params, max_norm)`); the direction is kept,
  only the step is shortened.
* **A lower learning rate**: smaller steps, same direction.
* **A better initialisation** (He, for relu), which keeps the gradient from being huge in the
  first place.

Each of them, on the same network, for 15 steps:
#%% code
STEPS = 15
runs = {
    "no fix (lr 0.01)": train(deep_relu(), steps=STEPS, verbose=False),
    "clipping, max_norm = 1": train(deep_relu(), steps=STEPS, clip=1.0, verbose=False),
    "lower lr (0.0005)": train(deep_relu(), lr=0.0005, steps=STEPS, verbose=False),
    "He init (lr 0.01)": train(deep_relu("he"), steps=STEPS, verbose=False),
}
for name, losses in runs.items():
    finite = [v for v in losses if math.isfinite(v)]
    plt.semilogy(range(len(finite)), finite, "o-", markersize=3, label=name)
    print(f"{name:24s} loss {losses[0]:.4g} -> {losses[-1]:.4g} after {len(losses)} steps")
plt.ylim(0.3, 1000)   # the run without a fix leaves the top of the plot
plt.xlabel("step"); plt.ylabel("loss (log scale)"); plt.legend()
plt.title("the same deep relu network, four ways"); plt.show()
clipped = runs["clipping, max_norm = 1"]
print(f"with clipping: loss {clipped[0]:.4g} -> {clipped[-1]:.4g}")
#%% md
The unfixed run leaves the plot after a few steps; the three fixes keep training going.
Clipping and a lower learning rate only slow things down to a safe speed. He initialisation
starts from a network whose outputs, and so whose loss and gradients, are of a sensible size.

**Try this:** clip at `max_norm = 10` or `0.1`; try `lr=0.002` without clipping.

## 5. SGD, momentum and Adam on one hard problem

Optimizers differ in *how* they turn a gradient into a step. A clear way to see it is a
function of two numbers with a long, narrow, curved valley, the Rosenbrock function
`f(x, y) = (1 - x)**2 + 100 (y - x**2)**2`, whose lowest point is at `(1, 1)`.

* **SGD** steps straight down the local slope. In a narrow valley the slope points mostly
  across the valley, not along it, so progress along the floor is slow.
* **Momentum** keeps a running sum of past gradients, like a ball that gathers speed: the
  across-valley components cancel out, the along-valley ones add up.
* **Adam** scales each parameter's step by a running average of its gradient's size, so steep
  and flat directions both get sensible steps.
#%% code
def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2

def descend(make_optimizer, steps=500, start=(-1.5, 2.0)):
    """The path of (x, y) over the steps; it ends early if the numbers overflow."""
    x, y = Value(start[0], label="x"), Value(start[1], label="y")
    opt = make_optimizer([x, y])
    path = [(x.data, y.data)]
    for _ in range(steps):
        try:
            loss = rosenbrock(x, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        except OverflowError:   # a number too large for a float
            break
        path.append((x.data, y.data))
    return path

optimizers = {
    "SGD, lr 0.001": lambda p: nn.optim.SGD(p, lr=0.001),
    "momentum 0.9, lr 0.001": lambda p: nn.optim.SGD(p, lr=0.001, momentum=0.9),
    "Adam, lr 0.1": lambda p: nn.optim.Adam(p, lr=0.1),
}
paths = {name: descend(make) for name, make in optimizers.items()}

def f_at(point):
    """f at a point of a path, inf where it no longer fits in a float."""
    try:
        return rosenbrock(*point)
    except OverflowError:
        return math.inf

fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 8.5), gridspec_kw={"height_ratios": [3, 2]})
xs = [-2 + 4 * i / 150 for i in range(151)]
ys = [-1 + 4 * j / 150 for j in range(151)]
top.contour(xs, ys, [[rosenbrock(a, b) for a in xs] for b in ys],
            levels=[0.5, 2, 8, 30, 100, 300, 1000], colors="gray", linewidths=0.6)
top.plot([1], [1], "k*", markersize=12)
styles = [dict(ls="-", lw=3.5), dict(ls="-", lw=2), dict(ls="--", lw=1.5, marker=".", markevery=20)]
for i, (name, path) in enumerate(paths.items()):   # each later path drawn thinner, over the ones before
    top.plot([p[0] for p in path], [p[1] for p in path], color=f"C{i}", label=name, **styles[i])
    top.plot(*path[-1], "o", color=f"C{i}", markersize=8, markeredgecolor="k", zorder=5)   # where it ended
    bottom.semilogy([f_at(p) for p in path], color=f"C{i}", label=name, **styles[i])
top.set_xlim(-2, 2); top.set_ylim(-1, 3)
top.set_title(f"{len(paths[next(iter(paths))]) - 1} steps from (-1.5, 2); dots: where each ended"); top.legend()
bottom.set_title("f along the way"); bottom.set_xlabel("step"); bottom.legend()
plt.tight_layout(); plt.show()
for name, path in paths.items():
    x_end, y_end = path[-1]
    stopped = f"   (stopped after {len(path) - 1} steps: overflow)" if len(path) < 501 else ""
    print(f"{name:24s} ends at ({x_end:.3g}, {y_end:.3g}), f = {f_at(path[-1]):.3g}{stopped}")
#%% md
With these settings, momentum and Adam reach the neighbourhood of `(1, 1)` while plain SGD is
still creeping along the valley floor. Settings matter: no optimizer wins for every learning
rate, and each can be made to fail.

**Try this:** give SGD a larger learning rate: change `lr=0.001)` in its line to `lr=0.002)`.
It gets much faster and ends near `(1, 1)`. Then try `lr=0.0025)`: one step jumps across the
narrow valley to a point where the walls are steeper still, the next jump is larger, and the
numbers overflow within ten steps, as in section 4. Try `momentum=0.99`, or Adam with
`lr=0.01`.

## Summary

* Gradients are products over layers: small factors make them vanish, large ones make them
  explode.
* Sigmoid's slope is at most 0.25, which is why deep sigmoid networks starve their early layers;
  relu passes gradients through unchanged where it is active.
* Xavier (tanh) and He (relu) initialisation keep signals the same size from layer to layer;
  no starting scale saves a deep sigmoid network.
* Clipping, a lower learning rate and a better start all tame an exploding run; anomaly mode
  tells you where the first infinity or NaN appeared.
* Momentum and Adam turn the same gradients into better steps than plain SGD on badly shaped
  problems.
