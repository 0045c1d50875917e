#%% md
# Workbook 3: build your own engine

Start from an empty class and write a whole engine: `+`, `*`, a number on either side
(`2 * a`, `a + 1`), `tanh`, and `backward()`. The check runs every op alone, then your
`backward()` on many graphs built both with your class and with chainrule's (a value used
twice, a diamond, a small MLP, random graphs, a second graph from the same leaves, a chain
deeper than Python's recursion limit) and reports the first node whose gradient differs.

Two ways to lay the class out; do one, or both:

* **micrograd's**: `data`, `grad`, `_prev`, `_op` and a `_backward` closure on each node;
  `backward()` orders the nodes so that each comes after its inputs, then calls `_backward`
  from the output back;
* **microgpt's**: each node keeps `_children` and `_local_grads` (numbers), and `backward()`
  does `child.grad += local_grad * node.grad` in the same order.

The walk is where most engines go wrong: the order, and the `+=`.
#%% code
import math

from autograd.practice import check_engine
#%% md
## 1. micrograd's way
#%% code
# EXERCISE micrograd_engine
class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    # write __add__, __radd__, __mul__, __rmul__, tanh and backward here
#%% code
check_engine(Value)
#%% md
## 2. microgpt's way
#%% code
# EXERCISE microgpt_engine
class Node:
    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    # write __add__, __radd__, __mul__, __rmul__, tanh and backward here
#%% code
check_engine(Node)
