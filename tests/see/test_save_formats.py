"""Every ``save`` writes the format its suffix names, or refuses: never DOT text inside a ``.png``."""

from __future__ import annotations

from pathlib import Path

import pytest

import nn
from autograd import Value, play
from autograd.see.draw import draw_dot
from tests.support.lecture import lecture_L

MUST_WORK = {False: (".png", ".svg", ".pdf"), True: (".png", ".gif", ".html")}  # graphs; the player
MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".gif": b"GIF89a", ".pdf": b"%PDF", ".svg": b"<?xml",
         ".html": b"<!DOCTYPE"}


def _pictures() -> dict[str, object]:
    L = lecture_L()[0]
    L.backward()
    return {"draw_dot": draw_dot(L), "Value.draw": L.draw(edge_labels=True),
            "model.draw": nn.MLP(2, [3, 1], seed=0).draw(), "play": play(L)}


@pytest.mark.parametrize("what", ["draw_dot", "Value.draw", "model.draw", "play"])
@pytest.mark.parametrize("suffix", [".png", ".svg", ".gif", ".pdf", ".html", ".txt", ""])
def test_save_writes_what_the_suffix_says_or_refuses(what: str, suffix: str, tmp_path: Path) -> None:
    picture = _pictures()[what]
    path = tmp_path / f"picture{suffix}"
    try:
        written = picture.save(str(path))  # type: ignore[attr-defined]
    except ValueError as e:
        assert ".png" in str(e)  # the refusal names a suffix that works
        assert list(tmp_path.iterdir()) == []  # a refused save writes nothing
        assert suffix not in MUST_WORK[what == "play"], e
        return
    assert Path(written) == path
    head = path.read_bytes()[:16]
    if suffix == ".svg":
        assert b"<svg" in path.read_bytes()[:400]
    else:
        assert head.startswith(MAGIC[suffix]), (what, suffix, head)


def test_the_dot_source_is_saved_under_its_own_suffix(tmp_path: Path) -> None:
    g = Value(2.0, label="a").draw()
    g.save(str(tmp_path / "graph.gv"))
    assert (tmp_path / "graph.gv").read_text().startswith("digraph")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        g.save(str(tmp_path / "missing" / "graph.png"))
