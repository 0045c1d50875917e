#%% md
# 9. Backpropagation through time

A recurrent network reads a sequence one step at a time and keeps a **hidden state**, a vector
that it updates at every step and that carries what it has seen so far. Training it needs the
gradient of a loss at the end of the sequence with respect to weights used at *every* step.
The way to get it has a name, backpropagation through time (BPTT), but no new machinery: unroll
the loop into one long graph and call `backward()`. This lesson:

1. builds a recurrent cell and unrolls it, and draws the unrolled graph;
2. writes BPTT out in NumPy and checks it against `backward()`;
3. measures how the gradient fades with the distance in time;
4. trains a small recurrent network on a task that needs memory;
5. compares truncated BPTT, which stops the gradient after a fixed number of steps.
#%% code
import math
import random
import time

import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd import topological_order
from IPython.display import display

plt.rcParams.update({"figure.dpi": 100, "font.size": 11})
np.set_printoptions(precision=4, suppress=True)
#%% md
## 1. A recurrent cell, unrolled

At step t the cell reads the input `x_t` and the previous state `h_{t-1}` and computes

    h_t = tanh(W_x x_t + W_h h_{t-1} + b)

starting from `h_0 = 0`. `nn.RNN(nin, nhidden)` runs an `nn.RNNCell` over the whole sequence
and reads the answer from the last state with a linear layer, `y = W_out h_T + b_out`. The
same weights serve every step: the Values `cell.neurons.0.wh.0` and the others appear once in
the model and at every step in the graph.

Here is the whole graph of a tiny one, 1 hidden neuron, on a sequence of 3 numbers. Read it
from top to bottom: each step's `tanh` node feeds the next step's `dot` node, and the same
weights feed every step.
#%% code
tiny = nn.RNN(1, 1, seed=0)
loss = (tiny([0.5, -1.0, 0.8]) - 1.0) ** 2
loss.backward()
print(len(tiny.parameters()), "parameters; the graph has", len(topological_order(loss)), "nodes")
loss.draw(rankdir="TB")
#%% md
## 2. BPTT written out

Unrolled, the network is a deep network of T layers that share their weights. So the delta
recursion of lesson 7 applies, with time in place of depth. With `z_t` the weighted sums of
step t and `delta_t = dL/dz_t`:

    delta_T = (W_out^T dL/dy) * tanh'(z_T)
    delta_t = (W_h^T delta_{t+1}) * tanh'(z_t)        for t = T-1, ..., 1

and, because the same weights are used at every step, **their gradients add up over the steps**:

    dL/dW_h = sum over t of delta_t h_{t-1}^T      dL/dW_x = sum over t of delta_t x_t^T
    dL/db   = sum over t of delta_t

We compute this in NumPy for a network of 8 hidden neurons on a sequence of 10 steps and compare
it with what `backward()` leaves in the weights.
#%% code
rnn = nn.RNN(1, 8, seed=0)
cell, readout = nn.inspect.layer_gradients(rnn)           # as matrices; the cell's W is [W_x | W_h]
Wx, Wh, b = np.array(cell.W)[:, :1], np.array(cell.W)[:, 1:], np.array(cell.b)
Wout, bout = np.array(readout.W[0]), readout.b[0]
seq = [0.8, -0.3, 0.5, 0.1, -0.9, 0.4, 0.0, 0.7, -0.2, 0.6]
target = 0.5

h = [np.zeros(8)]                                          # forward, keeping every state
for x_t in seq:
    h.append(np.tanh(Wx[:, 0] * x_t + Wh @ h[-1] + b))
y_out = Wout @ h[-1] + bout
T = len(seq)
delta = {T: Wout * 2 * (y_out - target) * (1 - h[T] ** 2)}
for t in range(T - 1, 0, -1):
    delta[t] = (Wh.T @ delta[t + 1]) * (1 - h[t] ** 2)
dWh = sum(np.outer(delta[t], h[t - 1]) for t in range(1, T + 1))
dWx = sum(np.outer(delta[t], [seq[t - 1]]) for t in range(1, T + 1))
db = sum(delta[t] for t in range(1, T + 1))

run = rnn.unroll(seq)
loss = (run.outputs[0] - target) ** 2
rnn.zero_grad(); loss.backward()
engine = nn.inspect.layer_gradients(rnn, loss)[0]
dW_engine = np.array(engine.dW)
worst = max(np.abs(dW_engine[:, 1:] - dWh).max(), np.abs(dW_engine[:, :1] - dWx).max(),
            np.abs(np.array(engine.db) - db).max(),
            max(np.abs(np.array(engine.delta[t - 1]) - delta[t]).max() for t in range(1, T + 1)))
print(f"{len(engine.delta)} deltas from the graph, one per step")
print(f"largest difference between BPTT in NumPy and backward(): {worst:.1e}")
#%% md
Nothing in the engine knows about time. Each step's nodes pass their gradients to the shared
weights, and `+=` (lesson 1: a value used twice receives a gradient along both paths) does the
summing over the steps.

The drawing below is the same graph with each time step collapsed into one box
(`nn.inspect.draw_unrolled`), from top to bottom. Each box shows the step's input, the size of
its state and the size of the gradient that reached it, `|dL/dh_t|`, shaded blue on a scale of
powers of ten that spans six of them. Here the ten gradients are all within a factor of a few of
each other (printed below the picture), so the ten boxes are almost the same blue: the gradient
barely fades over these ten steps. The cell's weights are drawn once, with a dotted arrow to
every step that uses them.
#%% code
picture = nn.inspect.draw_unrolled(rnn, run, loss)
picture.attr(rankdir="TB")   # top to bottom, to fit the page
display(picture)
norms = run.grad_norms()
print(f"|dL/dh_t| from {min(norms):.2g} to {max(norms):.2g}: a factor of {max(norms) / min(norms):.1f}")
#%% md
## 3. How the gradient changes with the distance in time

The gradient reaching step t has been multiplied by `W_h^T` and by tanh's slope once for every
step between t and the end, so, as in a deep network, its size depends on the product of those
factors. The drawing above barely fades: the Xavier start gives `W_h` a size close to 1. Scale
`W_h` down and the gradient vanishes with the distance; scale it up and it grows. Here is
`|dL/dh_t|`, averaged over 64 random sequences of 16 steps, against the number of steps between
t and the end, for `W_h` as initialised, halved and doubled.
#%% code
def gradient_by_distance(model, steps=16, sequences=64):
    """Mean |dL/dh_t| over random sequences, listed by distance from the end (0 = the last step)."""
    r = random.Random(0)
    total = np.zeros(steps)
    for _ in range(sequences):
        run = model.unroll([r.uniform(-1, 1) for _ in range(steps)])
        ((run.outputs[0] - 0.5) ** 2).backward()
        total += np.array(run.grad_norms())
    return (total / sequences)[::-1]

by_scale = {}
for scale in (0.5, 1.0, 2.0):
    model = nn.RNN(1, 8, seed=0)
    for row in model.cell.wh:
        for w in row:
            w.data *= scale
    by_scale[scale] = gradient_by_distance(model)

plt.figure(figsize=(6.5, 3.8))
for scale, g in by_scale.items():
    plt.semilogy(range(len(g)), g, "o-", markersize=3, label=f"W_h x {scale}")
plt.xlabel("distance from the end of the sequence (steps)"); plt.ylabel("mean |dL/dh_t| (log scale)")
plt.title("the gradient reaching earlier steps, untrained RNN(1, 8)"); plt.legend(); plt.show()
for scale, g in by_scale.items():
    print(f"W_h x {scale}: |dL/dh| at distance 0: {g[0]:.3g}, at distance 15: {g[-1]:.3g} "
          f"(ratio {g[-1] / g[0]:.2g})")
#%% md
Halved, the gradient from the end shrinks by a factor of about two per step and is tens of
thousands of times smaller 15 steps back (the ratio printed above): it **vanishes with the
distance**. As initialised it fades slowly;
doubled it grows, the recurrent form of an exploding gradient (lesson 8's remedies apply).

So a recurrent network learns short dependencies easily and long ones with difficulty: the
signal that would teach it to remember something from long ago arrives very weak.

## 4. A task that needs memory

Each sequence is 8 random signs, +1 or -1. The target is **the 6th sign from the end** (the
third of the eight). To answer, the network must store that sign when it reads it and carry it
through 5 more steps of other signs. Guessing gives 50%.
#%% code
T, LAG = 8, 6

def recall_data(n, seed):
    r = random.Random(seed)
    X = [[r.choice([-1.0, 1.0]) for _ in range(T)] for _ in range(n)]
    return X, [x[T - LAG] for x in X]

X_train, y_train = recall_data(128, seed=0)
X_test, y_test = recall_data(200, seed=1)
print("a sequence:", X_train[0], "-> target", y_train[0])

def test_accuracy(model):
    return sum((model(x).data > 0) == (t > 0) for x, t in zip(X_test, y_test)) / len(X_test)
#%% md
Full BPTT: `nn.fit` with the batch replay (`vectorize=True`, which replays the unrolled graph
for all 128 sequences at once: the same gradients as the scalar engine), 100 epochs of Adam.
#%% code
full = nn.RNN(1, 8, seed=0)
t0 = time.perf_counter()
h_full = nn.fit(full, X_train, y_train, loss="mse", optimizer=nn.optim.Adam(full.parameters(), lr=0.03),
                epochs=100, progress=False, vectorize=True)
print(f"full BPTT: training accuracy {h_full['accuracy'][-1]:.2f}, "
      f"test accuracy {test_accuracy(full):.2f}  ({time.perf_counter() - t0:.1f} s)")
#%% md
## 5. Truncated BPTT

A long sequence makes a long graph: memory for every step, and a backward pass through all of
them. **Truncated** BPTT lets the gradient flow back through the last `k` steps only:
`nn.RNN(..., bptt_steps=k)` runs the earlier steps without recording a graph, so the state
entering the last `k` steps is a constant with the same numbers. The forward pass, and so the
predictions, are exactly the same; the gradient is cut.
#%% code
seq = X_train[0]
for k in (None, 6, 3):
    model = nn.RNN(1, 8, seed=0, bptt_steps=k)
    run = model.unroll(seq)
    loss = (run.outputs[0] - y_train[0]) ** 2
    loss.backward()
    shown = " ".join(f"{g:.2g}" for g in run.grad_norms())
    print(f"bptt_steps={k}: prediction {run.outputs[0].data:.6f}, graph of {len(topological_order(loss)):3d} "
          f"nodes, |dL/dh_t| for t = 1..8: {shown}")
#%% md
The gradient reaching the states before the window is exactly zero, and the graph is shorter.
Drawn per step (the dashed red arrow is the cut; white boxes got no gradient):
#%% code
picture = nn.inspect.draw_unrolled(model, run, loss)
picture.attr(rankdir="TB")
picture
#%% md
That is the trade: less memory and less work per step, but no gradient for anything further
back than `k` steps. For our task the sign to remember is the 6th from the end, so a window of
6 steps still contains it, and a window of 3 cannot see it at all. (The batch replay cannot
express the cut, so these two train in the scalar engine.)
#%% code
results = {}
for k in (6, 3):
    model = nn.RNN(1, 8, seed=0, bptt_steps=k)
    t0 = time.perf_counter()
    hist = nn.fit(model, X_train, y_train, loss="mse", optimizer=nn.optim.Adam(model.parameters(), lr=0.03),
                  epochs=100, progress=False)
    results[k] = (hist, test_accuracy(model))
    print(f"bptt_steps={k}: training accuracy {hist['accuracy'][-1]:.2f}, test accuracy {results[k][1]:.2f}  "
          f"({time.perf_counter() - t0:.1f} s)")

plt.figure(figsize=(7, 3.6))
plt.plot(h_full["accuracy"], label=f"full BPTT (test {test_accuracy(full):.2f})")
for k, (hist, acc) in results.items():
    plt.plot(hist["accuracy"], label=f"bptt_steps={k} (test {acc:.2f})")
plt.axhline(0.5, color="gray", ls=":", lw=1)
plt.xlabel("epoch"); plt.ylabel("training accuracy"); plt.ylim(0.3, 1.02)
plt.title(f"recall the sign {LAG} steps from the end"); plt.legend(); plt.show()

def first_epoch(accuracy, level=0.95):
    return next((f"epoch {i + 1}" for i, a in enumerate(accuracy) if a >= level), "never")

print("training accuracy first at 95%: full BPTT", first_epoch(h_full["accuracy"]),
      *[f"| bptt_steps={k} {first_epoch(hist['accuracy'])}" for k, (hist, _) in results.items()])
#%% md
With the full gradient the network learns the task within about ten epochs. A window of 6
steps, just long enough, learns it too, but takes more than twice as many epochs (printed
above). A window of 3 steps never gets a gradient from the step that matters: its training
accuracy wanders (it fits some training sequences through whatever the constant state happens
to carry), but on new sequences it is barely better than guessing. Truncation is safe when
the window is at least as long as the dependencies the network must learn.

## Summary

* A recurrent network applies one cell at every step; unrolled, it is a deep network whose
  layers share their weights.
* BPTT is `backward()` on the unrolled graph: the delta recursion runs through time, and each
  weight's gradient is the sum of its gradients at every step (checked against NumPy to 1e-15).
* The gradient reaching a step is a product of one factor per step in between: with a small
  `W_h` it vanishes with the distance (which makes long memories hard to learn), with a large
  one it explodes.
* Truncated BPTT (`bptt_steps=k`) cuts the graph to the last k steps: cheaper, and exactly zero
  gradient beyond the window, so it learns only dependencies that fit in k steps.

**Try this:** in the training cell of section 5, change `for k in (6, 3):` to
`for k in (6, 5):`. A window of 5 steps ends one step short of the sign to remember: does it
learn the task? Then set `LAG = 8` (the first sign) and give the networks 16 hidden neurons,
`nn.RNN(1, 16, ...)`.
