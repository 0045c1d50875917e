#%% md
# 7. The layer equations

Until now every gradient came from `backward()`, one number per node. Textbooks write the same
computation for a whole layer at once, with vectors and matrices: a handful of equations that
are applied layer after layer, from the output back to the input. This lesson writes those
equations in NumPy, straight from their usual form, and checks them against the engine:

1. a small network seen as matrices, and the forward pass that keeps every `z` and `a`;
2. the output delta, the delta recursion, and the weight gradients it gives, side by side with
   `backward()`;
3. a whole batch: the same equations with one column per example;
4. the two Jacobians of a layer: with respect to its input (which carries the gradient back)
   and with respect to its weights (which the update uses);
5. why backpropagation runs backwards: counting the work of forward and reverse mode;
6. one layer's gradient as a picture.
#%% code
import time

import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd import Value, grad, jacobian, jvp, topological_order

plt.rcParams.update({"figure.dpi": 100, "font.size": 11})
np.set_printoptions(precision=4, suppress=True)
#%% md
## 1. A network as matrices

Take a network with 3 inputs, two hidden layers of 4 and 3 tanh neurons, and 2 tanh outputs.
Layer `l` holds a weight matrix `W[l]` with **one row per neuron** (row `i` is neuron `i`'s
weights) and a bias vector `b[l]`. With `a[0] = x`, the forward pass of every layer is

    z[l] = W[l] a[l-1] + b[l]        the weighted sums, one per neuron
    a[l] = tanh(z[l])                the activations, passed to the next layer

`nn.inspect.layer_gradients(model)` gathers the scalar Values of each layer into those
matrices, so we can copy them into NumPy. The NumPy code below names the activation `sigma` and
its slope `sigma_slope`, written with the activation's output `a` (for tanh, `1 - a**2`), so
that both are defined in one place, the first three lines.
#%% code
ACTIVATION = "tanh"
def sigma(z): return np.tanh(z)             # the activation, in NumPy
def sigma_slope(a): return 1 - a ** 2       # its derivative, from its output a = sigma(z)

model = nn.MLP(3, [4, 3, 2], activation=ACTIVATION, output_activation=ACTIVATION, init="xavier", seed=1)
W = [np.array(layer.W) for layer in nn.inspect.layer_gradients(model)]
b = [np.array(layer.b) for layer in nn.inspect.layer_gradients(model)]
for l, (Wl, bl) in enumerate(zip(W, b), 1):
    bl[:] = np.linspace(-0.2, 0.2, len(bl))   # biases start at 0; give them values so that b matters
    for neuron, value in zip(model.layers[l - 1].neurons, bl):
        neuron.b.data = float(value)
    print(f"W[{l}]: {Wl.shape[0]} neurons x {Wl.shape[1]} inputs   b[{l}]: {len(bl)}")
#%% md
The forward pass in NumPy, keeping every `z[l]` and `a[l]`: the backward pass will need them.
The engine computes the same numbers, one node at a time.
#%% code
x = np.array([0.5, -1.0, 2.0])
y = np.array([0.3, -0.6])

a, z = [x], [None]
for Wl, bl in zip(W, b):
    z.append(Wl @ a[-1] + bl)
    a.append(sigma(z[-1]))

out = model(list(x))
print("NumPy a[3]:  ", a[-1])
print("engine a[3]: ", np.array([v.data for v in out]))
#%% md
## 2. The delta recursion

The loss is the mean squared error of the two outputs, `L = ((a[3] - y)**2).mean()`. Call
`delta[l] = dL/dz[l]` the gradient with respect to layer `l`'s weighted sums. The chain rule,
applied to whole layers, gives four equations:

* **output delta**: `delta[3] = dL/da[3] * tanh'(z[3])`, elementwise, with
  `dL/da[3] = 2 (a[3] - y) / 2` (the mean runs over the 2 outputs) and
  `tanh'(z) = 1 - tanh(z)**2`, which is `1 - a**2`;
* **recursion**, from the last layer towards the first:
  `delta[l] = (W[l+1]^T delta[l+1]) * tanh'(z[l])`;
* **weights**: `dL/dW[l] = delta[l] a[l-1]^T`, an outer product (row i is
  `delta[l][i]` times the layer's input);
* **biases**: `dL/db[l] = delta[l]`.

The recursion is where the work of the layers already done is reused: `delta[2]` is built from
`delta[3]`, `delta[1]` from `delta[2]`, never from the loss again.
#%% code
L = len(W)
delta = [None] * (L + 1)
delta[L] = 2 * (a[L] - y) / len(y) * sigma_slope(a[L])     # tanh'(z) = 1 - tanh(z)**2 = 1 - a**2
for l in range(L - 1, 0, -1):
    delta[l] = (W[l].T @ delta[l + 1]) * sigma_slope(a[l])   # W[l] in Python is the book's W[l+1]
dW = {l: np.outer(delta[l], a[l - 1]) for l in range(1, L + 1)}
db = {l: delta[l] for l in range(1, L + 1)}
for l in range(1, L + 1):
    print(f"delta[{l}] =", delta[l])
#%% md
Now the engine: build the same loss from Values, call `backward()`, and read its gradients as
matrices. `layer_gradients(model, loss)` also finds each layer's weighted sums in the graph and
reports `dL/dz` for them: the engine's own deltas.
#%% code
out = model(list(x))
loss = nn.losses.mse(out, list(y))
model.zero_grad()
loss.backward()
engine = nn.inspect.layer_gradients(model, loss)

worst = 0.0
for l, layer in enumerate(engine, 1):
    worst = max(worst, np.abs(np.array(layer.dW) - dW[l]).max(), np.abs(np.array(layer.db) - db[l]).max(),
                np.abs(np.array(layer.delta[0]) - delta[l]).max())
    print(f"layer {l}: dL/dW from backward()\n{np.array(layer.dW)}")
print(f"largest difference between the delta recursion and backward(): {worst:.1e}")
#%% md
The same numbers, to the last bit or one rounding away: `backward()` *is* the delta recursion.
It never builds the matrices; it walks the graph one node at a time, and each neuron's `dot`
node passes `grad * w` to its inputs and `grad * input` to its weights. Collected by layer,
those scalars are exactly `W^T delta` and `delta a^T`.

## 3. A whole batch at once

For a batch, put the examples side by side as columns: `A[0]` is 3 x N. The equations keep
their shape, every vector becoming a matrix with one column per example, and the gradient of a
weight is the sum over the examples of their outer products, which is one matrix product:
`dL/dW[l] = Delta[l] A[l-1]^T`. The bias gradient sums each row of `Delta[l]`.
#%% code
rng = np.random.default_rng(0)
X = rng.normal(size=(3, 8))                 # 8 examples, one per column
Y = rng.uniform(-0.8, 0.8, size=(2, 8))
N = X.shape[1]

A = [X]
for Wl, bl in zip(W, b):
    A.append(sigma(Wl @ A[-1] + bl[:, None]))
D = [None] * (L + 1)
D[L] = 2 * (A[L] - Y) / Y.size * sigma_slope(A[L])   # the MSE is a mean over all 2 x 8 numbers
for l in range(L - 1, 0, -1):
    D[l] = (W[l].T @ D[l + 1]) * sigma_slope(A[l])

loss = nn.losses.mse([model(list(col)) for col in X.T], [list(col) for col in Y.T])
model.zero_grad()
loss.backward()
engine = nn.inspect.layer_gradients(model, loss)
worst_batch = 0.0
for l, layer in enumerate(engine, 1):
    worst_batch = max(worst_batch, np.abs(np.array(layer.dW) - D[l] @ A[l - 1].T).max(),
                      np.abs(np.array(layer.db) - D[l].sum(axis=1)).max(),
                      np.abs(np.array(layer.delta).T - D[l]).max())
print(f"batch of {N}: {len(engine[0].delta)} deltas per layer from the graph")
print(f"largest difference on the batch: {worst_batch:.1e}")
#%% md
## 4. The two Jacobians of a layer

A layer is a function of two things: its input `a[l-1]` and its parameters `W[l], b[l]`. So
it has two matrices of partial derivatives, and backpropagation uses both at every layer:

* **with respect to its input**, `J_in = da[l]/da[l-1] = diag(tanh'(z[l])) W[l]`: this one
  carries the gradient from the layer's output to its input, `dL/da[l-1] = J_in^T dL/da[l]`,
  and on to the layer below. It is the step of the recursion.
* **with respect to its parameters**, `J_par = da[l]/dW[l]`: this one turns the gradient at the
  layer's output into the gradient the update needs, `dL/dW[l] = J_par^T dL/da[l]`. It is
  mostly zeros: neuron i's output depends on row i of `W` and on `b[i]`, and on no other parameter.

`autograd.jacobian(outputs, inputs)` computes a Jacobian with the engine, one backward sweep per
output (each sweep gives one row). Here it is for the middle layer, fed with leaf Values so
that its input is something we can differentiate with respect to.
#%% code
layer = model.layers[1]
inputs = [Value(v, label=f"a1.{j}") for j, v in enumerate(a[1])]
outs = layer(inputs)
J_in = np.array(jacobian(outs, inputs))
J_par = np.array(jacobian(outs, layer.parameters()))
formula = np.diag(sigma_slope(a[2])) @ W[1]
print("J_in from the engine:\n", J_in)
print(f"largest difference from diag(tanh'(z)) W: {np.abs(J_in - formula).max():.1e}")
print(f"J_in is {J_in.shape[0]} x {J_in.shape[1]}, J_par is {J_par.shape[0]} x {J_par.shape[1]} "
      f"with {np.count_nonzero(J_par)} non-zero entries of {J_par.size}")

fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3), gridspec_kw={"width_ratios": [1, 4]})
for ax, J, title in [(left, J_in, "with respect to the input a[1]"),
                     (right, J_par, "with respect to the parameters (w, b of each neuron)")]:
    m = np.abs(J).max()
    im = ax.imshow(J, cmap="RdBu", vmin=-m, vmax=m, aspect="auto")
    ax.set_title(title, fontsize=10); ax.set_ylabel("output a[2][i]", fontsize=10)
    ax.set_yticks(range(J.shape[0]))
right.set_xlabel("parameter, in the order of layer.parameters()")
left.set_xlabel("input j")
fig.colorbar(im, ax=right, fraction=0.03)
fig.suptitle("the two Jacobians of layer 2 (blue > 0, red < 0, white = 0)", fontsize=11)
plt.tight_layout(); plt.show()
#%% md
The block on the right shows the sparsity: each output (row) has its own strip of 4 weights and
a bias, and zeros elsewhere. Multiplying the upstream gradient by these two matrices is all a
layer does in the backward pass; chained over the layers, it gives the recursion of section 2.
#%% code
a1 = [Value(v, label=f"a1.{j}") for j, v in enumerate(sigma(W[0] @ X[:, 0] + b[0]))]
a2 = layer(a1)                                   # layer 2 on the first example of the batch
single = nn.losses.mse(model.layers[2](a2), list(Y[:, 0]))
dL_da2 = np.array(grad(single, a2))              # the gradient arriving at layer 2's output
J_in0, J_par0 = np.array(jacobian(a2, a1)), np.array(jacobian(a2, layer.parameters()))
model.zero_grad(); single.backward()
passed_down = J_in0.T @ dL_da2                   # what layer 2 sends to layer 1
for_update = J_par0.T @ dL_da2                   # what layer 2's own update uses
print(f"J_in^T dL/da[2]  vs backward()'s dL/da[1]:          "
      f"{np.abs(passed_down - [v.grad for v in a1]).max():.1e}")
print(f"J_par^T dL/da[2] vs backward()'s gradients of layer 2: "
      f"{np.abs(for_update - [p.grad for p in layer.parameters()]).max():.1e}")
#%% md
## 5. Why backwards? Counting the work

The same gradient can be computed front to back. **Forward mode** (`autograd.jvp`, lesson 2)
pushes one small change of *one* input through the whole graph: one sweep gives the derivative
of the loss with respect to that one parameter. **Reverse mode** (`backward()`) starts from the
one loss and reaches every parameter in one sweep. For a network, with one loss and many
parameters, the difference is the number of parameters.

We count it on the graph of one example's loss: how many nodes each method visits to get
every parameter's gradient, and how long it takes.
#%% code
big = nn.MLP(3, [16, 16, 2], activation="tanh", output_activation="tanh", init="xavier", seed=2)
loss = nn.losses.mse(big(list(x)), list(y))
nodes = len(topological_order(loss))
params = big.parameters()
P = len(params)

t = time.perf_counter()
big.zero_grad(); loss.backward()
reverse_time = time.perf_counter() - t
t = time.perf_counter()
forward_grads = [jvp(loss, {p: 1.0}) for p in params]
forward_time = time.perf_counter() - t
agree = max(abs(f - p.grad) for f, p in zip(forward_grads, params))
print(f"{P} parameters, a graph of {nodes} nodes")
print(f"reverse mode: 1 sweep, {nodes} node visits, {1000 * reverse_time:.1f} ms")
print(f"forward mode: {P} sweeps, {P * nodes} node visits, {1000 * forward_time:.0f} ms")
print(f"the two agree to {agree:.1e}; forward mode did {P}x the work")
#%% md
Inside reverse mode, the recursion saves work a second time. The output delta needs no weight
matrix; every layer below it gets its delta from the delta of the layer above with one product
by a weight matrix, `W^T delta`: `L - 1` products for `L` layers. Computing each layer's delta on
its own, straight from the loss, would multiply by all the weight matrices between that layer
and the output again: `1 + 2 + ... + (L - 1)` products.
#%% code
def matrix_products(depth, reuse):
    """Products with a weight matrix (W^T delta) for the deltas of every layer of a depth-layer network."""
    return depth - 1 if reuse else sum(depth - l for l in range(1, depth + 1))

for depth in (3, 10, 50):
    print(f"{depth:3d} layers: {matrix_products(depth, True):5d} products with the recursion, "
          f"{matrix_products(depth, False):5d} without it")
#%% md
## 6. A picture of one layer's gradient

Last, a bigger network on real data: `MLP(2, [16, 16, 1])` on 64 moons, after one backward
pass. Here is `dL/dW` of its middle layer, 16 neurons by 16 inputs, with `dL/db` as a last
column. At the top, the gradient from a single example: an outer product `delta a^T`, so every
row is a multiple of the same row of inputs (vertical stripes, brighter or dimmer row by row).
Below, the mean over the batch: a sum of 64 such outer products. Its rows are no longer exact
multiples of one another (its rank is 16, not 1), yet it is close to rank 1: measured by its
singular values, everything beyond the first is small (printed below the ranks), because the
64 examples' deltas and inputs mostly point the same way. So the stripes survive the averaging.
#%% code
Xm, ym = nn.data.make_moons(64, noise=0.1, seed=0)
moons = nn.MLP(2, [16, 16, 1], activation="tanh", init="xavier", seed=0)

def middle_gradient(examples, targets):
    loss = nn.losses.mse([moons(x) for x in examples], targets)
    moons.zero_grad(); loss.backward()
    layer = nn.inspect.layer_gradients(moons, loss)[1]
    return np.column_stack([np.array(layer.dW), layer.db])

one, batch = middle_gradient(Xm[:1], ym[:1]), middle_gradient(Xm, ym)
print("rank of the one-example gradient:", np.linalg.matrix_rank(one[:, :-1]),
      "  rank of the batch gradient:", np.linalg.matrix_rank(batch[:, :-1]))
singular = np.linalg.svd(batch[:, :-1], compute_uv=False)
print("the batch gradient's singular values, relative to the largest:",
      " ".join(f"{v:.2g}" for v in singular[:5] / singular[0]), "...")
fig, axes = plt.subplots(2, 1, figsize=(6.5, 10))
for ax, G, title in [(axes[0], one, "one example: delta a^T"), (axes[1], batch, "mean over 64 examples")]:
    m = np.abs(G).max()
    im = ax.imshow(G, cmap="RdBu", vmin=-m, vmax=m)
    ax.axvline(15.5, color="k", lw=1)
    ax.set_xticks(list(range(0, 16, 3)) + [16], [str(j) for j in range(0, 16, 3)] + ["b"])
    ax.set_xlabel("input j (a neuron of layer 1), then the bias")
    ax.set_ylabel("neuron i of layer 2")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046, label="dL/dW[i][j]")
fig.suptitle("dL/dW of the middle layer of MLP(2, [16, 16, 1])\nblue > 0, red < 0", fontsize=11)
plt.tight_layout(); plt.show()
#%% md
Each blue or red cell says which way that one weight should move (gradient descent subtracts
it) and how strongly. A whole row lights up or dims together in the one-example picture: a
neuron with a large delta asks all of its weights to change, in proportion to its inputs.

## Summary

* A layer computes `z = W a + b` and `a = sigma(z)`; backpropagation needs the `z` and `a` of
  every layer, so the forward pass keeps them.
* The output delta starts the backward pass; `delta[l] = (W[l+1]^T delta[l+1]) * sigma'(z[l])`
  carries it down, one layer at a time; `dL/dW = delta a^T` and `dL/db = delta`.
* The engine's scalar gradients are these matrices entry for entry (equal here to 1e-12 and
  better); a batch sums one outer product per example.
* Each layer has two Jacobians: with respect to its input (it passes the gradient down) and with
  respect to its parameters (it gives the update).
* Reverse mode needs one sweep for one loss, however many parameters; forward mode one per
  parameter. The recursion reuses each delta, so the work grows with the depth, not its square.

**Try this:** in the first cell of section 1, change `ACTIVATION = "tanh"` to
`ACTIVATION = "sigmoid"`, `np.tanh(z)` to `1 / (1 + np.exp(-z))` and `1 - a ** 2` to
`a * (1 - a)`, and run the notebook again: every comparison with `backward()` should stay below
1e-12. Exercise 3 of workbook 5 (`notebooks/workbooks/05_layer_equations_numpy.ipynb`) has you
write the sigmoid layer's backward pass in NumPy and checks it against `backward()`.
