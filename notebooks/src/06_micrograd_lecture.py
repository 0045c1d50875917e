#%% md
# 6. The micrograd lecture, running on chainrule

Andrej Karpathy's lecture *"The spelled-out intro to neural networks and backpropagation:
building micrograd"* builds a tiny autograd engine and a neural network from scratch, live. If
you are following it, every piece of code you write in it also runs here. You can skip writing
the `Value` class and `draw_dot`, and import them instead:

```python
from autograd import Value, draw_dot
```

Everything below is written the way the lecture writes it (the same names, the same examples,
the same training loop) and only the imports come from this library. Where chainrule
behaves differently from the lecture's first drafts, the notebook says so. One change to the
pictures: the lecture draws its graphs from left to right; here `draw_dot(..., rankdir="TB")`
draws them from top to bottom, so that they fit the width of the page.
#%% code
import math
import random

import matplotlib.pyplot as plt
import numpy as np

from autograd import Value, draw_dot

random.seed(1337)
plt.rcParams.update({"figure.dpi": 100, "font.size": 11})
#%% md
## A derivative, numerically

Start with a plain Python function and estimate its slope by nudging `x` by a tiny `h`.
#%% code
def f(x):
    return 3*x**2 - 4*x + 5

xs = np.arange(-5, 5, 0.25)
ys = f(xs)
plt.plot(xs, ys)
plt.show()
#%% code
h = 0.0001
x = 3.0
(f(x + h) - f(x)) / h
#%% md
The exact slope is `6x - 4 = 14` at `x = 3`; the estimate is off in the fourth decimal because
`h` is not zero. With three inputs, nudge one at a time and watch the output:
#%% code
h = 0.0001

# inputs
a = 2.0
b = -3.0
c = 10.0

d1 = a*b + c
a += h
d2 = a*b + c

print('d1', d1)
print('d2', d2)
print('slope', (d2 - d1)/h)
#%% md
## `Value` with labels, and the graph of L = (a*b + c) * f

In the lecture, this is where the `Value` class gets written. Here it is imported; it takes
the same arguments (`Value(2.0, label='a')`) and has the same attributes: `data`, `grad`,
`label`, `_prev`, `_op` and `_backward`.
#%% code
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
e = a*b; e.label = 'e'
d = e + c; d.label = 'd'
f = Value(-2.0, label='f')
L = d * f; L.label = 'L'
L
#%% code
d._prev, d._op
#%% code
draw_dot(L, rankdir="TB")
#%% md
## Backpropagation by hand

Fill in every gradient ourselves, from `L` back to the leaves, using the chain rule: a node's
gradient is its child's gradient times the local derivative.
#%% code
L.grad = 1.0
f.grad = d.data      # dL/df = d
d.grad = f.data      # dL/dd = f
c.grad = d.grad      # a '+' passes the gradient through unchanged
e.grad = d.grad
a.grad = e.grad * b.data   # dL/da = dL/de * de/da = dL/de * b
b.grad = e.grad * a.data
print(a.grad, b.grad, c.grad, d.grad, e.grad, f.grad)
#%% code
draw_dot(L, rankdir="TB")
#%% md
Check one of them numerically, the lecture's way: rebuild the expression with `a` nudged by
`h` and compare.
#%% code
def lol():
    h = 0.001

    a = Value(2.0, label='a')
    b = Value(-3.0, label='b')
    c = Value(10.0, label='c')
    e = a*b; e.label = 'e'
    d = e + c; d.label = 'd'
    f = Value(-2.0, label='f')
    L = d * f; L.label = 'L'
    L1 = L.data

    a = Value(2.0 + h, label='a')
    b = Value(-3.0, label='b')
    c = Value(10.0, label='c')
    e = a*b; e.label = 'e'
    d = e + c; d.label = 'd'
    f = Value(-2.0, label='f')
    L = d * f; L.label = 'L'
    L2 = L.data

    print((L2 - L1)/h)

lol()
#%% md
One step of optimisation: move every leaf a little *along* its gradient, and `L` goes up
(it was -8).
#%% code
a.data += 0.01 * a.grad
b.data += 0.01 * b.grad
c.data += 0.01 * c.grad
f.data += 0.01 * f.grad

e = a * b
d = e + c
L = d * f

print(L.data)
#%% md
## A neuron, backpropagated by hand

Two inputs, two weights, a bias and a `tanh`. The bias is chosen so that the numbers come out
round.
#%% code
plt.plot(np.arange(-5, 5, 0.2), np.tanh(np.arange(-5, 5, 0.2))); plt.grid(); plt.show()
#%% code
# inputs x1, x2
x1 = Value(2.0, label='x1')
x2 = Value(0.0, label='x2')
# weights w1, w2
w1 = Value(-3.0, label='w1')
w2 = Value(1.0, label='w2')
# bias of the neuron
b = Value(6.8813735870195432, label='b')
# x1*w1 + x2*w2 + b
x1w1 = x1*w1; x1w1.label = 'x1*w1'
x2w2 = x2*w2; x2w2.label = 'x2*w2'
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
n = x1w1x2w2 + b; n.label = 'n'
o = n.tanh(); o.label = 'o'
draw_dot(o, rankdir="TB")
#%% md
The lecture first fills in these gradients by hand, as above. Then it gives every node a
`_backward` function that does one node's share of the chain rule, and calls them one by one,
from the output back. chainrule's `Value` has the same `_backward()`, so the same cells work:
#%% code
o.grad = 1.0
o._backward()       # n.grad = 1 - o**2
n._backward()       # to x1*w1 + x2*w2 and b
b._backward()       # a leaf: nothing to do
x1w1x2w2._backward()
x2w2._backward()
x1w1._backward()
#%% code
print('x1.grad', x1.grad)
print('w1.grad', w1.grad)
print('x2.grad', x2.grad)
print('w2.grad', w2.grad)
#%% md
Those are -1.5, 1, 0.5 and 0, up to rounding in the last digits: a float carries about 16
significant digits, so `o` comes out a hair away from `1/sqrt(2)`, and `1 - o**2` a hair away
from 0.5.
#%% code
draw_dot(o, rankdir="TB")
#%% md
`w2.grad` is 0 because `x2` is 0: however much `w2` changes, `x2*w2` stays 0, so the output
does not notice.

## Doing it in the right order: a topological sort

Calling `_backward` by hand needs the nodes in an order where every node comes after all the
nodes that use it. The lecture builds that order with a small recursive function:
#%% code
topo = []
visited = set()
def build_topo(v):
    if v not in visited:
        visited.add(v)
        for child in v._prev:
            build_topo(child)
        topo.append(v)
build_topo(o)
topo
#%% md
Reset the gradients, then run every `_backward` in reverse order:
#%% code
for node in topo:
    node.grad = 0.0

o.grad = 1.0
for node in reversed(topo):
    node._backward()

print('x1.grad', x1.grad, ' w1.grad', w1.grad, ' x2.grad', x2.grad, ' w2.grad', w2.grad)
#%% md
That is exactly what `o.backward()` does (chainrule's version walks the graph with a loop
instead of recursion, so a graph a million nodes deep works too):
#%% code
for node in topo:
    node.grad = 0.0
o.backward()
print('x1.grad', x1.grad, ' w1.grad', w1.grad, ' x2.grad', x2.grad, ' w2.grad', w2.grad)
#%% md
## The bug with `a + a`, which cannot happen here

In the lecture, the first `_backward` for `+` *set* each input's gradient with `=`. When the
same Value is used twice, the second write overwrites the first and the gradient comes out
wrong: `b = a + a` gives `a.grad == 1` instead of 2. The fix is to *add* into `.grad` with
`+=`, because each use of `a` is a separate path to the output and the chain rule sums over
paths.

chainrule has always accumulated, so these give the right answers:
#%% code
a = Value(3.0, label='a')
b = a + a   ; b.label = 'b'
b.backward()
print('a.grad', a.grad, '(b = 2a, so db/da = 2)')
draw_dot(b, rankdir="TB")
#%% code
a = Value(-2.0, label='a')
b = Value(3.0, label='b')
d = a * b    ; d.label = 'd'
e = a + b    ; e.label = 'e'
f = d * e    ; f.label = 'f'

f.backward()
print('a.grad', a.grad, ' b.grad', b.grad)
draw_dot(f, rankdir="TB")
#%% md
Check: `f = (a*b)(a+b)`, so `df/da = b(a+b) + ab = -3` and `df/db = a(a+b) + ab = -8`.

Unlike the lecture's fixed version, chainrule also resets the gradients of the intermediate
nodes at the start of each `backward()`; the gradients of leaves (your inputs and parameters)
keep accumulating, which is why the training loop below sets `p.grad = 0.0`.

## Breaking up `tanh`

`tanh` is one operation here, but it can be written with smaller ones:
`tanh(n) = (e^{2n} - 1) / (e^{2n} + 1)`. That needs numbers mixed with Values (`2*n`,
`e - 1`), `exp`, and division, which all work, and the gradients come out the same.
#%% code
x1 = Value(2.0, label='x1')
x2 = Value(0.0, label='x2')
w1 = Value(-3.0, label='w1')
w2 = Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')
x1w1 = x1*w1; x1w1.label = 'x1*w1'
x2w2 = x2*w2; x2w2.label = 'x2*w2'
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
n = x1w1x2w2 + b; n.label = 'n'
# ----
e = (2*n).exp()
o = (e - 1) / (e + 1)
# ----
o.label = 'o'
o.backward()
print('x1.grad', x1.grad, ' w1.grad', w1.grad, ' x2.grad', x2.grad, ' w2.grad', w2.grad)
draw_dot(o, rankdir="TB")
#%% md
(The numbers match the single-`tanh` neuron up to floating-point rounding in the last digits.)

## Adding an op the lecture's way

In the lecture, each new operation is a method written into the `Value` class: compute the
number, make the output node with its children and an op name, and attach a `_backward`
closure that does that node's step of the chain rule. The same code works on chainrule's
`Value`, written outside the class as plain functions, with `Value(data, children, op)` in
micrograd's argument order:
#%% code
def tanh(self):
    x = self.data
    t = (math.exp(2*x) - 1)/(math.exp(2*x) + 1)
    out = Value(t, (self, ), 'tanh')
    def _backward():
        self.grad += (1 - t**2) * out.grad
    out._backward = _backward
    return out

def exp(self):
    x = self.data
    out = Value(math.exp(x), (self, ), 'exp')
    def _backward():
        self.grad += out.data * out.grad
    out._backward = _backward
    return out

def power(self, other):
    assert isinstance(other, (int, float)), "only supporting int/float powers for now"
    out = Value(self.data**other, (self,), f'**{other}')
    def _backward():
        self.grad += other * (self.data ** (other - 1)) * out.grad
    out._backward = _backward
    return out

def truediv(self, other):  # self / other
    return self * power(other, -1)
#%% code
def neuron(activation):
    x1 = Value(2.0, label='x1'); x2 = Value(0.0, label='x2')
    w1 = Value(-3.0, label='w1'); w2 = Value(1.0, label='w2')
    b = Value(6.8813735870195432, label='b')
    n = x1*w1 + x2*w2 + b; n.label = 'n'
    o = activation(n); o.label = 'o'
    o.backward()
    return o, [x1, w1, x2, w2]

o, (x1, w1, x2, w2) = neuron(tanh)
print('tanh by hand:     ', 'x1.grad', x1.grad, ' w1.grad', w1.grad, ' x2.grad', x2.grad, ' w2.grad', w2.grad)
o, (x1, w1, x2, w2) = neuron(lambda n: truediv(exp(2*n) - 1, exp(2*n) + 1))
print('exp and division: ', 'x1.grad', x1.grad, ' w1.grad', w1.grad, ' x2.grad', x2.grad, ' w2.grad', w2.grad)
#%% md
The lecture's numbers: `x1.grad = -1.5`, `w1.grad = 1.0`, `x2.grad = 0.5`, `w2.grad = 0.0`.
`backward()` called each hand-written `_backward`, exactly as micrograd does. The drawing
tools know nothing about an op written this way, so they ask the node itself: to label an
edge with its local derivative they run the closure once with an upstream gradient of 1 and
read what it adds to each input (and put every gradient back afterwards):
#%% code
o, _ = neuron(tanh)
draw_dot(o, edge_labels=True, rankdir="TB")
#%% md
What a hand-written closure cannot do is compute a derivative of a derivative: it works with
plain floats. The library's own way to add an op, `autograd.define_op` (lesson 2), asks for
the same two things, the forward and the local derivative, and then everything works,
`grad(..., create_graph=True)` and the batch replay included:
#%% code
from autograd import define_op, grad
from autograd import tanh as tanh_op

my_tanh = define_op("my_tanh", math.tanh, lambda out, x: 1 - out**2)
o, (x1, w1, x2, w2) = neuron(my_tanh)
print('define_op:        ', 'x1.grad', x1.grad, ' w1.grad', w1.grad, ' x2.grad', x2.grad, ' w2.grad', w2.grad)
(dx,) = grad(my_tanh(x1), [x1], create_graph=True)
print("d/dx tanh(x) at 2 =", dx.data, "  d2/dx2 =", grad(dx, [x1])[0], "  the built-in tanh agrees:",
      grad(grad(tanh_op(x1), [x1], create_graph=True)[0], [x1])[0])
#%% md
## A multi-layer perceptron

Now the lecture writes a neuron, a layer and an MLP on top of `Value`. These classes are plain
Python that only uses `Value`, so they run here unchanged.
#%% code
class Neuron:

    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))

    def __call__(self, x):
        # w * x + b
        act = sum((wi*xi for wi, xi in zip(self.w, x)), self.b)
        out = act.tanh()
        return out

    def parameters(self):
        return self.w + [self.b]

class Layer:

    def __init__(self, nin, nout):
        self.neurons = [Neuron(nin) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]

class MLP:

    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i+1]) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
#%% code
x = [2.0, 3.0, -1.0]
n = MLP(3, [4, 4, 1])
n(x)
#%% code
len(n.parameters())
#%% md
A tiny dataset: four inputs and the output we want for each.
#%% code
xs = [
    [2.0, 3.0, -1.0],
    [3.0, -1.0, 0.5],
    [0.5, 1.0, 1.0],
    [1.0, 1.0, -1.0],
]
ys = [1.0, -1.0, -1.0, 1.0] # desired targets
#%% md
And the training loop: forward pass, loss, zero the gradients, backward pass, update.
#%% code
for k in range(20):

    # forward pass
    ypred = [n(x) for x in xs]
    loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))

    # backward pass
    for p in n.parameters():
        p.grad = 0.0
    loss.backward()

    # update
    for p in n.parameters():
        p.data += -0.1 * p.grad

    print(k, loss.data)
#%% code
ypred
#%% md
The predictions have moved toward the targets `[1, -1, -1, 1]`.

**Try this:** make the bug the lecture finds at this point. In a new cell, build a fresh
network, `n = MLP(3, [4, 4, 1])`, and run the training loop above again without the two lines
that set `p.grad = 0.0`. Gradients from earlier steps pile up, the steps grow, and the loss no
longer falls steadily: in the first steps it jumps up and down. (Re-running the loop on the network that has
already trained is gentler: it sits near a minimum, where the gradients are small.)

**Write it yourself:** the lecture's point is that you can build all of this. Workbook 2
(`notebooks/workbooks/02_write_the_ops.ipynb`) asks for the ops, micrograd's way and microgpt's,
and workbook 3 for a whole engine from an empty class; after each exercise, a check from
`autograd.practice` runs your code at many points and graphs, and says which factor of which
edge is wrong (an `out.grad` forgotten, `=` for `+=`, the order of the walk...).

## The same network from `nn`

The library's own `nn` package has these classes too (with more options). The lecture's
network, `tanh` in every layer including the last, is:
#%% code
import nn

model = nn.MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh', seed=0)
print(model)
print(len(model.parameters()), 'parameters')

for k in range(20):
    ypred = [model(x) for x in xs]
    loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data += -0.1 * p.grad
print('final loss', loss.data)
print('predictions', [round(y.data, 3) for y in ypred])
