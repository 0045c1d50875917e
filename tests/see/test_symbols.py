"""One convention for the two derivatives in every text: an edge's local derivative with ∂ (``∂M/∂b``),
the output's total derivative, all paths summed, with d (``dM/db``), as ``explain`` writes them.

``explain``, the step-by-step records of ``backward_steps`` and the player (its HTML captions and
the animations' captions) all take the two symbols from :mod:`autograd.see.names`; these tests read
what each of them writes and check that ∂ only ever joins the two ends of an edge and d only ever
has the output on top, so a total written with ∂ (the player's old ``∂L/∂L = 1``) fails here.
"""

from __future__ import annotations

import json
import re

import pytest

from autograd import Value, backward_steps, explain, play, topological_order
from autograd.see.names import local_latex, local_symbol, node_names, total_latex, total_symbol


def shared_b() -> tuple[Value, Value]:
    """``M = a*b + b``: the edge M → b has ∂M/∂b = 1, while dM/db = a + 1 = 3."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    p = a * b
    p.label = "p"
    M = p + b
    M.label = "M"
    return M, b


def texts(M: Value, b: Value) -> dict[str, str]:
    player = play(M)
    ex = explain(M, b)
    return {
        "explain": str(ex),
        "explain per node": str(explain(M, b, max_paths=0)),
        "backward_steps": "\n".join(str(s) for s in backward_steps(M)),
        "player captions": "\n".join(player.caption_text(k) for k in range(len(player.frames))),
        "player page": json.dumps(player.captions, ensure_ascii=False),
    }


def edges(M: Value) -> set[tuple[str, str]]:
    names = node_names(topological_order(M))
    return {(names[v], names[p]) for v in names for p in v._prev}


@pytest.mark.parametrize("where", ["explain", "explain per node", "backward_steps", "player captions",
                                   "player page"])
def test_partial_joins_an_edge_and_d_has_the_output_on_top(where: str) -> None:
    M, b = shared_b()
    text = texts(M, b)[where]
    local = re.findall(r"∂(\w+)/∂(\w+)", text)
    total = re.findall(r"(?<![\w∂])d(\w+)/d(\w+)", text)
    assert local and total, text  # both kinds are written
    general = {("c", "v")}  # the per-node form's rule, dM/dv = sum over children c of dM/dc × ∂c/∂v
    assert set(local) <= edges(M) | general, text  # ∂: one edge's derivative, from its child to its parent
    assert {top for top, _ in total} == {"M"}, text  # d: the output's total derivative


def test_the_same_pair_is_written_alike_by_every_tool() -> None:
    M, b = shared_b()
    every = texts(M, b)
    for text in every.values():
        assert local_symbol("M", "b") in text  # the edge M → b: ∂M/∂b = 1
    assert "dM/db = 3" in every["explain"]  # the total: 1 + a
    assert "dM/dM = 1" in every["player captions"] and "dM/dM" in every["backward_steps"]
    assert "∂M/∂M" not in "".join(every.values())


def test_latex_writes_the_two_symbols_apart() -> None:
    M, b = shared_b()
    md = explain(M, b)._repr_markdown_()
    assert local_latex("M", "b") in md and total_latex("M", "b") in md
    assert set(re.findall(r"\\frac\{\\partial (\w+)\}\{\\partial (\w+)\}", md)) <= edges(M)
    assert {top for top in re.findall(r"\\frac\{d (\w+)\}", md)} == {"M"}


def test_the_symbols_wrap_a_formula_name() -> None:
    assert local_symbol("f", "a * b") == "∂f/∂(a * b)" and total_symbol("L", "x1") == "dL/dx1"
