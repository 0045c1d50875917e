"""``name_parameters``: Values kept in plain dicts and lists (microgpt's ``state_dict``) named in one call,
and every tool calling them by those names."""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest

import autograd
from autograd import GradcheckError, Value, explain, formula, gradcheck, name_parameters
from autograd.see.draw import draw_dot
from nn import microgpt


@pytest.fixture
def model() -> Any:
    gpt = microgpt.engine()
    model = gpt.MicroGPT(vocab_size=3, n_embd=4, n_head=2, block_size=4, seed=1)
    model.gpt = gpt
    return model


def test_every_parameter_of_microgpt_is_named_by_its_place_in_one_call(model: Any) -> None:
    named = name_parameters(model.state_dict)
    assert list(named.values()) == model.params  # every one, in microgpt's own order
    assert list(named)[:2] == ["wte[0][0]", "wte[0][1]"]
    assert named["layer0.attn_wq[3][1]"] is model.state_dict["layer0.attn_wq"][3][1]
    assert all(p.label == name for name, p in named.items())
    assert autograd.name_parameters is name_parameters


def test_nested_dicts_lists_and_tuples_and_a_given_name() -> None:
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    assert list(name_parameters({"block": {"w": [a, b]}, 0: (c,)})) == ["block.w[0]", "block.w[1]", "0[0]"]
    assert [v.label for v in (a, b, c)] == ["block.w[0]", "block.w[1]", "0[0]"]
    assert name_parameters([[a], [b]], "w") == {"w[0][0]": a, "w[1][0]": b}
    assert name_parameters({"b": b}, "model") == {"model.b": b}


def test_a_value_held_twice_keeps_its_first_name() -> None:
    w = Value(0.5)
    assert name_parameters({"wte": [w], "lm_head": [w]}) == {"wte[0]": w} and w.label == "wte[0]"
    row = [Value(1.0), Value(2.0)]
    assert list(name_parameters({"a": [row], "b": [row, Value(3.0)]})) == ["a[0][0]", "a[0][1]", "b[1]"]


def test_a_container_inside_itself_is_walked_once() -> None:
    w = Value(0.5)
    tree: dict[str, Any] = {"w": [w]}
    tree["self"] = tree
    tree["w"].append(tree["w"])
    assert name_parameters(tree) == {"w[0]": w}


@pytest.mark.parametrize("params, name, error, message", [
    ([Value(1.0)], "", ValueError, r"a list or tuple at the top needs a name .*\(weights, 'w'\)"),
    ({"w": [Value(1.0), 2.5]}, "", TypeError,
      r"w\[1\] must be a Value, or a dict, list or tuple of them, got f"),
    ({"w": {(1, 2): Value(1.0)}}, "", TypeError, r"the keys of w must be str or int .* got tuple"),
    ({"w": Value(1.0)}, 3, TypeError, "name must be a str, got int"),
    ("wte", "", TypeError, "params must be a Value, or a dict, list or tuple of them, got str"),
])
def test_bad_containers_are_refused_by_place_and_nothing_is_labelled(
    params: Any, name: Any, error: type, message: str
) -> None:
    values = [v for v in _values(params)]
    with pytest.raises(error, match=message):
        name_parameters(params, name)
    assert all(v.label == "" for v in values)


def _values(item: Any) -> list[Value]:
    if isinstance(item, Value):
        return [item]
    if isinstance(item, dict):
        return [v for x in item.values() for v in _values(x)]
    if isinstance(item, (list, tuple)):
        return [v for x in item for v in _values(x)]
    return []


def _neuron(model: Any) -> tuple[Value, Value]:
    """Output 3 of the query matrix on a small input (four products and their sum), and one weight."""
    x = [Value(v, label=f"x{i}") for i, v in enumerate((0.5, -1.0, 2.0, 0.25))]
    wq = model.state_dict["layer0.attn_wq"]
    return model.gpt._linear(x, wq)[3], wq[3][1]


TOOLS: dict[str, Callable[[Value, Value], str]] = {
    "draw_dot": lambda out, w: draw_dot(out).source,
    "draw_dot(cluster=True)": lambda out, w: draw_dot(out, cluster=True).source,
    "explain": lambda out, w: str(explain(out, w)),
    "explain as LaTeX": lambda out, w: explain(out, w)._repr_markdown_(),
    "formula": lambda out, w: formula(out).text,
    "formula as LaTeX": lambda out, w: formula(out).latex,
    "backward_steps": lambda out, w: " ".join(str(s) for s in autograd.backward_steps(out)),
}


@pytest.mark.parametrize("tool", TOOLS)
def test_every_tool_calls_a_named_parameter_by_its_name(model: Any, tool: str) -> None:
    name_parameters(model.state_dict)
    out, w = _neuron(model)
    text = TOOLS[tool](out, w)
    if "LaTeX" in tool:
        assert r"\mathrm{layer0.attn\_wq[3][1]}" in text
    else:
        assert "layer0.attn_wq[3][1]" in text
        assert "(layer0.attn_wq[3][1])" not in text  # a name, not an expression in parentheses
    if tool == "draw_dot(cluster=True)":  # row 3 is a neuron, framed in the matrix (its layer)
        assert re.search(r'label="layer0\.attn_wq\[3\]"', text)
        assert re.search(r'label="layer0\.attn_wq"', text)


def test_a_gradcheck_report_names_the_parameter(model: Any) -> None:
    name_parameters(model.state_dict)
    w = model.state_dict["lm_head"][0][2]

    def wrong_square(x: Value) -> Value:  # microgpt's way of making a node, with a wrong derivative
        return Value(x.data * x.data, (x,), (1.0,))

    with pytest.raises(GradcheckError, match=r"inputs\[0\] 'lm_head\[0\]\[2\]' \(= "):
        gradcheck(wrong_square, [w], order=1)
