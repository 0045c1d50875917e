"""Numbers and text as every picture writes them: the one number format, and every escaper.

What you can do with it::

    format_number(-0.88137)        # '-0.8814': boxes, edge labels, explain, the player, the CLI
    format_factor(-0.5)            # '(-0.5)': a factor of a product
    printable("a\\nb")              # 'a␊b': a label's control characters shown, never obeyed
    latex_name("x1")               # 'x_{1}'; a label in a formula, escaped for LaTeX
    html_text("<b>")               # '&lt;b&gt;'; also dot_text, dot_record_text, dot_string,
                                   # code_span (Markdown), tex_text (LaTeX's \\text), json_for_html
    as_blocks(BLOCK_VIEW)          # the way every tool names to see a very big graph

Why one file: a label goes into DOT, SVG, HTML, JSON inside a ``<script>``, LaTeX and Markdown, and
each of them has its own characters that break it or do something; every writer of a label takes
its escaper from here, so the escaping tests (``tests/see/test_escaping.py``) audit this file, and
a number reads the same in every picture and text. (Exact numbers, for op labels and error
messages, are the core's :func:`autograd.core.ops.exact_number`.)
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

from ..core.engine import Value

__all__ = [
    "SIGNIFICANT_DIGITS", "format_number", "format_factor", "shown", "printable", "latex_name", "tex_text",
    "code_span", "dot_text", "dot_record_text", "dot_string", "html_text", "json_for_html", "BIG_GRAPH",
    "BLOCK_VIEW", "BY_BLOCK", "as_blocks",
]

#: Nodes above which a graph is too big to read node by node (one document's loss in microgpt's GPT
#: has about 60,000): the tools that refuse it, or write only its start, name :func:`as_blocks`.
BIG_GRAPH = 2000
#: The calls those messages name: the graph drawn block by block, and a weight's gradient by block.
BLOCK_VIEW, BY_BLOCK = "draw_dot(loss, view='blocks')", "explain(loss, w, by='block')"


def as_blocks(call: str) -> str:
    """The way to see a graph of more than :data:`BIG_GRAPH` nodes, for a tool's message: record where
    each node was made, then look at the graph block by block with ``call``."""
    return f"record blocks with `with autograd.track_blocks(): ...`, then `{call}`"

#: The significant digits every tool shows a number with (see :func:`format_number`).
SIGNIFICANT_DIGITS = 4


def format_number(x: Any) -> str:
    """A number as every picture and text of chainrule writes it: 4 significant digits.

    ``6.0`` is ``6``, ``-0.88137`` is ``-0.8814``, ``12346.0`` is ``1.235e4``, ``-0.0`` is
    ``0``; ``nan``, ``inf`` and ``-inf`` stay as they are. A Value is written as its
    ``data``. Boxes, edge labels, ``explain``, ``backward_steps``, the player, the explorer
    and the command line all call this one function, so one number reads the same everywhere.
    """
    if x.__class__ is not float:
        x = x.data if isinstance(x, Value) else x
        if isinstance(x, (str, bytes)) or not hasattr(x, "__float__"):  # NumPy scalars have __float__
            raise TypeError(f"format_number: expected a number or a Value, got {type(x).__name__}: {x!r:.40}")
    f = float(x)
    if f != f:
        return "nan"
    if f in (math.inf, -math.inf):
        return "inf" if f > 0 else "-inf"
    text = f"{f:.{SIGNIFICANT_DIGITS}g}"
    if "e" in text:  # 1.235e+04 as 1.235e4, 1e-05 as 1e-5
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return "0" if text == "-0" else text


def format_factor(x: Any) -> str:
    """A number as a factor of a product, as :func:`format_number` writes it, negatives in
    parentheses: ``1 × (-0.5)``, never ``1 × -0.5``."""
    s = format_number(x)
    return f"({s})" if s.startswith("-") else s


def shown(x: Any) -> str:
    """A number as :func:`format_number` writes it; anything else (a gradient set to None) as its
    repr, since a display shows what is there rather than failing."""
    try:
        return format_number(x)
    except TypeError:
        return f"{x!r:.40}"


# --- labels: control characters shown, then each format's own escaping ---------------------

# The Control Pictures block: a visible stand-in for each control character (U+2400 is NUL's).
_PICTURES = {**{i: 0x2400 + i for i in range(32)}, 127: 0x2421}


def printable(text: str) -> str:
    """``text`` with every control character (NUL, a line break, ESC, DEL...) shown as its Control
    Picture (``␀``, ``␊``, ``␛``, ``␡``). Why: a label is drawn in one line of a box, written into
    DOT, SVG, LaTeX and Markdown, and printed to a terminal; in each of them a control character
    either vanishes, breaks the format (a NUL ends DOT's string, a blank line ends a Markdown
    block) or does something (ESC), so every escaper below starts from what ``printable`` gives."""
    return text.translate(_PICTURES) if not text.isprintable() else text


_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
    "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
}


def latex_name(label: str) -> str:
    """A label as LaTeX: ``x1`` becomes ``x_{1}``, ``alpha`` becomes ``\\alpha``, longer names upright."""
    m = re.fullmatch(r"([A-Za-z]|[A-Za-z]+(?=_))_?(\d+)", label)
    if m:
        return f"{latex_name(m.group(1))}_{{{m.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", label):
        return label
    if label in _GREEK:
        return "\\" + label
    # Every character with a meaning in LaTeX, Markdown or HTML is written as a LaTeX command, so a
    # label (say ``<!--<script>``) can neither break the formula nor the page that shows it.
    special = {"\\": r"\backslash{}", "<": r"\lt{}", ">": r"\gt{}", "~": r"\~{}", "^": r"\^{}",
               "`": r"\text{`}"}
    escaped = "".join(special.get(ch, "\\" + ch if ch in "_#$%&{}" else ch) for ch in printable(label))
    return f"\\mathrm{{{escaped}}}"


def tex_text(s: str) -> str:
    """Text for ``\\text{...}``: LaTeX's special characters escaped or dropped, ``<`` and ``>`` as math."""
    special = {"\\": "", "{": "", "}": "", "_": "\\_", "&": "\\&", "%": "\\%", "#": "\\#", "$": "\\$",
               "<": "$\\lt$", ">": "$\\gt$", "→": "$\\to$", "^": "", "~": ""}
    return "".join(special.get(ch, ch) for ch in printable(s))


def code_span(text: str) -> str:
    """``text`` as a Markdown code span, whatever it holds: its fence is longer than any run of
    backticks inside, and Markdown shows a code span's ``<`` and ``&`` as they are."""
    text = printable(text)  # a line break (two, a blank line) would end the span, and its paragraph
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def dot_text(text: str) -> str:
    """Text for a Graphviz label, shown as it is: Graphviz reads ``&amp;`` as ``&`` and ``\\n`` as a line
    break, and the graphviz package takes ``<...>`` for an HTML label, so ``&``, ``<``, ``>`` and ``\\``
    are escaped (the package quotes the rest), and control characters, which DOT cannot hold (a NUL
    ends its text) or SVG drops, are shown as symbols (:func:`printable`)."""
    return printable(text).replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;") \
        .replace(">", "&gt;")


def dot_record_text(text: str) -> str:
    """Text for one field of a Graphviz record (``shape=record``), where ``{ } | < >`` and ``"`` are
    the record's own syntax and so are escaped with a backslash as well."""
    out = printable(text).replace("&", "&amp;")
    for ch in "\\{}|<>\"":
        out = out.replace(ch, "\\" + ch)
    return out


def dot_string(text: str) -> str:
    """``text`` as a quoted DOT string, each line left-justified (``\\l``)."""
    lines = (dot_text(line).replace('"', '\\"') for line in text.splitlines())  # line breaks kept as such
    return '"' + "".join(line + "\\l" for line in lines) + '"'


def html_text(x: Any) -> str:
    """``str(x)`` as HTML text (and attribute values): escaped, and control characters shown."""
    return html.escape(printable(str(x)))


def json_for_html(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element, whatever the labels hold (``<!--``, ``</script>``)."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
