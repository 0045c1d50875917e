#%% md
# 11. A GPT from scalars

In February 2026 Andrej Karpathy published **microgpt**: a GPT, the kind of network behind
today's chatbots, trained and sampled in about two hundred lines of plain Python. Its engine is
a scalar `Value` like ours, whose nodes keep the local derivative of each edge as a number, and
its model is the transformer of the large language models, scaled down until every number of it
is one Value: an embedding, normalisation, attention heads, a softmax, a small MLP and residual
additions. It learns from a list of names and then makes up new ones.

This lesson writes that model on chainrule and looks inside it:

1. the data: 5,163 first names, read letter by letter;
2. microgpt's own code, run unchanged, on its own `Value` and on ours;
3. the model on scalars, piece by piece, written with chainrule's fused nodes;
4. the same numbers as microgpt's code, many times faster;
5. training on 1,000 of the names, in well under a minute;
6. sampling new names;
7. what the attention heads look at;
8. how normalisation and the residual path keep the gradient alive through many layers (lesson 8,
   in a transformer);
9. the graph of one name drawn block by block, and a weight's gradient split by block.
#%% code
import math
import random
import statistics
import time

import matplotlib.pyplot as plt

import nn
from autograd import Value, dot, dots, gc_paused, name_parameters, no_grad, topological_order
from nn import microgpt

plt.rcParams.update({"figure.dpi": 100, "font.size": 11})
#%% md
## 1. The data

`nn.data.load_names()` returns 5,163 English first names, those given to at least one person in
100,000 in the 1990 United States census. They ship with chainrule (public domain, nothing is
downloaded), shuffled with a fixed seed.

The model reads a name one **token** at a time. A token is a letter, numbered 0 to 25, or a 27th
token, numbered 26 and written `BOS` here ("beginning of sequence"), that marks where a name starts
and ends. A name of n letters becomes n + 2 tokens, and the model's task at each position is to
give the next token a high probability: after `BOS` the first letter, after the last letter `BOS`.
#%% code
names = nn.data.load_names()
chars = sorted(set("".join(names)))        # the 26 letters
BOS = len(chars)                           # token 26: a name starts and ends here
VOCAB = len(chars) + 1
token_of = {c: i for i, c in enumerate(chars)}

def encode(name):
    return [BOS] + [token_of[c] for c in name] + [BOS]

print(f"{len(names)} names, for example", ", ".join(names[:8]))
print(f"from {min(map(len, names))} to {max(map(len, names))} letters;", VOCAB, "tokens")
print("'emma' as tokens:", encode("emma"))
#%% md
## 2. microgpt's own code, unchanged

`nn.microgpt.engine()` loads microgpt's code as the package `strands-microgpt` 0.1.0 ships it
(Karpathy's file cut into a module: a `Value` class, a tokenizer, and a `MicroGPT` class whose
`train_on_docs` runs the training loop with its own Adam optimizer). Nothing in it is changed but
one name: `Value`, which its functions look up when they run. `microgpt.engine(Value=None)` leaves
microgpt's own class in place; `microgpt.engine()` puts `autograd.Value` there.

Its model has microgpt's default size: one transformer layer, vectors of 16 numbers, 4 attention
heads, at most 16 positions, and weights drawn from `random.seed(42)`. Each training step takes
one name, builds the graph of its loss, calls `backward()` and updates every weight. Here are eight
steps on each class, with the CPU time of each step.
#%% code
def run_original(module, steps):
    """microgpt's train_on_docs for `steps` steps: its losses, the seconds of each step, the names it read."""
    docs = list(names)                     # train_on_docs shuffles the list it is given
    tokenizer = module.Tokenizer.from_docs(docs)
    model = module.MicroGPT(vocab_size=tokenizer.vocab_size)
    stamps = [time.process_time()]
    losses = model.train_on_docs(docs, tokenizer, num_steps=steps, log_every=0,
                                 callback=lambda step, loss: stamps.append(time.process_time()))
    return losses, [b - a for a, b in zip(stamps, stamps[1:])], docs[:steps]

STEPS_COMPARED = 8
original = {"microgpt's Value": run_original(microgpt.engine(Value=None), STEPS_COMPARED),
            "autograd.Value": run_original(microgpt.engine(), STEPS_COMPARED)}
for label, (losses, seconds, docs) in original.items():
    print(f"{label:16s}: losses", " ".join(f"{v:.4f}" for v in losses),
          f"  {1000 * sum(seconds) / len(seconds):.0f} ms a step")
print("the names it trained on:", ", ".join(docs))
#%% md
The two classes print the same losses: the code is the same, and so is the arithmetic of each
node. chainrule's `Value` runs it faster (the times are printed above), but either way a step takes
a good fraction of a second, and microgpt trains for 1,000 steps.

Where the time goes: microgpt builds its layers from single multiplications and additions, so
`W x` for a 16 x 16 matrix is 256 product nodes and as many sums, and one name's loss is a graph
of tens of thousands of nodes. Each node is a Python object made in the forward pass and visited in
the backward pass. The way to go faster is to make fewer of them.

## 3. The model on scalars

Below is microgpt's model, written again with the same weights in the same places, and with
chainrule's **fused** nodes where microgpt makes long chains: `dot(w, x)` is one node for a whole
weighted sum `w_1 x_1 + ... + w_n x_n`, with its 2n inputs as parents and its local derivatives
d/dw_i = x_i and d/dx_i = w_i; `dots(W, x)` is one such node per row of a matrix (lesson 10 met it
as the neuron's node).

**The parameters.** Every weight is a Value in a list of lists, under microgpt's names: `wte` holds a
vector of 16 numbers for each token, `wpe` one for each position, `lm_head` turns a vector back
into 27 scores, and each layer has the four matrices of attention (`attn_wq`, `attn_wk`, `attn_wv`,
`attn_wo`) and the two of its MLP (`mlp_fc1`, `mlp_fc2`). They are drawn from a Gaussian of
standard deviation 0.08, in microgpt's order from the same seed, so this model starts with exactly
the weights of the one above.
#%% code
EMBED, HEADS, BLOCK = 16, 4, 16            # numbers per vector, attention heads, positions
HEAD = EMBED // HEADS                      # each head works on 4 of the 16 numbers

def matrix(rows, cols, rng):
    return [[Value(rng.gauss(0, 0.08)) for _ in range(cols)] for _ in range(rows)]

def init(layers=1, seed=42):
    rng = random.Random(seed)
    P = {"wte": matrix(VOCAB, EMBED, rng), "wpe": matrix(BLOCK, EMBED, rng), "lm_head": matrix(VOCAB, EMBED, rng)}
    for i in range(layers):
        for name, rows, cols in [("attn_wq", EMBED, EMBED), ("attn_wk", EMBED, EMBED), ("attn_wv", EMBED, EMBED),
                                 ("attn_wo", EMBED, EMBED), ("mlp_fc1", 4 * EMBED, EMBED), ("mlp_fc2", EMBED, 4 * EMBED)]:
            P[f"layer{i}.{name}"] = matrix(rows, cols, rng)
    return P

def parameters(P):
    return list(name_parameters(P).values())   # every weight, labelled by its place: 'wte[4][0]', ...

P = init()
print(len(parameters(P)), "parameters:", {name: f"{len(m)} x {len(m[0])}" for name, m in P.items()})
#%% md
**The building blocks.** A vector is a plain list of Values.

* `linear(x, W)` is the matrix product `W x`: one `dot` node per row.
* `rmsnorm(x)` divides the vector by its root mean square, `sqrt((x_1^2 + ... + x_n^2) / n)`, so
  that whatever size it arrives with, it leaves with numbers of size about 1 (the small `1e-5` keeps
  the division finite for a vector of zeros). It is the layer norm of lesson 8 without subtracting the
  mean and without the learnable scale and shift.
* `softmax(z)` turns scores into probabilities, `e^(z_j) / sum_k e^(z_k)`. Subtracting the largest
  score first changes no probability and keeps every `exp` at most 1; that largest score is read
  as a plain number, so the graph sees a constant.
#%% code
def linear(x, W):
    return dots(W, x)                      # one node per row: sum_j W[i][j] * x[j]

def rmsnorm(x):
    scale = (dot(x, x) / len(x) + 1e-5) ** -0.5
    return [xi * scale for xi in x]

def softmax(z):
    top = max(v.data for v in z)
    e = [(v - top).exp() for v in z]
    total = sum(e)
    return [v / total for v in e]
#%% md
**Attention.** At each position the model has a vector `x` for the current token. From it, three
linear maps make a **query** `q` (what this position is looking for), a **key** `k` (what it offers
to the positions after it) and a **value** `v` (what it passes on to them). The keys and values of
the earlier positions are kept in a cache, so a position can look back but never forward.

The 16 numbers are cut into 4 **heads** of 4 numbers. Head h scores each position t seen so far
by the dot product of its piece of `q` with that position's piece of `k`, divided by `sqrt(4)` so
that the scores do not grow with the head's size. The softmax of those scores are the **attention
weights**: they sum to 1, and the head's output is the weighted mean of the earlier values,
`sum_t weight_t * v_t`. The four heads' outputs are joined into 16 numbers again and mixed by
`attn_wo`. Both weighted sums are `dot` nodes too.

**The MLP** is two layers with a relu between them: 16 numbers up to 64, then back to 16.

**The residual path.** Neither block replaces `x`: each one's output is *added* to it,
`x = x + attention(rmsnorm(x))` and `x = x + mlp(rmsnorm(x))`, so `x` is a running sum (the
*residual stream*) that each block reads, normalised, and writes a correction into.

A position's scores for the next token are `lm_head` times the final `x`. `seen`, when given, is a
list that collects the attention weights (section 7 draws them); `norm` and `residual` switch the
normalisation and the residual additions off (section 8 does).
#%% code
def attention(x, P, i, cache, seen=None):
    keys, values = cache
    q = linear(x, P[f"layer{i}.attn_wq"])
    keys.append(linear(x, P[f"layer{i}.attn_wk"]))
    values.append(linear(x, P[f"layer{i}.attn_wv"]))
    out = []
    for h in range(HEADS):
        part = slice(h * HEAD, (h + 1) * HEAD)
        scores = [s / math.sqrt(HEAD) for s in dots([k[part] for k in keys], q[part])]
        weights = softmax(scores)
        if seen is not None:
            seen.append([w.data for w in weights])
        columns = list(zip(*[v[part] for v in values]))      # column j: the j-th number of every value
        out += dots(columns, weights)                         # sum_t weights[t] * v_t[j]
    return linear(out, P[f"layer{i}.attn_wo"])

def mlp(x, P, i):
    hidden = [h.relu() for h in linear(x, P[f"layer{i}.mlp_fc1"])]
    return linear(hidden, P[f"layer{i}.mlp_fc2"])

def gpt(token, pos, P, caches, seen=None, norm=True, residual=True):
    """The scores of the next token, given this token, its position and the caches of the earlier ones."""
    normed = rmsnorm if norm else (lambda x: x)
    x = normed([t + p for t, p in zip(P["wte"][token], P["wpe"][pos])])   # what the token is and where
    for i in range(len(caches)):                                          # the layers
        a = attention(normed(x), P, i, caches[i], seen)
        x = [xi + ai for xi, ai in zip(x, a)] if residual else a
        m = mlp(normed(x), P, i)
        x = [xi + mi for xi, mi in zip(x, m)] if residual else m
    return linear(x, P["lm_head"])
#%% md
**The loss.** For each position the loss is the cross-entropy of lesson 10, minus the log of the
probability the model gives the right next token: `nn.losses.cross_entropy(scores, target)`, built
from `logaddexp` nodes, which is the same number as `-log(softmax(scores)[target])` with fewer
nodes. A name's loss is the mean over its positions. At the start every token is about equally
likely, so the loss is about `log(27) = 3.3`.
#%% code
def layers(P):
    return sum(name.endswith("attn_wq") for name in P)

def name_loss(name, P, **options):
    tokens = encode(name)[:BLOCK + 1]
    caches = [([], []) for _ in range(layers(P))]
    losses = []
    for pos in range(len(tokens) - 1):
        scores = gpt(tokens[pos], pos, P, caches, **options)
        losses.append(nn.losses.cross_entropy(scores, tokens[pos + 1]))
    return sum(losses) / len(losses)

loss = name_loss("emma", P)
print(f"loss of 'emma' at the start: {loss.data:.4f}   (log 27 = {math.log(27):.4f})")
graph = topological_order(loss)
used = len(set(graph) & set(parameters(P)))
print(f"its graph: {len(graph):,} nodes: {used:,} parameters and {len(graph) - used:,} nodes of its own")
#%% md
The same name through microgpt's code, on `autograd.Value` so that we can count its nodes, runs
its model's `forward` at each position with its own softmax and log:
#%% code
def microgpt_loss(name):
    """microgpt's loss of one name, from its model's forward pass, its softmax and its log."""
    module = microgpt.engine()
    model = module.MicroGPT(vocab_size=VOCAB)
    keys, values = [[]], [[]]
    tokens = encode(name)
    terms = [-module._softmax(model.forward(token, pos, keys, values))[tokens[pos + 1]].log()
             for pos, token in enumerate(tokens[:-1])]
    loss = (1 / len(terms)) * sum(terms)
    return loss.data, len(topological_order(loss))

their_loss, their_nodes = microgpt_loss("emma")
print(f"microgpt's loss of 'emma': {their_loss:.4f}, a graph of {their_nodes:,} nodes"
      f" ({their_nodes / len(topological_order(loss)):.0f} times as many)")
#%% md
The same loss, to the digits printed, from a graph several times smaller: each `dot` node
stands for a chain of products and sums. Most of the nodes left are parameters (all but the rows of
`wte` and `wpe` for the tokens and positions that 'emma' does not use), which every name shares.

## 4. The same numbers, faster

Now the eight training steps of section 2 again, on the same names in the same order, with
chainrule's Adam set up as microgpt's (its betas 0.85 and 0.99, a learning rate of 0.01 that falls
linearly to 0 over the steps):
#%% code
def train(P, docs, steps, on_step=None):
    """microgpt's training loop: one name per step, Adam with a learning rate falling linearly to 0."""
    opt = nn.optim.Adam(parameters(P), lr=lambda step: 0.01 * (1 - step / steps), betas=(0.85, 0.99))
    losses = []
    for step in range(steps):
        loss = name_loss(docs[step % len(docs)], P)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
        if on_step:
            on_step(step)
    return losses

original_losses, original_seconds, original_docs = original["microgpt's Value"]
P = init()
stamps = [time.process_time()]
ours = train(P, original_docs, STEPS_COMPARED, on_step=lambda step: stamps.append(time.process_time()))
seconds = [b - a for a, b in zip(stamps, stamps[1:])]
print("microgpt's code :", " ".join(f"{v:.4f}" for v in original_losses))
print("this lesson's   :", " ".join(f"{v:.4f}" for v in ours))
print(f"largest difference: {max(abs(a - b) for a, b in zip(ours, original_losses)):.1e}")
speedup = sum(original_seconds) / sum(seconds)
print(f"{1000 * sum(seconds) / len(seconds):.0f} ms a step against {1000 * sum(original_seconds) / len(original_seconds):.0f} ms:"
      f" {speedup:.0f} times faster than microgpt's code on its own Value,"
      f" {sum(original['autograd.Value'][1]) / sum(seconds):.0f} times faster than it on autograd.Value")
#%% md
The losses agree to within 1e-15. They are not identical bit for bit because a few steps do
other arithmetic: the cross-entropy is computed through `logaddexp` rather than as the log of a
softmax, and microgpt's own `Value` divides by multiplying with a power `-1`. Those differences sit
in the last digits of a float.

The speed-up (printed above) comes from making fewer, larger nodes: a fused `dot` node is one Python
object, and its backward pass runs one loop over its inputs instead of visiting a node per product
and per sum.

## 5. Training

Now 1,000 steps, as microgpt trains, one name a step, on the names in the order microgpt's own
loop shuffled them. `gc_paused()` turns Python's cycle collector off meanwhile: chainrule's graphs
hold no reference cycles, so each name's graph is freed as soon as it is dropped, and the
collector would only spend time scanning graphs that are still in use. A single name's loss jumps
around from step to step (some names are easier than others), so the plot shows the mean over the
last 50 steps as well.
#%% code
STEPS = 1000
docs = list(names)
random.Random(42).shuffle(docs)            # the order train_on_docs uses (it shuffles with seed 42)
assert docs[:STEPS_COMPARED] == original_docs

P = init()
start = time.process_time()
with gc_paused():
    losses = train(P, docs, STEPS)
training_seconds = time.process_time() - start
window = 50
mean_losses = [statistics.fmean(losses[max(0, s - window + 1): s + 1]) for s in range(STEPS)]
print(f"{STEPS} steps in {training_seconds:.1f} s of CPU time ({1000 * training_seconds / STEPS:.0f} ms a step)")
print(f"mean loss of the first {window} steps {mean_losses[window - 1]:.2f}, of the last {window} {mean_losses[-1]:.2f}")

fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(losses, color="0.75", linewidth=0.8, label="each step's name")
ax.plot(mean_losses, color="C0", label=f"mean of the last {window} steps")
ax.axhline(math.log(VOCAB), color="0.4", linestyle="--", linewidth=1, label="log 27: a uniform guess")
ax.set_xlabel("step"); ax.set_ylabel("loss (cross-entropy)"); ax.set_title("training on one name a step")
ax.legend(); plt.tight_layout(); plt.show()
#%% md
The loss starts near `log 27`, the loss of a uniform guess, and falls quickly in the first hundred
steps, as the model learns which letters are common and which follow which; after that it falls
slowly (the means of the first and last 50 steps are printed above). Even a perfect model could not
bring it near 0: many letters could follow the same beginning of a name.

## 6. Sampling new names

To make up a name, start from `BOS` and repeat: compute the scores of the next token, turn them
into probabilities, draw a token from them, and feed it back in, until the model draws `BOS`
again. Dividing the scores by a **temperature** below 1 before the softmax sharpens the
probabilities, so that likely letters are drawn more often (microgpt uses 0.5). No gradient is
needed, so `no_grad()` keeps the graph from being built.
#%% code
def sample(P, rng, temperature=0.5):
    caches = [([], []) for _ in range(layers(P))]
    token, letters = BOS, []
    with no_grad():
        for pos in range(BLOCK):
            probs = softmax([s / temperature for s in gpt(token, pos, P, caches)])
            token = rng.choices(range(VOCAB), weights=[p.data for p in probs])[0]
            if token == BOS:
                break
            letters.append(chars[token])
    return "".join(letters)

rng = random.Random(0)
samples = [sample(P, rng) for _ in range(20)]
known = set(names)
print("  ".join(s if s in known else s + "*" for s in samples))
print(f"{sum(s not in known for s in samples)} of {len(samples)} are not in the data (marked *)")
#%% md
Most of them read like names, and most are new: the model has learnt what names look like, not
a list of them.

## 7. What the heads look at

Each head, at each position, spreads a weight of 1 over the positions up to it. Here are the
weights of the four heads while the trained model reads one name: row = the position reading,
column = the position read. The upper triangle is empty because no position sees the future.
#%% code
word = "isabella"
tokens = encode(word)
seen = []
with no_grad():
    caches = [([], []) for _ in range(layers(P))]
    for pos, token in enumerate(tokens[:-1]):
        gpt(token, pos, P, caches, seen=seen)
labels = ["BOS"] + list(word)
n = len(labels)
fig, axes = plt.subplots(1, HEADS, figsize=(9.5, 3.4), sharey=True)
for h, ax in enumerate(axes):
    grid = [[0.0] * n for _ in range(n)]
    for pos in range(n):
        for t, w in enumerate(seen[pos * layers(P) * HEADS + h]):   # per position: each layer's heads, the first first
            grid[pos][t] = w
    ax.imshow(grid, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n)); ax.set_xticklabels(labels, rotation=90)
    ax.set_yticks(range(n)); ax.set_yticklabels(labels)
    ax.set_title(f"head {h}")
axes[0].set_ylabel("reading")
fig.supxlabel("read")
fig.suptitle(f"attention weights while reading '{word}' (darker: more weight)")
plt.tight_layout(); plt.show()
#%% md
The first row is always a single dark square: `BOS` can only look at itself. Further down the
heads differ: some spread their weight over much of the name, most of it on its start; others
often put most of their weight on one place, such as the letter being read. Nobody told them what
to look at; each pattern is whatever lowered the loss.

## 8. How normalisation and the residual path keep the gradient healthy

Lesson 8 stacked 25 sigmoid layers and watched the gradient die on its way down, then revived it
with residual connections and with normalisation. A transformer is built the same way, and for the
same reason. To see it, make the model 8 layers deep and, at the start, measure the size (L2 norm)
of the gradient of each layer's weights after one backward pass, with and without the two
remedies.
#%% code
DEEP = 8
variants = {"rmsnorm and residual": {}, "residual only": {"norm": False},
            "rmsnorm only": {"residual": False}, "neither": {"norm": False, "residual": False}}

def layer_norms(options):
    P_deep = init(layers=DEEP)
    loss = name_loss("isabella", P_deep, **options)
    loss.backward()
    norms = [math.sqrt(sum(w.grad ** 2 for name, m in P_deep.items() if name.startswith(f"layer{i}.")
                           for row in m for w in row)) for i in range(DEEP)]
    return loss.data, norms, math.sqrt(sum(w.grad ** 2 for row in P_deep["wte"] for w in row))

profiles = {label: layer_norms(options) for label, options in variants.items()}
for label, (loss_value, norms, embedding) in profiles.items():
    print(f"{label:20s}: loss {loss_value:.4f}; gradient norm of layer 1 {norms[0]:.1e}, of layer {DEEP}"
          f" {norms[-1]:.1e}, of the embedding wte {embedding:.1e}")

fig, ax = plt.subplots(figsize=(7, 4))
for i, (label, (_, norms, _)) in enumerate(profiles.items()):
    ax.semilogy(range(1, DEEP + 1), norms, "o-", color=f"C{i}", label=label)
ax.set_xlabel("layer (1 = nearest the input)"); ax.set_ylabel("gradient norm (log scale)")
ax.set_title(f"gradient of each layer's weights, {DEEP} layers, at the start")
ax.legend(); plt.tight_layout(); plt.show()
#%% md
The four cases, in the numbers printed above:

* With **both**, every layer gets a gradient of about the same size, and the embedding at the
  bottom gets more still. The residual stream carries the gradient from the loss down to every layer
  unchanged, whatever the blocks on the way do to it, and each block adds its share.
* With the **residual path alone** the gradient is still the same from layer to layer, but about
  ten times smaller. A weight's gradient is the gradient arriving at its layer times the input it
  multiplies, and without normalisation the vectors in the residual stream keep the size of the
  embeddings they started as, numbers of about 0.1.
* With **rmsnorm alone** each block's input is rescaled to size 1, so the signal survives its way
  up, and on the way down each rmsnorm scales the gradient back up by as much as it scaled its
  input down. Still, the gradient shrinks on its way down: layer 1 gets less than layer 8, and the
  embedding less still.
* With **neither**, each block multiplies the vector by small matrices and passes on only the
  result. After 16 blocks (an attention and an MLP per layer) the scores at the top hardly depend
  on the name any more: the loss is `log 27` to the digits printed, every token equally likely, and
  every gradient is about 1e-16, against 1e-2 to 1e-1 and more with either remedy. Gradient descent
  moves nothing with that.
#%% md
## 9. The graph of one name, block by block

One name's graph has thousands of nodes (6,116 for 'emma' here, 43,021 in microgpt's own code):
far too many to draw one by one, and a picture of them would not show what a reader of the code
sees, which is its pieces: the positions, the embedding, each rmsnorm, the attention and its
heads, the MLP, the residual additions.

`autograd.track_blocks()` gives the graph those pieces. Every node made inside it remembers
where in your code it was made: the chain of your functions running at the time
(`name_loss > gpt > attention > softmax`), a `for` loop over an int split into its iterations
(`pos=3`, `i=0` for the layer, `h=1` for the head), a function called again in the same place
numbered (`linear#2`), and the nodes a function makes itself grouped by statement (`line 27`,
a residual addition). Tracking costs time while it is on, so it is asked for, and it changes no
number. `draw_dot(loss, view='blocks')` then draws one box per block, with the number of nodes it
made and, after `backward()`, the size (norm) of the gradient through it. Here is 'emma' read by
the trained model (`fit` only makes the wider drawings fit the page):
#%% code
from autograd import draw_dot, explain, track_blocks

def fit(view, inches=10):
    """The drawing scaled down, if it is wider, to a notebook column (10 inches: 960 pixels)."""
    view.attr(size=f"{inches},{4 * inches}")
    return view

with track_blocks():
    loss = name_loss("emma", P)
loss.label = "loss"                            # what explain calls it below
loss.backward()
print(f"loss of 'emma' after training: {loss.data:.4f}")
fit(draw_dot(loss, view="blocks"))
#%% md
Five boxes, one per position: position 0 reads `BOS`, positions 1 to 4 read e, m, m and a, and each
predicts the token after it. `line 11`, at the bottom, is the mean of their five losses. The dashed
box holds the parameters, which every position uses. The edges between positions are the cache:
each position hands its 16 keys and 16 values to every later one (32 values), and that is the only
way one position learns anything about another. No edge goes back up: no position reads a later
one.

Opening a box draws its blocks the same way: `block=` names it by its path. Here is the layer at
position 3, where the model reads the second m:
#%% code
fit(draw_dot(loss, view="blocks", block="name_loss > pos=3 > gpt > i=0"))
#%% md
The vector comes in at the top, normalised by the embedding's rmsnorm. It goes into `rmsnorm` and
then `attention` (which also reads the keys and values of positions 0 to 2, and passes its own on
to position 4), and the attention's output is added to it in `line 27`; then the same again with
`rmsnorm#2`, `mlp` and `line 29`. The edges that go around the blocks, from the top straight into
`line 27` and from `line 27` straight into `line 29`, are the residual path of section 8.

One level further down, the attention:
#%% code
fit(draw_dot(loss, view="blocks", block="name_loss > pos=3 > gpt > i=0 > attention"))
#%% md
Three linear maps make the query (`linear`, from `attn_wq`), the key (`linear#2`) and the value
(`linear#3`) of this position; each box holds its 16 `dot` nodes and its 256 weights. Each head
`h=0` to `h=3` reads its 4 numbers of the query and the keys and values of positions 0 to 3, and
`linear#4` (`attn_wo`) mixes the heads' outputs. A block as small as one head's softmax is drawn
node by node:
#%% code
fit(draw_dot(loss, view="blocks", block="name_loss > pos=3 > gpt > i=0 > attention > h=1 > softmax", rankdir="TB"))
#%% md
Four scores come in (`in1` to `in4`, made in the head's block), the largest is subtracted from
each (as a constant), then come the four `exp`s, their sum (starting from 0, as Python's `sum`
does) and the four divisions: head 1's attention weights at position 3, one row of a picture like
those of section 7.

**A weight's gradient, block by block.** `explain(loss, w, by='block', block=...)` takes every path
from `w` to the loss, sorts the paths by the blocks inside `block` that they pass through, and adds
up each group; the groups sum to `w`'s gradient, which it checks against `autograd.grad`. A `*`
in the path stands for every iteration of that loop. Here is the first number of the embedding of
`m`, split by the blocks of the layer, at every position:
#%% code
w = P["wte"][token_of["m"]][0]
print(explain(loss, w, by="block", block="name_loss > * > gpt > i=0"))
#%% md
The paths from this one number split four ways (the routes, largest first, are printed above).
Along the residual path alone, through the two additions and no other block, comes a large share;
through the MLP comes another about as large, of the opposite sign; through the attention, alone
or followed by the MLP, only a little. The two large shares nearly cancel, so the gradient is much
smaller than either of them. Neither block replaces the direct route: whatever the blocks do, a
share of the gradient always arrives along the residual path.

The same gradient split by position instead (the blocks of `name_loss`): the letter m is read at
positions 2 and 3, and the positions after each read it again through the cache (`pos=2 → pos=4`:
through position 2's keys and values, read by position 4).
#%% code
print(explain(loss, w, by="block", block="name_loss"))
#%% md
## What to take away

* microgpt's code runs on chainrule with only its `Value` changed, and gives the same losses.
* A transformer is made of pieces the earlier lessons built: linear maps, a relu, a softmax, a
  normalisation and additions. `backward()` treats them all alike.
* A scalar engine's time goes into its nodes. Written with fused `dot` nodes, the same model
  builds a graph several times smaller and trains many times faster, with the same numbers.
* The residual path and the normalisation are what let the gradient reach every layer of a deep
  stack; without either, the gradient of a transformer of 8 layers is gone before training starts.
* `track_blocks()` turns a graph of thousands of nodes into the pieces of your code: `draw_dot(...,
  view='blocks')` draws them and opens any of them, and `explain(..., by='block')` says how much of
  a gradient arrives through each.

**Try this:** sample with `temperature=1.0` and with `temperature=0.2` (in the cell of section 6)
and compare the names; train with `STEPS = 3000` (about three times as long) and look at the loss
and the samples; give the model two layers with `P = init(layers=2)` in the training cell.
