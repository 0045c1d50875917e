"""The lesson notebooks: each runs top to bottom on a fresh kernel, is saved with its outputs,
matches its source in notebooks/src/, and shows what its text says it shows.

Each notebook is executed here from its saved cells (the outputs are thrown away and made
again), so an API change that breaks a lesson fails this test. The facts checked afterwards are
read from the fresh outputs, not from the saved ones.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import nbformat
import pytest

from tests.support import lessons

NOTEBOOKS, build = lessons.NOTEBOOKS, lessons.build  # notebooks/build.py, loaded once by the support module

LESSONS = [
    "01_derivatives_and_the_chain_rule",
    "02_engine_tour",
    "03_linear_regression",
    "04_neural_network",
    "05_vanishing_and_exploding_gradients",
    "06_micrograd_lecture",
    "07_the_layer_equations",
    "08_keeping_gradients_healthy",
    "09_backpropagation_through_time",
    "10_handwritten_digits",
    "11_a_gpt_from_scalars",
]

pytestmark = pytest.mark.slow


_text = lessons.text  # everything a notebook printed or displayed as text


def _number(pattern: str, text: str) -> float:
    m = re.search(pattern, text, re.M)
    assert m, f"no output matches {pattern!r}"
    return float(m.group(1))


def _kinds(nb: nbformat.NotebookNode) -> set[str]:
    kinds = set()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            kinds.update(out.get("data", {}))
    return kinds


@pytest.fixture(scope="session")
def kernel_python() -> str:
    """The kernel named python3 must run this environment's Python (so it sees this checkout)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys; print(sys.prefix)")]
    build.execute(nb, timeout=120)
    prefix = nb.cells[0].outputs[0].text.strip()
    assert Path(prefix).resolve() == Path(sys.prefix).resolve(), (
        f"the python3 kernel runs {prefix}, not this environment ({sys.prefix}); "
        "install a kernelspec for it with: python -m ipykernel install --sys-prefix"
    )
    return prefix


def test_every_lesson_has_a_source_and_a_notebook() -> None:
    sources = sorted(p.stem for p in (NOTEBOOKS / "src").glob("[0-9][0-9]_*.py"))
    assert sources == LESSONS
    for name in LESSONS:
        assert (NOTEBOOKS / f"{name}.ipynb").exists(), f"{name}.ipynb is missing: run notebooks/build.py"


@pytest.mark.parametrize("name", LESSONS)
def test_saved_notebook_matches_source_and_has_outputs(name: str) -> None:
    """The committed notebook was built from the current source and kept with its outputs."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    source = build.parse((NOTEBOOKS / "src" / f"{name}.py").read_text(encoding="utf-8"))
    saved = [("md" if c.cell_type == "markdown" else "code", c.source) for c in nb.cells]
    assert saved == source, (
        f"{name}.ipynb is out of date with src/{name}.py: run notebooks/build.py {name[:2]}"
    )
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{name}: not saved after one run from top to bottom"
    for c in code:
        for out in c.outputs:
            assert out.output_type != "error", f"{name}: a saved cell shows an error: {out.get('evalue')}"
    assert sum(len(c.outputs) for c in code) >= len(code) // 2, f"{name}: most cells have no saved output"
    assert _kinds(nb) & {"image/png", "image/svg+xml"}, f"{name}: no picture saved"


@pytest.fixture(scope="module")
def executed(kernel_python: str) -> dict[str, tuple[nbformat.NotebookNode, float]]:
    return {}


def run(name: str, cache: dict[str, tuple[nbformat.NotebookNode, float]]) -> nbformat.NotebookNode:
    """Execute the saved notebook afresh (outputs cleared first); fails on any error.

    The run is lessons.executed's, shared with test_lessons_claims.py: each lesson runs once.
    """
    return lessons.executed(name).nb  # how long it took is no test: a busy machine stretches it


def test_01_chain_rule(executed: dict) -> None:
    nb = run("01_derivatives_and_the_chain_rule", executed)
    text = _text(nb)
    assert "a.grad = 30.0   b.grad = -20.0" in text  # by hand with _backward()
    assert "a.grad = 30.0   b.grad = -20.0   c.grad = -10.0" in text  # backward()
    assert abs(_number(r"finite difference: (\S+)", text) - 30.0) < 1e-3
    assert "Sum over paths" in text and "2 paths" in text  # explain, one of them for M = a*b + b
    assert "b.grad = 3.0" in text  # a value used twice
    assert "x.grad = 2.0" in text and "after a second backward(): 4.0" in text
    assert "text/html" in _kinds(nb)  # the player
    pages = [out.get("data", {}).get("text/html", "") for cell in nb.cells for out in cell.get("outputs", [])]
    player = next(p for p in pages if "cr-player" in p)
    assert "cr-zoom-fit" in player and player.count('class="cr-frame"') == 6  # zoom; 5 steps of backward
    explorer = next(p for p in pages if "cr-explore" in p)  # the explorer, and its picture for GitHub
    assert "L = <b>25</b>" in explorer and "∂L/∂a = <b>30</b>" in explorer  # = a.grad found by hand
    assert "application/vnd.jupyter.widget-view+json" in _kinds(nb)


def test_02_engine_tour(executed: dict) -> None:
    text = _text(run("02_engine_tour", executed))
    assert text.count("True") >= 2  # gradcheck, first and second order
    assert "GradcheckError" in text and "central differences give 0.5" in text
    reverse = re.search(r"reverse mode, one pass: .*= (\S+) (\S+) (\S+)", text)
    forward = re.search(r"forward mode, three passes: \[(\S+), (\S+), (\S+)\]", text)
    assert reverse and forward and reverse.groups() == forward.groups()
    assert "y = 8.0   y' = 12.0   y'' = 12.0   y''' = 6.0" in text
    assert "log: expected an input > 0" in text and "in the backward pass" in text


def test_03_linear_regression(executed: dict) -> None:
    text = _text(run("03_linear_regression", executed))
    engine = re.search(r"engine: (\S+) (\S+)", text)
    hand = re.search(r"hand:\s+(\S+) (\S+)", text)
    assert engine and hand
    for e, h in zip(engine.groups(), hand.groups()):
        assert math.isclose(float(e), float(h), rel_tol=1e-9)
    assert abs(_number(r"after 200 steps: m = (\S+),", text) - 2.0) < 0.2
    assert abs(_number(r"after 200 steps: m = \S+, b = (\S+),", text) + 1.0) < 0.2
    below = _number(r"just below the limit\)\s+loss after \d+ steps: (\S+)", text)
    above = _number(r"just above\)\s+loss after \d+ steps: (\S+)", text)
    assert below < 1.0 and above > 1e3
    for kind in ("batch", "mini-batch", "stochastic"):
        assert re.search(rf"^{kind} .* final MSE", text, re.M)


def test_04_neural_network(executed: dict) -> None:
    nb = run("04_neural_network", executed)
    text = _text(nb)
    right = _number(r"accuracy after training: (\d+)/100", text)
    assert right >= 95
    assert "identical predictions on all 100 points: True" in text
    by_hand = [float(v) for v in re.findall(r"epoch \d: loss (\S+)", text)]
    from_fit = re.search(r"^\[([-\d., ]+)\]$", text, re.M)
    assert from_fit and len(by_hand) == 5
    assert [round(v, 4) for v in by_hand] == [float(v) for v in from_fit.group(1).split(",")]
    assert _number(r"largest difference between the two models' parameters: (\S+)", text) < 1e-9
    assert _number(r"training accuracy in the last epoch: (\S+)%", text) > 90
    pages = [out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", [])]
    live = next(d["text/html"] for d in pages if "cr-live" in d.get("text/html", ""))  # fit(live=True)
    assert "nn.fit: epoch <b>100</b> / 100" in live and "network: weights" in live
    assert "<svg class='cr-boundary'" in live and "<svg class='cr-losses'" in live
    views = [d["image/svg+xml"] for d in pages if "layers.1 · relu" in d.get("image/svg+xml", "")]
    assert len(views) == 2 and "gradients ∂L/∂w" in views[1]  # model.draw() and show="grad"


def test_05_vanishing_and_exploding(executed: dict) -> None:
    text = _text(run("05_vanishing_and_exploding_gradients", executed))
    assert "AnomalyError" in text
    ratio = _number(r"sigmoid: first layer / last layer = (\S+)", text)
    assert ratio < 1e-2  # vanishing
    clipped = _number(r"with clipping: loss \S+ -> (\S+)", text)
    start = _number(r"with clipping: loss (\S+) ->", text)
    assert clipped < start


def test_06_micrograd_lecture(executed: dict) -> None:
    text = _text(run("06_micrograd_lecture", executed))
    grads = {k: _number(rf"^{k}.grad (\S+)$", text) for k in ("x1", "w1", "x2", "w2")}
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}
    for k, v in expected.items():
        assert abs(grads[k] - v) < 1e-12, (k, grads[k])
    assert "6.0 -4.0 -2.0 -2.0 -2.0 4.0" in text  # L = (a*b + c)*f by hand
    assert "a.grad 2.0" in text  # b = a + a
    assert "a.grad -3.0  b.grad -8.0" in text
    losses = [float(v) for v in re.findall(r"^(?:\d+) (\d\S*)$", text, re.M)]
    assert len(losses) >= 20 and losses[19] < 0.25 * losses[0]
    assert abs(_number(r"^final loss (\S+)", text.replace("\r", "")) - 0.0) < 0.5


def _all(pattern: str, text: str) -> list[tuple[str, ...]]:
    found = re.findall(pattern, text, re.M)
    assert found, f"no output matches {pattern!r}"
    return [f if isinstance(f, tuple) else (f,) for f in found]


def test_07_layer_equations(executed: dict) -> None:
    nb = run("07_the_layer_equations", executed)
    text = _text(nb)
    # the delta recursion in NumPy against backward(): one example, then a batch of 8
    assert _number(r"largest difference between the delta recursion and backward\(\): (\S+)", text) < 1e-12
    assert _number(r"largest difference on the batch: (\S+)", text) < 1e-12
    assert "batch of 8: 8 deltas per layer from the graph" in text
    # the two Jacobians of a layer: the input one is diag(tanh'(z)) W, and both carry the gradient
    assert _number(r"largest difference from diag\(tanh'\(z\)\) W: (\S+)", text) < 1e-12
    assert "J_in is 3 x 4, J_par is 3 x 15 with 15 non-zero entries of 45" in text
    assert _number(r"J_in\^T dL/da\[2\]\s+vs backward\(\)'s dL/da\[1\]:\s+(\S+)", text) < 1e-12
    assert _number(r"J_par\^T dL/da\[2\] vs backward\(\)'s gradients of layer 2:\s+(\S+)", text) < 1e-12
    # reverse mode: one sweep; forward mode: one per parameter, the same numbers
    params = int(_number(r"^(\d+) parameters, a graph of \d+ nodes", text))
    nodes = int(_number(r"^\d+ parameters, a graph of (\d+) nodes", text))
    assert f"reverse mode: 1 sweep, {nodes} node visits" in text
    assert f"forward mode: {params} sweeps, {params * nodes} node visits" in text
    assert _number(r"the two agree to (\S+);", text) < 1e-12
    assert "50 layers:    49 products with the recursion,  1225 without it" in text
    # the heat map: one example's dL/dW is an outer product (rank 1), the batch's is not
    assert "rank of the one-example gradient: 1   rank of the batch gradient: 16" in text
    assert "image/png" in _kinds(nb)


def test_08_keeping_gradients_healthy(executed: dict) -> None:
    text = _text(run("08_keeping_gradients_healthy", executed))
    pattern = r"^(plain|residual|layer norm|batch norm)\s*: hidden layer 1 / hidden layer 25 = ([^;]+);"
    ratios = {kind: [float(v) for v in values.split(", ")] for kind, values in _all(pattern, text)}
    assert len(ratios) == 4 and all(len(v) == 3 for v in ratios.values())
    assert max(ratios["plain"]) < 1e-10  # vanishing: the first layer gets nothing
    # the stated factor, over every hidden layer of every start: a few tens at most
    assert _number(r"every hidden layer within a factor of (\d+) of the last", text) < 100
    # the residual block's Jacobian is the identity plus its layer's
    assert text.count("[1.0, 0.0, 0.0]") == 1 and "[0.0, 1.0, 0.0]" in text and "[0.0, 0.0, 1.0]" in text
    # training: the plain network stays at chance, the remedies learn
    pattern = r"^(plain|residual|layer norm)\s*: loss .* accuracy after training (\S+)$"
    acc = {k: float(v) for k, v in _all(pattern, text)}
    assert acc["plain"] == 0.5 and acc["residual"] >= 0.8 and acc["layer norm"] >= 0.8
    # the exploding run and its remedies
    steps = {name.strip(): (int(n), float(a), float(b)) for name, n, a, b in
             _all(r"^(.+?)\s+(\d+) finite steps, loss (\S+) -> (\S+)$", text)}
    assert steps["lr 0.01 (explodes)"][0] < 10
    assert steps["lr 0.01, L2 penalty 0.01"][0] < 10  # too gentle to catch it
    for name in ("lower lr, 0.001", "lr 0.01, max-norm 2"):
        n, first, last = steps[name]
        assert n == 60 and last < 0.2 * first, (name, steps[name])
    assert _number(r"\((\d+) times weaker\)", text) > 100


def test_09_backpropagation_through_time(executed: dict) -> None:
    nb = run("09_backpropagation_through_time", executed)
    text = _text(nb)
    assert "10 deltas from the graph, one per step" in text
    assert _number(r"largest difference between BPTT in NumPy and backward\(\): (\S+)", text) < 1e-12
    assert "image/svg+xml" in _kinds(nb)  # the unrolled graph, whole and per step
    # the gradient vanishes with the distance for a small W_h, grows for a large one
    assert _number(r"W_h x 0.5: .*\(ratio (\S+)\)", text) < 1e-3
    assert _number(r"W_h x 2.0: .*\(ratio (\S+)\)", text) > 1
    # the task: full BPTT learns it
    assert _number(r"full BPTT: training accuracy \S+, test accuracy (\S+)", text) >= 0.95
    # truncation: same predictions, no gradient before the window, a smaller graph
    pattern = r"^bptt_steps=(\w+): prediction (\S+), graph of\s+(\d+) nodes, \|dL/dh_t\| for t = 1..8: (.+)$"
    rows = _all(pattern, text)
    assert [r[0] for r in rows] == ["None", "6", "3"]
    assert len({r[1] for r in rows}) == 1  # the forward pass does not change
    sizes = [int(r[2]) for r in rows]
    assert sizes[0] > sizes[1] > sizes[2]
    norms = {r[0]: [float(v) for v in r[3].split()] for r in rows}
    assert all(v > 0 for v in norms["None"])
    assert norms["6"][:2] == [0.0, 0.0] and all(v > 0 for v in norms["6"][2:])
    assert norms["3"][:5] == [0.0] * 5 and all(v > 0 for v in norms["3"][5:])
    # the documented difference: a window that holds the 6th sign from the end learns the task,
    # a window of 3 does not
    assert _number(r"^bptt_steps=6: training accuracy \S+, test accuracy (\S+)", text) >= 0.95
    assert _number(r"^bptt_steps=3: training accuracy \S+, test accuracy (\S+)", text) < 0.75


def test_10_handwritten_digits(executed: dict) -> None:
    nb = run("10_handwritten_digits", executed)
    text = _text(nb)
    assert "1348 training images, 449 test images, 64 pixels each" in text
    # the loss of three logits: backward's gradient is softmax - onehot
    grads = re.search(r"^p - \[1, 0, 0\]  : \[(.+)\]\nbackward gives : \[(.+)\]$", text, re.M)
    assert grads and grads.group(1).split() == grads.group(2).split()
    assert "loss 1.313262 (exactly log(1 + e) = 1.313262)" in text  # logits of size 1000, no overflow
    assert "3 instructions (2 matrix products)" in text
    # the replay against the scalar engine: logits, one example's gradient, a batch's gradient
    assert _number(r"logits: \(200, 10\)  largest difference: (\S+)", text) < 1e-14
    assert _number(r"per-example gradient, 4810 parameters: largest difference (\S+)", text) < 1e-14
    assert _number(r"batch of 200: .* largest gradient difference (\S+)", text) < 1e-14
    # training through the replay: over 95% on the test images, far faster than the scalar engine
    assert _number(r"training accuracy \S+, test accuracy (\S+)", text) >= 0.95
    assert _number(r"an epoch about (\d+) times faster", text) > 10
    wrong = _number(r"^(\d+) of 449 test digits read wrong", text)
    assert wrong <= 0.05 * 449
    assert {"image/png", "image/svg+xml"} <= _kinds(nb)  # the digits and the plots; the graph


def test_11_a_gpt_from_scalars(executed: dict) -> None:
    nb = run("11_a_gpt_from_scalars", executed)
    text = _text(nb)
    assert "5163 names" in text and "27 tokens" in text
    # microgpt's own code, unchanged, on both classes: the same losses
    rows = {label: losses for label, losses in
            _all(r"^(microgpt's Value|autograd.Value)\s*: losses ([\d. ]+?)\s+\d+ ms a step$", text)}
    assert len(rows) == 2 and rows["microgpt's Value"] == rows["autograd.Value"]
    # the lesson's fused model from the same weights: the same losses, to rounding, in less time
    theirs = re.search(r"^microgpt's code : (.+)$", text, re.M)
    ours = re.search(r"^this lesson's   : (.+)$", text, re.M)
    assert theirs and ours and theirs.group(1) == ours.group(1) == rows["microgpt's Value"]
    assert _number(r"^largest difference: (\S+)$", text) < 1e-12
    assert _number(r"(\d+) times faster than microgpt's code on its own Value", text) > 3
    # one name's graph: the same loss as microgpt's, several times fewer nodes
    emma = _number(r"loss of 'emma' at the start: (\S+)", text)
    assert emma == _number(r"microgpt's loss of 'emma': (\S+),", text)
    # training lowers the loss; sampling makes up names
    first = _number(r"mean loss of the first 50 steps (\S+),", text)
    last = _number(r"of the last 50 (\S+)$", text)
    assert last < first - 0.2 and last < 2.5
    assert _number(r"^(\d+) of 20 are not in the data", text) >= 10
    # the 8-layer gradients with and without rmsnorm and the residual path: test_lessons_claims.py
    # the block views: one box per position, zoomed to the layer, the heads, one head's softmax
    svgs = [out["data"]["image/svg+xml"] for cell in nb.cells for out in cell.get("outputs", [])
            if "image/svg+xml" in out.get("data", {})]
    assert len(svgs) == 4
    assert all(f"pos={p}" in svgs[0] for p in range(5)) and "line 27" in svgs[1] and "mlp" in svgs[1]
    assert all(f"h={h}" in svgs[2] for h in range(4)) and "exp" in svgs[3]
    # a weight's gradient by block: the routes add up to autograd.grad's number, twice
    sums = _all(r"sum of the routes = (\S+), equal autograd.grad's (\S+)$", text)
    assert len(sums) == 2 and all(a == b for a, b in sums) and sums[0] == sums[1]
    assert _kinds(nb) >= {"image/png", "image/svg+xml"}
