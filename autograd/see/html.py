"""Graphs inside HTML: running Graphviz, the SVG it makes, and the page's theme and scripts.

What you can do with it::

    render_svg(draw_dot(L))              # SVG markup to put inside an HTML page
    render_many([g.source for g in gs], "png", dpi=110)   # many graphs, one run of ``dot``
    node_sizes([g.source])               # the size Graphviz gives each box, by node id
    f"<style>{THEME_CSS}</style>"        # the light and dark theme of every HTML view
    PLAYER_JS                            # the step-by-step player's controls

The player, the explorer and ``nn``'s live training view and demo page are built from these. The
CSS and the JavaScript are real files in ``autograd/see/assets/`` (package data), so an editor
checks them as CSS and JavaScript, and they are read once, when this module is imported.
"""

from __future__ import annotations

import json
import subprocess
from importlib import resources

import graphviz

__all__ = ["INSTALL_HINT", "DotNotFoundError", "missing_dot", "render_svg", "render_many", "node_sizes",
           "svg_markup", "asset", "THEME_CSS", "PLAYER_JS"]

INSTALL_HINT = (
    "Install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' "
    "(macOS) or 'conda install graphviz', then restart Python"
)


class DotNotFoundError(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` program is not installed, so a graph cannot be rendered."""

    _msg = (
        "Graphviz's {!r} program was not found on PATH, so the graph cannot be rendered. "
        + INSTALL_HINT
        + ". The graph's DOT text is still available as .source."
    )


def missing_dot(error: graphviz.ExecutableNotFound) -> DotNotFoundError:
    """``error`` as a :class:`DotNotFoundError`, which says how to install Graphviz."""
    return DotNotFoundError(["dot"]) if not isinstance(error, DotNotFoundError) else error


def render_svg(graph: graphviz.Digraph) -> str:
    """Render a graph with ``dot`` (or its own engine) as SVG markup to put inside an HTML page."""
    try:
        out = graph.pipe(format="svg")
    except graphviz.ExecutableNotFound as e:
        raise missing_dot(e) from None
    return svg_markup(out.decode("utf-8"))


def render_many(sources: list[str], fmt: str, dpi: float | None = None) -> list[bytes]:
    """Render many DOT graphs (their ``.source``) with one run of ``dot``: one SVG, PNG or JSON each."""
    args = ["dot", f"-T{fmt}"] + ([f"-Gdpi={dpi:g}"] if dpi else [])
    try:
        proc = subprocess.run(args, input="\n".join(sources).encode("utf-8"), capture_output=True,
                              check=False)
    except FileNotFoundError:
        raise DotNotFoundError(["dot"]) from None
    if proc.returncode != 0:
        problem = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise RuntimeError(f"Graphviz's dot failed: {problem[0] if problem else proc.returncode}")
    out = proc.stdout
    split = _split_png if fmt == "png" else _split_json if fmt.startswith("json") else _split_svg
    pieces = split(out)
    if len(pieces) != len(sources):
        raise RuntimeError(f"dot returned {len(pieces)} pictures for {len(sources)} frames")
    return pieces


def _split_svg(data: bytes) -> list[bytes]:
    text = data.decode("utf-8")
    out = []
    for chunk in text.split("<svg")[1:]:
        body = "<svg" + chunk
        out.append(body[: body.rindex("</svg>") + len("</svg>")].encode("utf-8"))
    return out


def _split_json(data: bytes) -> list[bytes]:
    text, decoder, i = data.decode("utf-8"), json.JSONDecoder(), 0
    out: list[bytes] = []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        _, end = decoder.raw_decode(text, i)
        out.append(text[i:end].encode("utf-8"))
        i = end


def _split_png(data: bytes) -> list[bytes]:
    """Cut a stream of PNG files apart at the end of each one's IEND chunk."""
    out, start = [], 0
    while start < len(data):
        end = data.index(b"IEND", start) + 8  # the chunk type, then its 4-byte CRC
        out.append(data[start:end])
        start = end
    return out


def node_sizes(sources: list[str]) -> list[dict[str, tuple[float, float]]]:
    """The size Graphviz gives each node of each graph, in inches, by node id (one ``dot`` run)."""
    out = []
    for layout in render_many(sources, "json0"):
        objects = json.loads(layout).get("objects", [])
        out.append({o["name"]: (float(o["width"]), float(o["height"])) for o in objects if "width" in o})
    return out


def svg_markup(svg: str) -> str:
    """An SVG file's text without the XML prolog, doctype and comments before ``<svg``: HTML-ready."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("svg_markup: expected SVG text containing <svg")
    return svg[start:]


def asset(name: str) -> str:
    """The text of ``autograd/see/assets/<name>``, a file installed with the package."""
    return resources.files("autograd.see").joinpath("assets", name).read_text(encoding="utf-8")


#: The CSS every HTML view of chainrule starts from (class ``cr-ui``): readable text (14 px, no
#: text under 12 px), and light and dark themes that follow JupyterLab's theme, VS Code's, or the
#: browser's ``prefers-color-scheme`` on a page of its own. Graphviz pictures inside ``.cr-graph``
#: keep their colours in the light theme and are shown inverted (hues kept) in the dark one.
THEME_CSS = asset("theme.css")

#: The player's controls: one JavaScript function, called with the player's id and milliseconds per frame.
PLAYER_JS = asset("player.js")
