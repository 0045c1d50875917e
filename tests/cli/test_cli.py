"""The chainrule command line: draw, explain, demo, and what it says when the input is wrong."""

from __future__ import annotations

import html
import math
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from autograd import cli
from autograd.cli import main
from nn.see.demo import DEMO_FILES

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LECTURE = ["(a*b + c)*f", "a=2", "b=-3", "c=10", "f=-2"]


def svg_texts(path: Path) -> list[str]:
    """Every piece of text in an SVG file (parsing it as XML on the way)."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return [" ".join(e.text.split()) for e in root.iter() if e.tag.endswith("text") and e.text]


def run(argv: list[str], capsys: Any) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# --- draw ------------------------------------------------------------------------------------


def test_draw_writes_an_svg_with_edge_labels(tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "graph.svg"
    code, out, err = run(["draw", *LECTURE, "--edge-labels", "-o", str(target)], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "L = (a*b + c)*f = -8",
        "gradients: dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4",
        f"graph written to {target}",
    ]
    texts = svg_texts(target)
    # Each box shows label, data and grad; each edge its local derivative.
    boxes = ["a", "data 2", "grad 6", "L", "grad 1"]  # in the one number format of every tool
    edges = ["∂/∂a = -3", "∂/∂b = 2", "∂/∂f = 4"]
    for expected in boxes + edges:
        assert expected in texts


def test_draw_without_edge_labels_has_none(tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "plain.svg"
    assert run(["draw", *LECTURE, "-o", str(target)], capsys)[0] == 0
    assert not [t for t in svg_texts(target) if t.startswith("∂")]


def test_draw_png_by_format_and_default_name(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    values = ["x1=2", "w1=-3", "x2=0", "w2=1", "b=6.8813735870195432"]
    code, out, _ = run(["draw", "tanh(x1*w1 + x2*w2 + b)", *values, "--format", "png"], capsys)
    assert code == 0
    assert "graph written to graph.png" in out
    assert "dL/dw1 = 1" in out  # x1 * (1 - tanh^2) = 2 * 0.5
    assert (tmp_path / "graph.png").read_bytes().startswith(PNG_SIGNATURE)


def test_draw_format_from_suffix(tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "g.png"
    assert run(["draw", "x*x", "x=3", "-o", str(target)], capsys)[0] == 0
    assert target.read_bytes().startswith(PNG_SIGNATURE)


# --- explain ---------------------------------------------------------------------------------


def test_explain_prints_the_sum_over_paths(capsys: Any) -> None:
    code, out, err = run(["explain", *LECTURE, "--wrt", "a"], capsys)
    assert (code, err) == (0, "")
    assert "path 1: a → a * b → a * b + c → L" in out
    assert "sum over paths: dL/da = 6" in out
    assert "backward() gives dL/da = 6" in out


def test_explain_counts_every_use_of_a_name(capsys: Any) -> None:
    code, out, _ = run(["explain", "x*x + x", "x=3", "--wrt", "x"], capsys)
    assert code == 0
    assert "the 3 paths from x to L" in out
    assert "sum over paths: dL/dx = 7" in out  # 2x + 1 at x = 3


def test_explain_markdown(capsys: Any) -> None:
    code, out, _ = run(["explain", *LECTURE, "--wrt", "c", "--markdown"], capsys)
    assert code == 0
    assert "**Sum over paths:**" in out and "= -2$" in out


@pytest.mark.parametrize("argv", [
    ["explain", "-a*b", "a=2", "b=5", "--wrt", "a"],
    ["explain", "--wrt", "a", "-a*b", "a=2", "b=5"],
    ["explain", "--wrt", "a", "--", "-a*b", "a=2", "b=5"],
])
def test_a_formula_may_start_with_a_minus_sign(argv: list[str], capsys: Any) -> None:
    code, out, err = run(argv, capsys)
    assert (code, err) == (0, "")
    assert out.startswith("L = -a*b = -10")
    assert "sum over paths: dL/da = -5" in out


def test_formula_named_L_gets_another_output_name(capsys: Any) -> None:
    code, out, _ = run(["explain", "L*2", "L=1", "--wrt", "L"], capsys)
    assert code == 0
    assert out.startswith("out = L*2 = 2")


# --- errors ----------------------------------------------------------------------------------


USAGE_ERRORS = [
    ([], "required: COMMAND"),
    (["frob"], "invalid choice: 'frob'"),
    (["draw"], "required: formula"),
    (["draw", "a+b", "a"], "expected name=value, got 'a'"),
    (["draw", "a+b", "a=x", "b=1"], "the value of a must be a number, got 'x'"),
    (["draw", "a+b", "a=nan", "b=1"], "must be a finite number"),
    (["draw", "a+b", "a=1", "a=2", "b=1"], "a is given twice"),
    (["draw", "a+b", "1a=2", "b=1"], "'1a' is not a name"),
    (["draw", "a+b", "a=1"], "no value given for b"),
    (["draw", "a+b", "a=1", "b=2", "z=3"], "z is not in the formula (its names are a, b)"),
    (["draw", "a", "a=1", "y=2", "z=3"], "y, z are not in the formula (its names are a)"),
    (["draw", "a.real + b", "a=1", "b=1"], "attribute access (expected numbers, names"),
    (["draw", "a.real + b", "a=1", "b=1"], "'a.real' at column 1"),
    (["draw", "__import__('os')"], "'__import__' at column 1"),
    (["draw", "9**9**9"], "the exponent 9**9 = 387420489 is too large"),
    (["draw", "a +", "a=1"], "at the end (column 4)"),
    (["draw", "x", "x=1", "-o", "g.pdf"], "end it in .svg or .png, or give --format"),
    (["draw", "x", "x=1", "-o", "g.png", "--format", "svg"], "ends in .png but --format is svg"),
    (["draw", "x", "x=1", "--format", "gif"], "invalid choice: 'gif'"),
    (["explain", "a*b", "a=1", "b=2"], "say which input with --wrt NAME"),
    (["explain", "a*b", "a=1", "b=2"], "(a, b)"),
    (["explain", "a*b", "a=1", "b=2", "--wrt", "c"], "the formula has no name c (its names are a, b)"),
    (["demo", "--steps", "0"], "expected a number >= 1"),
]


@pytest.mark.parametrize(("argv", "phrase"), USAGE_ERRORS, ids=[" ".join(a) or "-" for a, _ in USAGE_ERRORS])
def test_usage_errors_are_one_line_and_exit_2(argv: list[str], phrase: str, capsys: Any) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("chainrule: error: ") and err.endswith("\n")
    assert err.count("\n") == 1, err
    assert phrase in err


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["draw", "log(a)", "a=-1"], "log: expected an input > 0, got -1.0"),
        (["draw", "a/(b-b)", "a=1", "b=2"], "'a/(b-b)' at column 1"),
        (["explain", "sqrt(a - 5) * a", "a=1", "--wrt", "a"], "sqrt: expected an input >= 0"),
        (["draw", "a**b", "a=-2", "b=2"], "backward failed: pow: the derivative of -2.0 ** b"),
    ],
)
def test_formulas_that_cannot_be_computed_exit_1(argv: list[str], phrase: str, capsys: Any) -> None:
    code, _, err = run(argv, capsys)
    assert code == 1
    assert err.count("\n") == 1 and phrase in err


def test_unwritable_output_exits_1(tmp_path: Path, capsys: Any) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = run(["draw", "x", "x=1", "-o", str(blocker / "g.svg")], capsys)
    assert code == 1
    assert err.startswith("chainrule: error: cannot write") and err.count("\n") == 1


def test_slow_graphviz_is_stopped_with_a_message(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(cli, "RENDER_TIMEOUT", 1e-4)  # no dot run finishes this fast
    code, _, err = run(["draw", *LECTURE, "-o", str(tmp_path / "g.svg")], capsys)
    assert code == 1
    assert "gave up after 0.0001 s" in err and err.count("\n") == 1
    assert not (tmp_path / "g.svg").exists()


def test_missing_graphviz_names_the_program(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot on PATH
    code, _, err = run(["draw", *LECTURE, "-o", str(tmp_path / "g.svg")], capsys)
    assert code == 1
    assert "dot program was not found" in err and "Install Graphviz" in err and err.count("\n") == 1


def test_help_exits_0(capsys: Any) -> None:
    code, out, _ = run(["draw", "--help"], capsys)
    assert code == 0
    assert "--edge-labels" in out and "name=value" in out


# --- the installed command and python -m -------------------------------------------------------


def _console_script() -> str:
    found = shutil.which("chainrule") or shutil.which("chainrule", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("the chainrule console script is not installed; run `pip install -e .`")
    return found


def test_installed_console_script_draws(tmp_path: Path) -> None:
    proc = subprocess.run(
        [_console_script(), "draw", *LECTURE, "--edge-labels", "-o", "out.svg"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "graph written to out.svg" in proc.stdout
    assert "∂/∂a = -3" in svg_texts(tmp_path / "out.svg")


def test_installed_console_script_refuses_code_without_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [_console_script(), "draw", "__import__('os').system('touch pwned')"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "not allowed" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "autograd.cli", "explain", "x*y", "x=3", "y=4", "--wrt", "y"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "sum over paths: dL/dy = 3" in proc.stdout


# --- demo ------------------------------------------------------------------------------------


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


@pytest.mark.slow
def test_demo_writes_its_valid_files(tmp_path: Path, capsys: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    out_dir = tmp_path / "demo"
    code, out, err = run(["demo", "--out", str(out_dir), "--no-progress"], capsys)
    assert code == 0, err
    assert "final accuracy: 100% on the 100 training points after 100 steps" in out
    for name in DEMO_FILES:
        assert f"-> {out_dir / name}" in out
        assert (out_dir / name).stat().st_size > 0

    for name in ("decision_boundary.png", "loss.png"):
        assert (out_dir / name).read_bytes().startswith(PNG_SIGNATURE)

    texts = svg_texts(out_dir / "neuron_graph.svg")
    assert {"x1", "x2", "w.0", "w.1", "b", "z"} <= set(texts)
    assert any(re.fullmatch(r"layers\.0\.neurons\.\d+", t) for t in texts)  # the output names the neuron
    assert any(t.startswith("grad ") for t in texts) and any(t.startswith("data ") for t in texts)
    edge_labels = [t for t in texts if t.startswith("∂/∂")]
    assert len(edge_labels) >= 7  # w.0, x1, w.1, x2 into the products; two sums; z into relu

    page = (out_dir / "backward_player.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert 'class="cr-ui cr-player"' in page and "Next &#9654;<" in page and "&#9664; Prev<" in page
    assert page.count('class="cr-frame"') >= 8  # the first frame plus one per backward edge
    assert "<svg" in page and "http://" not in page.replace("http://www.w3.org", "")

    from PIL import Image

    with Image.open(out_dir / "backward.gif") as gif:  # the same steps, for slides
        assert gif.format == "GIF" and gif.info["loop"] == 0
        assert gif.n_frames == page.count('class="cr-frame"')
        width, height = gif.size  # a slide: landscape, at most 1280 px wide, its text 12 px or more
        assert 4 / 3 - 0.01 <= width / height <= 16 / 9 + 0.01 and 1000 < width <= 1282, gif.size
    for name in ("neuron_graph.svg", "network.svg"):  # readable at 1280x720: text >= 12 px, and in width
        svg = (out_dir / name).read_text(encoding="utf-8")
        assert min(float(f) for f in re.findall(r'font-size="([\d.]+)"', svg)) * 4 / 3 >= 12, name
        assert float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1)) * 4 / 3 <= 1280, name  # type: ignore
    network = svg_texts(out_dir / "network.svg")
    assert {"layers.0 · relu", "layers.1 · relu", "layers.2 · linear", "16 neurons", "x1"} <= set(network)
    assert [str(i) for i in range(16)] == [t for t in network if t.isdigit()][:16]  # neurons in order

    md = (out_dir / "chain_rule.md").read_text(encoding="utf-8")
    routes = re.findall(r"^\d+\. `(.*)`$", md, re.M)
    assert len(routes) == 16 and all(" → z → " in r and "y·score" in r for r in routes)
    assert not re.search(r"\bv\d+\b", md)  # every node on the paths has a name (z as in neuron_graph.svg)
    assert md.startswith("# The chain rule for one weight")
    total = re.search(r"\*\*Sum over paths:\*\* \$.*= (\S+)\$", md)
    weight = r"layers\.0\.neurons\.\d+\.w\.0"
    grad = re.search(rf"After `loss.backward\(\)`, `({weight})\.grad` = (\S+): the same", md)
    assert total is not None and grad is not None
    assert _number(total.group(1)) == pytest.approx(_number(grad.group(2)), rel=1e-5)
    assert _number(grad.group(2)) != 0.0  # the demo picks a point whose gradient reaches the weight
    # network.svg's tooltips hold the gradients of that same loss, and the picture says so
    svg = (out_dir / "network.svg").read_text(encoding="utf-8")
    tip = re.search(rf'title="{re.escape(grad.group(1))} = \S+, grad (\S+)"', svg)
    assert tip is not None and _number(html.unescape(tip.group(1))) == _number(grad.group(2))
    assert "the gradient of the loss on the point x = (" in " ".join(network)
    products = [_number(p) for p in re.findall(r"- product: \$.* = (\S+)\$", md)]
    assert len(products) == 16  # through the weight's neuron, then each of the 16 next-layer neurons
    # each number is written with 4 significant digits (format_number), so the sum agrees to about that
    assert math.fsum(products) == pytest.approx(_number(total.group(1)), rel=2e-3, abs=1e-6)


# --- what a newcomer types first: each mistake gets the sentence that fixes it -----------------


@pytest.mark.parametrize(
    ("argv", "phrases"),
    [
        (["explain", "e**x", "x=1", "--wrt", "x"], ["no value given for e", "write exp(x) for e**x"]),
        (["explain", "e**x", "x=1"], ["no value given for e", "write exp(x) for e**x"]),  # as first typed
        (["explain", "2a+1", "a=1"], ["write 2*a", "'2a' at column 1"]),
        (["draw", "e**y + x", "x=1"], ["write exp(x) for e**x", "(add y=1, say)"]),
        (["draw", "sin(pi*x)", "x=1"], ["no value given for pi", "3.141592653589793"]),
        (["explain", "2a + 1", "a=1", "--wrt", "a"], ["write 2*a", "'2a' at column 1"]),
        (["explain", "3*x + 1.5y", "x=1", "y=2", "--wrt", "x"], ["write 1.5*y"]),
    ],
)
def test_first_mistakes_say_what_to_write(argv: list[str], phrases: list[str], tmp_path: Path,
                                          capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv, capsys)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    for phrase in phrases:
        assert phrase in err
    assert "add e=1" not in err and "add pi=1" not in err  # never advice against the hint before it
    assert list(tmp_path.iterdir()) == []  # refused: nothing written


def test_explain_of_a_formula_of_one_name_needs_no_wrt(capsys: Any) -> None:
    code, out, err = run(["explain", "sqrt(x) * x", "x=4"], capsys)
    assert code == 0, err
    assert "sum over paths: dL/dx = 3" in out  # d(x**1.5)/dx = 1.5 * sqrt(4)


def test_a_number_in_python_syntax_is_not_taken_for_a_product(capsys: Any) -> None:
    code, out, _ = run(["explain", "1e-3*x + 2j*0 + x", "x=1", "--wrt", "x"], capsys)
    assert code == 2  # 2j is complex, refused as before, and not read as "2*j"
    assert run(["explain", "1e-3*x", "x=1", "--wrt", "x"], capsys)[0] == 0


def test_an_infinite_slope_is_named(capsys: Any) -> None:
    code, out, err = run(["explain", "sqrt(x)", "x=0", "--wrt", "x"], capsys)
    assert code == 1 and err.count("\n") == 1
    assert "the slope of sqrt at 0 is infinite" in err and "division by zero" not in err


def test_output_into_a_missing_folder_is_refused(tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "no" / "such" / "g.svg"
    code, _, err = run(["draw", *LECTURE, "-o", str(target)], capsys)
    assert code == 1 and err.count("\n") == 1
    assert "does not exist" in err and "mkdir -p" in err
    assert list(tmp_path.iterdir()) == []  # no folder made
