"""Bad input to the newer parts (define_op, pow, grad, gradcheck, the blocks, fit, the replay, the
command) gets an error that names the op, the block or the argument and says what to do: a table,
each row a call, the error class, and what its message must say."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

import nn
from autograd import Value, define_op, grad, gradcheck

pytestmark = pytest.mark.usefixtures("ops_put_back")  # ops defined here leave the table after


X4 = [[1.0, 2.0], [2.0, 1.0], [0.5, 0.1], [0.3, 0.3]]


def _backward(op: Any, create_graph: bool = False) -> Any:
    v = Value(2.0)
    return grad(op(v), [v], create_graph=create_graph)


def _replay_one_row() -> Any:
    np = pytest.importorskip("numpy")
    from autograd import trace
    return trace(lambda x: x[0].log(), 1, example=[1.0])(np.array([[-1.0]]))


ROWS: dict[str, tuple[Callable[[], Any], type[BaseException], str]] = {
    "define_op forward IndexError": (
        lambda: define_op("pick3", lambda x: [1.0][int(x)], lambda out, x: 0.0)(Value(3.0)),
        IndexError, r"pick3: forward raised IndexError.*at 3\.0.*raise ValueError"),
    "define_op forward KeyError": (
        lambda: define_op("lookup3", lambda x: {}[x], lambda out, x: 0.0)(Value(3.0)),
        KeyError, r"lookup3: forward raised KeyError"),
    "define_op forward int overflow": (
        lambda: define_op("huge3", lambda x: 10**400, lambda out, x: 0.0)(Value(3.0)),
        OverflowError, r"huge3: forward returned an int of \d+ bits at 3\.0; return a float"),
    "define_op rule returns str": (
        lambda: _backward(define_op("strrule3", lambda x: x, lambda out, x: "1")),
        TypeError, r"strrule3: local must return numbers.*got str"),
    "define_op rule returns None": (
        lambda: _backward(define_op("nonerule3", lambda x: x, lambda out, x: None)),
        TypeError, r"nonerule3: local must return numbers.*forget to return"),
    "define_op rule with math.cos, create_graph": (
        lambda: _backward(define_op("msin3", math.sin, lambda out, x: math.cos(x)), create_graph=True),
        TypeError, r"msin3: local failed on Values.*autograd's functions.*not math's"),
    "Value ** huge int": (lambda: Value(2.0) ** (10**400), OverflowError, r"^pow: the exponent"),
    "gradcheck at a NaN": (lambda: gradcheck(lambda x: x * 2, [1.0, math.nan]), ValueError,
                           r"gradcheck: inputs\[1\] is nan; central differences need finite inputs"),
    "LayerNorm row with a string": (lambda: nn.LayerNorm(2)([1.0, "a"]), TypeError,
                                    r"LayerNorm: input 1 must be a number or a Value, got str"),
    "BatchNorm batch with a string": (lambda: nn.BatchNorm(2).forward_batch([[1.0, "a"], [2.0, 3.0]]),
                                      TypeError, r"BatchNorm.forward_batch: input 1 must be a number"),
    "fit with BatchNorm, a batch of one": (
        lambda: nn.fit(nn.Sequential(nn.MLP(2, [2]), nn.BatchNorm(2)), X4[:3], [1.0, 0.0, 1.0],
                       epochs=1, batch_size=2, progress=False),
        ValueError, r"fit: the model's BatchNorm \(layers.1\).*batch_size.*model.eval\(\)"),
    "fit(vectorize=True) with BatchNorm": (
        lambda: nn.fit(nn.Sequential(nn.MLP(2, [2]), nn.BatchNorm(2)), X4, [1.0, 0.0, 1.0, 0.0],
                       epochs=1, vectorize=True, progress=False),
        ValueError, r"fit: the model's BatchNorm.*use vectorize=False"),
    "fit(vectorize=True) on an RNN, sequences of two lengths": (
        lambda: nn.fit(nn.RNN(1, 1), [[[0.1], [0.2]], [[0.3]]], [0.0, 1.0], epochs=1,
                       vectorize=True, progress=False),
        ValueError, r"fit: vectorize=True .* an RNN's sequences must all have one length; got 1 and 2 steps"),
    "fit cross_entropy on one output": (
        lambda: nn.fit(nn.MLP(2, [1]), X4, [1, 0, 1, 0], loss="cross_entropy", epochs=1, progress=False),
        ValueError, r"fit: loss='cross_entropy' needs one output \(logit\) per class, and the model gives 1"),
    "fit(live=True) in a plain script": (
        lambda: nn.fit(nn.MLP(2, [1]), X4, [1.0, 0.0, 1.0, 0.0], epochs=1, live=True),
        RuntimeError, r"fit: live=True draws in Jupyter.*plain Python script"),
    "replay error on a one-row batch": (_replay_one_row, ValueError, r"log: .*\(example 0 of the batch\)"),
}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_the_error_names_the_op_and_the_fix(name: str) -> None:
    call, kind, says = ROWS[name]
    if "live" in name:
        pytest.importorskip("ipywidgets")
    with pytest.raises(kind, match=says):
        call()


def test_pow_at_zero_to_the_zero_has_pytorchs_gradients() -> None:
    a, b = Value(0.0), Value(0.0)
    assert grad(a**b, [a, b]) == [0.0, 0.0]  # torch.pow(0., 0.) gives 0 and 0 too
    da, db = grad(a**b, [a, b], create_graph=True)
    assert (da.data, db.data) == (0.0, 0.0)


def test_grad_takes_one_value_as_pytorch_does() -> None:
    x = Value(3.0)
    assert grad(x * x, x) == [6.0]


def test_both_entry_points_print_one_clean_line(tmp_path: Path) -> None:
    taken = tmp_path / "taken.html"
    taken.write_text("")
    for argv in ([sys.executable, "-m", "autograd.cli"], [sys.executable, "-c",
                                                         "import sys; from autograd.cli import main; "
                                                         "sys.exit(main())"]):
        done = subprocess.run([*argv, "demo", "--out", str(taken)], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 1
        assert done.stderr.strip().splitlines() == [
            f"chainrule: error: cannot create the folder {taken}: a file of that name exists"]


def test_fit_vectorized_takes_an_rnns_nested_sequences() -> None:
    pytest.importorskip("numpy")
    X = [[[0.1], [0.2], [-0.3]], [[0.3], [0.1], [0.0]], [[-0.2], [0.4], [0.1]]]
    losses = [nn.fit(nn.RNN(1, 2, seed=5), X, [0.5, -0.5, 0.1], epochs=3, progress=False,
                     vectorize=vectorize).loss for vectorize in (False, True)]
    assert losses[1] == pytest.approx(losses[0], rel=1e-9)
