"""What the lessons say about their own outputs is true, and their pictures can be read.

Two classes of error, each tested over every lesson:

* **a number or a comparison in the prose that the outputs contradict.** Each row of CLAIMS
  names a sentence of a lesson (it must still be in the lesson, so a rewrite of the prose fails
  here until the row is updated) and checks it against the lesson's fresh outputs (so a change
  of code that changes a number fails here until the sentence is updated). Numbers that the
  prose only refers to ("printed above") are checked the same way.
* **a figure too small to read or too wide for a notebook column.** Every matplotlib figure a
  lesson shows is measured while it is drawn (tests/support/lessons.py): every text at least
  MIN_TEXT_PX pixels high, every picture, PNG or SVG, at most COLUMN_PX wide.

The lessons are run once per session by tests/support/lessons.py, shared with test_notebooks.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest

from tests.support import lessons

pytestmark = pytest.mark.slow

MIN_TEXT_PX = 12
COLUMN_PX = 1000  # a notebook column in JupyterLab or on GitHub at 1280 px: wider pictures scroll or shrink


def number(pattern: str, text: str) -> float:
    m = re.search(pattern, text, re.M)
    assert m, f"no output matches {pattern!r}"
    return float(m.group(1))


def numbers(pattern: str, text: str) -> list[float]:
    m = re.search(pattern, text, re.M)
    assert m, f"no output matches {pattern!r}"
    return [float(v) for v in re.split(r"[ ,]+", m.group(1).strip())]


# (lesson, a sentence of its prose, a check on its outputs' text that the sentence is true)
Claim = tuple[str, str, Callable[[str], bool]]

CLAIMS: list[Claim] = [
    ("01_derivatives_and_the_chain_rule",
     "`∂L/∂a` always has the sign opposite to `a * b + c`",
     lambda t: "a.grad = 30.0" in t and "data=-5.0" in t),  # a*b + c = v = -5, a.grad = +30
    ("01_derivatives_and_the_chain_rule",
     "below about `1e-8` the two values of `f` agree in almost all their digits",
     lambda t: number(r"h = 1e-11 .*error = (\S+)", t) > number(r"h = 1e-08 .*error = (\S+)", t)
     < number(r"h = 1e-14 .*error = (\S+)", t)),
    ("02_engine_tour",
     "The `exp` error says where floats run out: a little above 709.",
     lambda t: 709 < number(r"the largest input is about ([\d.]+)", t) < 710),
    ("03_linear_regression",
     "The engine's 200 steps land exactly where the 200 steps with the gradient by hand did.",
     lambda t: re.search(r"step 200 +m = +(\S+) +b = +(\S+)", t).groups()  # type: ignore[union-attr]
     == re.search(r"after 200 steps: m = (\S+), b = (\S+),", t).groups()),  # type: ignore[union-attr]
    ("03_linear_regression",
     "Just above the limit, each overshoot lands higher than the last.",
     lambda t: "(just above)" in t and re.search(r"\(just above\) .*\(diverges;", t) is not None
     and t.count("(goes down;") == 3),
    ("05_vanishing_and_exploding_gradients",
     "relu's are much larger than the others'",
     lambda t: number(r"^relu: .*last layer's gradient (\S+) to", t)
     > 10 * max(number(r"^tanh: .*last layer's gradient \S+ to (\S+)", t),
                number(r"^sigmoid: .*last layer's gradient \S+ to (\S+)", t))),
    ("05_vanishing_and_exploding_gradients",
     "Sigmoid gets *worse* with Xavier, by the factor printed above",
     lambda t: number(r"share is (\d+) times smaller with Xavier", t) > 10),
    ("05_vanishing_and_exploding_gradients",
     "and stop at the first number that is no longer finite (overflow).",
     lambda t: _stops_at_first_non_finite(t)),
    ("05_vanishing_and_exploding_gradients",
     "momentum and Adam reach the neighbourhood of `(1, 1)` while plain SGD is still creeping",
     lambda t: all(math.dist(_end(t, name), (1, 1)) < 0.25 for name in ("momentum 0.9", "Adam"))
     and math.dist(_end(t, "SGD, lr 0.001"), (1, 1)) > 1),
    ("06_micrograd_lecture",
     "The lecture's numbers: `x1.grad = -1.5`, `w1.grad = 1.0`, `x2.grad = 0.5`, `w2.grad = 0.0`.",
     lambda t: t.count("x1.grad -1.5") >= 2 and "w2.grad 0.0" in t),
    ("07_the_layer_equations",
     "yet it is close to rank 1: measured by its singular values, everything beyond the first is small",
     lambda t: numbers(r"relative to the largest: (.*) \.\.\.", t)[1] < 0.1
     and "rank of the batch gradient: 16" in t),
    ("07_the_layer_equations",
     "`L - 1` products for `L` layers",
     lambda t: "  3 layers:     2 products with the recursion,     3 without it" in t),
    ("08_keeping_gradients_healthy",
     "The first hidden layer's gradient is some sixteen orders of magnitude smaller",
     lambda t: -17 <= number(r"\(10\^(-?\d+) of it\)", t) <= -15),
    ("08_keeping_gradients_healthy",
     "every hidden layer's gradient is within a few tens of the last hidden layer's",
     lambda t: 10 < number(r"every hidden layer within a factor of (\d+) of the last", t) < 100),
    ("08_keeping_gradients_healthy",
     "the residual network's gradients are larger than layer norm's at most layers",
     lambda t: (lambda m: int(m[1]) > int(m[2]) / 2)(
         re.search(r"above layer norm's at (\d+) of (\d+) hidden layers", t))),
    ("08_keeping_gradients_healthy",
     "with batch norm the first hidden layer gets a *larger* gradient than the last, for every start",
     lambda t: min(numbers(r"^batch norm: hidden layer 1 / hidden layer 25 = ([^;]+);", t)) > 1),
    ("08_keeping_gradients_healthy",
     "Its first gradient has a norm of about 150",
     lambda t: 130 < number(r"size of the data's gradient ([\d.]+)", t) < 170),
    ("08_keeping_gradients_healthy",
     "at the first step the data's gradient is hundreds of times stronger than the penalty's",
     lambda t: 100 < number(r"\((\d+) times weaker\)", t) < 1000),
    ("08_keeping_gradients_healthy",
     "in its first steps the loss and the gradient still jump up, several times over",
     lambda t: (lambda loss: max(loss[:3]) > 3 * loss[0] and loss[-1] < loss[0])(
         numbers(r"max-norm 2, first steps: loss (.*?)  gradient", t))),
    ("08_keeping_gradients_healthy",
     "The plain network never leaves 50%",
     lambda t: number(r"^plain +: loss .* accuracy after training (\S+)", t) == 0.5),
    ("09_backpropagation_through_time",
     "the ten gradients are all within a factor of a few of each other",
     lambda t: number(r"\|dL/dh_t\| from \S+ to \S+: a factor of (\S+)", t) < 10),
    ("09_backpropagation_through_time",
     "shrinks by a factor of about two per step and is tens of thousands of times smaller 15 steps back",
     lambda t: 1e4 <= 1 / number(r"W_h x 0.5: .*\(ratio (\S+)\)", t) < 1e5
     and 0.4 < number(r"W_h x 0.5: .*\(ratio (\S+)\)", t) ** (1 / 15) < 0.6),
    ("09_backpropagation_through_time",
     "learns it too, but takes more than twice as many epochs",
     lambda t: (lambda m: int(m[2]) > 2 * int(m[1]))(
         re.search(r"full BPTT epoch (\d+) \| bptt_steps=6 epoch (\d+) \| bptt_steps=3 never", t))),
    ("09_backpropagation_through_time",
     "With the full gradient the network learns the task within about ten epochs.",
     lambda t: number(r"full BPTT epoch (\d+) \|", t) <= 15),
    ("10_handwritten_digits",
     "the network reads about 97 of every 100 unseen digits",
     lambda t: round(100 * number(r"test accuracy (0\.\d+)\n", t)) in (96, 97, 98)),
    ("10_handwritten_digits",
     "It ends a little below the training accuracy",
     lambda t: 0 < number(r"training accuracy (\S+), test", t)
     - number(r"test accuracy (0\.\d+)\n", t) < 0.05),
    ("11_a_gpt_from_scalars",
     "chainrule's `Value` runs it faster (the times are printed above)",
     lambda t: number(r"^autograd.Value\s*: losses .*?(\d+) ms a step", t)
     < number(r"^microgpt's Value: losses .*?(\d+) ms a step", t)),
    ("11_a_gpt_from_scalars",
     "The losses agree to within 1e-15.",
     lambda t: number(r"^largest difference: (\S+)$", t) < 1e-15),
    ("11_a_gpt_from_scalars",
     "The same loss, to the digits printed, from a graph several times smaller",
     lambda t: 3 <= number(r"nodes \((\d+) times as many\)", t) < 20),
    ("11_a_gpt_from_scalars",
     "The loss starts near `log 27`, the loss of a uniform guess, and falls quickly in the first hundred "
     "steps",
     lambda t: number(r"mean loss of the first 50 steps (\S+),", t) < math.log(27)
     and abs(number(r"this lesson's   : (\S+)", t) - math.log(27)) < 0.5),
    ("11_a_gpt_from_scalars",
     "Most of them read like names, and most are new",
     lambda t: number(r"^(\d+) of 20 are not in the data", t) > 10),
    ("11_a_gpt_from_scalars",
     "The two large shares nearly cancel, so the gradient is much smaller than either of them.",
     lambda t: (lambda mlp, straight, total: mlp * straight < 0
                and min(abs(mlp), abs(straight)) > 5 * abs(total))(
         number(r"^ +(\S+)  rmsnorm#2 → mlp$", t), number(r"^ +(\S+)  \(through no other block\)$", t),
         number(r"sum of the routes = (\S+),", t))),
    ("11_a_gpt_from_scalars",
     "With **both**, every layer gets a gradient of about the same size, and the embedding at the bottom "
     "gets more still.",
     lambda t: 1 / 3 < _deep(t, "rmsnorm and residual")[1] / _deep(t, "rmsnorm and residual")[2] < 3
     and _deep(t, "rmsnorm and residual")[3] > max(_deep(t, "rmsnorm and residual")[1:3])),
    ("11_a_gpt_from_scalars",
     "With the **residual path alone** the gradient is still the same from layer to layer, but about ten "
     "times smaller.",
     lambda t: 0.7 < _deep(t, "residual only")[1] / _deep(t, "residual only")[2] < 1.4
     and 5 < _deep(t, "rmsnorm and residual")[1] / _deep(t, "residual only")[1] < 20),
    ("11_a_gpt_from_scalars",
     "layer 1 gets less than layer 8, and the embedding less still",
     lambda t: _deep(t, "rmsnorm only")[3] < _deep(t, "rmsnorm only")[1] < _deep(t, "rmsnorm only")[2]),
    ("11_a_gpt_from_scalars",
     "the loss is `log 27` to the digits printed, every token equally likely, and every gradient is about "
     "1e-16, against 1e-2 to 1e-1 and more with either remedy",
     lambda t: _deep(t, "neither")[0] == round(math.log(27), 4) and max(_deep(t, "neither")[1:]) < 1e-14
     and min(v for label in ("rmsnorm and residual", "residual only", "rmsnorm only")
             for v in _deep(t, label)[1:]) > 1e-2),
]


def _deep(text: str, label: str) -> list[float]:
    """Lesson 11's 8-layer GPT without or with its remedies: the loss and the gradient norms of layer 1,
    layer 8 and the embedding."""
    m = re.search(rf"^{re.escape(label)} *: loss (\S+); gradient norm of layer 1 (\S+), of layer 8 (\S+), "
                  r"of the embedding wte (\S+)$", text, re.M)
    assert m, f"no gradients printed for {label}"
    return [float(v) for v in m.groups()]


def _end(text: str, name: str) -> tuple[float, float]:
    m = re.search(rf"^{re.escape(name)}.* ends at \((\S+), (\S+)\)", text, re.M)
    assert m, f"no end printed for {name}"
    return float(m[1]), float(m[2])


def _stops_at_first_non_finite(text: str) -> bool:
    rows = re.findall(r"^step \d+: loss +(\S+) +gradient size +(\S+)$", text, re.M)
    finite = [all(math.isfinite(float(v)) for v in row) for row in rows]
    return len(rows) > 1 and finite[-1] is False and all(finite[:-1])


@pytest.mark.parametrize("name, sentence, check", CLAIMS,
                         ids=[f"{c[0][:2]}-{i}" for i, c in enumerate(CLAIMS)])
def test_prose_agrees_with_output(name: str, sentence: str, check: Callable[[str], bool]) -> None:
    assert " ".join(sentence.split()) in lessons.markdown(name), f"{name} no longer says: {sentence}"
    text = lessons.text(lessons.executed(name).nb)
    assert check(text), f"{name} says {sentence!r}, its outputs do not agree"


@pytest.mark.parametrize("name", lessons.LESSONS)
def test_figures_are_readable_and_fit_a_column(name: str) -> None:
    run = lessons.executed(name)
    small = [(f.cell, text, round(px, 1)) for f in run.figures for text, px in f.texts if px < MIN_TEXT_PX]
    assert not small, f"{name}: texts under {MIN_TEXT_PX} px (cell, text, px): {small[:8]}"
    pictures = [*lessons.png_widths(run.nb), *lessons.svg_widths(run.nb)]
    wide = [(cell, px) for cell, px in pictures if px > COLUMN_PX]
    assert not wide, f"{name}: pictures wider than {COLUMN_PX} px (cell, width): {wide}"


def test_every_figure_is_measured() -> None:
    """The recorder sees the figures: a lesson with pictures gives records with texts in them."""
    run = lessons.executed("03_linear_regression")
    assert len(run.figures) == len(lessons.png_widths(run.nb)) >= 5
    assert all(f.texts and f.dpi >= 72 for f in run.figures)
    assert any("the MSE as a function of m and b" in f.words() for f in run.figures)


def test_02_gradcheck_passes_away_from_the_kink() -> None:
    from autograd import gradcheck

    name = "02_engine_tour"
    assert "`gradcheck(lambda a: a.relu(), [0.1])` passes" in lessons.markdown(name)
    assert gradcheck(lambda a: a.relu(), [0.1]) is True


def test_03_just_below_the_limit_starts_slower() -> None:
    name = "03_linear_regression"
    sentence = "Just below the limit the loss still goes down, though at first more slowly than with `0.05`"
    assert sentence in lessons.markdown(name)
    rates = lessons.cell_with(name, "LIMIT = 2 / c")
    run = lessons.run_cells(name, upto=rates, extra=(
        "print('first steps', [p[2] for p in train(0.05, 5)], [p[2] for p in train(0.95 * LIMIT, 5)])",))
    m = re.search(r"first steps \[(.*)\] \[(.*)\]", lessons.text(run.nb))
    assert m
    slow, below = ([float(v) for v in g.split(", ")] for g in m.groups())
    assert all(b > s for s, b in zip(slow[1:], below[1:]))  # higher loss at each of the first steps
    assert below[-1] < below[0]  # but going down
