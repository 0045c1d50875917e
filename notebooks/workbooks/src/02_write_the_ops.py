#%% md
# Workbook 2: write the ops

Here you write ops for a `Value` class of your own, in the two ways learners meet:

* **micrograd's way** (the lecture, lesson 6): an op computes its number, makes the output
  node, and attaches a `_backward` closure that adds *this node's share* of the chain rule into
  each input's `.grad`;
* **microgpt's way**: an op makes the node with its local derivatives stored as numbers,
  `Value(data, children, local_grads)`, and `backward()` does the multiplying.

Each exercise is followed by a check: it builds your op at many points, sends a random gradient
down from above (never just 1), starts each input with a gradient already in it, and compares
with chainrule's op table. A mistake it recognises is named in brackets, such as `[upstream]`.
#%% code
import math

from autograd.practice import check_op


class Value:
    """A number that remembers how it was made (micrograd's layout)."""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other):  # an example: each input gets out.grad, added with +=
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out
#%% md
## 1. Multiplication

Write `mul(self, other)` the way `__add__` is written above: `other` may be a plain number.
#%% code
# EXERCISE write_mul
def mul(self, other):
    raise NotImplementedError("write mul")
#%% code
Value.__mul__ = mul
check_op(mul, value=Value)
#%% md
## 2. exp

`out = exp(x)`. Remember what arrives from above.
#%% code
# EXERCISE write_exp
def exp(self):
    raise NotImplementedError("write exp")
#%% code
Value.exp = exp
check_op(exp, value=Value)
#%% md
## 3. tanh
#%% code
# EXERCISE write_tanh
def tanh(self):
    raise NotImplementedError("write tanh")
#%% code
Value.tanh = tanh
check_op(tanh, value=Value)
#%% md
## 4. relu

`relu(x) = max(0, x)`. What is its slope below 0, and exactly at 0?
#%% code
# EXERCISE write_relu
def relu(self):
    raise NotImplementedError("write relu")
#%% code
Value.relu = relu
check_op(relu, value=Value)
#%% md
## 5. A constant on the left: `2 - a`

Python runs `2 - a` as `a.__rsub__(2)`: inside, `self` is `a` and `other` is `2`. Write `rsub`.
#%% code
# EXERCISE write_rsub
def rsub(self, other):
    raise NotImplementedError("write rsub: other - self")
#%% code
Value.__rsub__ = rsub
check_op(rsub, value=Value)
#%% md
## 6. microgpt's way: tanh with its local derivative stored

In microgpt a node is `Node(data, children, local_grads)`: write `tanh` so that it returns a
node whose one local derivative is d tanh(x)/dx, as a number.
#%% code
class Node:
    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data, self.grad = data, 0
        self._children, self._local_grads = children, local_grads
#%% code
# EXERCISE gpt_tanh
def gpt_tanh(self):
    raise NotImplementedError("return Node(t, (self,), (local derivative,))")
#%% code
check_op(gpt_tanh, op="tanh", value=Node)
