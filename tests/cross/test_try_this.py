"""Every "Try this" of the lessons whose outcome can be checked, followed literally.

Each test first finds the instruction in the lesson's prose (so a reworded "Try this" fails here
until its test follows the new words), then makes the edit the prose asks for in a copy of the
lesson's cells, runs them on a fresh kernel and checks what the prose promises.

Left to the workbooks (issue 24), because their outcome is a judgement or a timing rather than
a fact a test can check: 04's noise/size/learning-rate and vectorize timing, 05's DEPTH = 16,
clipping levels and other optimizers, 08's DEPTH = 40, tanh, max_norm and l2, 09's LAG = 8 and
10's hidden sizes, l2 and mini-batch timing, 11's temperatures, longer training and two layers.
"""

from __future__ import annotations

import re

import pytest

from tests.support import lessons
from tests.support.lessons import cell_with, run_cells

pytestmark = pytest.mark.slow


def says(name: str, words: str) -> None:
    assert " ".join(words.split()) in lessons.markdown(name), f"{name} no longer says: {words}"


def printed(run: lessons.Run) -> str:
    return lessons.text(run.nb)


def number(pattern: str, text: str) -> float:
    m = re.search(pattern, text, re.M)
    assert m, f"no output matches {pattern!r}"
    return float(m.group(1))


L01 = "01_derivatives_and_the_chain_rule"
L02 = "02_engine_tour"
L03 = "03_linear_regression"


def test_01_slope_at_another_point() -> None:
    says(L01, "change `x0, h = 2.0, 0.001` to `x0, h = 1.0, 0.001` and re-run from there to here")
    start = cell_with(L01, "x0, h = 2.0, 0.001")
    run = run_cells(L01, {start: [("x0, h = 2.0, 0.001", "x0, h = 1.0, 0.001")]},
                    upto=cell_with(L01, "for h in [1e-1"))
    text = printed(run)
    assert "slope of f at x = 1.0" in text
    assert any("exact slope 0" in f.words() for f in run.figures)  # the tangent is flat
    assert number(r"h = 1e-08 .*error = (\S+)", text) < 1e-6  # errors measured against the new exact slope


def test_01_sign_of_a_grad() -> None:
    says(L01, 'change `a = Value(2.0, label="a")` to `a = Value(0.5, label="a")` '
              "and re-run from there to here")
    says(L01, "`∂L/∂a` always has the sign opposite to `a * b + c`")
    build = cell_with(L01, 'a = Value(2.0, label="a")')
    run = run_cells(L01, {build: [('a = Value(2.0, label="a")', 'a = Value(0.5, label="a")')]},
                    upto=cell_with(L01, "for node in (a, b, c, u, v, L)"),
                    extra=("print('v =', v.data, ' a.grad =', a.grad)",))
    text = printed(run)
    assert abs(number(r"finite difference: (\S+)", text) - number(r"chain rule: +(\S+)", text)) < 1e-4
    v, grad_a = number(r"^v = (\S+) ", text), number(r"a.grad = (\S+)$", text)
    assert v == -0.5 and grad_a == 3.0  # opposite signs


def test_01_cube_has_three_paths() -> None:
    says(L01, "predict `x.grad` before you run this in a new cell")
    prose = "\n".join(s for k, s in lessons.cells(L01))
    block = re.search(r"```python\n(x = Value\(3\.0.*?)```", prose, re.S)
    assert block, "the Try this of z = x * x * x has no code block"
    run = run_cells(L01, extra=(block.group(1), "explain(z, x)"))
    text = printed(run)
    assert "\n27.0\n" in text and "**3 paths**" in text


def test_02_negative_x_first_failure() -> None:
    says(L02, "change `X0, Y0 = 0.7, 1.3` to `X0, Y0 = -0.7, 1.3` and re-run the table")
    says(L02, "`log_base` is the `ln a` in the derivative of `a ** b`")
    table = cell_with(L02, "rows = [")
    run = run_cells(L02, {cell_with(L02, "X0, Y0 = 0.7, 1.3"): [("X0, Y0 = 0.7, 1.3", "X0, Y0 = -0.7, 1.3")]},
                    upto=table, raises="rows = [")
    error = run.nb.cells[-1].outputs[-1]
    assert error.output_type == "error" and error.ename == "ValueError"
    assert error.evalue.startswith("pow:") and "ln(a)" in error.evalue  # log_base's message, in pow's words


def test_02_derivatives_of_another_function() -> None:
    says(L02, "replace the first line of that cell with "
              '`NAME, FUNCTION = "sigmoid(x)", lambda x: x.sigmoid()`')
    plot = cell_with(L02, 'NAME, FUNCTION = "tanh(x)"')
    run = run_cells(L02, {plot: [('NAME, FUNCTION = "tanh(x)", lambda x: x.tanh()',
                                  'NAME, FUNCTION = "sigmoid(x)", lambda x: x.sigmoid()')]}, upto=plot)
    words = run.figures[-1].words()
    assert "sigmoid(x) and two derivatives" in words and "tanh" not in words


def test_02_which_zero_raises_in_backward() -> None:
    exprs = ["Value(0.0).relu()", "abs(Value(0.0))", "Value(0.0) ** 2", "Value(0.0) ** 0.5"]
    for e in exprs:
        says(L02, f"`{e}`")
    says(L02, 'run each with `show`, for example `show("(Value(0.0) ** 0.5).backward()")`')
    calls = "\n".join(f'show("({e}).backward()")' for e in exprs)
    text = printed(run_cells(L02, upto=cell_with(L02, "def show(code)"), extra=(calls,)))
    outcomes = re.findall(r"^\((.*)\)\.backward\(\) +-> (.*)$", text, re.M)
    assert [e for e, _ in outcomes] == exprs
    assert [o.split(":")[0] for _, o in outcomes] == ["no error", "no error", "no error", "ZeroDivisionError"]


def test_03_another_start_same_bottom() -> None:
    says(L03, "in a new cell, `path = train(0.05, 200, m0=4.5, b0=1.5)`, "
              "then run the picture cell above again")
    picture = cell_with(L03, 'loss_map("gradient descent, lr = 0.05")')
    run = run_cells(L03, upto=picture, extra=(
        "path = train(0.05, 200, m0=4.5, b0=1.5)", lessons.cells(L03)[picture][1],
        "print('start', path[0][:2], 'end', path[-1][:2], 'before', (m_fit, b_fit))"))
    m = re.search(r"start \((\S+), (\S+)\) end \((\S+), (\S+)\) before \((\S+), (\S+)\)", printed(run))
    assert m and (float(m[1]), float(m[2])) == (4.5, 1.5)
    assert abs(float(m[3]) - float(m[5])) < 0.01 and abs(float(m[4]) - float(m[6])) < 0.01


def test_03_larger_steps_blow_up_faster() -> None:
    says(L03, "change `1.05` to `1.5` or `3` in the cell above")
    rates = cell_with(L03, "LIMIT = 2 / c")
    base = lessons.text(lessons.executed(L03).nb)  # the lesson as it stands, 1.05
    for factor in ("1.5", "3"):
        text = printed(run_cells(L03, {rates: [("1.05", factor)]}, upto=rates))
        assert re.search(r"\(just above\) .*\(diverges;", text)
        above = number(r"\(just above\) +loss after \d+ steps: (\S+)", text)
        assert above > number(r"\(just above\) +loss after \d+ steps: (\S+)", base)


def test_03_wider_inputs_lower_limit() -> None:
    says(L03, "`uniform(-1.0, 3.0)` to `uniform(-1.0, 10.0)`")
    says(L03, "the limit falls below 0.05, and every run with `lr = 0.05` now diverges")
    data = cell_with(L03, "uniform(-1.0, 3.0)")
    text = printed(run_cells(L03, {data: [("uniform(-1.0, 3.0)", "uniform(-1.0, 10.0)")]},
                             upto=cell_with(L03, "METHODS = [")))
    assert number(r"diverges for lr > 2/c = (\S+)", text) < 0.05
    assert re.search(r"^lr = 0.05 .*\(diverges;", text, re.M)
    for method in ("batch", "mini-batch", "stochastic"):  # all at lr = 0.05, from an MSE in the hundreds
        assert number(rf"^{method} .*final MSE: (\S+)", text) > 1e6


def test_03_batch_descent_with_more_epochs_catches_up() -> None:
    says(L03, "in `METHODS`, give batch descent 100 epochs instead of 10")
    methods = cell_with(L03, "METHODS = [")
    text = printed(run_cells(L03, {methods: [('("batch", N, 0.05, 10),', '("batch", N, 0.05, 100),')]},
                             upto=methods))
    assert "100 epochs   updates:  100" in text
    assert number(r"^batch .*final MSE: (\S+)", text) < number(r"^mini-batch .*final MSE: (\S+)", text)


def test_04_the_cell_named_is_the_one_meant() -> None:
    """Its outcome is a timing (no test can check it); the cell it points to must be the right one."""
    name = "04_neural_network"
    says(name, "in the training cell two cells up (the one with `epochs=300`)")
    source = lessons.cells(name)
    at = next(i for i, (k, s) in enumerate(source) if k == "md" and "training cell two cells up" in s)
    kind, cell = source[at - 2]
    assert kind == "code" and "epochs=300" in cell and "vectorize=True" in cell


L05 = "05_vanishing_and_exploding_gradients"


@pytest.mark.parametrize("lr", ["0.002", "0.0025"])
def test_05_larger_sgd_steps(lr: str) -> None:
    says(L05, "change `lr=0.001)` in its line to `lr=0.002)`")
    says(L05, "Then try `lr=0.0025)`")
    paths = cell_with(L05, "def rosenbrock")
    text = printed(run_cells(L05, {paths: [("lr=0.001)", f"lr={lr})")]}, only=[1, paths]))
    line = next(row for row in text.splitlines() if row.startswith("SGD"))
    if lr == "0.002":  # faster: it ends near (1, 1)
        m = re.search(r"ends at \((\S+), (\S+)\)", line)
        assert m and abs(float(m[1]) - 1) < 0.1 and abs(float(m[2]) - 1) < 0.1, line
    else:  # the numbers overflow within ten steps
        assert 1 <= number(r"stopped after (\d+) steps: overflow", line) <= 10, line


def test_06_the_bug_without_zeroing() -> None:
    name = "06_micrograd_lecture"
    says(name, "build a fresh network, `n = MLP(3, [4, 4, 1])`, and run the training loop above "
               "again without the two lines that set `p.grad = 0.0`")
    loop = cell_with(name, "for k in range(20):")
    code = lessons.cells(name)[loop][1]
    buggy = code.replace("    for p in n.parameters():\n        p.grad = 0.0\n", "")
    assert buggy != code
    run = run_cells(name, upto=loop, extra=("n = MLP(3, [4, 4, 1])\n" + buggy,))
    runs = re.findall(r"^(\d+) (\S+)$", printed(run), re.M)
    fine, bug = [float(v) for _, v in runs[:20]], [float(v) for _, v in runs[20:40]]
    assert all(b < a for a, b in zip(fine, fine[1:]))  # with the reset: a steady fall
    assert sum(b > a for a, b in zip(bug[:10], bug[1:11])) >= 2  # without it: up and down


def test_07_sigmoid_layers() -> None:
    name = "07_the_layer_equations"
    says(name, 'change `ACTIVATION = "tanh"` to `ACTIVATION = "sigmoid"`, '
               "`np.tanh(z)` to `1 / (1 + np.exp(-z))` and `1 - a ** 2` to `a * (1 - a)`")
    first = cell_with(name, 'ACTIVATION = "tanh"')
    text = printed(run_cells(name, {first: [('ACTIVATION = "tanh"', 'ACTIVATION = "sigmoid"'),
                                            ("np.tanh(z)", "1 / (1 + np.exp(-z))"),
                                            ("1 - a ** 2", "a * (1 - a)")]},
                             upto=cell_with(name, "J_par^T dL/da[2] vs")))
    differences = [float(v) for v in re.findall(r"(?:largest difference[^:]*|backward\(\)'s [^:]*):\s+(\S+)$",
                                                   text, re.M)]
    assert len(differences) >= 5 and max(differences) < 1e-12, differences


def test_09_a_window_one_step_short() -> None:
    name = "09_backpropagation_through_time"
    says(name, "change `for k in (6, 3):` to `for k in (6, 5):`")
    train = cell_with(name, "for k in (6, 3):")
    needed = [cell_with(name, "import nn"), cell_with(name, "def recall_data"),
              cell_with(name, "h_full = nn.fit"), train]
    text = printed(run_cells(name, {train: [("for k in (6, 3):", "for k in (6, 5):")]}, only=needed))
    assert number(r"^bptt_steps=5: training accuracy \S+, test accuracy (\S+)", text) < 0.75
    assert number(r"^bptt_steps=6: training accuracy \S+, test accuracy (\S+)", text) >= 0.95


def test_10_uniform_start() -> None:
    name = "10_handwritten_digits"
    line = 'model = nn.MLP(64, [64, 10], init="xavier", seed=0)\ntest_tape'
    says(name, 'change `model = nn.MLP(64, [64, 10], init="xavier", seed=0)` to `init="uniform"`')
    train = cell_with(name, line)
    text = printed(run_cells(name, {train: [(line, line.replace('"xavier"', '"uniform"'))]},
                             only=[0, 1, cell_with(name, "load_digits(test_size"),
                                   cell_with(name, "one epoch in the"), train]))
    uniform = number(r"test accuracy (0\.\d+)\n", text)
    xavier = number(r"test accuracy (0\.\d+)\n", lessons.text(lessons.executed(name).nb))
    assert uniform < xavier
    assert "first reached 90%" in text and "first reached 95%" in text  # "never" is printed, not an error
