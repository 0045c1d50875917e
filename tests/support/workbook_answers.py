"""Reference and wrong solutions of the workbooks' exercises (kept here, out of the learners' notebooks).

``ANSWERS[workbook][exercise]`` is ``(reference, {misconception: wrong solution})``: the workbook test
puts each reference into its exercise cell (every check must then pass), and runs each wrong solution
followed by the exercise's check cell (the check must name that misconception).
"""

from __future__ import annotations

MICROGRAD_ENGINE = """
class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        order, seen, stack = [], {self}, [(self, iter(self._prev))]
        while stack:
            node, parents = stack[-1]
            for p in parents:
                if p not in seen:
                    seen.add(p)
                    stack.append((p, iter(p._prev)))
                    break
            else:
                stack.pop()
                order.append(node)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
"""

MICROGPT_ENGINE = """
class Node:
    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other):
        other = other if isinstance(other, Node) else Node(other)
        return Node(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):
        other = other if isinstance(other, Node) else Node(other)
        return Node(self.data * other.data, (self, other), (other.data, self.data))

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def tanh(self):
        t = math.tanh(self.data)
        return Node(t, (self,), (1 - t * t,))

    def backward(self):
        order, seen, stack = [], {id(self)}, [(self, iter(self._children))]
        while stack:
            node, children = stack[-1]
            for c in children:
                if id(c) not in seen:
                    seen.add(id(c))
                    stack.append((c, iter(c._children)))
                    break
            else:
                stack.pop()
                order.append(node)
        self.grad = 1
        for node in reversed(order):
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad
"""


def _closure(name: str, forward: str, lines: str, other: bool = False) -> str:
    """An op written micrograd's way, with the given body of its _backward."""
    wrap = "    other = other if isinstance(other, Value) else Value(other)\n" if other else ""
    args = "self, other" if other else "self"
    kids = "(self, other)" if other else "(self,)"
    return (
        f"def {name}({args}):\n{wrap}    out = Value({forward}, {kids}, {name!r})\n\n"
        f"    def _backward():\n{lines}\n    out._backward = _backward\n    return out\n"
    )


def _neuron(dz: str = "(1 - t * t) * out_grad", dx: str = "w[i] * dz", dw: str = "x[i] * dz") -> str:
    """The neuron's backward pass of workbook 4, with the given lines."""
    return (
        "def neuron_backward(x, w, b, out_grad):\n"
        "    t = math.tanh(sum(wi * xi for wi, xi in zip(w, x)) + b)\n"
        f"    dz = {dz}\n"
        f"    return [{dx} for i in range(len(x))], [{dw} for i in range(len(w))], dz\n"
    )


def _layer(accumulate: str = "+=", dz: str = "(1 - t * t) * g") -> str:
    """The layer's backward pass of workbook 4: dx gets each neuron's share (``accumulate``)."""
    return (
        "def layer_backward(x, W, b, out_grad):\n"
        "    dx, dW, db = [0.0] * len(x), [], []\n"
        "    for w, bj, g in zip(W, b, out_grad):\n"
        "        t = math.tanh(sum(wi * xi for wi, xi in zip(w, x)) + bj)\n"
        f"        dz = {dz}\n"
        "        dW.append([xi * dz for xi in x])\n"
        "        db.append(dz)\n"
        "        for i, wi in enumerate(w):\n"
        f"            dx[i] {accumulate} wi * dz\n"
        "    return dx, dW, db\n"
    )


def _softmax(grad: str) -> str:
    """softmax + NLL's backward pass of workbook 4, the gradient of logit j given as ``grad``."""
    return (
        "def softmax_nll_backward(logits, target, out_grad):\n"
        "    exps = [math.exp(z) for z in logits]\n"
        "    p = [e / sum(exps) for e in exps]\n"
        f"    return [{grad} for j in range(len(logits))]\n"
    )


SIGMOID = "1 / (1 + np.exp(-(W @ a_prev + b)))"


def _numpy_layer(name: str, delta: str, db: str = "delta", dw: str = "np.outer(delta, a_prev)",
                 forward: str = "np.tanh(W @ a_prev + b)", prev: str = "a_prev") -> str:
    """A layer's backward pass in NumPy (workbook 5), with the given lines."""
    return (
        f"def {name}(W, b, {prev}, out_grad):\n"
        f"    a = {forward}\n"
        f"    delta = {delta}\n"
        f"    return {dw}, {db}, W.T @ delta\n"
    )


ANSWERS: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    "01_derivatives_by_hand": {
        "f_local": (
            "def f_local(out, x):\n    return x**2 - 1\n",
            {
                "sign": "def f_local(out, x):\n    return 1 - x**2\n",
                "input_output": "def f_local(out, x):\n    return out**2 - 1\n",
            },
        ),
        "tanh_local": (
            "def tanh_local(out, x):\n    return 1 - out * out\n",
            {
                "input_output": "def tanh_local(out, x):\n    return 1 - x * x\n",
                "sign": "def tanh_local(out, x):\n    return out * out - 1\n",
            },
        ),
        "sigmoid_local": (
            "def sigmoid_local(out, x):\n    return out * (1 - out)\n",
            {"input_output": "def sigmoid_local(out, x):\n    return x * (1 - x)\n"},
        ),
        "mul_local": (
            "def mul_local(out, a, b):\n    return b, a\n",
            {"swapped": "def mul_local(out, a, b):\n    return a, b\n"},
        ),
        "div_local": (
            "def div_local(out, a, b):\n    return 1 / b, -a / b**2\n",
            {
                "quotient_rule": "def div_local(out, a, b):\n    return 1 / b, -1 / b**2\n",
                "sign": "def div_local(out, a, b):\n    return 1 / b, a / b**2\n",
            },
        ),
        "L_backward": (
            "def L_backward(a, b, c, out_grad):\n    dv = 2 * (a * b + c) * out_grad\n"
            "    return dv * b, dv * a, dv\n",
            {
                "power_rule": "def L_backward(a, b, c, out_grad):\n    dv = (a * b + c) * out_grad\n"
                "    return dv * b, dv * a, dv\n",
                "swapped": "def L_backward(a, b, c, out_grad):\n    dv = 2 * (a * b + c) * out_grad\n"
                "    return dv * a, dv * b, dv\n",
                "upstream": "def L_backward(a, b, c, out_grad):\n    dv = 2 * (a * b + c)\n"
                "    return dv * b, dv * a, dv\n",
            },
        ),
        "cube_local": (
            "def cube_local(out, x):\n    return 3 * x**2\n",
            {"wrong": "def cube_local(out, x):\n    return 3 * x\n"},
        ),
    },
    "02_write_the_ops": {
        "write_mul": (
            _closure(
                "mul",
                "self.data * other.data",
                "        self.grad += other.data * out.grad\n        other.grad += self.data * out.grad",
                other=True,
            ),
            {
                "assign": _closure(
                    "mul",
                    "self.data * other.data",
                    "        self.grad = other.data * out.grad\n        other.grad = self.data * out.grad",
                    other=True,
                ),
                "swapped": _closure(
                    "mul",
                    "self.data * other.data",
                    "        self.grad += self.data * out.grad\n        other.grad += other.data * out.grad",
                    other=True,
                ),
            },
        ),
        "write_exp": (
            _closure("exp", "math.exp(self.data)", "        self.grad += out.data * out.grad"),
            {
                "upstream": _closure("exp", "math.exp(self.data)", "        self.grad += out.data"),
                "input_output": _closure(
                    "exp", "math.exp(self.data)", "        self.grad += self.data * out.grad"
                ),
            },
        ),
        "write_tanh": (
            _closure("tanh", "math.tanh(self.data)", "        self.grad += (1 - out.data**2) * out.grad"),
            {
                "input_output": _closure(
                    "tanh", "math.tanh(self.data)", "        self.grad += (1 - self.data**2) * out.grad"
                ),
                "upstream": _closure("tanh", "math.tanh(self.data)", "        self.grad += 1 - out.data**2"),
            },
        ),
        "write_relu": (
            _closure("relu", "max(0.0, self.data)", "        self.grad += (self.data > 0) * out.grad"),
            {
                "relu_kink": _closure(
                    "relu", "max(0.0, self.data)", "        self.grad += (self.data >= 0) * out.grad"
                )
            },
        ),
        "write_rsub": (
            "def rsub(self, other):\n    other = other if isinstance(other, Value) else Value(other)\n"
            "    out = Value(other.data - self.data, (other, self), '-')\n\n    def _backward():\n"
            "        other.grad += out.grad\n        self.grad -= out.grad\n"
            "    out._backward = _backward\n    return out\n",
            {
                "operand_order": "def rsub(self, other):\n"
                "    other = other if isinstance(other, Value) else Value(other)\n"
                "    out = Value(self.data - other.data, (self, other), '-')\n\n    def _backward():\n"
                "        self.grad += out.grad\n        other.grad -= out.grad\n"
                "    out._backward = _backward\n    return out\n"
            },
        ),
        "gpt_tanh": (
            "def gpt_tanh(self):\n    t = math.tanh(self.data)\n    return Node(t, (self,), (1 - t * t,))\n",
            {
                "input_output": "def gpt_tanh(self):\n    t = math.tanh(self.data)\n"
                "    return Node(t, (self,), (1 - self.data**2,))\n"
            },
        ),
    },
    "03_build_your_engine": {
        "micrograd_engine": (
            MICROGRAD_ENGINE,
            {
                "order": MICROGRAD_ENGINE.replace("for node in reversed(order):", "for node in order:"),
                "assign": MICROGRAD_ENGINE.replace("self.grad += out.grad\n", "self.grad = out.grad\n"),
                "upstream": MICROGRAD_ENGINE.replace("(1 - t * t) * out.grad", "(1 - t * t)"),
            },
        ),
        "microgpt_engine": (
            MICROGPT_ENGINE,
            {
                "assign": MICROGPT_ENGINE.replace(
                    "child.grad += local * node.grad", "child.grad = local * node.grad"
                ),
                "upstream": MICROGPT_ENGINE.replace("child.grad += local * node.grad", "child.grad += local"),
                "input_output": MICROGPT_ENGINE.replace("(1 - t * t,)", "(1 - self.data**2,)"),
            },
        ),
    },
    "04_neuron_layer_softmax": {
        "neuron_backward": (
            _neuron(),
            {
                "upstream": _neuron(dz="1 - t * t"),
                "input_output": _neuron(dz="(1 - z * z) * out_grad").replace(
                    "t = math.tanh(", "z = ("
                ),
                "swapped": _neuron(dx="x[i] * dz", dw="w[i] * dz"),
            },
        ),
        "layer_backward": (
            _layer(),
            {"assign": _layer(accumulate="="), "upstream": _layer(dz="1 - t * t")},
        ),
        "softmax_nll_backward": (
            _softmax("(p[j] - (j == target)) * out_grad"),
            {
                "sign": _softmax("((j == target) - p[j]) * out_grad"),
                "path": _softmax("p[j] * out_grad"),
                "upstream": _softmax("p[j] - (j == target)"),
            },
        ),
    },
    "05_layer_equations_numpy": {
        "layer_backward": (
            _numpy_layer("layer_backward", "out_grad * (1 - a**2)"),
            {
                "input_output": _numpy_layer("layer_backward", "out_grad * (1 - (W @ a_prev + b) ** 2)"),
                "upstream": _numpy_layer("layer_backward", "1 - a**2"),
                "shape": _numpy_layer(
                    "layer_backward", "out_grad * (1 - a**2)", dw="np.outer(a_prev, delta)"
                ),
            },
        ),
        "batch_backward": (
            _numpy_layer("batch_backward", "out_grad * (1 - a**2)", db="delta.sum(axis=1)",
                         dw="delta @ A_prev.T", forward="np.tanh(W @ A_prev + b[:, None])", prev="A_prev"),
            {
                "assign": _numpy_layer("batch_backward", "out_grad * (1 - a**2)", db="delta[:, -1]",
                                       dw="delta @ A_prev.T", forward="np.tanh(W @ A_prev + b[:, None])",
                                       prev="A_prev"),
                "shape": _numpy_layer("batch_backward", "out_grad * (1 - a**2)", db="delta",
                                      dw="delta @ A_prev.T", forward="np.tanh(W @ A_prev + b[:, None])",
                                      prev="A_prev"),
            },
        ),
        "sigmoid_backward": (
            _numpy_layer("sigmoid_backward", "out_grad * a * (1 - a)", forward=SIGMOID),
            {
                "input_output": _numpy_layer(
                    "sigmoid_backward", "out_grad * (W @ a_prev + b) * (1 - (W @ a_prev + b))",
                    forward=SIGMOID),
                "upstream": _numpy_layer("sigmoid_backward", "a * (1 - a)",
                                         forward=SIGMOID),
            },
        ),
    },
}
