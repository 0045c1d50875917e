"""autograd.explore without a browser: the numbers and the picture follow the sliders, and bad input is
refused with a clear message (tests/see/test_explore_browser.py works the same widgets in JupyterLab)."""

from __future__ import annotations

import re
import sys

import pytest

import autograd
from autograd import Value
from autograd.see.explorer import Explorer, explore
from autograd.see.text import format_number


def lecture(a: Value, b: Value, c: Value, f: Value) -> Value:
    return (a * b + c) * f


def svg_texts(svg: str) -> list[str]:
    return [t.replace("&#45;", "-").strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_each_change_reruns_forward_and_backward_and_redraws() -> None:
    ex = explore(lecture, a=2.0, b=-3.0, c=10.0, f=-2.0)
    assert isinstance(ex, Explorer) and ex.output is not None
    assert (ex.output.label, ex.output.data) == ("lecture", -8.0)  # named after the function
    assert ex.grads == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    assert {"data 2", "grad 6", "∂/∂a = -3", "lecture"} <= set(svg_texts(ex.svg))
    ex.set(a=3.0, f=0.5)
    assert ex.values == {"a": 3.0, "b": -3.0, "c": 10.0, "f": 0.5}
    assert ex.output.data == (3.0 * -3.0 + 10.0) * 0.5
    assert ex.grads == {"a": -1.5, "b": 1.5, "c": 0.5, "f": 1.0}
    drawn = svg_texts(ex.svg)
    assert {"data 3", "grad -1.5", "∂/∂b = 3", "∂/∂f = 1"} <= set(drawn)
    view = ex.view.value
    assert f"lecture = <b>{format_number(0.5)}</b>" in view and "∂lecture/∂a = <b>-1.5</b>" in view
    assert "<script" not in view  # plain HTML: it works in any notebook, trusted or not


def test_a_value_fn_uses_from_outside_keeps_its_grad_and_shows_this_settings_gradient() -> None:
    w = Value(3.0, label="w")  # a model's weight: used by fn, not one of its inputs
    ex = explore(lambda x: x * w * x, x=2.0)
    for x in (1.0, -0.5, 1.0):  # the same setting again after two moves: the same numbers
        ex.set(x=x)
        assert ex.grads == {"x": 2 * 3.0 * x} and w.grad == 0.0
    assert {"w", "data 3", "grad 1"} <= set(svg_texts(ex.svg))  # dout/dw = x * x = 1, not 1 + 0.25 + 1


def test_sliders_ranges_and_steps() -> None:
    ex = explore(lambda x, w: x * w, x=2.0, w=(0.5, -1.0, 1.0, 0.05))
    x, w = ex.sliders["x"], ex.sliders["w"]
    assert (x.min, x.max, x.step, x.readout_format) == (-5.0, 5.0, 0.1, ".1f")
    assert (w.min, w.max, w.step, w.readout_format) == (-1.0, 1.0, 0.05, ".2f")
    assert explore(lambda x: x, x=-7.5).sliders["x"].min == -15.0  # wide enough for a larger value
    assert ex.output is not None and ex.output.label == "out"  # a lambda's output is called out
    w.value = -0.25  # what dragging does
    assert ex.output.data == -0.5 and ex.grads == {"x": -0.25, "w": 2.0}


def test_an_error_at_some_setting_is_shown_and_the_last_picture_kept() -> None:
    ex = explore(lambda x: x.log(), x=(1.0, -1.0, 2.0))
    good = ex.svg
    ex.set(x=-0.5)
    assert ex.error.startswith("ValueError: log: expected an input > 0, got -0.5")
    assert ex.svg == good and "cr-stale" in ex.view.value and "cr-error" in ex.view.value
    ex.set(x=2.0)
    assert ex.error == "" and ex.output is not None and ex.output.data == pytest.approx(0.6931, abs=1e-4)


def test_boxes_and_labels_never_shrink_so_the_layout_stays_put() -> None:
    ex = explore(lambda a, b: a * b, a=(2.0, -5000.0, 5000.0), b=3.0)

    def corners() -> list[float]:
        boxes = re.findall(r"<title>n\d+</title>\s*<polygon [^>]*points=\"([^\"]+)\"", ex.svg)
        return [float(n) for points in boxes for xy in points.split()[:3] for n in xy.split(",")]

    ex.set(a=-4321.5)
    wide = corners()
    ex.set(a=1.0)  # shorter numbers everywhere: the boxes and the edge labels keep their room
    assert corners() == pytest.approx(wide, abs=3)  # within a minus sign's width of where they were
    assert "∂/∂b = 1\u2007\u2007\u2007\u2007 " in ex.svg  # padded with figure spaces to -4322's length


def test_bad_input_is_refused_with_what_was_expected() -> None:
    with pytest.raises(TypeError, match="explore: fn must be a function"):
        explore(3, a=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="give at least one input"):
        explore(lambda: Value(1.0))
    with pytest.raises(ValueError, match=r"input a must be a finite number or a tuple \(value, low, high\)"):
        explore(lambda a: a, a=(5.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="input a must be"):
        explore(lambda a: a, a=float("nan"))
    with pytest.raises(TypeError, match=r"fn takes \(a, b\) but the inputs given are a, c"):
        explore(lambda a, b: a * b, a=1.0, c=2.0)
    with pytest.raises(TypeError, match="fn must return a Value, got float"):
        explore(lambda a: 2.0, a=1.0)
    with pytest.raises(ValueError, match="color must be None or 'grad'"):
        explore(lecture, a=1.0, b=1.0, c=1.0, f=1.0, color="red")
    ex = explore(lambda a: a * a, a=1.0)
    with pytest.raises(ValueError, match=r"Explorer.set: a must be a number from -5 to 5, got 9"):
        ex.set(a=9.0)
    with pytest.raises(ValueError, match="no input named 'b'; the inputs are a"):
        ex.set(a=2.0, b=1.0)
    assert ex.values == {"a": 1.0}  # a refused call changes nothing


def test_labels_are_escaped_in_the_view() -> None:
    def evil(a: Value) -> Value:
        out = a * 2.0
        out.label = "<img src=x onerror=alert(1)>"
        return out

    view = explore(evil, a=1.0).view.value
    assert "<img" not in view and "&lt;img src=x onerror=alert(1)&gt;" in view


def test_control_characters_in_labels_are_shown_in_the_view_as_elsewhere() -> None:
    def named(a: Value) -> Value:
        out = a * 2.0
        out.label = "L\x00\n\x1b"
        return out

    view = explore(named, a=1.0).view.value
    assert "L␀␊␛" in view and not any(ch in view for ch in "\x00\x1b")


def test_missing_ipywidgets_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ModuleNotFoundError, match=r'pip install "chainrule\[notebook\]"'):
        explore(lambda a: a * a, a=1.0)


def test_autograd_explore_is_the_function_after_its_module_is_imported() -> None:
    from autograd.see import explorer  # the module has its own name: nothing shadows the function

    assert autograd.explore is explorer.explore
    assert autograd.explore(lambda a: a * a, a=3.0).grads == {"a": 6.0}
    assert "explore" in autograd.__all__


def test_jupyter_gets_the_widget_and_a_static_picture_for_viewers_without_widgets() -> None:
    ex = explore(lecture, a=2.0, b=-3.0, c=10.0, f=-2.0)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"] == ex.view.value and "lecture = <b>-8</b>" in bundle["text/html"]
    assert bundle["text/plain"] == "<Explorer: lecture(a=2, b=-3, c=10, f=-2)>"
