"""The batch replay at real scale, next to batched PyTorch (one thread, float64).

``bench/run.py`` runs this file in fresh processes, one implementation at a time,
alternating, and reads the JSON line it prints.

* ``sweep``: the demo's network made wider and fed more points: ``nn.MLP(2, [w, w, 1])``
  on ``b`` two-moons points, hinge loss + 1e-4 L2, one SGD step = forward + backward +
  update, for batch sizes ``b`` (100 -> 10,000) and widths ``w`` (16 -> 256; b = 100,
  w = 16 is the demo step itself). ``--impl replay`` is :func:`workloads.trace_step`:
  ``autograd.trace`` records one example's graph of the model, each step replays it over
  the batch, the loss and its gradient are NumPy, and every parameter (a Value) is updated
  in Python. ``--impl torch`` is the same network as matrices in PyTorch. Both start from
  the same weights, U(-1, 1) / sqrt(fan-in), so that a wide network stays finite.
* ``digits``: scikit-learn's 8x8 handwritten digits (``nn.data.load_digits``), an
  ``nn.MLP(64, [64, 10], init='he')`` trained full batch with cross-entropy and Adam (lr 0.01). ``--impl
  chainrule`` trains it with ``nn.fit(..., vectorize=True)``, as a user would; ``--impl
  torch`` trains the same network (``nn.to_torch`` of the same initial model) with
  ``torch.optim.Adam``; both compute the epoch's training accuracy, as ``nn.fit`` does.
  CPU time per epoch from one epoch's end to the next; the test accuracy at the end.
* ``profile``: cProfile of replay steps (``sweep``'s) or of ``nn.fit`` epochs
  (``digits``), the functions that take the most time, per step.

    python bench/scale.py sweep --impl replay --width 64 --batches 100,1000,10000
    python bench/scale.py digits --impl torch --epochs 100
    python bench/scale.py profile --what sweep --batch 100 --width 256
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import sys
import time
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workloads  # noqa: E402  (bench/workloads.py: the demo's data, weights and steps)

DIGITS_LR = 0.01  # Adam's; with He initialisation, 100 full-batch epochs reach about 97% on the test set
DIGITS_SEED = 0
DIGITS_EPOCHS = 100


# --- the sweep --------------------------------------------------------------------------


def sweep_weights(sizes: list[int]) -> list[float]:
    """The demo's initial weights (micrograd's order) scaled by 1 / sqrt(fan-in)."""
    weights, out = iter(workloads.initial_weights(sizes)), []
    for nin, nout in zip(sizes, sizes[1:]):
        for _ in range(nout):
            out += [next(weights) / math.sqrt(nin) for _ in range(nin)] + [next(weights)]
    return out


def sweep_stepper(impl: str, batch: int, width: int) -> Callable[[int], float]:
    sizes = [2, width, width, 1]
    X, y = workloads.make_moons(batch)
    weights = sweep_weights(sizes)
    if impl == "replay":
        return workloads.trace_step(X, y, sizes, weights)
    if impl == "torch":
        return workloads.torch_batched_step(workloads.import_torch(), X, y, sizes, weights)
    raise SystemExit(f"unknown implementation {impl!r}")


def run_sweep(impl: str, width: int, batches: list[int], budget: float, least: int) -> dict:
    """Per batch size: CPU seconds of each step after one untimed step, for ``budget`` seconds
    (at least ``least`` steps), and the losses, to check that both implementations agree."""
    out = {}
    for batch in batches:
        step = sweep_stepper(impl, batch, width)
        losses = [step(0)]
        cpu: list[float] = []
        while len(cpu) < least or sum(cpu) < budget:
            c0 = time.process_time()
            losses.append(step(len(losses) % 100))  # the demo's learning-rate schedule, 1.0 -> 0.1, again
            cpu.append(time.process_time() - c0)
        out[str(batch)] = {"cpu": cpu, "losses": losses}
    return {"width": width, "sizes": out}


# --- the digits -------------------------------------------------------------------------


def digits_data() -> tuple[list, list, list, list]:
    """``nn.data.load_digits()``; raises what it raises (AttributeError, a missing extra...)."""
    sys.path.insert(0, workloads.ROOT)
    import nn

    return nn.data.load_digits()


def digits_model() -> Any:
    import nn

    return nn.MLP(64, [64, 10], init="he", seed=DIGITS_SEED)


def train_digits_chainrule(epochs: int) -> dict:
    import numpy as np

    import nn
    from autograd.replay import trace

    Xtr, Xte, ytr, yte = digits_data()
    model = digits_model()
    opt = nn.optim.Adam(model.parameters(), lr=DIGITS_LR)
    ends = [time.process_time()]
    history = nn.fit(model, Xtr, ytr, loss="cross_entropy", optimizer=opt, epochs=epochs, vectorize=True,
                     progress=False, callbacks=[lambda epoch, h: ends.append(time.process_time())])
    scores = trace(model, 64)(np.asarray(Xte))
    test_acc = float(np.mean(np.argmax(scores, axis=1) == np.asarray(yte)))
    return {"epoch_cpu": [b - a for a, b in zip(ends, ends[1:])], "losses": history.loss,
            "train_accuracy": history["accuracy"][-1], "test_accuracy": test_acc,
            "n_train": len(Xtr), "n_test": len(Xte)}


def train_digits_torch(epochs: int) -> dict:
    import nn

    torch = workloads.import_torch()
    Xtr, Xte, ytr, yte = digits_data()
    net = nn.to_torch(digits_model())
    opt = torch.optim.Adam(net.parameters(), lr=DIGITS_LR)
    X, y = torch.tensor(Xtr, dtype=torch.float64), torch.tensor(ytr)
    losses, accs, ends = [], [], [time.process_time()]
    for _ in range(epochs):
        logits = net(X)
        loss = torch.nn.functional.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        accs.append(float((logits.detach().argmax(dim=1) == y).double().mean()))
        ends.append(time.process_time())
    with torch.no_grad():
        pred = net(torch.tensor(Xte, dtype=torch.float64)).argmax(dim=1)
    test_acc = float((pred == torch.tensor(yte)).double().mean())
    return {"epoch_cpu": [b - a for a, b in zip(ends, ends[1:])], "losses": losses,
            "train_accuracy": accs[-1], "test_accuracy": test_acc, "n_train": len(Xtr), "n_test": len(Xte)}


def run_digits(impl: str, epochs: int) -> dict:
    """Train the digits; ``{"skipped": reason}`` when ``nn.data.load_digits`` or its data is missing."""
    try:
        digits_data()
    except (ImportError, AttributeError) as e:  # no load_digits yet, or scikit-learn not installed
        return {"skipped": f"{type(e).__name__}: {e}"}
    return train_digits_chainrule(epochs) if impl == "chainrule" else train_digits_torch(epochs)


# --- profiles ---------------------------------------------------------------------------


def run_profile(what: str, batch: int, width: int, steps: int, top: int) -> dict:
    """cProfile of ``steps`` replay steps (after one untimed) or of ``nn.fit`` digits epochs.

    Returns the ``top`` functions by their own time (``tottime``), per step, with how often
    each is called per step; the time under cProfile is larger than without it.
    """
    if what == "sweep":
        step = sweep_stepper("replay", batch, width)
        step(0)
        prof = cProfile.Profile()
        prof.enable()
        for k in range(1, steps + 1):
            step(k)
        prof.disable()
    else:
        import nn

        Xtr, _, ytr, _ = digits_data()
        model = digits_model()
        opt = nn.optim.Adam(model.parameters(), lr=DIGITS_LR)
        prof = cProfile.Profile()

        def on(epoch: int, history: Any) -> None:
            if epoch == 1:  # epochs 0 and 1 trace the model and the loss: profile the steady ones
                prof.enable()

        nn.fit(model, Xtr, ytr, loss="cross_entropy", optimizer=opt, epochs=steps + 2, vectorize=True,
               progress=False, callbacks=[on])
        prof.disable()
    return {"what": what, "batch": batch, "width": width, "steps": steps,
            **workloads.profile_top(prof, steps, top)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workload", choices=["sweep", "digits", "profile"])
    ap.add_argument("--impl", default="replay")
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--batches", default="100,1000,10000")
    ap.add_argument("--budget", type=float, default=0.5, help="sweep: CPU seconds of timed steps per size")
    ap.add_argument("--least", type=int, default=3, help="sweep: timed steps per size, at least")
    ap.add_argument("--epochs", type=int, default=DIGITS_EPOCHS)
    ap.add_argument("--what", choices=["sweep", "digits"], default="sweep")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--top", type=int, default=8)
    a = ap.parse_args()
    if a.workload == "sweep":
        result = run_sweep(a.impl, a.width, [int(b) for b in a.batches.split(",")], a.budget, a.least)
    elif a.workload == "digits":
        result = run_digits(a.impl, a.epochs)
    else:
        result = run_profile(a.what, a.batch, a.width, a.steps, a.top)
    result.update(impl=a.impl, workload=a.workload, python=sys.version.split()[0])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
