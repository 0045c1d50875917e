"""Hostile labels, through every output a label reaches: nothing breaks, nothing is injected.

One table of labels (markup, comments, quotes, backslashes, braces, a NUL, line breaks, escape
sequences...) is put into one graph, and every writer of that graph is checked:

* the DOT source of ``draw_dot`` (plain, with edge labels, with clusters, collapsed) is accepted
  by Graphviz's ``dot``, and the SVG it makes is well-formed XML whose texts are the labels;
* the player's HTML page parses to the elements the player writes and no others, its only
  comments are Graphviz's node ids, and its JSON gives the labels back;
* ``explain``'s Markdown renders (code spans and math kept apart, as Jupyter does) to the elements
  it writes, with each label whole in its code span, and its LaTeX is balanced;
* ``formula``'s LaTeX is balanced, its text holds each label;
* the nn displays' HTML and a Value's box hold the labels as text, and nothing else.

A label is shown as :func:`autograd.see.text.printable` writes it: control characters as their
visible symbols (a NUL as ␀), everything else as it is.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest

import nn
from autograd import Value, explain, formula, play
from autograd.see.display import value_html
from autograd.see.draw import draw_dot
from autograd.see.text import printable
from nn.see.display import history_html, module_html
from nn.train import History

HOSTILE = [
    "<!--<script>", "</script><script>alert(1)</script>", "<b>bold</b>", "<i>", "-->", "]]>", "<![CDATA[",
    "a\\", "\\", "\\\\", "a\\l", "\\N", 'say "hi"', 'q\\"', "'", "{a|b}", "{", "}", "|",
    "a&amp;b", "&lt;", "&#60;", "$x$", "$", "%#&_{}~^", "`c`", "``", "*a*_b_", "[x](javascript:1)",
    "a\x00b", "a\nb", "a\n\nb", "x\r\ny", "\t", "\x7f\x1b[31m", "\u202eR", "é∂→", "\\begin{x}", "\\left(",
]

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


def hostile_graph() -> tuple[Value, list[Value]]:
    """A product of leaves, each leaf and each partial product labelled with a hostile label."""
    leaves = [Value(float(i % 7) + 1.0, label=lab) for i, lab in enumerate(HOSTILE)]
    out = leaves[0]
    for i, leaf in enumerate(leaves[1:], start=1):
        out = out * leaf
        out.label = HOSTILE[-i] + "!"
    return out, leaves


def shown(label: str) -> str:
    return printable(label)


# -- DOT and SVG --------------------------------------------------------------------------


def svg_texts(svg: bytes) -> str:
    """Every text of an SVG (parsed as XML, so it must be well formed), with no script inside."""
    root = ET.fromstring(svg)
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert not tags & {"script", "foreignObject", "iframe", "b", "i"}, tags
    return "\n".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("}text"))


def run_dot(source: str) -> bytes:
    proc = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return proc.stdout


def module_graph() -> Value:
    """The labels as module names (``<label>.neurons.0.w.0``), for the clusters and collapsed boxes."""
    total = Value(0.0)
    for i, lab in enumerate(HOSTILE):
        w, b = Value(0.5, label=f"{lab}.neurons.{i}.w.0"), Value(0.1, label=f"{lab}.neurons.{i}.b")
        out = (w * 2.0 + b).tanh()
        out.label = f"{lab}.neurons.{i}"
        total = total + out
    return total


@needs_dot
@pytest.mark.parametrize("options", [{}, {"edge_labels": True}, {"color": "grad"}], ids=str)
def test_dot_accepts_every_label_and_the_svg_shows_each(options: dict[str, Any]) -> None:
    out, _ = hostile_graph()
    out.backward()
    texts = svg_texts(run_dot(draw_dot(out, max_nodes=None, **options).source))
    for lab in HOSTILE:
        if lab.strip():
            assert shown(lab) in texts, lab


@needs_dot
@pytest.mark.parametrize("options", [{"cluster": True}, {"collapse": "neuron"},
                                     {"cluster": True, "collapse": "neuron"}], ids=str)
def test_cluster_titles_and_collapsed_boxes_are_escaped(options: dict[str, Any]) -> None:
    source = draw_dot(module_graph(), max_nodes=None, **options).source
    assert "\x00" not in source
    texts = svg_texts(run_dot(source))
    for lab in HOSTILE:
        if lab.strip():
            assert shown(lab) in texts, lab  # as a cluster's title, or a collapsed neuron's name


# -- the player's page ----------------------------------------------------------------------


class _Page(HTMLParser):
    """The elements, comments and script texts of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.comments: list[str] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def parsed(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    p.close()
    return p


PLAYER_TAGS = {"html", "head", "meta", "title", "style", "body", "div", "button", "input", "span", "br",
               "script", "svg", "g", "polygon", "path", "ellipse", "text", "polyline"}


@needs_dot
def test_the_player_page_holds_the_labels_as_text_and_data_only() -> None:
    out, _ = hostile_graph()
    out = out * 0.0  # every gradient is 0: three steps, so few frames, and every box still drawn
    out.label = HOSTILE[0]
    page = play(out, max_steps=None)._html(standalone=True)
    p = parsed(page)
    assert set(p.tags) <= PLAYER_TAGS, set(p.tags) - PLAYER_TAGS
    assert p.tags.count("script") == 2  # the data and the player's code, nothing else
    for comment in p.comments:  # Graphviz's own: a node's or an edge's id
        assert re.fullmatch(r"\s*(n\d+(op)?(&#45;&gt;n\d+(op)?)?|chainrule)\s*", comment), comment
    data, code = p.scripts
    assert "<" not in data
    # The parser ends a script's text at the first "</script", as a browser does, so its texts
    # cannot show one: look at the raw page. It closes exactly the two scripts it opens, and
    # neither script's raw text holds what would end it early or change how it ends.
    assert len(re.findall(r"<script\b", page, flags=re.I)) == 2
    assert len(re.findall(r"</script", page, flags=re.I)) == 2
    raw = re.findall(r"<script\b[^>]*>(.*?)</script>", page, flags=re.S | re.I)
    assert raw == [data, code]
    for text in raw:
        assert "<!--" not in text and "<script" not in text.lower() and "</script" not in text.lower()
    captions = json.loads(data)
    assert shown(HOSTILE[0]) in captions[0]["intro"]
    text = "".join(p.text)  # the parser has turned &amp; and the like back into characters
    for lab in HOSTILE:
        if lab.strip():
            assert shown(lab) in text, lab  # each label is drawn, as text, in the frames


# -- explain: Markdown and LaTeX ------------------------------------------------------------


def split_markdown(md: str) -> tuple[str, list[str], list[str]]:
    """The Markdown with each code span and math part replaced by a placeholder (as Jupyter protects
    them before rendering), and the code spans and math parts themselves."""
    codes: list[str] = []
    maths: list[str] = []
    out, i = [], 0
    while i < len(md):
        if md[i] == "`":
            run = re.match(r"`+", md[i:]).group(0)  # type: ignore[union-attr]
            close = re.compile(r"(?<!`)" + run + r"(?!`)").search(md, i + len(run))
            assert close is not None, f"an unclosed code span at {md[i:i + 40]!r}"
            codes.append(md[i + len(run): close.start()])
            out.append(f"CODE{len(codes) - 1}X")
            i = close.end()
        elif md[i] == "$":
            fence = "$$" if md.startswith("$$", i) else "$"
            j = i + len(fence)
            while not (md.startswith(fence, j) and md[j - 1] != "\\"):
                j += 1
                assert j < len(md), f"unclosed math at {md[i:i + 40]!r}"
            maths.append(md[i + len(fence): j])
            out.append(f"MATH{len(maths) - 1}X")
            i = j + len(fence)
        else:
            out.append(md[i])
            i += 1
    return "".join(out), codes, maths


def balanced(latex: str) -> bool:
    """Braces and \\left/\\right pairs balanced, and no backslash left dangling at the end."""
    depth = 0
    i = 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            i += 2  # a command's first character, or an escaped brace
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
        i += 1
    lefts, rights = len(re.findall(r"\\left\b", latex)), len(re.findall(r"\\right\b", latex))
    ends_cleanly = not re.search(r"(?<!\\)(\\\\)*\\$", latex)
    return depth == 0 and lefts == rights and ends_cleanly


def test_explain_markdown_renders_each_label_in_its_code_span_and_balanced_math() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    out, leaves = hostile_graph()
    e = explain(out, leaves[0])
    md = e._repr_markdown_()
    text, codes, maths = split_markdown(md)
    for math in maths:
        assert balanced(math), math
    assert balanced(e._repr_latex_().strip("$"))
    rendered = markdown_it.MarkdownIt("commonmark").render(text)
    p = parsed(rendered)
    assert set(p.tags) <= {"p", "ol", "ul", "li", "strong"}, set(p.tags)
    assert not p.comments
    route = codes[2]  # path 1 route, after "from <wrt>" and "to <output>"
    for lab in HOSTILE:
        assert shown(lab) in route or shown(lab) + "!" in route, lab
    for code in codes:
        assert "\n" not in code


def test_explain_text_shows_each_label_as_printable() -> None:
    out, leaves = hostile_graph()
    text = str(explain(out, leaves[0]))
    assert "\x00" not in text and "\x1b" not in text
    for lab in HOSTILE:
        assert shown(lab) in text


# -- formula --------------------------------------------------------------------------------


def test_formula_latex_is_balanced_and_its_text_holds_each_label() -> None:
    out, _ = hostile_graph()
    f = formula(out, max_chars=None)
    assert balanced(f.latex), f.latex
    for lab in HOSTILE:
        assert shown(lab) in f.text
    for lab in HOSTILE:  # and each label on its own, as a leaf, a result, and a hand-made op
        v = Value(1.0, label=lab)
        for node in (v, (v * 2).tanh(), Value(1.0, (v,), lab)):
            written = formula(node)
            assert balanced(written.latex), (lab, written.latex)
            assert "\x00" not in written.text + written.latex


# -- the nn displays ------------------------------------------------------------------------


class _Hostile(nn.Module):
    def __init__(self, label: str) -> None:
        self.label = label
        self.p = Value(1.0, label=label)
        self.part = nn.Neuron(1, seed=0)

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(self.label, self.p)]

    def __repr__(self) -> str:
        return self.label


DISPLAY_TAGS = {"table", "caption", "thead", "tbody", "tr", "th", "td", "div", "span", "svg", "polyline"}


@pytest.mark.parametrize("label", HOSTILE, ids=repr)
def test_the_nn_displays_and_a_values_box_hold_the_label_as_text(label: str) -> None:
    history = History([label])
    history.loss, history.metrics[label] = [1.0, 0.5], [0.5, 0.75]
    model = _Hostile(label)
    boxes = {
        "module": module_html(model),
        "parameters": model.parameter_table()._repr_html_(),
        "history": history_html(history),
        "value": value_html(Value(1.0, label=label)),
    }
    for name, page in boxes.items():
        p = parsed(page)
        assert set(p.tags) <= DISPLAY_TAGS, (name, set(p.tags))
        assert not p.comments and not p.scripts, name
        if label.strip():
            assert shown(label) in "".join(p.text), name


# -- one file escapes: autograd/see/text.py -------------------------------------------------

#: What escaping looks like in code: each escaper in autograd/see/text.py does one of these.
ESCAPING = [r"html\.escape\(", r"&amp;", r"&lt;", r"\\u003c", r"\\mathrm\{\{", r"\\backslash",
            r"\.translate\(", r'"\\\\l"', r"fence = "]
#: The one other place: a tool's table (tools import only the core, so cannot reach see/text.py);
#: its cells are the names compare_torch itself gives (``value``, ``d/dx``), never a user's label.
ESCAPES_ELSEWHERE = {"autograd/tools/compare.py": [r"html\.escape\("]}


def test_every_escaper_of_the_library_lives_in_text_py() -> None:
    """The tests above check what the escapers do; this one checks there is no other escaper to check."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = []
    for path in sorted([*(root / "autograd").rglob("*.py"), *(root / "nn").rglob("*.py")]):
        rel = path.relative_to(root).as_posix()
        if rel == "autograd/see/text.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in ESCAPING:
            if re.search(pattern, text) and pattern not in ESCAPES_ELSEWHERE.get(rel, []):
                found.append(f"{rel}: {pattern}")
    assert not found, "escaping outside autograd/see/text.py (move it there):\n" + "\n".join(found)
    text_py = (root / "autograd" / "see" / "text.py").read_text(encoding="utf-8")
    assert all(re.search(p, text_py) for p in ESCAPING)  # the patterns are real: text.py has each
