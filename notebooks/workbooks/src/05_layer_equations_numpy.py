#%% md
# Workbook 5: the layer equations in NumPy, checked against `backward()`

Lesson 7 writes backpropagation for a whole layer at once, with matrices: for a layer
`a = sigma(z)`, `z = W @ a_prev + b` (one row of `W` per neuron), and `delta = dL/dz`,

    delta   = out_grad * sigma'(z)     out_grad = dL/da, carried back through the activation
    dW      = outer(delta, a_prev)     one row per neuron
    db      = delta
    da_prev = W.T @ delta              what the layer passes back to the one before

Here you write them in NumPy. Each check, `check_grads`, runs the layer as written in NumPy on
arrays of *Values* (NumPy calls each Value's own `tanh`, `*` and `+`), calls `backward()`, and
compares its gradients with yours at the example and at random points; when your numbers are
exactly those of a known mistake it names it, and a gradient of the wrong shape is named too.
#%% code
import numpy as np

from autograd.practice import check_grads

W = np.array([[0.3, 0.8], [-0.2, 0.5], [0.7, -0.4]])   # 3 neurons, 2 inputs each
b = np.array([0.1, 0.0, -0.3])
a_prev = np.array([0.5, -1.0])
#%% md
## 1. One layer, one example

`a = tanh(W @ a_prev + b)`, and `tanh'(z) = 1 - tanh(z)**2`, best written with the output `a`.
Return `(dW, db, da_prev)`, each shaped like what it is the gradient of.
#%% code
def layer(W, b, a_prev):
    return np.tanh(W @ a_prev + b)
#%% code
# EXERCISE layer_backward
def layer_backward(W, b, a_prev, out_grad):
    raise NotImplementedError("return (dW, db, da_prev)")
#%% code
check_grads(layer, layer_backward, W=W, b=b, a_prev=a_prev)
#%% md
## 2. A batch

Lesson 7, section 3: a batch of 4 examples as the 4 columns of `A_prev`, so `Z = W @ A_prev +
b[:, None]` has one column per example and `out_grad` is shaped like it. The weights and biases
serve every example: their gradients are the sums of the examples' shares. Return
`(dW, db, dA_prev)`.
#%% code
A_prev = np.array([[0.5, -1.0, 0.2, 1.5], [-1.0, 0.3, 0.8, -0.6]])

def batch_layer(W, b, A_prev):
    return np.tanh(W @ A_prev + b[:, None])
#%% code
# EXERCISE batch_backward
def batch_backward(W, b, A_prev, out_grad):
    raise NotImplementedError("return (dW, db, dA_prev)")
#%% code
check_grads(batch_layer, batch_backward, W=W, b=b, A_prev=A_prev)
#%% md
## 3. The sigmoid layer

Lesson 7's "Try this" swaps tanh for the sigmoid, `sigma(z) = 1 / (1 + exp(-z))`. Its slope
is shortest with the output too. Write the backward pass of one sigmoid layer (one example).
#%% code
def sigmoid_layer(W, b, a_prev):
    return np.array([z.sigmoid() for z in W @ a_prev + b])   # one sigmoid node per neuron
#%% code
# EXERCISE sigmoid_backward
def sigmoid_backward(W, b, a_prev, out_grad):
    raise NotImplementedError("return (dW, db, da_prev)")
#%% code
check_grads(sigmoid_layer, sigmoid_backward, W=W, b=b, a_prev=a_prev)
