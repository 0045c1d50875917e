#%% md
# 4. A neural network that learns to separate two moons

Lesson 3 fitted a line with two parameters. Here a small network with a few hundred parameters
learns a curved boundary between two classes of points. Nothing new happens underneath: the
same four steps (forward, loss, backward, update), repeated, with `backward()` finding the
gradient of every weight at once.
#%% code
import json
import os
import random
import tempfile

import matplotlib.pyplot as plt

import nn
from autograd import Value, draw_dot, no_grad

random.seed(0)
plt.rcParams.update({"figure.dpi": 100, "font.size": 11})
#%% md
## The data

Two interleaved half circles ("moons"), with labels -1 and +1. No straight line separates
them, so a linear model like lesson 3's cannot classify them; a network with hidden layers can.
In every picture of this lesson, as everywhere in chainrule, **blue is class +1** (and positive
numbers) and **red is class -1** (and negative numbers).
#%% code
X, y = nn.data.make_moons(100, noise=0.1, seed=0)
print(len(X), "points; the first three:", [[round(v, 3) for v in x] for x in X[:3]], "labels", y[:3])

plt.figure(figsize=(5, 4))
for label, colour in ((1.0, "tab:blue"), (-1.0, "tab:red")):
    points = [x for x, t in zip(X, y) if t == label]
    plt.scatter([x[0] for x in points], [x[1] for x in points], color=colour, s=22, edgecolors="k",
                linewidths=0.5, label=f"class {label:+.0f}")
plt.legend(); plt.title("make_moons(100, noise=0.1)"); plt.show()
#%% md
## The model

`nn.MLP(2, [16, 16, 1])` is a multi-layer perceptron: 2 inputs, two hidden layers of 16
neurons each (relu), and one output neuron with no activation, whose value is a **score**:
positive means class +1, negative means class -1. Every weight starts at a random value; the
seed makes the start the same every time.
#%% code
model = nn.MLP(2, [16, 16, 1], seed=0)
print(model)
print("number of parameters:", len(model.parameters()))
#%% md
Every parameter is a `Value` whose label is its name in the model, so you can find any weight:
#%% code
for name, p in model.named_parameters()[:3]:
    print(name, p)
#%% md
One prediction is one big expression. Drawn with one box per neuron (`collapse="neuron"`), it
shows how the two inputs flow through both hidden layers into the score. Between two hidden
layers of 16 there are 16 x 16 = 256 edges, too many to tell apart, so the picture is of the
same kind of network with 2 neurons per hidden layer, drawn from top to bottom (its weights, and
so its score, are its own). (We wrap the inputs in labelled Values so that
each appears once in the picture; the model accepts plain numbers too.)
#%% code
x1, x2 = Value(X[0][0], label="x1"), Value(X[0][1], label="x2")
score = model([x1, x2])
print("score for the first point:", score.data, " label:", y[0])
small = nn.MLP(2, [2, 2, 1], seed=0)
draw_dot(small([x1, x2]), collapse="neuron", rankdir="TB")
#%% md
## The loss

For a score `s` and a label `t` (±1), the **hinge loss** is `max(0, 1 - t*s)`: zero when the
score has the right sign with a margin of at least 1, and growing linearly as the score gets
more wrong. We average it over the data and add a tiny penalty on the size of the weights (L2
regularisation) that prefers smoother boundaries.
#%% code
scores = [model(x) for x in X]
loss = nn.losses.hinge(scores, y) + nn.losses.l2(model.parameters(), 1e-4)
print("loss before training:", loss.data)
#%% md
## Training with `nn.fit`

`nn.fit` runs the training loop: for every epoch, clear the gradients, forward pass, loss,
`backward()`, optimizer step. The optimizer here is plain gradient descent (`SGD`) whose
learning rate shrinks in a straight line from 1.0 to 0.1 over the 100 epochs: big steps
first, careful steps near the end. With `live=True` it draws the training as it goes, every few
epochs: the plane shaded by the class the network predicts (blue where the score is above 0,
class +1; red where it is below, class -1), the loss and the accuracy per epoch, and the network
itself, one edge per weight (blue for a positive weight, red for a negative one, wider for a
larger one). Watch the boundary bend around the moons.
#%% code
opt = nn.optim.SGD(model.parameters(), lr=nn.optim.LinearDecay(1.0, 0.1, steps=100))
history = nn.fit(model, X, y, loss="hinge", l2=1e-4, optimizer=opt, epochs=100, seed=0, live=True)
history
#%% md
The history holds the loss and the accuracy of every epoch:
#%% code
nn.plot.history(history);
#%% md
Now let's measure the trained model on the training data (inside `no_grad()`: we only need
numbers, not graphs):
#%% code
with no_grad():
    correct = sum((model(x).data > 0) == (t > 0) for x, t in zip(X, y))
print(f"accuracy after training: {correct}/{len(X)} = {correct / len(X):.0%}")
#%% md
## What the network learned

Every point of the plane gets a score; shading the plane by its sign (blue for +1, red for -1)
shows the **decision boundary**, the curve where the score crosses zero.
#%% code
nn.plot.decision_boundary(model, X, y);
#%% md
The trained network, drawn as people draw one (`model.draw()`, or `nn.draw_network(model)`):
a column per layer, the neuron `i` of `layers.1` being `layers.1.neurons.i`, and an edge for
every weight. With `show="grad"` the edges show the gradients of the last training step instead:
the weights that step moved most are the widest.
#%% code
model.draw()
#%% code
nn.draw_network(model, show="grad")
#%% md
**Try this:** make the task harder with `noise=0.25`, or the network smaller with
`nn.MLP(2, [4, 1], seed=0)`, and re-run from the data cell down to here. How does the boundary
change? Try a constant learning rate, `lr=1.0`, and compare the loss curve. (The section below
rebuilds the original network by hand, so its comparison with `history` holds only for the
original settings.) To drive the training yourself,
`nn.playground(model, X, y, loss="hinge", epochs=200)` shows the same pictures with **Play**,
**Pause** and **Step** buttons, and a switch between weights and gradients on the edges.

## What `fit` does, written out

`fit` is a convenience; here is the same loop by hand, so nothing is hidden. It trains a fresh
model for a few epochs and prints the loss:
#%% code
model2 = nn.MLP(2, [16, 16, 1], seed=0)
params = model2.parameters()
for epoch in range(5):
    scores = [model2(x) for x in X]                                              # forward
    loss = nn.losses.hinge(scores, y) + nn.losses.l2(params, 1e-4)               # loss
    for p in params:
        p.grad = 0.0
    loss.backward()                                                              # backward
    lr = 1.0 - 0.9 * epoch / 100
    for p in params:
        p.data -= lr * p.grad                                                    # update
    print(f"epoch {epoch}: loss {loss.data:.4f}")
#%% md
The numbers are those in the first five entries of `history.loss` above, because the
starting weights, the data and the updates are the same:
#%% code
print([round(v, 4) for v in history.loss[:5]])
#%% md
## A bigger data set: replaying the graph with NumPy

The scalar engine builds a brand-new graph for every example, one Python object per number.
That is what makes every value visible, and it is also why thousands of points take a while.
But the graph has the same *shape* for every example; only the numbers differ. With
`vectorize=True`, `nn.fit` records the model's graph once and replays it over the whole batch
with NumPy arrays: the same ops, the same local derivatives, the same gradients, far fewer
Python steps.

First, a check that both ways train the same model: three epochs each, from the same start,
on the small data set.
#%% code
import time

def three_epochs(vectorize):
    m = nn.MLP(2, [16, 16, 1], seed=0)
    o = nn.optim.SGD(m.parameters(), lr=0.5)
    nn.fit(m, X, y, loss="hinge", l2=1e-4, optimizer=o, epochs=3, progress=False, vectorize=vectorize)
    return m

scalar_model, vector_model = three_epochs(False), three_epochs(True)
gap = max(abs(p.data - q.data) for p, q in zip(scalar_model.parameters(), vector_model.parameters()))
print(f"largest difference between the two models' parameters: {gap:.1e}")
#%% md
The parameters agree to rounding error. Now a data set twenty times larger, with more noise.
One epoch each way shows the difference in speed (the times are measured on whatever machine
ran this notebook):
#%% code
X_big, y_big = nn.data.make_moons(2000, noise=0.2, seed=1)

def one_epoch_seconds(vectorize):
    m = nn.MLP(2, [16, 16, 1], seed=0)
    t = time.perf_counter()
    nn.fit(m, X_big, y_big, loss="hinge", epochs=1, progress=False, vectorize=vectorize)
    return time.perf_counter() - t

scalar_s, vector_s = one_epoch_seconds(False), one_epoch_seconds(True)
print(f"one epoch over {len(X_big)} points: scalar {scalar_s:.2f} s, vectorized {vector_s:.3f} s")
print(f"300 epochs would take about {300 * scalar_s:.0f} s with the scalar engine")
#%% md
So the big data set is trained vectorized: 300 epochs with the Adam optimizer.
#%% code
big = nn.MLP(2, [16, 16, 1], seed=0)
t = time.perf_counter()
big_history = nn.fit(big, X_big, y_big, loss="hinge", optimizer=nn.optim.Adam(big.parameters(), lr=0.01),
                     epochs=300, vectorize=True, seed=0)
print(f"{len(X_big)} points, 300 epochs in {time.perf_counter() - t:.1f} s")
print(f"training accuracy in the last epoch: {big_history['accuracy'][-1]:.1%}")
#%% code
nn.plot.decision_boundary(big, X_big, y_big, resolution=50);
#%% md
With this much noise the moons overlap where they meet: in the picture a few points of each
colour sit in the other colour's region, which is why the accuracy stops short of 100%.

**Try this:** in the training cell two cells up (the one with `epochs=300`), change
`vectorize=True` to `False` and `epochs=300` to `epochs=3`, and time those 3 epochs yourself.
#%% md
## Save and load

`nn.save` writes the architecture and every parameter to a JSON file; `nn.load` builds the same
model back. Loading only reads numbers and names: nothing in the file is executed, so a model
file from anywhere is safe to open.
#%% code
folder = tempfile.mkdtemp()
path = os.path.join(folder, "moons.json")
nn.save(model, path)
print(os.path.getsize(path), "bytes")
with open(path) as fh:
    saved = json.load(fh)
print("format:", saved["format"], " version:", saved["version"])
print("architecture:", saved["architecture"])
print("first parameters:", dict(list(saved["parameters"].items())[:2]))
#%% code
loaded = nn.load(path)
with no_grad():
    same = all(loaded(x).data == model(x).data for x in X)
print(loaded)
print("identical predictions on all", len(X), "points:", same)
