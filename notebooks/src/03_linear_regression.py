#%% md
# 3. Linear regression: the smallest network there is

A straight line `y = m*x + b` is a neural network with one input, one weight (`m`) and one
bias (`b`), and no activation. Training it uses exactly the loop that trains big networks:

1. **forward**: compute predictions from the current `m` and `b`;
2. **loss**: measure how wrong they are with one number;
3. **backward**: find how the loss changes when `m` or `b` moves a little;
4. **update**: move `m` and `b` a small step in the direction that lowers the loss.

Because the model is tiny, we can do step 3 with pen and paper first and then check that the
engine gets the same numbers.
#%% code
import math
import random

import matplotlib.pyplot as plt

from autograd import Value

random.seed(0)
plt.rcParams.update({"figure.figsize": (6, 3.6), "figure.dpi": 100, "font.size": 11})
#%% md
## Some data with a line hidden in it

We invent the answer, `TRUE_M` and `TRUE_B`, make points on that line, and shake each one
up and down with some noise. Training should find numbers close to the ones we hid.
#%% code
TRUE_M, TRUE_B, NOISE, N = 2.0, -1.0, 0.5, 40

xs = [random.uniform(-1.0, 3.0) for _ in range(N)]
ys = [TRUE_M * x + TRUE_B + random.gauss(0.0, NOISE) for x in xs]

plt.scatter(xs, ys, s=14)
plt.xlabel("x"); plt.ylabel("y"); plt.title(f"{N} noisy points around y = {TRUE_M} x + {TRUE_B}")
plt.show()
#%% md
## One number for "how wrong": the mean squared error

For every point, the prediction misses by `m*x + b - y`. Squaring makes every miss positive
and punishes big misses much more than small ones; averaging over the points gives one number,
the **mean squared error** (MSE):

$$\text{MSE}(m, b) = \frac{1}{N}\sum_{i=1}^{N} (m x_i + b - y_i)^2$$

The loss is a function of the two parameters. Here is that function drawn as a contour map:
each ring joins the `(m, b)` pairs with the same loss, and the bottom of the bowl is the best
line.
#%% code
def mse(m, b):
    return sum((m * x + b - y) ** 2 for x, y in zip(xs, ys)) / N

ms = [-1.0 + 0.05 * i for i in range(121)]   # m from -1 to 5
bs = [-4.0 + 0.05 * j for j in range(121)]   # b from -4 to 2
Z = [[mse(m, b) for m in ms] for b in bs]

def loss_map(title="the MSE as a function of m and b"):
    plt.contour(ms, bs, Z, levels=[0.3, 0.5, 1, 2, 4, 8, 16, 32], cmap="viridis")
    plt.plot([TRUE_M], [TRUE_B], "k*", markersize=10, label="the line we hid")
    plt.xlabel("m"); plt.ylabel("b"); plt.title(title)

loss_map(); plt.legend(); plt.show()
#%% md
## The gradient by hand

Differentiate the MSE with respect to each parameter (the chain rule on the square, then the
sum rule):

$$\frac{\partial\,\text{MSE}}{\partial m} = \frac{2}{N}\sum_i (m x_i + b - y_i)\,x_i
\qquad
\frac{\partial\,\text{MSE}}{\partial b} = \frac{2}{N}\sum_i (m x_i + b - y_i)$$

The pair of numbers points uphill on the map above. **Gradient descent** walks the other
way: `m <- m - lr * dMSE/dm`, and the same for `b`, where the **learning rate** `lr` sets the
size of each step.
#%% code
def hand_gradient(m, b):
    errors = [m * x + b - y for x, y in zip(xs, ys)]
    dm = 2 / N * sum(e * x for e, x in zip(errors, xs))
    db = 2 / N * sum(errors)
    return dm, db

m, b, lr = 0.0, 0.0, 0.05
for step in range(201):
    if step % 40 == 0:
        print(f"step {step:3d}   m = {m:7.4f}   b = {b:7.4f}   MSE = {mse(m, b):.4f}")
    dm, db = hand_gradient(m, b)
    m, b = m - lr * dm, b - lr * db
#%% md
The line found is close to the hidden one, though not equal to it: with noisy data the best
line for *these* points is a little off the line that made them.

## The same gradient, from the engine

Now let the engine do step 3. We build the loss out of `Value`s, call `backward()` once, and
read `m.grad` and `b.grad`. They should match the formulas above at any point; let's check at
one arbitrary point.
#%% code
m = Value(0.5, label="m")
b = Value(0.3, label="b")
loss = sum((m * x + b - y) ** 2 for x, y in zip(xs, ys)) / N
loss.backward()

print("engine:", m.grad, b.grad)
print("hand:  ", *hand_gradient(0.5, 0.3))
#%% md
The two agree (up to the last digit or so of floating-point rounding). Notice that nobody told
the engine the formula for the derivative of the MSE: it only knows the derivative of `*`, `+`,
`-`, `**2` and `/`, and the chain rule stitches them together.

Here is the engine's training loop. Two details matter:

* `backward()` **adds** into `.grad` (more on why in lesson 1), so we reset the gradients to
  zero before each backward pass;
* the update changes `.data` directly: it is not part of the computation we differentiate.
#%% code
def train(lr, steps, m0=0.0, b0=0.0):
    """Full-batch gradient descent with the engine.

    Returns the path of (m, b, loss): path[k] is where the k-th step landed (path[0] the start).
    Stops early if the loss overflows.
    """
    m, b = Value(m0, label="m"), Value(b0, label="b")
    path = []
    for step in range(steps + 1):
        try:
            loss = sum((m * x + b - y) ** 2 for x, y in zip(xs, ys)) / N   # forward + loss
        except OverflowError:                                               # too large for a float
            path.append((m.data, b.data, math.inf))
            break
        path.append((m.data, b.data, loss.data))
        if step == steps or not math.isfinite(loss.data):
            break
        m.grad = b.grad = 0.0                                           # forget old gradients
        loss.backward()                                                 # backward
        m.data -= lr * m.grad                                           # update
        b.data -= lr * b.grad
    return path

path = train(lr=0.05, steps=200)
m_fit, b_fit, final_loss = path[-1]
print(f"after {len(path) - 1} steps: m = {m_fit:.4f}, b = {b_fit:.4f}, MSE = {final_loss:.4f}")
#%% md
The walk on the loss map: each dot is one step. The steps are long where the bowl is steep
and get shorter as the slope flattens near the bottom.
#%% code
loss_map("gradient descent, lr = 0.05")
plt.plot([p[0] for p in path], [p[1] for p in path], ".-", color="C3", markersize=4, label="path of (m, b)")
plt.legend(); plt.show()

plt.scatter(xs, ys, s=14, label="data")
grid = [-1.0, 3.0]
plt.plot(grid, [m_fit * x + b_fit for x in grid], "C3", label=f"fitted: y = {m_fit:.2f} x + {b_fit:.2f}")
plt.plot(grid, [TRUE_M * x + TRUE_B for x in grid], "k--", label="hidden line")
plt.legend(); plt.show()
#%% md
The engine's 200 steps land exactly where the 200 steps with the gradient by hand did.

**Try this:** start somewhere else: in a new cell, `path = train(0.05, 200, m0=4.5, b0=1.5)`, then
run the picture cell above again. Does it still end at the same place? (For a bowl like this one
there is only one bottom.)

## The learning rate: too small, about right, too large

The learning rate is the one number we have to choose. Too small, and each step barely moves;
too large, and each step jumps past the bottom to a higher point on the other side, then further
still: the loss grows without limit. That is called **divergence**.

For the MSE of a line there is a precise limit. The loss is a quadratic bowl, and gradient
descent on a bowl is stable only when `lr` is below `2 / c`, where `c` is its steepest
curvature (the largest eigenvalue of the matrix of second derivatives). We can compute it:
#%% code
# Second derivatives of the MSE: d2/dm2 = 2/N sum x^2, d2/db2 = 2, d2/dm db = 2/N sum x.
a11, a22, a12 = 2 / N * sum(x * x for x in xs), 2.0, 2 / N * sum(xs)
c = (a11 + a22) / 2 + math.sqrt(((a11 - a22) / 2) ** 2 + a12 ** 2)
print(f"steepest curvature c = {c:.3f}; gradient descent diverges for lr > 2/c = {2 / c:.3f}")
#%% code
LIMIT = 2 / c
runs = {
    "lr = 0.005 (too small)": 0.005,
    "lr = 0.05": 0.05,
    f"lr = {0.95 * LIMIT:.3f} (just below the limit)": 0.95 * LIMIT,
    f"lr = {1.05 * LIMIT:.3f} (just above)": 1.05 * LIMIT,
}
for name, lr in runs.items():
    losses = [p[2] for p in train(lr, steps=60)]
    plt.semilogy(losses, label=name)
    verdict = "diverges" if not losses[-1] < losses[0] else "goes down"
    print(f"{name:40s} loss after {len(losses) - 1} steps: {losses[-1]:.4g}  ({verdict}; 2/c = {LIMIT:.3f})")
plt.xlabel("step"); plt.ylabel("MSE (log scale)"); plt.legend()
plt.title("the same problem, four learning rates"); plt.show()
#%% md
Just below the limit the loss still goes down, though at first more slowly than with `0.05`:
along the steepest direction of the bowl every step overshoots the bottom and lands almost as
high on the other side. Just above the limit, each overshoot lands higher than the last. Here
is that run on the loss map:
#%% code
bad = train(1.05 * LIMIT, steps=12)
loss_map("lr just above the limit: each jump lands higher")
plt.plot([p[0] for p in bad], [p[1] for p in bad], ".-", color="C3")
plt.xlim(-1, 5); plt.ylim(-4, 2); plt.show()
#%% md
**Try this:** change `1.05` to `1.5` or `3` in the cell above and watch how quickly the loss
blows up. Then change the data range in the data cell, `uniform(-1.0, 3.0)` to
`uniform(-1.0, 10.0)`, and re-run the notebook from there: see how the limit `2/c` moves. Wider
inputs make the bowl steeper in the `m` direction, so the learning rate must shrink: the limit
falls below 0.05, and every run with `lr = 0.05` now diverges.

## Batch, stochastic and mini-batch gradient descent

So far every step used all `N` points: **batch** gradient descent. That is accurate but needs
a pass over the whole dataset for every single step. Two cheaper options:

* **stochastic** gradient descent uses one random point per step: many quick, noisy steps;
* **mini-batch** gradient descent uses a small random group per step: a middle ground, and what
  most real training does.

One **epoch** is one pass through the data, however it is cut up. Below, the three methods each
get the same number of epochs and the same learning rate (each has its own row in `METHODS`, so
you can change them one by one), and we record the loss on the full dataset after every update.
#%% code
def train_batches(batch_size, lr, epochs, seed=0):
    rng = random.Random(seed)
    m, b = Value(0.0), Value(0.0)
    order = list(range(N))
    seen, losses = [0], [mse(0.0, 0.0)]   # x axis: examples looked at so far
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, N, batch_size):
            batch = order[start:start + batch_size]
            try:
                loss = sum((m * xs[i] + b - ys[i]) ** 2 for i in batch) / len(batch)
                m.grad = b.grad = 0.0
                loss.backward()
                m.data -= lr * m.grad
                b.data -= lr * b.grad
                seen.append(seen[-1] + len(batch))
                losses.append(mse(m.data, b.data))
            except OverflowError:   # diverged: the numbers no longer fit in a float
                return seen, losses + [math.inf], (m.data, b.data)
    return seen, losses, (m.data, b.data)

METHODS = [  # name, batch size, learning rate, epochs
    ("batch", N, 0.05, 10),
    ("mini-batch", 8, 0.05, 10),
    ("stochastic", 1, 0.05, 10),
]
plt.figure(figsize=(6, 4.2))
for name, size, lr, epochs in METHODS:
    seen, losses, (m_end, b_end) = train_batches(size, lr, epochs)
    plt.semilogy([s / N for s in seen], losses, label=f"{name} ({size}/batch, lr {lr}): {len(losses) - 1} updates")
    print(f"{name:10s} batch size {size:2d}, lr {lr}, {epochs} epochs   updates: {len(losses) - 1:4d}   "
          f"final MSE: {losses[-1]:.4g}   m = {m_end:.3f}, b = {b_end:.3f}")
plt.xlabel("epochs (passes through the data)"); plt.ylabel("full-data MSE (log scale)")
plt.legend(); plt.title("the same data, three ways to cut it"); plt.show()
#%% md
What to look for:

* per epoch, stochastic and mini-batch descent make far more progress, because they update
  many times per pass;
* their curves are jagged: each step follows the slope for a few points only, which is a noisy
  estimate of the slope for all of them. With a fixed learning rate they never settle exactly,
  they keep jittering around the bottom;
* batch descent is smooth but slow per epoch.

**Try this:** in `METHODS`, give batch descent 100 epochs instead of 10 (100 updates, twice as
many as mini-batch descent makes in 10 epochs): does it catch up? Lower the stochastic learning rate to
`0.01`: are its steps still jagged? Try a batch size of 20.

## What carries over to real networks

Everything in this notebook scales up unchanged: a network has more parameters than `m` and
`b`, and its loss is not a perfect bowl, but the loop is the same four steps, `backward()`
still gives every parameter its slope, and the learning rate and batch size trade speed against
stability in the same way.
