#%% md
# Workbook 1: derivatives by hand

Each exercise asks for one **local derivative**, written the way `autograd.define_op` takes it:
a function `local(out, x, ...)` that gets the op's output `out` and its inputs, and returns
d out / d x (one number per input, as a tuple when there are two). The cell after each exercise
checks your rule against chainrule's op table at many points (both signs, the edges of the
domain, random ones) and, when it is wrong, says what is wrong: first the idea, then the rule,
then the numbers, then where to look. Ask `report.solution()` only once you have tried.

Lesson 1 (the chain rule) and lesson 2 (the engine tour) have everything you need.
#%% code
from autograd.practice import check_op
#%% md
## 1. tanh

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
## 2. sigmoid

`out = sigmoid(x) = 1 / (1 + exp(-x))`. Again, the output makes the shortest formula.
#%% code
# EXERCISE sigmoid_local
def sigmoid_local(out, x):
    raise NotImplementedError("return d sigmoid(x) / dx")
#%% code
report = check_op(local=sigmoid_local, op="sigmoid")
report
#%% md
## 3. A product

`out = a * b` has two inputs: return `(d out / da, d out / db)`.
#%% code
# EXERCISE mul_local
def mul_local(out, a, b):
    raise NotImplementedError("return (d(a*b)/da, d(a*b)/db)")
#%% code
report = check_op(local=mul_local, op="mul")
report
#%% md
## 4. A quotient

`out = a / b`: the quotient rule, one derivative per input.
#%% code
# EXERCISE div_local
def div_local(out, a, b):
    raise NotImplementedError("return (d(a/b)/da, d(a/b)/db)")
#%% code
report = check_op(local=div_local, op="div")
report
#%% md
## 5. The chain rule, by hand

`z = x * x * x`. Lesson 1 asks you to predict `x.grad` at `x = 3` before running `backward()`.
Write `dz_dx(x)`, the derivative as a function of `x` (the power rule), as the local rule of an
op `cube` (`define_op` makes it; the check compares with central differences of `x**3`).
#%% code
# EXERCISE cube_local
def cube_local(out, x):
    raise NotImplementedError("return d(x**3)/dx")
#%% code
from autograd import define_op

cube = define_op("cube", lambda x: x**3, cube_local)
report = check_op(cube)
report
