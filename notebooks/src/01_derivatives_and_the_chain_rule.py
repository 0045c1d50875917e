#%% md
# 1. Derivatives and the chain rule

Training a neural network comes down to one question, asked about every weight: *if I nudge
this number a little, does the loss go up or down, and by how much?* The answer is a
**derivative**. This lesson builds up how a computer finds it:

1. a derivative as a slope you can measure by nudging;
2. `Value`: numbers that remember how they were computed;
3. the chain rule, applied by hand, one node at a time;
4. the same thing drawn, explained, explored with sliders and played back step by step;
5. why gradients *add up* when a value is used more than once.
#%% code
import random

import matplotlib.pyplot as plt

from autograd import Value, backward_steps, draw_dot, explain, explore, play, plot_derivative

random.seed(0)
plt.rcParams.update({"figure.figsize": (6, 3.6), "figure.dpi": 100, "font.size": 11})
#%% md
## A derivative is a slope

Take an ordinary function of one number:
#%% code
def f(x):
    return x**3 / 3 - x + 1

grid = [-2.5 + 5 * i / 100 for i in range(101)]
plt.plot(grid, [f(x) for x in grid])
plt.axhline(0, color="gray", lw=0.5); plt.xlabel("x"); plt.ylabel("f(x)"); plt.show()
#%% md
Its derivative at a point is how fast it climbs there: move `x` by a tiny `h` and divide the
change in `f` by `h`. That is a **finite difference**, and it needs no calculus at all:
#%% code
x0, h = 2.0, 0.001
slope = (f(x0 + h) - f(x0)) / h
print(f"slope of f at x = {x0}: about {slope:.4f}")
#%% md
Calculus says the exact slope is `x**2 - 1`, which is 3 at `x = 2`. Drawing the line with that
slope through the point, it just touches the curve: the **tangent**.
#%% code
exact = x0**2 - 1   # the derivative of f, worked out by hand
plt.plot(grid, [f(x) for x in grid], label="f")
near = [x0 - 1, x0 + 0.5]
plt.plot(near, [f(x0) + exact * (x - x0) for x in near], "C3", label=f"tangent, exact slope {exact:g}")
plt.plot([x0], [f(x0)], "ko")
plt.axhline(0, color="gray", lw=0.5); plt.legend(); plt.show()
#%% md
`plot_derivative` draws a function and, underneath, its derivative as the engine computes it
(no nudging involved); `at=` adds the finite-difference tangent at one point:
#%% code
plot_derivative(lambda x: x**3 / 3 - x + 1, (-2.5, 2.5), at=x0)
#%% md
The derivative is negative where `f` falls, positive where it climbs, and zero at the top and
bottom of the bumps.

How small should `h` be? Smaller is more accurate, up to a point: below about `1e-8` the two
values of `f` agree in almost all their digits, and subtracting them leaves mostly rounding
noise. Watch the error against the exact answer, `exact = x0**2 - 1`:
#%% code
for h in [1e-1, 1e-2, 1e-3, 1e-5, 1e-8, 1e-11, 1e-14]:
    est = (f(x0 + h) - f(x0)) / h
    print(f"h = {h:.0e}   estimate = {est:.12f}   error = {abs(est - exact):.1e}")
#%% md
So nudging works, but it is approximate, and it costs one extra evaluation of the whole
function *per input*. A network has thousands of weights. Backpropagation gets every
derivative exactly, in one backward sweep, with the chain rule.

**Try this:** change `x0, h = 2.0, 0.001` to `x0, h = 1.0, 0.001` and re-run from there to here.
What slope do you get, and what does the tangent look like? Then write the exact slope of `f`
at every `x` and have it checked: exercise 1 of workbook 1
(`notebooks/workbooks/01_derivatives_by_hand.ipynb`).

## Values: numbers that remember

A `Value` holds a number (`data`) and, once we ask for it, a gradient (`grad`). Arithmetic on
Values builds new Values that remember which Values they came from and which operation made
them. A `label` names a Value in pictures.
#%% code
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(1.0, label="c")
u = a * b;    u.label = "u"
v = u + c;    v.label = "v"
L = v ** 2;   L.label = "L"
print(L)
print("L was made by", repr(L._op), "from", L._prev)
print(L.formula())
#%% md
Those records form a **computation graph**: boxes for Values, small ovals for operations,
arrows from inputs to results. `L.draw()` draws it (the same as `draw_dot(L)`; `rankdir="TB"` lays it out top to bottom, so that
it fits the page). Every `grad`
is still 0 because we have not asked for any derivative yet.
#%% code
L.draw(rankdir="TB")
#%% md
## The chain rule, one node at a time

We want `dL/da`, `dL/db` and `dL/dc`. Start at the end and work backwards.

* `dL/dL = 1`: nudging `L` by `h` changes `L` by `h`.
* `L = v**2`, so nudging `v` changes `L` at rate `2v`. That is the **local derivative** of this
  node: it only needs the numbers right here.
* The **chain rule** says that rates multiply along a chain: if `L` moves 2v times as fast as `v`,
  and `v` moves 1 times as fast as `u`, then `L` moves `2v * 1` times as fast as `u`.

So each node's gradient is *(the gradient of the node it feeds) times (the local derivative on
the edge between them)*. Every Value has a method `_backward()` that does exactly this for its
own inputs. Let's call them by hand, from the output back:
#%% code
L.grad = 1.0
L._backward()     # v.grad += L.grad * 2v
print("v.grad =", v.grad)
#%% code
v._backward()     # u.grad += v.grad * 1,  c.grad += v.grad * 1
print("u.grad =", u.grad, "  c.grad =", c.grad)
#%% code
u._backward()     # a.grad += u.grad * b,  b.grad += u.grad * a
print("a.grad =", a.grad, "  b.grad =", b.grad)
#%% md
Let's check `a.grad` the slow way, by nudging `a`:
#%% code
def L_of(a, b, c):
    return (a * b + c) ** 2

h = 1e-6
print("finite difference:", (L_of(a.data + h, b.data, c.data) - L_of(a.data, b.data, c.data)) / h)
print("chain rule:       ", a.grad)
#%% md
Now the graph shows a gradient in every box:
#%% code
draw_dot(L, rankdir="TB")
#%% md
`backward()` does the same walk for you, in an order that guarantees each node has received
its whole gradient before passing it on. It gives the same numbers:
#%% code
for node in (a, b, c, u, v, L):
    node.grad = 0.0
L.backward()
print("a.grad =", a.grad, "  b.grad =", b.grad, "  c.grad =", c.grad)
#%% md
**Try this:** in the cell that builds the graph, change `a = Value(2.0, label="a")` to
`a = Value(0.5, label="a")` and re-run from there to here. Predict the sign of `a.grad` before
you look. (The chain rule above gives `a.grad = 2v * 1 * b = 2(a*b + c) * b`.) Exercise 6 of
workbook 1 asks for all three gradients by hand and checks them against `backward()`.

Or let the computer re-run it for you: `explore` gives every input a slider, and each time one
moves it runs the forward pass and `backward()` again and redraws the graph, with every value,
every gradient and the local derivative on every edge. Drag `a` from 2 down to 0 and watch
`∂L/∂a` (the line above the graph) change sign at `a = 1/3`, where `a * b + c` crosses zero.
Since `∂L/∂a = 2(a*b + c) * b` and `b = -3` is negative, `∂L/∂a` always has the sign opposite to
`a * b + c`.
#%% code
def squared(a, b, c):
    L = (a * b + c) ** 2
    L.label = "L"
    return L

explore(squared, a=2.0, b=-3.0, c=1.0)
#%% md
## Local derivatives on the edges

With `edge_labels=True` the drawing writes each edge's local derivative: `∂/∂a` on the edge
from `a` into the `*` is how fast the product moves when `a` moves, which is `b`. These are the
numbers that `_backward()` multiplied by.
#%% code
draw_dot(L, edge_labels=True, rankdir="TB")
#%% md
Read off a gradient from the picture: follow the arrows from `a` to `L` and multiply the edge
labels you pass. `explain` writes that out: every path, every factor, the product, and the
value `backward()` found.
#%% code
explain(L, a)
#%% md
## Backward, step by step

`backward_steps` replays the backward pass one edge at a time: which node passes gradient to
which, the upstream gradient, the local derivative, their product, and the running total.
#%% code
for step in backward_steps(L):
    print(step)
#%% md
The player shows the same steps on the graph. Press **Next** (or **Play**, or the right arrow
key) to watch the gradients arrive one edge at a time; the red edge is the one being used, the
yellow box the gradient that just changed, and the line above the picture is the product that
gets added to it. Every node is called by the name in its box (an unnamed one gets its formula,
or a number such as `v1`), and the `−`, `+` and **Fit** buttons zoom. For slides,
`play(L).save("backward.gif")` writes the same steps as an animation.
#%% code
play(L)
#%% md
## Using a value twice: gradients add up

What if one Value feeds into two places? Take `M = a*b + b`: `b` is used by the product *and*
by the sum. Nudge `b` and `M` changes along **both** routes at once, so the total rate is the
sum of the two routes' rates. That is the multivariable chain rule: **add over every path**.
#%% code
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
p = a * b;   p.label = "p"
M = p + b;   M.label = "M"
M.backward()
print("b.grad =", b.grad, " (a + 1 =", a.data + 1, ")")
draw_dot(M, edge_labels=True)
#%% code
explain(M, b)
#%% md
This is why `_backward()` *adds* to `.grad` (`+=`) instead of overwriting it: each path
arrives separately and drops off its share. If it overwrote, whichever path came last would win
and the gradient would be wrong. The simplest case is `x + x`, which must give a gradient of 2:
#%% code
x = Value(3.0, label="x")
y = x + x;  y.label = "y"
y.backward()
print("x.grad =", x.grad)
for step in backward_steps(y):
    print(step)
#%% md
Two edges leave `x`, each contributes 1, and they add up to 2.

A consequence: because gradients accumulate, calling `backward()` again adds a second copy to
the gradients of the inputs. Training loops therefore reset them to zero before each backward
pass.
#%% code
y.backward()
print("after a second backward():", x.grad)
x.grad = 0.0
y.backward()
print("after resetting and one backward():", x.grad)
#%% md
**Try this:** predict `x.grad` before you run this in a new cell, then check how many paths
`explain(z, x)` lists:

```python
x = Value(3.0, label="x")
z = x * x * x
z.backward()
print(x.grad)
```

(A fresh `x`: the `x` above still holds the gradient of its last `backward()`, and this one
would add to it.)
Then write the derivative yourself and have it checked: exercise 7 of workbook 1
(`notebooks/workbooks/01_derivatives_by_hand.ipynb`) is this one, and every exercise there is
followed by a check that names the mistake when there is one.

## Summary

* A derivative is a rate of change; nudging estimates it, calculus gets it exactly.
* A `Value` records how it was computed, which gives a graph.
* Each edge of the graph has a local derivative, known from the operation alone.
* The chain rule multiplies local derivatives along a path and adds over all paths.
  `backward()` does this for every input in one sweep from the output back: that is
  backpropagation.
