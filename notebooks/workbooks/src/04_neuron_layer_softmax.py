#%% md
# Workbook 4: a neuron, a layer, softmax + NLL

Lessons 4 and 6 build networks from Values and let `backward()` find every gradient. Here you
find them yourself, by hand, on plain numbers, the way the chain rule gives them, for the three
pieces every classifier is made of: a neuron, a layer of neurons, and softmax followed by the
negative log likelihood.

Each exercise gives the piece written with Values (`neuron`, `layer`, `softmax_nll`) and asks
for its backward pass: a function that gets the same inputs as plain numbers, then `out_grad`,
the gradient arriving from above (d loss / d output: a number, or one per output), and returns
the gradient of each input. The check, `check_grads`, builds the piece with Values at the example
and at random points, sends `out_grad` in, calls `backward()` and compares; when your numbers
are exactly those of a known mistake (the gradient from above forgotten, tanh's slope written
with its input, the shares of an input used twice overwritten instead of added...) it names it.
#%% code
import math

from autograd.practice import check_grads
#%% md
## 1. A neuron

`out = tanh(w[0]*x[0] + w[1]*x[1] + w[2]*x[2] + b)`. Call the weighted sum `z`: then
`d out / dz = 1 - tanh(z)**2 = 1 - out**2`, and `z` passes its gradient to each weight (times
its input) and to each input (times its weight). Return `(dx, dw, db)`: two lists and a number.
#%% code
def neuron(x, w, b):
    return (sum(wi * xi for wi, xi in zip(w, x)) + b).tanh()
#%% code
# EXERCISE neuron_backward
def neuron_backward(x, w, b, out_grad):
    raise NotImplementedError("return (dx, dw, db)")
#%% code
check_grads(neuron, neuron_backward, x=[0.5, -1.0, 2.0], w=[0.3, 0.8, -0.2], b=0.1)
#%% md
## 2. A layer

A layer of 3 such neurons reads the same 2 inputs: neuron `j` has the weights `W[j]` (a list of
2) and the bias `b[j]`, and its output receives its own gradient `out_grad[j]`. Every input
feeds all 3 neurons: what does that mean for `dx`? Return `(dx, dW, db)`, shaped like
`x`, `W` and `b`.
#%% code
def layer(x, W, b):
    return [neuron(x, w, bj) for w, bj in zip(W, b)]
#%% code
# EXERCISE layer_backward
def layer_backward(x, W, b, out_grad):
    raise NotImplementedError("return (dx, dW, db)")
#%% code
check_grads(layer, layer_backward, x=[0.5, -1.0], W=[[0.3, 0.8], [-0.2, 0.5], [0.7, -0.4]], b=[0.1, 0.0, -0.3])
#%% md
## 3. Softmax and the negative log likelihood

A classifier's last layer gives one score (a *logit*) per class. Softmax turns them into
probabilities, `p[j] = exp(logits[j]) / sum(exp(logits))`, and the loss of an example of class
`target` is `-log(p[target])`. Written with Values, `backward()` walks through every `exp`, the
sum, the division and the `log`; by hand the whole walk folds into one short formula for
`dloss / dlogits[j]`. Find it (try one logit that is the target and one that is not), and return
the list of gradients, times `out_grad`. The `target` is a class number, not differentiated.
#%% code
def softmax_nll(logits, target):
    exps = [z.exp() for z in logits]
    return -(exps[target] / sum(exps)).log()
#%% code
# EXERCISE softmax_nll_backward
def softmax_nll_backward(logits, target, out_grad):
    raise NotImplementedError("return [dloss/dlogits[j] for each j]")
#%% code
check_grads(softmax_nll, softmax_nll_backward, logits=[1.0, -0.5, 2.0], target=1)
