#%% md
# Workbook 1: derivatives by hand

Most exercises ask for one **local derivative**, written the way `autograd.define_op` takes it:
a function `local(out, x, ...)` that gets the op's output `out` and its inputs, and returns
d out / d x (one number per input, as a tuple when there are two); exercise 6 asks for the
gradients of a small graph. The cell after each exercise checks your answer at many points (both
signs, the edges of the domain, random ones) against chainrule's op table or its `backward()`
and, when it is wrong, says what is wrong: first the idea, then the rule, then the numbers, then
where to look. Ask `report.solution()` only once you have tried.

Lesson 1 (the chain rule) and lesson 2 (the engine tour) have everything you need.
#%% code
from autograd import define_op
from autograd.practice import check_grads, check_op
#%% md
## 1. A slope

Lesson 1 starts with `f(x) = x**3 / 3 - x + 1` and estimates its slope by nudging `x`. Write its
exact derivative as a local rule (`define_op` makes `f` an op; the check compares your rule with
central differences of `f` at many points). What is the slope at `x = 1`?
#%% code
# EXERCISE f_local
def f_local(out, x):
    raise NotImplementedError("return df/dx")
#%% code
f_op = define_op("f", lambda x: x**3 / 3 - x + 1, f_local)
report = check_op(f_op)
report
#%% md
## 2. tanh

`out = tanh(x)`. Its derivative can be written with `x`, or more simply with `out`.
Replace the `raise` line with your `return`.
#%% code
# EXERCISE tanh_local
def tanh_local(out, x):
    raise NotImplementedError("return d tanh(x) / dx")
#%% code
report = check_op(local=tanh_local, op="tanh")
report
#%% md
## 3. sigmoid

`out = sigmoid(x) = 1 / (1 + exp(-x))`. Again, the output makes the shortest formula.
#%% code
# EXERCISE sigmoid_local
def sigmoid_local(out, x):
    raise NotImplementedError("return d sigmoid(x) / dx")
#%% code
report = check_op(local=sigmoid_local, op="sigmoid")
report
#%% md
## 4. A product

`out = a * b` has two inputs: return `(d out / da, d out / db)`.
#%% code
# EXERCISE mul_local
def mul_local(out, a, b):
    raise NotImplementedError("return (d(a*b)/da, d(a*b)/db)")
#%% code
report = check_op(local=mul_local, op="mul")
report
#%% md
## 5. A quotient

`out = a / b`: the quotient rule, one derivative per input.
#%% code
# EXERCISE div_local
def div_local(out, a, b):
    raise NotImplementedError("return (d(a/b)/da, d(a/b)/db)")
#%% code
report = check_op(local=div_local, op="div")
report
#%% md
## 6. The chain rule through a graph

Lesson 1 builds `L = (a*b + c)**2` and asks for the sign of `a.grad` at `a = 0.5`. Write all
three gradients by hand, on plain numbers. `L` may itself feed something further on, so a
gradient `out_grad` = dloss/dL arrives from above (in lesson 1 it is 1): multiply it in. The
check builds `L` with Values at many points, calls `backward()` and compares.
#%% code
def L_of(a, b, c):  # written with Values by the check, so that backward() gives the answer
    return (a * b + c) ** 2
#%% code
# EXERCISE L_backward
def L_backward(a, b, c, out_grad):
    raise NotImplementedError("return (dloss/da, dloss/db, dloss/dc)")
#%% code
report = check_grads(L_of, L_backward, a=0.5, b=-3.0, c=1.0)
report
#%% md
## 7. The chain rule, by hand

`z = x * x * x`. Lesson 1 asks you to predict `x.grad` at `x = 3` before running `backward()`.
Write `dz_dx(x)`, the derivative as a function of `x` (the power rule), as the local rule of an
op `cube` (`define_op` makes it; the check compares with central differences of `x**3`).
#%% code
# EXERCISE cube_local
def cube_local(out, x):
    raise NotImplementedError("return d(x**3)/dx")
#%% code
cube = define_op("cube", lambda x: x**3, cube_local)
report = check_op(cube)
report
