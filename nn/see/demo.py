"""The demo: train micrograd's network on the moons and write seven pictures of what happened.

    chainrule demo --out demo-output      # or: python -m nn.see.demo

It is a subcommand of the ``chainrule`` command, added from here (the ``nn``
package registers it under the ``chainrule.commands`` entry point), so the
command-line tool in ``autograd`` never has to import ``nn``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nn
from autograd import Value, no_grad
from autograd.cli import RunError, positive_int, write_file
from autograd.core.extras import MissingExtraError, need
from autograd.see.text import format_number

__all__ = ["add_command", "run_demo", "DemoResult", "DEMO_FILES", "main"]


def add_command(sub: Any) -> None:
    """Add ``demo`` to the ``chainrule`` command's subcommands (an argparse subparsers object)."""
    demo = sub.add_parser(
        "demo",
        help="train a small network on the moons data set and save pictures of what happened",
        description="Train micrograd's demo (moons, MLP(2, [16, 16, 1]), hinge loss, SGD) and write the "
        "decision boundary, the loss curve, one neuron's graph, a backward player, the same backward pass "
        "as an animated GIF for slides, the network with its weights, and one weight's chain rule into "
        "a folder.",
    )
    demo.add_argument("--out", default="demo-output", metavar="DIR",
                      help="the folder to write into (default: demo-output)")
    demo.add_argument("--steps", type=positive_int, default=100, metavar="N",
                      help="training steps (default: 100, the full demo)")
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    demo.set_defaults(run=_run_demo)


#: The files the demo writes, in the order it writes them.
DEMO_FILES = (
    "decision_boundary.png", "loss.png", "neuron_graph.svg", "backward_player.html", "backward.gif",
    "network.svg", "chain_rule.md",
)


@dataclass
class DemoResult:
    """What :func:`run_demo` did: the files it wrote, the accuracy, and the weight it explained."""

    files: dict[str, Path]
    accuracy: float
    steps: int
    seconds: float
    weight_name: str = ""
    weight_grad: float = 0.0


def _run_demo(args: argparse.Namespace) -> int:
    try:
        matplotlib = need("matplotlib", "chainrule demo (its plots)")
    except MissingExtraError as e:
        raise RunError(str(e)) from None
    matplotlib.use("Agg")  # files only: no window, and no display needed
    result = run_demo(Path(args.out), steps=args.steps, progress=not args.no_progress)
    print(f"final accuracy: {result.accuracy:.0%} on the {DEMO_SAMPLES} training points "
          f"after {result.steps} steps ({result.seconds:.1f} s)")
    for name in DEMO_FILES:
        print(f"{name:<22} -> {result.files[name]}")
    return 0


DEMO_SAMPLES = 100
DEMO_SEED = 1


def run_demo(out_dir: Path, *, steps: int = 100, progress: bool = True, seed: int = DEMO_SEED) -> DemoResult:
    """Train micrograd's demo network and write the demo files (``DEMO_FILES``) into ``out_dir``.

    The recipe is micrograd's: 100 points of the moons data set (noise 0.1), an
    ``MLP(2, [16, 16, 1])`` with relu hidden layers, the max-margin (hinge) loss
    plus 1e-4 times the sum of squared parameters, and plain SGD whose learning
    rate falls linearly, lr = 1.0 - 0.9 k / steps, for ``steps`` full-batch steps.
    ``seed`` fixes both the data and the initial weights.

    Then it looks inside the trained network: one first-layer neuron is drawn for
    one training point (with the local derivative on every edge), its backward
    pass becomes a step-by-step player, and the chain rule for one of its weights
    is written out, path by path, for the loss on that point.
    """
    from autograd.see.draw import draw_dot
    from autograd.see.html import render_svg
    from autograd.see.player import play
    from nn import plot

    if out_dir.exists() and not out_dir.is_dir():  # refused before a minute of training, not after
        raise RunError(f"cannot create the folder {out_dir}: a file of that name exists")
    X, y = nn.data.make_moons(DEMO_SAMPLES, noise=0.1, seed=seed)
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    optimizer = nn.optim.SGD(model.parameters(), lr=nn.optim.LinearDecay(1.0, 0.1, steps=steps))
    print(f"training MLP(2, [16, 16, 1]) on {DEMO_SAMPLES} moons points: hinge loss + 1e-4 L2, "
          f"SGD with lr = 1.0 - 0.9*k/{steps}, {steps} steps")
    t0 = time.perf_counter()
    history = nn.fit(model, X, y, loss="hinge", l2=1e-4, optimizer=optimizer, epochs=steps,
                     progress=progress)
    seconds = time.perf_counter() - t0
    if history.interrupted:
        raise KeyboardInterrupt
    with no_grad():
        correct = sum((model(x).data > 0) == (label > 0) for x, label in zip(X, y))
    result = DemoResult(files={}, accuracy=correct / len(X), steps=history.epochs, seconds=seconds)

    _mkdir(out_dir)
    files = {name: out_dir / name for name in DEMO_FILES}
    _save_figure(plot.decision_boundary(model, X, y), files["decision_boundary.png"])
    _save_figure(plot.history(history), files["loss.png"])

    # One neuron of the first layer, for one training point whose gradient reaches it.
    neuron, x, label = _pick_neuron(model, X, y)
    out = _neuron_graph(neuron, x)
    out.backward()
    # Top to bottom, so that the picture fits a screen's width (1280 px); the page keeps the usual
    # left-to-right reading.
    write_file(files["neuron_graph.svg"], draw_dot(out, edge_labels=True, rankdir="TB").pipe(format="svg"))
    for name, player in (("backward_player.html", play(out)), ("backward.gif", play(out, rankdir="TB"))):
        try:
            player.save(files[name])
        except OSError as e:
            raise RunError(f"cannot write {files[name]}: {e.strerror or e}") from None
    weight_name, weight_grad, markdown = _chain_rule_page(model, neuron, x, label)
    write_file(files["chain_rule.md"], markdown)
    # Drawn after the chain rule page's backward(), so its tooltips hold the gradients of the same loss.
    point = ", ".join(format_number(v) for v in x)
    network = model.draw(grad_of=f"the loss on the point x = ({point}) of chain_rule.md")
    write_file(files["network.svg"], render_svg(network))  # every weight: blue > 0, red < 0
    result.files = files
    result.weight_name, result.weight_grad = weight_name, weight_grad
    return result


def _mkdir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RunError(f"cannot create the folder {path}: {e.strerror or e}") from None


def _save_figure(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=110, bbox_inches="tight")
    except OSError as e:
        raise RunError(f"cannot write {path}: {e.strerror or e}") from None
    finally:
        plt.close(fig)


def _pick_neuron(
    model: Any, X: Sequence[Sequence[float]], y: Sequence[float]
) -> tuple[Any, list[float], float]:
    """A first-layer neuron and a training point where gradient flows all the way back to it.

    We want a point inside the margin (its hinge loss is above 0, so the loss
    has a gradient at all) and a neuron whose relu is switched on for that point
    (so it passes the gradient back): then the pictures show non-zero gradients.
    """
    with no_grad():
        for x, label in zip(X, y):
            if 1 - label * model(x).data <= 0:
                continue
            for neuron in model.layers[0].neurons:
                if neuron(x).data > 0.1:
                    return neuron, list(x), float(label)
    return model.layers[0].neurons[0], list(X[0]), float(y[0])


def _neuron_graph(neuron: Any, x: Sequence[float]) -> Value:
    """``relu(w1*x1 + w2*x2 + b)`` for one neuron, written out op by op so each edge shows one rule.

    The weights and bias are new leaves with the numbers of the neuron's parameters and their short
    names (``w.0``, ``w.1``, ``b``: the picture's output box names the neuron, and the model's own
    gradients stay untouched); the inputs are new leaves ``x1``, ``x2``.
    """
    xs = [Value(float(v), label=f"x{i + 1}") for i, v in enumerate(x)]
    ws = [Value(w.data, label=f"w.{i}") for i, w in enumerate(neuron.w)]
    terms = [w * xi for w, xi in zip(ws, xs)]
    for i, term in enumerate(terms):
        term.label = f"w.{i}*x{i + 1}"
    z = terms[0]
    for term in terms[1:]:
        z = z + term
    z = z + Value(neuron.b.data, label="b")
    z.label = "z"
    out = z.relu()
    out.label = neuron._label if getattr(neuron, "_label", "") else "out"
    return out


def _chain_rule_page(model: Any, neuron: Any, x: Sequence[float], label: float) -> tuple[str, float, str]:
    """The Markdown page that explains, path by path, the gradient of one weight for one point's loss."""
    from autograd import explain, topological_order

    names = {id(p): name for name, p in model.named_parameters()}
    weight = neuron.w[0]
    weight_name = names.get(id(weight), weight.label or "w")
    score = model([Value(v, label=f"x{i + 1}") for i, v in enumerate(x)])
    margin = label * score
    margin.label = "y·score"
    hinge = 1 - margin
    hinge.label = "1 - y·score"
    loss = hinge.relu()
    loss.label = "loss"
    # Name each neuron's weighted sum, as neuron_graph.svg names the one it draws (z), so that every
    # node the explanation mentions has a name a reader can place.
    for v in topological_order(loss):
        if v._prev and v.label.startswith("layers.") and v._prev[0]._prev and not v._prev[0].label:
            v._prev[0].label = "z" if v.label == neuron._label else f"{v.label}.z"
    model.zero_grad()
    loss.backward()
    weight_grad = float(weight.grad)
    explanation = explain(loss, weight)
    point = ", ".join(format_number(v) for v in x)
    paths = f"{explanation.n_paths} path{'s' if explanation.n_paths != 1 else ''}"
    lines = [
        "# The chain rule for one weight",
        "",
        f"The trained network of `chainrule demo`, on one training point x = ({point}) "
        f"with label y = {label:+g}. Its loss on that point is micrograd's max-margin loss, "
        "loss = relu(1 - y · score).",
        "",
        f"The weight `{weight_name}` (`w.0` of the neuron drawn, for the same point, in "
        "`neuron_graph.svg`, where its weighted sum is `z`) "
        f"reaches the loss along {paths}: through its neuron, then through each neuron of the next "
        "layer (`layers.1.neurons.j`, whose weighted sum is `layers.1.neurons.j.z`), then the output "
        "(`network.svg` draws them all). The chain rule multiplies the local derivatives along each path "
        "and adds up the paths. A path through a neuron whose relu is switched off carries a "
        "local derivative of 0, so its product is 0.",
        "",
        explanation._repr_markdown_(),
        "",
        f"After `loss.backward()`, `{weight_name}.grad` = {format_number(weight_grad)}: the same number. "
        "The tooltips of `network.svg` show every weight's gradient of this same loss.",
        "",
    ]
    return weight_name, weight_grad, "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m nn.see.demo [--out DIR]``: the same as ``chainrule demo``."""
    from autograd.cli import main as chainrule

    return chainrule(["demo", *(sys.argv[1:] if argv is None else argv)], commands=[add_command])


if __name__ == "__main__":
    sys.exit(main())
