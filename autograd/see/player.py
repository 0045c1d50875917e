"""Step through the backward pass, one edge at a time, in a browser, in Jupyter or on a slide.

What you can do with it::

    play(L)                          # in Jupyter: a player with Prev / Next / Play and a slider
    play(L).save('backward.html')    # the same as a standalone page
    play(L).save('backward.gif')     # the steps as an animation for slides (.png: an APNG)
    play(L).save_frames('frames')    # one PNG per step: frames/step_000.png, ...

Frame 0 shows the graph after the forward pass, with the output's gradient set
to 1. Each following frame is one step of :func:`autograd.backward_steps`: the
active edge is highlighted, the parent whose gradient just changed is filled,
and the caption writes the product the chain rule adds, ``upstream × local =
contribution``: ``dL/dd × ∂d/∂e = (-2) × 1 = -2``. As in :func:`autograd.explain`,
a total derivative of the output (what ``.grad`` holds) is written with d and an
edge's local derivative with ∂ (:func:`autograd.see.names.total_symbol`,
:func:`~autograd.see.names.local_symbol`). Nodes are called by the names drawn
in their boxes, and numbers are written as in every other picture
(:func:`autograd.see.text.format_number`).

An animation is a slide: landscape, at most 1280 px wide when its text can stay
12 px or more, with the caption above a wide graph and beside a tall one.

The graph is shown at its natural size (text 13 px and more), in a scrolling
view with zoom in, zoom out, fit and 100% buttons; the left and right arrow
keys step, ``+``, ``-`` and ``0`` zoom. It follows JupyterLab's light or dark
theme (or the browser's, on a page of its own). All frames share one layout,
so nothing moves but the highlight and the numbers.

The page is self-contained: the frames are SVG pictures made by Graphviz's
``dot`` when ``play`` is called, the controls are a few lines of JavaScript,
and nothing is fetched from the internet. The GIF and APNG need Pillow, which
comes with matplotlib (``pip install "chainrule[plot]"``).
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import uuid
from pathlib import Path
from typing import Any

from ..core.checks import count, flag, real
from ..core.engine import Value
from ..core.extras import MissingExtraError
from ..core.walk import graph_order
from . import palette
from .draw import Highlight, check_style, draw_dot
from .explain import Step, backward_steps
from .html import PLAYER_JS, THEME_CSS, node_sizes, render_many, svg_markup
from .names import grad_name, local_symbol, node_id, node_names, symbolic_local, total_symbol
from .text import (
    BIG_GRAPH,
    BLOCK_VIEW,
    as_blocks,
    dot_string,
    format_factor,
    format_number,
    html_text,
    json_for_html,
)

__all__ = ["play", "Player"]

_STYLE = """
.cr-player { max-width: 100%; padding: 4px 2px; }
.cr-player .cr-controls { display: flex; gap: 8px; align-items: center; margin: 6px 0; flex-wrap: wrap; }
.cr-player .cr-slider { flex: 1; min-width: 140px; accent-color: var(--cr-accent); }
.cr-player .cr-counter, .cr-player .cr-zoom-level { font-variant-numeric: tabular-nums; }
.cr-player .cr-zoom { display: inline-flex; gap: 4px; align-items: center; }
.cr-player .cr-zoom-level { min-width: 3.2em; text-align: center; }
.cr-player .cr-caption { min-height: 3em; padding: 6px 10px; margin-bottom: 6px; background: var(--cr-panel);
  border-radius: 6px; font-size: 15px; }
.cr-player .cr-product { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 14px; }
.cr-player .cr-contribution, .cr-player .cr-after { font-weight: bold; color: var(--cr-accent); }
.cr-player .cr-help { font-size: 12px; color: var(--cr-muted); margin-top: 4px; }
"""

READABLE_PX = 12.0  # the least size of text in every picture, in CSS pixels

_PILLOW_HINT = 'Pillow, which comes with matplotlib: pip install "chainrule[plot]"'


class Player:
    """A backward pass as an HTML player. Jupyter displays it inline; ``save`` writes a page or an animation.

    ``steps`` holds the :class:`autograd.see.explain.Step` records, one per frame
    after the first; ``frames`` holds the SVG picture of each frame, ``sources``
    its DOT text and ``captions`` what the caption says (``caption_text(k)`` as
    plain text).
    """

    def __init__(self, output: Value, steps: list[Step], frames: list[str], captions: list[dict[str, Any]],
                 interval: float, sources: list[str] | None = None) -> None:
        self.output = output
        self.steps = steps
        self.frames = frames
        self.captions = captions
        self.interval = interval
        self.sources = sources or []

    def __repr__(self) -> str:
        return f"<Player: {len(self.steps)} backward steps>"

    def caption_text(self, k: int) -> str:
        """What frame ``k``'s caption says, as lines of plain text (the animations write it).

        The output's gradients are total derivatives, written with d (``dL/dc``); an edge's local
        derivative is written with ∂ (``∂c/∂a``), as :func:`autograd.explain` writes them."""
        c = self.captions[k]
        head = f"step {k} / {len(self.frames) - 1}"
        if not c["step"]:
            return (f"{head}: after the forward pass,\nbackward starts at the output:\n"
                    f"{c['grad']}\n  = {c['upstream_symbol']} = 1")
        return (f"{head}: {c['child']} → {c['parent']}\n"
                f"local:  {c['derivative']} = {c['rule']}\n"
                f"upstream × local = contribution:\n"
                f"    {c['upstream_symbol']}\n"
                f"  × {c['derivative']}\n"
                f"  = {c['upstream']} × {c['local']} = {c['contribution']}\n"
                f"{c['grad']}: {c['before']} → {c['after']}")

    def _html(self, standalone: bool = False) -> str:
        pid = "chainrule-player-" + uuid.uuid4().hex[:12]
        frames = "\n".join(
            f'<div class="cr-frame" data-frame="{k}" style="display:{"none" if k else "block"}">{svg}</div>'
            for k, svg in enumerate(self.frames)
        )
        first = self.captions[0]
        last = len(self.frames) - 1
        script = (f"{PLAYER_JS}({json.dumps(pid)}, {max(50, int(self.interval * 1000))}, "
                  f"{json.dumps(palette.HIGHLIGHT_FILL)}, {self.readable_zoom():.4f});")
        alone = "true" if standalone else "false"
        return f"""<div class="cr-ui cr-player" id="{pid}" data-step="0" data-standalone="{alone}"
 tabindex="0" role="group" aria-label="backward pass, step by step">
<style>{THEME_CSS}{_STYLE}</style>
<div class="cr-controls">
  <button type="button" class="cr-prev" title="previous step (left arrow)">&#9664; Prev</button>
  <button type="button" class="cr-next" title="next step (right arrow)">Next &#9654;</button>
  <button type="button" class="cr-play">Play</button>
  <input type="range" class="cr-slider" min="0" max="{last}" value="0" step="1" aria-label="step">
  <span class="cr-counter">step 0 / {last}</span>
  <span class="cr-zoom" role="group" aria-label="zoom">
    <button type="button" class="cr-zoom-out" title="zoom out (-)">&#8722;</button>
    <span class="cr-zoom-level">100%</span>
    <button type="button" class="cr-zoom-in" title="zoom in (+)">+</button>
    <button type="button" class="cr-zoom-fit" title="fit the graph into the view">Fit</button>
    <button type="button" class="cr-zoom-reset" title="natural size (0)">1:1</button>
  </span>
</div>
<div class="cr-caption">
  <div class="cr-intro">{html_text(first["intro"])}</div>
  <div class="cr-product" style="display:none">
    <span class="cr-child"></span> → <span class="cr-parent"></span>:
    <span class="cr-derivative"></span> = <span class="cr-rule"></span><br>
    upstream × local = contribution:
    <span class="cr-upstream_symbol"></span> × <span class="cr-derivative"></span> =
    <span class="cr-upstream"></span> × <span class="cr-local"></span> =
    <span class="cr-contribution"></span>;
    <span class="cr-grad"></span>: <span class="cr-before"></span> → <span class="cr-after"></span>
  </div>
</div>
<div class="cr-graph">
{frames}
</div>
<div class="cr-help">&#8592; &#8594; step &#183; + &#8722; zoom &#183; 0 natural size &#183;
 scroll to pan</div>
<script type="application/json" class="cr-data">{json_for_html(self.captions)}</script>
<script>{script}</script>
</div>"""

    def _repr_html_(self) -> str:
        return self._html()

    def readable_zoom(self) -> float:
        """The least zoom at which the frames' smallest text is 12 px: Fit never zooms out further.

        Graphviz writes font sizes in points, and a page shows a point as 4/3 of a CSS pixel.
        """
        return READABLE_PX / (_least_pt(self) * 4 / 3)


    def slide_dpi(self) -> float:
        """The dpi ``save`` and ``save_frames`` draw animations at unless told: 110, or less so that a frame
        is at most 1280 px wide (a slide), but never so little that the smallest text is under 12 px."""
        graph, captions = self._slide_sizes()  # in points: one point is one pixel at 72 dpi
        (width, _), _, _ = _arrange(graph, captions, 12, _beside(graph, captions))
        readable = READABLE_PX * 72 / _least_pt(self)
        return max(readable, min(MAX_DPI, SLIDE_PX * 72 / width))

    def _slide_sizes(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The size of a frame's graph (all share one layout) and of its largest caption, in points."""
        svgs = render_many([_for_slides(self.sources[0]), *self._caption_sources()], "svg")
        sizes = [tuple(round(float(n)) for n in re.findall(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"',
                                                           svg.decode("utf-8"))[0]) for svg in svgs]
        return (sizes[0][0], sizes[0][1]), (max(w for w, _ in sizes[1:]), max(h for _, h in sizes[1:]))

    def _caption_sources(self) -> list[str]:
        return [
            "digraph caption {\n\tnode [shape=plaintext fontname=Helvetica "
            f"fontsize={CAPTION_PT:g} margin=0]\n\tc [label={dot_string(self.caption_text(k))}]\n}}"
            for k in range(len(self.frames))
        ]

    def save(self, path: str | os.PathLike[str], *, dpi: float | None = None) -> str:
        """Write the player to ``path``; returns the path written. The suffix says what to write:

        * ``.html`` (or ``.htm``): the player as a standalone page;
        * ``.gif``: the steps as an animated GIF, one frame per step with its caption, for slides;
        * ``.png``: the same as an animated PNG (APNG; viewers without APNG show the first frame).

        An animation is landscape, like a slide (white margins widen it to 4:3 at least): its
        caption stands above a wide graph and beside a tall one. ``dpi`` sets the size of its pictures; by
        default :meth:`slide_dpi` (110, a box's text about 17 px tall, or less to keep a frame within
        1280 px of width, never with text under 12 px).
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Player.save: path must be a str or a path, got {type(path).__name__}")
        suffix = Path(path).suffix.lower()
        if suffix not in (".html", ".htm", ".gif", ".png"):
            raise ValueError(f"Player.save: path must end in .html, .gif or .png (an APNG), "
                             f"got {os.fspath(path)!r}")
        if dpi is not None:
            _check_dpi("Player.save", dpi)
        _check_target("Player.save", path)
        if suffix in (".html", ".htm"):
            page = (
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"color-scheme\" content=\"light dark\">\n"
                "<title>chainrule: backward, step by step</title>\n"
                "<style>body { margin: 16px; background: Canvas; color: CanvasText; }</style>\n"
                "</head>\n<body>\n"
                + self._html(standalone=True)
                + "\n</body>\n</html>\n"
            )
            with open(path, "w", encoding="utf-8") as f:
                f.write(page)
            return os.fspath(path)
        images = self._images(dpi, "Player.save")
        durations = [max(50, int(self.interval * 1000))] * len(images)
        durations[-1] *= 3  # the last frame, the finished backward pass, stays up a little longer
        first, rest = images[0], images[1:]
        if suffix == ".gif":
            frames = [im.convert("P", palette=_adaptive(), colors=255) for im in images]
            frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0,
                           disposal=1, optimize=False)
        else:
            first.save(path, format="PNG", save_all=True, append_images=rest, duration=durations, loop=0)
        return os.fspath(path)

    def save_frames(self, folder: str | os.PathLike[str], *, dpi: float | None = None) -> list[str]:
        """Write each frame as a PNG picture with its caption, ``step_000.png``... into ``folder``
        (made if needed); returns the paths, in order."""
        if not isinstance(folder, (str, os.PathLike)):
            raise TypeError(f"Player.save_frames: folder must be a str or a path, "
                            f"got {type(folder).__name__}")
        if dpi is not None:
            _check_dpi("Player.save_frames", dpi)
        images = self._images(dpi, "Player.save_frames")
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for k, im in enumerate(images):
            target = out / f"step_{k:03d}.png"
            _check_target("Player.save_frames", target)
            im.save(target, format="PNG")
            paths.append(os.fspath(target))
        return paths

    def _images(self, dpi: float | None, where: str) -> list[Any]:
        """Every frame as a Pillow image of a slide's shape: its caption above or beside its graph."""
        try:
            from PIL import Image
        except ImportError:
            raise MissingExtraError(f"{where}: writing pictures needs {_PILLOW_HINT}", name="PIL") from None
        if len(self.sources) != len(self.frames):
            raise ValueError(f"{where}: this player has no DOT text for its frames; make it with play()")
        if dpi is None:
            dpi = self.slide_dpi()
        graphs = [_for_slides(src) for src in self.sources]
        pictures = render_many(graphs + self._caption_sources(), "png", dpi)
        loaded = [Image.open(io.BytesIO(p)).convert("RGB") for p in pictures]
        pics, caps = loaded[: len(graphs)], loaded[len(graphs):]
        graph = (max(im.width for im in pics), max(im.height for im in pics))
        caption = (max(im.width for im in caps), max(im.height for im in caps))
        size, cap_at, graph_at = _arrange(graph, caption, round(dpi / 6), _beside(graph, caption))
        images = []
        for pic, cap in zip(pics, caps):
            canvas = Image.new("RGB", size, "white")
            canvas.paste(cap, cap_at)
            canvas.paste(pic, graph_at)
            images.append(canvas)
        return images


#: An animation's frames: no wider than a slide shown at this many pixels (unless text would be
#: under 12 px), at most this many dpi; the caption goes beside or above the graph, whichever
#: makes the frame nearer the shapes of slides (width / height, from 4:3 to 16:9).
SLIDE_PX = 1280
MAX_DPI = 110.0
SLIDE_SHAPES = (4 / 3, 16 / 9)
CAPTION_PT = 14.0  # the captions' font size in an animation, in points


def _least_pt(player: Player) -> float:
    """The smallest font size of a player's frames and captions, in points."""
    sizes = [float(f) for frame in player.frames for f in re.findall(r'font-size="([\d.]+)"', frame)]
    return min([*sizes, CAPTION_PT])


def _beside(graph: tuple[int, int], caption: tuple[int, int]) -> bool:
    """Whether the caption goes beside the graph (a tall graph) rather than above it (a wide one):
    whichever makes the frame's shape nearer a slide's, before margins are added."""
    def off(width: int, height: int) -> float:  # how far a shape is from the slide shapes, in log ratio
        ratio = width / height
        low, high = SLIDE_SHAPES
        return max(math.log(low / ratio), math.log(ratio / high), 0.0)
    above = off(max(graph[0], caption[0]), graph[1] + caption[1])
    beside = off(graph[0] + caption[0], max(graph[1], caption[1]))
    return beside < above


def _arrange(graph: tuple[int, int], caption: tuple[int, int], pad: int,
             beside: bool) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """The frame's size, and where its caption and its graph go (in one unit: points or pixels).

    The caption and the graph sit side by side or one above the other, with ``pad`` around and
    between them; white margins then widen a frame narrower than 4:3, so that no frame is taller
    than a slide's shape. (A frame wider than 16:9 is left so: margins would only add bytes.)"""
    (gw, gh), (cw, ch) = graph, caption
    if beside:
        width, height = cw + gw + 3 * pad, max(ch, gh) + 2 * pad
        cap, pic = (pad, pad), (cw + 2 * pad, pad)
    else:
        width, height = max(cw, gw) + 2 * pad, ch + gh + 3 * pad
        cap, pic = (pad, pad), (pad, ch + 2 * pad)
    full_w = max(width, math.ceil(height * SLIDE_SHAPES[0]))
    dx = (full_w - width) // 2
    return (full_w, height), (cap[0] + dx, cap[1]), (pic[0] + dx, pic[1])


def _adaptive() -> Any:
    from PIL import Image

    return Image.Palette.ADAPTIVE


def _check_target(where: str, path: Any) -> None:
    """A picture or a page is written into a regular file (or a new one): never into a FIFO, where
    ``open`` would wait for a reader for ever, nor over a device or a directory."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise ValueError(f"{where}: {os.fspath(path)!r} exists and is not a regular file (a directory, a "
                         "FIFO or a device); expected the name of a file to write")


def _check_dpi(where: str, dpi: Any) -> None:
    real(where, "dpi", dpi, low=20.0, high=600.0)


def _for_slides(source: str) -> str:
    """A frame's DOT text for an animation: a white background (the HTML frames leave the page's
    showing), and ranks closer together than the page's (a slide is short; the edge labels, which
    take a rank of their own, keep the boxes apart)."""
    return source.rstrip().removesuffix("}") + "\tbgcolor=white ranksep=0.25\n}\n"


def play(
    output: Value,
    *,
    edge_labels: bool = True,
    color: str | None = None,
    rankdir: str = "LR",
    interval: float = 1.0,
    max_steps: int | None = 300,
) -> Player:
    """A player that steps through ``output``'s backward pass, one edge per frame.

    Each frame is drawn as :func:`autograd.draw_dot` would draw the graph
    (``edge_labels``, ``color`` and ``rankdir`` mean the same), with the
    gradients as they stand after that step: the same numbers as
    :func:`autograd.backward_steps`, which starts from zeroed gradients and
    changes no ``.grad``. ``interval`` is the seconds per frame of the Play
    button (and of the animations ``save`` writes). A graph with more than
    ``max_steps`` steps raises a ValueError (each step is a picture); ``None``
    lifts the limit. Needs Graphviz's ``dot``.
    """
    if not isinstance(output, Value):
        raise TypeError(f"play: output must be a Value, got {type(output).__name__}: {output!r:.80}")
    interval = real("play", "interval", interval, low=0.0, low_open=True)
    if max_steps is not None:
        max_steps = count("play", "max_steps", max_steps, or_none=True)
    check_style("draw_dot", rankdir, color)  # the options play passes on to draw_dot, checked as it does
    flag("draw_dot", edge_labels=edge_labels)
    order = graph_order(output, "play")
    steps = list(backward_steps(output))
    if max_steps is not None and len(steps) > max_steps:
        raise ValueError(
            f"play: the backward pass has {len(steps)} steps, more than max_steps={max_steps}; "
            "play a smaller graph (one neuron's output, or one softmax of a model), or pass max_steps=None "
            "(each step is one picture)"
            + (f"; to see a graph this big, {as_blocks(BLOCK_VIEW)}"
               if len(order) > BIG_GRAPH else "")
        )
    names = node_names(order)
    grads: dict[Value, float] = {output: 1.0}
    frame_states = [Highlight(dict(grads), None, output)]
    out_name = names[output]
    captions: list[dict[str, Any]] = [{
        "step": 0,
        "intro": f"After the forward pass. Backward starts at the output: {grad_name(out_name)} = "
                 f"{total_symbol(out_name, out_name)} = 1. Press Next (or the right arrow key).",
        "grad": grad_name(out_name),
        "upstream_symbol": total_symbol(out_name, out_name),
    }]
    rules: dict[Value, list[Any]] = {}
    for k, s in enumerate(steps, start=1):
        grads[s.parent] = s.parent_grad
        frame_states.append(Highlight(dict(grads), (s.child, s.index), s.parent))
        if s.child not in rules:
            rules[s.child] = symbolic_local(s.child, names)
        rule, local = rules[s.child][s.index], format_number(s.local)
        captions.append({
            "step": k,
            "child": s.child_name,
            "parent": s.parent_name,
            "derivative": local_symbol(s.child_name, s.parent_name),
            "upstream_symbol": total_symbol(out_name, s.child_name),
            "rule": local if rule is None or rule.text == local else f"{rule.text} = {local}",
            "upstream": format_factor(s.upstream),
            "local": format_factor(s.local),
            "contribution": format_number(s.contribution),
            "grad": grad_name(s.parent_name),
            "before": format_number(s.parent_grad_before),
            "after": format_number(s.parent_grad),
        })

    def sources() -> list[str]:
        out = []
        for f in frame_states:
            g = draw_dot(output, rankdir=rankdir, edge_labels=edge_labels, color=color, max_nodes=None,
                         highlight=f)
            g.attr(bgcolor="transparent")
            out.append(g.source)
        return out

    # Every frame's boxes are made as large as their largest, so that all frames share one layout.
    sizes: dict[Value, tuple[float, float]] = {}
    for layout in node_sizes(sources()):
        for i, v in enumerate(order):
            w, h = layout.get(node_id(i), (0.0, 0.0))
            old = sizes.get(v, (0.0, 0.0))
            sizes[v] = (max(old[0], w), max(old[1], h))
    for f in frame_states:
        f.sizes = sizes
    final = sources()
    svgs = [svg_markup(s.decode("utf-8")) for s in render_many(final, "svg")]
    return Player(output, steps, svgs, captions, float(interval), final)
