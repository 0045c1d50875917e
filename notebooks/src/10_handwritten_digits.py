#%% md
# 10. Handwritten digits: the scalar engine at real scale

Every lesson so far used a toy set of a few hundred points in the plane. This one uses a real
data set: 1,797 scanned handwritten digits, 64 pixels each. The network has 64 inputs, 64 hidden
neurons and 10 outputs, one per digit: 4,810 parameters. In the scalar engine every pixel of every
example becomes a node of its own, so one pass over the training set builds hundreds of thousands
of nodes and takes seconds, and training needs a hundred passes.

The way out keeps the engine as it is. The graph of one example has the same shape as the graph of
any other; only the numbers in it change. So we record that graph once, and then replay it over
the whole batch with NumPy arrays, each node holding one number per example. This lesson:

1. loads the digits and looks at some;
2. builds the loss for ten classes, softmax cross-entropy, from ops the replay can run;
3. times the scalar engine on one epoch;
4. records the graph and checks that the replay gives the scalar engine's numbers, for one example
   and for a batch;
5. trains the network to over 95% accuracy on digits it has never seen, in a few seconds;
6. looks at the digits it gets wrong.
#%% code
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits  # comes with scikit-learn

import autograd
import nn
from autograd import Value, no_grad, topological_order

plt.rcParams.update({"figure.dpi": 100, "font.size": 11})
np.set_printoptions(precision=3, suppress=True)
# NumPy's matrix products may run on several threads. For matrices this small, on a machine busy
# with other work, the threads mostly wait for each other: one thread is faster.
threadpool_limits(1);
#%% md
## 1. The data

`nn.data.load_digits()` reads the digits that scikit-learn keeps on disk (nothing is downloaded).
They are the test part of a larger collection (UCI's "optical recognition of handwritten
digits"): each one was written on a form by one of 13 people, scanned as a 32 x 32 black and
white image, and then shrunk to 8 x 8 by counting the black pixels in each 4 x 4 block. So a digit is 64
numbers from 0 to 16; `load_digits` divides them by 16, which puts every pixel between 0 (paper)
and 1 (ink). It shuffles the images with a fixed seed and keeps a quarter of them apart as a
**test set**: images the network never trains on, so that its accuracy on them tells us how well
it reads digits it has not seen.
#%% code
X_train, X_test, y_train, y_test = nn.data.load_digits(test_size=0.25, seed=0)
print(f"{len(X_train)} training images, {len(X_test)} test images, {len(X_train[0])} pixels each")
print("the first label:", y_train[0], "  its first row of pixels:", X_train[0][:8])
print("images of each digit in the training set:", np.bincount(y_train).tolist())
#%% md
The 64 numbers of an image are its 8 rows, one after the other, so `np.reshape(x, (8, 8))` gives
the picture back. Here are the first 24 training images with their labels. They are coarse, but
you can read most of them.
#%% code
fig, axes = plt.subplots(3, 8, figsize=(8, 3.4))
for ax, x, label in zip(axes.flat, X_train, y_train):
    ax.imshow(np.reshape(x, (8, 8)), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(str(label), fontsize=11)
    ax.axis("off")
fig.suptitle("the first 24 training digits and their labels")
plt.tight_layout(); plt.show()
#%% md
## 2. Ten classes: scores, softmax and cross-entropy

The network ends in 10 linear neurons. Their outputs, z_0 to z_9, are scores called **logits**,
one per digit; the largest one is the network's answer. To train it we turn the scores into
probabilities with the **softmax**,

    p_j = e^(z_j) / (e^(z_0) + ... + e^(z_9)),

and the loss of an example whose digit is c is minus the log of the probability of the right
answer, the **cross-entropy**:

    loss = -log p_c = log(e^(z_0) + ... + e^(z_9)) - z_c.

The first term is the **log-sum-exp** of the logits. Its derivative is the softmax itself, so
dloss/dz_j = p_j - 1 for the right digit and p_j for the others: backward pushes every wrong
logit down in proportion to the probability it takes, p_j, and the right logit up in proportion
to the probability it is missing, 1 - p_c.

Written naively, e^(z_j) overflows for a logit above about 710. The log-sum-exp of two numbers
has a safe form: pull out the larger one, m = max(a, b), and

    logaddexp(a, b) = log(e^a + e^b) = m + log(1 + e^(-|a - b|)),

where the exponential is never above 1. `nn.losses.logaddexp` is this as one op of the table,
added with `autograd.define_op`, with its derivatives d/da = sigmoid(a - b) and
d/db = sigmoid(b - a), the softmax of the pair. Ten logits need nine of them in a row,
`logaddexp(logaddexp(z_0, z_1), z_2)` and so on; that is `nn.losses.logsumexp`, and
`nn.losses.cross_entropy` subtracts z_c from it. Here is the graph for three logits:
#%% code
z = [Value(2.0, label="z0"), Value(-1.0, label="z1"), Value(0.5, label="z2")]
loss = nn.losses.cross_entropy(z, 0)  # the right class is 0
loss.label = "loss"
loss.backward()
p = np.exp(np.array([v.data for v in z]) - nn.losses.logsumexp([v.data for v in z]))
print("softmax p      :", p)
print("p - [1, 0, 0]  :", p - [1, 0, 0])
print("backward gives :", np.array([v.grad for v in z]))
loss.draw(edge_labels=True, rankdir="TB")
#%% md
Follow z0 in the picture. It reaches the loss along two paths: through the chain of `logaddexp`
nodes, where the product of the edge derivatives is its softmax probability p_0, and directly
through the subtraction, with derivative -1. `backward()` adds the two, p_0 - 1, the number in
z0's box.
#%% md
The numbers do not overflow, however large the logits are:
#%% code
big = [Value(1000.0), Value(-1000.0), Value(999.0)]
loss_big = nn.losses.cross_entropy(big, 2)
loss_big.backward()
print(f"loss {loss_big.data:.6f} (exactly log(1 + e) = {np.log1p(np.e):.6f}),",
      "gradients", [round(v.grad, 6) for v in big])
#%% md
Why does this matter for the replay? An earlier version of `cross_entropy` pulled out the largest
logit by looking at the numbers in Python, `max(z.data for z in logits)`. A choice made in Python
from one example's numbers would be frozen into the recording and replayed for every example, so
the replay refuses to record it. Every step of `logaddexp` is an op of the table instead, which
the replay runs on arrays, each item making its own choice.
#%% md
## 3. The scalar engine on one epoch

The model: 64 inputs, one hidden layer of 64 relu neurons, 10 linear outputs. The weights start
with Xavier's scale, variance `2 / (fan_in + fan_out)` (lesson 5 matched relu with He's, twice as
large, which matters in deep stacks of relu layers; this network has one). With micrograd's
uniform start between -1 and 1, the sums of 64 inputs are so large that training ends less
accurate (a "Try this" at the end compares them).
#%% code
model = nn.MLP(64, [64, 10], init="xavier", seed=0)
print(model, "with", len(model.parameters()), "parameters")

one = nn.losses.cross_entropy(model(X_train[0]), y_train[0])
nodes = len(topological_order(one))
new = nodes - len(model.parameters())
print(f"the graph of one example's loss has {nodes} nodes: the {len(model.parameters())} shared parameters"
      f" and {new} nodes of its own")
print(f"one pass over the {len(X_train)} training images builds {new * len(X_train):,} nodes")
#%% md
One epoch of training in the scalar engine: every example's graph is built, the mean loss over the
1,348 examples is computed, and `backward()` runs through all of it.
#%% code
scalar_model = nn.MLP(64, [64, 10], init="xavier", seed=0)
start = time.process_time()
nn.fit(scalar_model, X_train, y_train, loss="cross_entropy", epochs=1, progress=False,
       optimizer=nn.optim.Adam(scalar_model.parameters(), lr=0.01))
scalar_epoch = time.process_time() - start
print(f"one epoch in the scalar engine: {scalar_epoch:.2f} s of CPU time; "
      f"100 epochs would take about {100 * scalar_epoch / 60:.0f} minutes")
#%% md
## 4. Record once, replay on a batch

`autograd.trace(model, 64)` calls the model once, on 64 **placeholders**: Values that stand for
the 64 pixels of whatever example comes later. The graph that call builds is kept. The weights in
it are captured by reference, so each replay reads their current values (and sees every update of
the optimizer), and backward adds to their `.grad`.

The recorded graph is then compiled into a few NumPy instructions. Each node becomes a column of
a 2-D array, one row per example. Nodes that do the same op on the same inputs are done together:
the 64 `dot` nodes of the hidden layer read the same 64 pixels, so together they are one matrix
product, and their 64 relus are one call of NumPy's `maximum`:
#%% code
tape = autograd.trace(model, 64)
print(tape)
for line in tape.steps():
    print("  ", line)
#%% md
`tape(X)` runs those instructions on a whole batch at once: `X` has one row per example and
comes back as one row of 10 logits per example. `tape.backward(G)` runs the graph backwards, with
`G` holding the gradient of the loss with respect to each logit of each example, and adds to every
weight's `.grad` the sum over the batch, just as calling `backward()` on each example would.

**Why the numbers are the same as the scalar engine's.** The replay does not have its own
derivatives. Every number comes from the same op table as `backward()`: each op's forward, and
its local derivative rule, which is written with arithmetic and the table's own functions
(`sigmoid(a - b)` for `logaddexp`), so the same rule runs on a float in the scalar engine and on
an array in the replay. Per example, each node is computed from the same inputs by the same
formula. The only difference: a matrix product adds its 64 terms in another order than the
scalar `dot` does, and float addition rounds a little differently in another order. So we
expect agreement to about 1e-16 per number, and no more than that.

Let's check. First the logits of 200 training images, one example at a time in the scalar engine
against one replay:
#%% code
X200, y200 = X_train[:200], y_train[:200]
with no_grad():
    scalar_logits = np.array([[v.data for v in model(x)] for x in X200])
replay_logits = tape(np.array(X200))
print("logits:", replay_logits.shape, " largest difference:", f"{np.abs(replay_logits - scalar_logits).max():.1e}")
#%% md
Now the gradient of one example's loss with respect to all 4,810 parameters. Scalar: build the
graph and call `backward()`. Replay: record the loss of the example as a function of its 64 pixels
(`trace` of the model followed by `cross_entropy`, with the example's digit as the target) and
replay it on that one row.
#%% code
x0, c0 = X_train[0], y_train[0]
params = model.parameters()

model.zero_grad()
nn.losses.cross_entropy(model(x0), c0).backward()
scalar_grad = np.array([p.grad for p in params])

one_example = autograd.trace(lambda pixels: nn.losses.cross_entropy(model(pixels), c0), 64)
model.zero_grad()
one_example(np.array([x0]))
one_example.backward()
replay_grad = np.array([p.grad for p in params])

print(f"per-example gradient, {len(params)} parameters: largest difference {np.abs(replay_grad - scalar_grad).max():.1e}"
      f" (largest gradient {np.abs(scalar_grad).max():.2f})")
#%% md
And the gradient of the mean loss of a batch, done the way `nn.fit(..., vectorize=True)` does it,
with two tapes and the chain rule between them:

1. the model's tape gives the logits of every example, an array of shape (200, 10);
2. the loss of the whole batch is recorded once as a function of those 2,000 logits (the targets
   are constants in it); replaying it gives the loss and, with `input_grad=True`, dloss/dlogit for
   each of the 2,000 logits;
3. `tape.backward(G)` sends those gradients back through the model's tape to the weights.
#%% code
def batch_loss(logits_flat):
    per_example = [logits_flat[10 * i: 10 * i + 10] for i in range(len(y200))]
    return nn.losses.cross_entropy(per_example, y200)

loss_tape = autograd.trace(batch_loss, 2000, example=replay_logits.ravel().tolist())
model.zero_grad()
logits = tape(np.array(X200))                                  # step 1
value = loss_tape(logits.reshape(1, -1))[0]                    # step 2
G = loss_tape.backward(1.0, input_grad=True).reshape(200, 10)
tape.backward(G)                                               # step 3
replay_batch = np.array([p.grad for p in params])

model.zero_grad()
scalar_loss = nn.losses.cross_entropy([model(x) for x in X200], y200)
scalar_loss.backward()
scalar_batch = np.array([p.grad for p in params])
print(f"batch of 200: loss {value:.12f} (scalar {scalar_loss.data:.12f}),"
      f" largest gradient difference {np.abs(replay_batch - scalar_batch).max():.1e}")
#%% md
## 5. Training

`nn.fit(..., vectorize=True)` does all of that at every step. Here it trains on all 1,348 training
images at once (one step per epoch) for 100 epochs with the Adam optimizer. After each epoch a
callback replays the model's tape on the test images and records how many it reads right: the
tape sees the new weights without being recorded again.
#%% code
model = nn.MLP(64, [64, 10], init="xavier", seed=0)
test_tape = autograd.trace(model, 64)
X_test_array, y_test_array = np.array(X_test), np.array(y_test)
test_accuracy, stamps = [], []

def after_epoch(epoch, history):
    stamps.append(time.process_time())
    test_accuracy.append(float(np.mean(test_tape(X_test_array).argmax(axis=1) == y_test_array)))

start = time.process_time()
history = nn.fit(model, X_train, y_train, loss="cross_entropy", epochs=100, vectorize=True,
                 optimizer=nn.optim.Adam(model.parameters(), lr=0.01), callbacks=[after_epoch])
total = time.process_time() - start
per_epoch = np.median(np.diff([start] + stamps))
print(f"100 epochs in {total:.1f} s of CPU time, {1000 * per_epoch:.0f} ms per epoch (median):"
      f" an epoch about {scalar_epoch / per_epoch:.0f} times faster than in the scalar engine")
print(f"training accuracy {history['accuracy'][-1]:.3f}, test accuracy {test_accuracy[-1]:.3f}")
for level in (0.9, 0.95):
    first = next((f"after epoch {i + 1}" for i, a in enumerate(test_accuracy) if a >= level), "never")
    print(f"test accuracy first reached {level:.0%}: {first}")
#%% md
(The training accuracy that `fit` reports is measured on the predictions made during each epoch,
before that epoch's step; the test accuracy is measured after it.)

The loss falls quickly for the first twenty or so steps and then more slowly; the test accuracy
passes 90% early (the epochs are printed above) and then creeps up. It ends a little below the
training accuracy: the network reads the digits it trained on better than new ones, as expected.
#%% code
fig, (left, right) = plt.subplots(2, 1, figsize=(6.5, 6.5))
epochs = range(1, history.epochs + 1)
left.plot(epochs, history.loss)
left.set_yscale("log"); left.set_xlabel("epoch"); left.set_ylabel("cross-entropy (log scale)")
left.set_title("training loss")
right.plot(epochs, history["accuracy"], label="training images")
right.plot(epochs, test_accuracy, label="test images")
right.set_ylim(0, 1.02); right.set_xlabel("epoch"); right.set_ylabel("accuracy")
right.set_title("accuracy"); right.legend(loc="lower right")
plt.tight_layout(); plt.show()
#%% md
## 6. What it gets wrong

The **confusion matrix** counts, for each true digit (a row), how often the network answered each
digit (a column). Right answers sit on the diagonal; everything else is a mistake.
#%% code
scores = test_tape(X_test_array)
predicted = scores.argmax(axis=1)
confusion = np.zeros((10, 10), dtype=int)
for true, guess in zip(y_test_array, predicted):
    confusion[true, guess] += 1
wrong = np.flatnonzero(predicted != y_test_array)
print(f"{len(wrong)} of {len(y_test)} test digits read wrong ({len(wrong) / len(y_test):.1%})")
mistakes = confusion - np.diag(np.diag(confusion))
true, guess = np.unravel_index(mistakes.argmax(), mistakes.shape)
print(f"the most common mistake: {true} read as {guess}, {mistakes[true, guess]} times")

fig, ax = plt.subplots(figsize=(5.2, 4.6))
ax.imshow(confusion, cmap="Blues")
for i in range(10):
    for j in range(10):
        if confusion[i, j]:
            ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=9,
                    color="white" if confusion[i, j] > confusion.max() / 2 else "black")
ax.set_xticks(range(10)); ax.set_yticks(range(10))
ax.set_xlabel("the network's answer"); ax.set_ylabel("the true digit"); ax.set_title("confusion matrix (test images)")
plt.show()
#%% md
And the mistakes themselves, each with the true digit, the network's answer and the probability
it gave that answer (the softmax of its logits):
#%% code
probabilities = np.exp(scores - np.logaddexp.reduce(scores, axis=1, keepdims=True))
shown = wrong[:16]
fig, axes = plt.subplots(2, 8, figsize=(9, 3.9))
for ax in axes.flat:
    ax.axis("off")
for ax, i in zip(axes.flat, shown):
    ax.imshow(np.reshape(X_test[i], (8, 8)), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"{y_test[i]} → {predicted[i]}\n{probabilities[i, predicted[i]]:.0%}", fontsize=10)
fig.suptitle("misread test digits: true → answer, and the answer's probability")
plt.tight_layout(h_pad=1.5); plt.show()
#%% md
Some of these are hard for a person too at 8 x 8 pixels; others the network gets wrong with a
high probability, which is a reminder that a softmax probability says how sure the network is,
not how often it is right.

## What to take away

* The replay is the scalar engine's own graph, recorded once and run on arrays; the gradients
  agree with `backward()` to about 1e-16, and an epoch takes milliseconds instead of seconds.
* What the replay cannot record is a decision taken in Python from a number. Written with ops
  of the table (`logaddexp` here, `relu` or `abs` elsewhere), the same decision is made per example.
* The test set is the honest measure: the network reads about 97 of every 100 unseen digits.

**Try this:** start from micrograd's initialisation: in the training cell of section 5, change
`model = nn.MLP(64, [64, 10], init="xavier", seed=0)` to `init="uniform"` and compare the test
accuracy; use 16 or 128 hidden neurons; add `l2=1e-4` to `nn.fit`. With mini-batches
(`batch_size=64`, shuffled every epoch) each batch has new targets, so `fit` computes their loss
in the scalar engine (the model itself is still replayed): time an epoch and compare.
