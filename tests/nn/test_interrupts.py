"""Ctrl-C at any stage of training: every loop stops at once (fit's, a playground's), the history
says ``interrupted``, and the model and its optimizer are as they were after the last whole batch:
never a step applied to half the parameters, never an optimizer whose state or step count
disagrees with the parameters."""

from __future__ import annotations

from typing import Any

import pytest

import nn
from autograd import define_op

pytestmark = pytest.mark.usefixtures("ops_put_back")  # ops defined here leave the table after


X = [[0.1 * i, 0.2 - 0.05 * i] for i in range(8)]
Y = [1.0 if i % 2 else -1.0 for i in range(8)]
PER_BATCH = 6  # a stage run per batch is interrupted at its 6th call: in epoch 2 (4 batches an epoch)
PER_EPOCH = 3  # one run per epoch, at its 3rd


class Interrupt:
    """Raises KeyboardInterrupt at the n-th call (counted across the run), else counts."""

    def __init__(self, at: int) -> None:
        self.at, self.calls = at, 0

    def __call__(self) -> None:
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt


class Snapshots(nn.optim.Adam):
    """Adam that records the model and its own state after each whole step, and may be
    interrupted half-way through its loop over the parameters."""

    def __init__(self, params: Any, model: nn.Module, half_way: Interrupt | None) -> None:
        super().__init__(params, lr=0.05)
        self.model, self.half_way = model, half_way
        self.after = [self._state()]

    def _state(self) -> tuple[Any, ...]:
        return ([p.data for p in self.model.parameters()], [list(b) for _, b in self.model.named_buffers()],
                list(self.m), list(self.v), self.steps)

    def _grads(self) -> list[float]:
        grads = super()._grads()
        if self.half_way is None:
            return grads
        half_way = self.half_way

        def interrupted_after_half() -> Any:  # the parameters' loop asks for the next gradient
            for i, g in enumerate(grads):
                if i == len(grads) // 2:
                    half_way()
                yield g
        return interrupted_after_half()  # type: ignore[return-value]

    def step(self) -> None:
        super().step()
        self.after.append(self._state())


def _run(stage: str) -> tuple[nn.History, nn.Module, Snapshots]:
    model: nn.Module = nn.MLP(2, [4, 1], seed=3)
    if "BatchNorm" in stage:  # its running averages move in the forward pass, before the loss
        model = nn.Sequential(nn.MLP(2, [4], seed=3), nn.BatchNorm(4), nn.MLP(4, [1], seed=4))
    stop = Interrupt(PER_EPOCH if stage in ("metric", "callback") else PER_BATCH)
    probe = define_op("interrupt_probe", lambda x: x, lambda out, x: (stop(), 1.0)[1])
    opt = Snapshots(model.parameters(), model, stop if stage == "optimizer, half-way" else None)

    def loss(preds: Any, ys: Any) -> Any:
        if stage in ("forward (the loss)", "loss, after BatchNorm moved its averages"):
            stop()
        value = nn.losses.mse(preds, ys)
        return probe(value) if stage == "backward" else value

    def metric(preds: Any, ys: Any) -> float:
        if stage == "metric":
            stop()
        return 0.0

    def callback(epoch: int, history: Any) -> None:
        if stage == "callback":
            stop()

    history = nn.fit(model, X, Y, loss=loss, optimizer=opt, epochs=5, batch_size=2, seed=1,
                     metrics=[metric], callbacks=[callback], grad_norms=True, progress=stage == "bar")
    return history, model, opt


STAGES = ["forward (the loss)", "loss, after BatchNorm moved its averages", "backward",
          "optimizer, half-way", "metric", "callback"]


@pytest.mark.parametrize("stage", STAGES)
def test_ctrl_c_at_any_stage_leaves_model_and_optimizer_consistent(stage: str) -> None:
    history, model, opt = _run(stage)
    assert history.interrupted
    last = opt.after[-1]
    assert opt._state() == last
    epochs = len(history.loss)
    assert epochs < 5 and all(len(v) == epochs for v in (*history.metrics.values(),
                                                          *history.grad_norms.values()))
    assert len(opt.after) == opt.steps + 1  # the step count is the number of whole steps
    assert 4 * epochs <= opt.steps <= 4 * epochs + 4  # the dropped epoch's whole batches stay trained


def test_ctrl_c_inside_a_playground_stops_its_run() -> None:
    pytest.importorskip("ipywidgets")
    model = nn.MLP(2, [4, 1], seed=3)
    stop = Interrupt(3)
    pg = nn.playground(model, X, Y, epochs=20, every=1, metrics=[], loss="mse")
    pg._options["callbacks"] = [lambda epoch, h: stop()]
    history = pg.run()
    assert history.interrupted and history.epochs == 3  # the third epoch ended before its callback
    assert stop.calls == 3  # and no frame ran after the interrupt
