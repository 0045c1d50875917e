"""``nn.fit``: the micrograd demo recipe, regression, batches, metrics, callbacks, Ctrl-C, progress."""

from __future__ import annotations

import math

import pytest

import nn
from autograd import no_grad
from nn import data, optim


@pytest.mark.slow
def test_micrograd_demo_recipe_reaches_full_training_accuracy() -> None:
    # moons n=100 noise=0.1, MLP(2, [16, 16, 1]), hinge + 1e-4 L2,
    # SGD with lr 1.0 - 0.9 k/100, 100 full-batch steps
    X, y = data.make_moons(100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    opt = optim.SGD(model.parameters(), lr=optim.LinearDecay(1.0, 0.1, steps=100))
    history = nn.fit(model, X, y, loss="hinge", l2=1e-4, optimizer=opt, epochs=100, progress=False)
    assert history.epochs == 100 and opt.steps == 100
    assert history.loss[-1] < 0.1 * history.loss[0]
    assert history["accuracy"][-1] == 1.0
    with no_grad():
        right = sum((model(x).data > 0) == (t > 0) for x, t in zip(X, y))
    assert right == 100


def test_fit_matches_the_hand_written_loop() -> None:
    X, y = data.make_moons(20, noise=0.1, seed=0)
    a, b = nn.MLP(2, [4, 1], seed=0), nn.MLP(2, [4, 1], seed=0)
    history = nn.fit(a, X, y, loss="hinge", l2=1e-3, optimizer=optim.SGD(a.parameters(), lr=0.5),
                     epochs=3, progress=False)
    losses = []
    for _ in range(3):
        scores = [b(x) for x in X]
        loss = nn.losses.hinge(scores, y) + nn.losses.l2(b.parameters(), 1e-3)
        b.zero_grad()
        loss.backward()
        for p in b.parameters():
            p.data -= 0.5 * p.grad
        losses.append(loss.data)
    assert history.loss == pytest.approx(losses, rel=1e-12)
    assert a.state_dict() == pytest.approx(b.state_dict(), rel=1e-12)


def test_linear_regression_recovers_the_line() -> None:
    X, y = data.make_line(100, m=2.0, b=-1.0, noise=0.1, seed=0)
    model = nn.Neuron(1, activation="linear", seed=0)
    opt = optim.SGD(model.parameters(), lr=0.5)
    history = nn.fit(model, X, y, loss="mse", optimizer=opt, epochs=150, metrics=("mae",), progress=False)
    assert model.w[0].data == pytest.approx(2.0, abs=0.05)
    assert model.b.data == pytest.approx(-1.0, abs=0.05)
    assert history.loss[-1] == pytest.approx(0.01, rel=0.5)  # the noise variance, 0.1**2
    assert history["mae"][-1] < 0.1


@pytest.mark.parametrize("batch_size", [1, 8])
def test_stochastic_and_mini_batch_descent(batch_size: int) -> None:
    X, y = data.make_line(24, m=-1.0, b=0.5, noise=0.0, seed=1)
    model = nn.MLP(1, [1], seed=0)
    nn.fit(model, X, y, loss="mse", optimizer=optim.SGD(model, lr=0.2), epochs=40, batch_size=batch_size,
           metrics=(), progress=False, seed=0)
    w, b = model.parameters()
    assert (w.data, b.data) == pytest.approx((-1.0, 0.5), abs=0.02)


def test_cross_entropy_with_adam_on_three_blobs() -> None:
    X, y = data.make_blobs(45, centers=3, noise=0.3, seed=0)
    model = nn.MLP(2, [8, 3], seed=0)
    history = nn.fit(model, X, y, loss="cross_entropy", optimizer=optim.Adam(model, lr=0.05), epochs=30,
                     progress=False)
    assert history["accuracy"][-1] == 1.0
    assert history.loss[-1] < history.loss[0]


def test_history_records_grad_norms_per_layer() -> None:
    X, y = data.make_moons(16, seed=0)
    model = nn.MLP(2, [4, 4, 1], seed=0)
    history = nn.fit(model, X, y, loss="hinge", epochs=3, grad_norms=True, progress=False)
    assert list(history.grad_norms) == ["layers.0", "layers.1", "layers.2"]
    assert all(len(v) == 3 and all(g >= 0 for g in v) for v in history.grad_norms.values())
    # the last epoch's norm of the output layer, recomputed by hand at the same parameters
    X2, y2 = data.make_moons(16, seed=0)
    probe = nn.MLP(2, [4, 4, 1], seed=0)
    nn.fit(probe, X2, y2, loss="hinge", epochs=2, progress=False)
    probe.zero_grad()
    nn.losses.hinge([probe(x) for x in X2], y2).backward()
    expected = math.sqrt(sum(p.grad**2 for p in probe.layers[2].parameters()))
    assert history.grad_norms["layers.2"][-1] == pytest.approx(expected, rel=1e-9)


def test_custom_metric_and_loss_functions() -> None:
    X, y = data.make_moons(10, seed=0)
    model = nn.MLP(2, [3, 1], seed=0)

    def positives(preds, targets):
        return sum(p > 0 for p in preds) / len(preds)

    history = nn.fit(model, X, y, loss=lambda p, t: nn.losses.mse(p, t), metrics=("accuracy", positives),
                     epochs=2, progress=False)
    assert set(history.metrics) == {"accuracy", "positives"}
    assert all(0.0 <= v <= 1.0 for v in history["positives"])


def test_callbacks_see_each_epoch_and_can_stop_training() -> None:
    X, y = data.make_moons(10, seed=0)
    seen = []

    def stop_after_two(epoch: int, history: nn.History) -> bool:
        seen.append((epoch, history.epochs))
        return epoch == 1

    history = nn.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=10, callbacks=[stop_after_two], progress=False)
    assert seen == [(0, 1), (1, 2)] and history.epochs == 2 and not history.interrupted


def test_ctrl_c_stops_cleanly_and_returns_the_history_so_far() -> None:
    X, y = data.make_moons(10, seed=0)

    def interrupt(epoch: int, history: nn.History) -> None:
        if epoch == 2:
            raise KeyboardInterrupt

    model = nn.MLP(2, [3, 1], seed=0)
    history = nn.fit(model, X, y, loss="hinge", epochs=10, callbacks=[interrupt], progress=False)
    assert history.interrupted
    assert history.epochs == 3 and len(history["accuracy"]) == 3
    assert "interrupted" in repr(history)


def test_progress_bar_shows_the_loss(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = data.make_moons(10, seed=0)
    nn.fit(nn.MLP(2, [3, 1], seed=0), X, y, loss="hinge", epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "loss=" in err and "accuracy=" in err
    nn.fit(nn.MLP(2, [3, 1], seed=0), X, y, loss="hinge", epochs=3, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("kwargs, match", [
    ({"loss": "nope"}, "fit: unknown loss 'nope'"),
    ({"metrics": ("f1",)}, "fit: unknown metric 'f1'"),
    ({"epochs": -1}, "epochs must be an integer >= 0"),
    ({"batch_size": 0}, "fit: batch_size must be a positive integer, got 0"),
    ({"l2": -0.1}, "l2 must be a finite number >= 0"),
    ({"optimizer": "sgd"}, "optimizer must be an nn.optim optimizer"),
    ({"callbacks": [1]}, "callbacks must be functions"),
    ({"loss": lambda p, t: 1.0}, "the loss function must return a Value"),
])
def test_bad_arguments_are_named(kwargs, match: str) -> None:
    X, y = data.make_moons(4, seed=0)
    with pytest.raises((TypeError, ValueError), match=match):
        nn.fit(nn.MLP(2, [2, 1], seed=0), X, y, progress=False, **kwargs)
    with pytest.raises(ValueError, match="X has 4 examples but y has 3"):
        nn.fit(nn.MLP(2, [2, 1], seed=0), X, y[:3], progress=False)
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        nn.fit(lambda x: x, X, y, progress=False)
