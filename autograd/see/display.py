"""How Values look in Jupyter: a small box with the label, the data and the gradient.

A Value left as the last expression of a cell shows as the box a graph draws for
it (``label | data | grad``); ``repr`` stays the plain ``Value(data=..., grad=...)``.
The colours come from the page (``currentColor``), so the box reads in light and
dark themes alike, and numbers are written as every picture writes them
(:func:`autograd.see.text.format_number`). :func:`html_table` is the small table the
``nn`` displays use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .text import html_text, shown

__all__ = ["value_html", "html_table"]

_BOX = ("display:inline-block;border:1px solid currentColor;border-radius:4px;"
        "font-family:Menlo,Consolas,monospace;font-size:13px;line-height:1.6")
_CELL = "display:inline-block;padding:1px 8px"
_RULE = "border-left:1px solid currentColor"


def value_html(v: Any) -> str:
    """The HTML box of one Value."""
    cells = [html_text(v.label)] if v.label else []
    cells += [f"data {html_text(shown(v.data))}", f"grad {html_text(shown(v.grad))}"]
    spans = "".join(f'<span style="{_CELL}{";" + _RULE if i else ""}">{c}</span>'
                    for i, c in enumerate(cells))
    return f'<span style="{_BOX}" title="{html_text(repr(v))}">{spans}</span>'


def html_table(header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """A plain HTML table, every cell escaped (the nn displays use it)."""
    th, td = "<th style='text-align:left;padding:2px 10px'>", "<td style='padding:2px 10px'>"
    head = "".join(f"{th}{html_text(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"{td}{html_text(c)}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption style='text-align:left;font-weight:bold'>{html_text(caption)}</caption>" if caption \
        else ""
    head = f"<thead><tr>{head}</tr></thead>"
    return f"<table style='border-collapse:collapse'>{cap}{head}<tbody>{body}</tbody></table>"
