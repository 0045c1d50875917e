#%% md
# 2. A tour of the engine

This lesson walks through what the engine can do, one feature per section:

1. every operation, with its formula and its local derivative;
2. `gradcheck`: checking derivatives against plain arithmetic;
3. `no_grad`: computing without recording a graph;
4. derivatives of derivatives, plotted;
5. forward mode and reverse mode, and why training uses reverse mode;
6. what the error messages say when something is out of bounds;
7. adding an op of your own with `define_op`, which every tool then understands.
#%% code
import math
import random

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import autograd
from autograd import Value, dot, grad, gradcheck, no_grad, ops

random.seed(0)
plt.rcParams.update({"figure.figsize": (6, 3.6), "figure.dpi": 100, "font.size": 11})
#%% md
## 1. Every operation

Each operation the engine knows is defined exactly once, in a table (`autograd.ops.OPS`). An
entry holds the forward computation, one **local derivative** per input (how the output moves
when that one input moves), the label graphs draw, and a docstring with the formula. Every
tool in the library reads this table, so what you see here is what `backward()` uses.
#%% code
for name, op in ops.OPS.items():
    print(f"{name:8s} label {str(op)!r:10s} {op.__doc__}")
#%% md
Now let's use every one of them on real numbers. For each op we apply it to inputs `x = 0.7`
and `y = 1.3` (as many as it takes), call `backward()`, and read off `x.grad` and `y.grad`:
those are the local derivatives, evaluated at this point. The loop reads the table itself, so an
op added to it (or one you add with `define_op`, below) shows up here too. `x ** 3` (a constant
exponent) is its own kind of node; `dot` is a whole weighted sum `w1*x1 + w2*x2 + b` in one node.
`step` and `sign` are the derivatives of `relu` and `abs`, and `log_base` is the `ln a` in the
derivative of `a ** b`: they are ops too, so that gradients of gradients work.
#%% code
X0, Y0 = 0.7, 1.3
rows = ["| op | formula | value | d/dx | d/dy |", "|---|---|---|---|---|"]
for op in [*ops.OPS.values(), ops.pow_const(3)]:
    x, y = Value(X0, label="x"), Value(Y0, label="y")
    if op is ops.DOT:  # any number of inputs: two weights, two inputs and a bias
        out, code = dot([x, y], [2.0, 3.0], 1.0), "dot([x, y], [2, 3], 1)"
    else:
        args = [x, y][: op.arity]
        out, code = op(*args), op.text([a.label for a in args])
    out.backward()
    rows.append(f"| {op.name} | `{code}` | {out.data:.6g} | {x.grad:.6g} | {y.grad:.6g} |")
display(Markdown("\n".join(rows)))
#%% md
In a drawing, each op is an oval, and with `edge_labels=True` each edge into it carries that
input's local derivative. Here is `x / y`, whose derivatives are `1/y` and `-x/y**2`:
#%% code
x, y = Value(X0, label="x"), Value(Y0, label="y")
q = x / y;  q.label = "q"
q.backward()
q.draw(edge_labels=True)
#%% md
A few things worth checking against your own calculus: the derivative of `exp` is the value
itself; for `x * y` each input's derivative is the *other* input; `relu` passes a slope of 1
because `x` is positive. Ops that ignore `y` give it a gradient of 0.

Plain numbers mix freely with Values (`2 * x`, `x + 1`, `1 / x`), and the functions
`autograd.exp`, `autograd.log`, `autograd.tanh`... accept either a number or a Value:
#%% code
x = Value(0.7, label="x")
print(autograd.exp(0.7), "   a float in, a float out")
print(autograd.exp(x), "   a Value in, a Value out")
print(1 / x + 2 * x - 1)
#%% md
**Try this:** change `X0, Y0 = 0.7, 1.3` to `X0, Y0 = -0.7, 1.3` and re-run the table. The loop
stops at the first op that cannot take a negative `x`. Which one is it? Its message speaks of
`pow`: why? (Hint: read what the op is for, in the paragraph above the table. The last section
shows what such errors say.)

## 2. `gradcheck`: do the derivatives agree with plain arithmetic?

A derivative is a slope, and a slope can be estimated without any calculus: nudge the input a
little each way and see how much the output moves,

$$f'(x) \approx \frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon}.$$

`gradcheck(f, inputs)` computes every partial derivative both ways, with the engine and with
this central difference, and raises an error if they disagree. It returns `True` when they
agree. Here it checks a function of three inputs that uses most of the ops at once:
#%% code
def f(a, b, c):
    return (a * b + c.exp()).tanh() / (1 + a ** 2) + (b - c).sigmoid() * c.sin()

print(gradcheck(f, [0.3, -1.2, 0.8], order=1))   # the first derivatives only
print(gradcheck(f, [0.3, -1.2, 0.8]))            # and every second derivative too (the default, order=2)
#%% md
When does it fail? Central differences are honest only where the function is smooth. At the
kink of `relu` (at 0) the slope is 0 on the left and 1 on the right. The engine has to pick a
number there and picks 0; the central difference straddles the kink and reports the average,
0.5. `gradcheck` reports the disagreement, naming the input, both numbers and the tolerances:
#%% code
try:
    gradcheck(lambda a: a.relu(), [0.0])
except autograd.GradcheckError as e:
    print(type(e).__name__, ":", e)
#%% md
That is not a bug in either method: at a kink there is no single slope, and any number between
the two one-sided slopes is a reasonable choice. Away from the kink they agree again:
`gradcheck(lambda a: a.relu(), [0.1])` passes.

## 3. `no_grad`: values without a graph

Every operation normally records its inputs so that `backward()` can walk back through them.
That bookkeeping is wasted when you only want numbers: evaluating a model on test data, or
updating parameters. Inside `with no_grad():` operations compute values only, and the results
have no parents.
#%% code
a = Value(2.0, label="a")
b = a * 3 + 1
with no_grad():
    c = a * 3 + 1
    print("inside: grad enabled?", autograd.is_grad_enabled())

print("recorded:     ", b, " parents:", b._prev)
print("not recorded: ", c, " parents:", c._prev)
#%% md
`c` has the same value as `b` but no history, so `c.backward()` would not reach `a`. The same
object also works as a decorator, `@no_grad()` on a function.

## 4. Derivatives of derivatives

`grad(output, inputs)` returns gradients as a list without touching any `.grad`. With
`create_graph=True` each gradient comes back as a `Value` that has its own graph, built from
the same rules, so it can be differentiated again, as often as you like.
#%% code
x = Value(2.0, label="x")
y = x ** 3
(dy,) = grad(y, [x], create_graph=True)     # 3 x^2
(d2y,) = grad(dy, [x], create_graph=True)   # 6 x
(d3y,) = grad(d2y, [x])                     # 6
print("y =", y.data, "  y' =", dy.data, "  y'' =", d2y.data, "  y''' =", d3y)
print("y' as a formula: ", dy.formula())
print("y'' as a formula:", d2y.formula())
#%% md
That is enough to plot a function together with its first and second derivatives, all
computed by the engine. Here is `tanh`, the activation of the classic neuron (its name and the
function are set on the first line, and the title and legend use them):
#%% code
def derivatives(f, x0):
    """f(x0), f'(x0) and f''(x0), computed by the engine."""
    x = Value(x0)
    y = f(x)
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    return y.data, d1.data, d2

NAME, FUNCTION = "tanh(x)", lambda x: x.tanh()
grid = [-4 + 8 * i / 200 for i in range(201)]
curves = list(zip(*[derivatives(FUNCTION, g) for g in grid]))
for values, name in zip(curves, [f"f(x) = {NAME}", "f'(x)", "f''(x)"]):
    plt.plot(grid, values, label=name)
plt.axhline(0, color="gray", lw=0.5); plt.legend(); plt.title(f"{NAME} and two derivatives, from the engine")
plt.show()
#%% md
Read the picture: where `tanh` is steepest (at 0), `f'` peaks and `f''` crosses zero; far from
0, `tanh` is flat, so `f'` is almost 0. That flatness is what starves deep networks of
gradient (lesson 5).

**Try this:** replace the first line of that cell with
`NAME, FUNCTION = "sigmoid(x)", lambda x: x.sigmoid()`, then with `x.sin()` or
`(x * x).exp() / 10` in the same way. Exercise 3 of workbook 1
(`notebooks/workbooks/01_derivatives_by_hand.ipynb`) has you write sigmoid's derivative and checks it.

## 5. Forward mode and reverse mode

The chain rule can be applied in either direction along the graph.

* **Reverse mode** (`backward()`) starts at the output with a gradient of 1 and walks back to
  the inputs. One pass gives the derivative of *one output* with respect to *every input*.
* **Forward mode** starts at the inputs with a "tangent" (how fast each input moves) and walks
  forward, carrying along how fast each node moves. One pass gives the derivative of *every
  node* along *one direction* of the inputs.

Both passes use the same local derivatives from the op table. Forward mode fits in a few lines:
visit the nodes inputs-first and add up `local derivative * tangent of the parent`.
#%% code
def forward_mode(output, tangents):
    """d(output)/dt when each input x moves at speed tangents[x] (missing inputs stand still)."""
    speed = {}
    for node in autograd.topological_order(output):          # every parent before its children
        if not node._prev:
            speed[node] = tangents.get(node, 0.0)
        else:
            locals_ = node._op.local(node.data, *[p.data for p in node._prev])
            speed[node] = sum(d * speed[p] for d, p in zip(locals_, node._prev))
    return speed[output]

a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
L = (a * b + c) * a
L.backward()
print("reverse mode, one pass:   dL/da, dL/db, dL/dc =", a.grad, b.grad, c.grad)
print("forward mode, three passes:",
      [forward_mode(L, {v: 1.0}) for v in (a, b, c)])
#%% md
The library's version of this function is `autograd.jvp` ("Jacobian-vector product", the
textbook name for one forward-mode sweep). It also accepts several tangents at once, which
gives the derivative along a direction:
#%% code
print([autograd.jvp(L, {v: 1.0}) for v in (a, b, c)])
print("along (1, 1, 0):", autograd.jvp(L, {a: 1.0, b: 1.0}), " = dL/da + dL/db =", a.grad + b.grad)
#%% md
The numbers agree. The cost does not: to get the gradient with respect to `n` inputs, forward
mode needs `n` passes, reverse mode needs one. A network has one loss and many thousands of
parameters, which is why training uses reverse mode: **backpropagation is reverse-mode
automatic differentiation**. Forward mode wins in the opposite case, few inputs and many
outputs.

Let's count passes for a loss with more and more inputs (each pass visits every node once, so
passes times nodes is the work):
#%% code
random.seed(1)
print(" inputs  nodes  reverse-mode work  forward-mode work")
for n in [2, 8, 32, 128]:
    xs = [Value(random.uniform(-1, 1)) for _ in range(n)]
    loss = sum((x * x).tanh() for x in xs)
    nodes = len(autograd.topological_order(loss))
    print(f"{n:7d} {nodes:6d} {nodes:18d} {n * nodes:18d}")
#%% md
## 6. When something goes wrong: what the errors say

Errors name the operation, the number that caused the trouble and what was expected, so you
can find the problem without reading the library's source. Here is a collection:
#%% code
def show(code):
    try:
        eval(code)
        print(f"{code:32s} -> no error")
    except Exception as e:
        print(f"{code:32s} -> {type(e).__name__}: {e}")

for code in [
    "Value(0.0).log()",
    "Value(-1.0).sqrt()",
    "Value(1.0) / 0",
    "Value(0.0) ** -1",
    "Value(-8.0) ** (1/3)",
    "Value(1000.0).exp()",
    "Value('3')",
    "Value(1.0) + 'a'",
    "dot([1, 2], [3])",
]:
    show(code)
#%% md
Most are domain errors: `log` is defined for positive inputs only, `sqrt` for non-negative
ones. `-8` does have a real cube root, `-2`, but `** (1/3)` is not a cube root: the float `1/3`
is not exactly a third, and a negative number raised to a non-integer power has no real value,
so `pow` refuses it. The `exp` error says where floats run out: a little above 709.

Errors can also appear in the **backward** pass, when the forward value is fine but its local
derivative is not. `sqrt(0)` is 0, but its slope there is infinite:
#%% code
x = Value(0.0, label="x")
y = x.sqrt()
print("forward is fine:", y)
try:
    y.backward()
except ArithmeticError as e:
    print(f"{type(e).__name__}: {e}")
#%% md
**Try this:** the four forward passes `Value(0.0).relu()`, `abs(Value(0.0))`, `Value(0.0) ** 2`
and `Value(0.0) ** 0.5` all give 0. Which of them raise in the backward pass, and which give a
gradient? Predict first, then run each with `show`, for example
`show("(Value(0.0) ** 0.5).backward()")`. Exercise 4 of workbook 2
(`notebooks/workbooks/02_write_the_ops.ipynb`) has you write relu and checks its slope at 0.
#%% md
## 7. Adding an op of your own: `define_op`

An op is one entry of the table: a forward computation on plain numbers, and one local
derivative per input. `autograd.define_op` adds an entry and hands back the op, which is a
function of numbers, Values and NumPy arrays alike. Try the *swish* activation,
`swish(x) = x * sigmoid(x)`. Its derivative, by the product rule and `sigmoid' = s (1 - s)`:

$$\frac{d}{dx}\,x\,\sigma(x) = \sigma(x) + x\,\sigma(x)\,(1 - \sigma(x)).$$

Write the local derivative with autograd's own functions (`sigmoid` here) and arithmetic: then
the same rule computes numbers during `backward()`, builds a graph when you ask for a
derivative of a derivative, and runs on whole arrays when a model is replayed with NumPy.
#%% code
import numpy as np

from autograd import define_op, explain, formula, jvp, sigmoid, trace
from autograd.parse import parse

def swish_local(out, x):
    s = sigmoid(x)
    return s + x * s * (1 - s)

swish = define_op("swish", lambda x: x / (1 + math.exp(-x)), swish_local)

x = Value(1.5, label="x")
y = swish(x); y.label = "y"
y.backward()
print("swish(1.5) =", y.data, "  dy/dx =", x.grad)
print("on a number:", swish(1.5), "  on an array:", swish(np.array([-1.0, 0.0, 1.5])))
print("first and second derivatives agree with central differences:", gradcheck(swish, [1.5], order=2))
#%% md
From now on every tool knows the op, with no other code: the picture and its edge labels, the
chain rule written out, forward mode, formulas, the batch replay and the formula language of
the `chainrule` command.
#%% code
x = Value(1.5, label="x")
z = swish(x) * 2 + 1; z.label = "z"
z.backward()
print(explain(z, x))
print("formula:", formula(z), "   jvp:", jvp(z, {x: 1.0}), "   grad:", x.grad)
tape = trace(lambda v: swish(v[0]) * 2 + 1, 1)
print("replayed on a batch:", tape(np.array([[1.5], [0.0], [-2.0]])))
print("parsed from text:", parse("swish(a) * 2 + 1").evaluate({"a": 1.5}).data)
z.draw(edge_labels=True, rankdir="TB")
