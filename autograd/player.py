"""Step through the backward pass, one edge at a time, in a browser or in Jupyter.

What you can do with it::

    play(L)                      # in Jupyter: a player with Prev / Next / Play and a slider
    play(L).save('backward.html')  # the same as a standalone page

Frame 0 shows the graph after the forward pass, with the output's gradient set
to 1. Each following frame is one step of :func:`autograd.backward_steps`: the
active edge is drawn in red, the parent whose gradient just changed is filled
in yellow, and the caption writes the product the chain rule adds,
``upstream × local = contribution``.

The page is self-contained: the frames are SVG pictures made by Graphviz's
``dot`` when ``play`` is called, the controls are a few lines of JavaScript,
and nothing is fetched from the internet.
"""

from __future__ import annotations

import html
import json
import os
import uuid
from typing import Any

import graphviz

from .draw import DotNotFoundError, Highlight, draw_dot
from .engine import Value, topological_order
from .explain import Step, backward_steps
from .formula import node_names, symbolic_local, wrap_name

__all__ = ["play", "Player"]

_STYLE = """
.cr-player { font-family: Helvetica, Arial, sans-serif; font-size: 14px; max-width: 100%; }
.cr-player .cr-controls { display: flex; gap: 8px; align-items: center; margin: 6px 0; flex-wrap: wrap; }
.cr-player button { font-size: 13px; padding: 3px 10px; cursor: pointer; }
.cr-player .cr-slider { flex: 1; min-width: 120px; }
.cr-player .cr-caption { min-height: 2.6em; padding: 6px 8px; background: #f6f6f6; border-radius: 4px; }
.cr-player .cr-product { font-family: Menlo, Consolas, monospace; }
.cr-player .cr-contribution, .cr-player .cr-after { font-weight: bold; color: #b35900; }
.cr-player .cr-frame svg { max-width: 100%; height: auto; }
"""

_SCRIPT = """
(function () {
  var root = document.getElementById(%(id)s);
  if (!root) { return; }
  var frames = root.querySelectorAll('.cr-frame');
  var data = JSON.parse(root.querySelector('.cr-data').textContent);
  var slider = root.querySelector('.cr-slider');
  var playButton = root.querySelector('.cr-play');
  var k = 0, timer = null;
  function set(cls, text) { root.querySelectorAll(cls).forEach(function (e) { e.textContent = text; }); }
  function show(i) {
    k = Math.max(0, Math.min(frames.length - 1, i));
    frames.forEach(function (f, j) { f.style.display = (j === k) ? 'block' : 'none'; });
    slider.value = String(k);
    var d = data[k];
    set('.cr-counter', 'step ' + k + ' / ' + (frames.length - 1));
    root.querySelector('.cr-intro').style.display = d.step ? 'none' : 'block';
    root.querySelector('.cr-product').style.display = d.step ? 'block' : 'none';
    if (d.step) {
      ['child', 'parent', 'derivative', 'rule', 'upstream', 'local', 'contribution', 'before', 'after']
        .forEach(function (name) { set('.cr-' + name, d[name]); });
    }
    root.dataset.step = String(k);
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; playButton.textContent = 'Play'; } }
  root.querySelector('.cr-prev').addEventListener('click', function () { stop(); show(k - 1); });
  root.querySelector('.cr-next').addEventListener('click', function () { stop(); show(k + 1); });
  slider.addEventListener('input', function () { stop(); show(parseInt(slider.value, 10)); });
  playButton.addEventListener('click', function () {
    if (timer) { stop(); return; }
    if (k >= frames.length - 1) { show(0); }
    playButton.textContent = 'Pause';
    timer = setInterval(function () {
      if (k >= frames.length - 1) { stop(); } else { show(k + 1); }
    }, %(ms)d);
  });
  show(0);
})();
"""


def _num(x: float) -> str:
    return f"{x:.6g}"


class Player:
    """A backward pass as an HTML player. Jupyter displays it inline; ``save`` writes a page.

    ``steps`` holds the :class:`autograd.explain.Step` records, one per frame
    after the first; ``frames`` holds the SVG picture of each frame.
    """

    def __init__(self, output: Value, steps: list[Step], frames: list[str], captions: list[dict[str, Any]],
                 interval: float) -> None:
        self.output = output
        self.steps = steps
        self.frames = frames
        self.captions = captions
        self.interval = interval

    def __repr__(self) -> str:
        return f"<Player: {len(self.steps)} backward steps>"

    def _html(self) -> str:
        pid = "chainrule-player-" + uuid.uuid4().hex[:12]
        data = json.dumps(self.captions).replace("</", "<\\/")
        frames = "\n".join(
            f'<div class="cr-frame" data-frame="{k}" style="display:{"none" if k else "block"}">{svg}</div>'
            for k, svg in enumerate(self.frames)
        )
        first = self.captions[0]
        last = len(self.frames) - 1
        script = _SCRIPT % {"id": json.dumps(pid), "ms": max(50, int(self.interval * 1000))}
        return f"""<div class="cr-player" id="{pid}" data-step="0">
<style>{_STYLE}</style>
<div class="cr-controls">
  <button type="button" class="cr-prev">Prev</button>
  <button type="button" class="cr-next">Next</button>
  <button type="button" class="cr-play">Play</button>
  <input type="range" class="cr-slider" min="0" max="{last}" value="0" step="1" aria-label="step">
  <span class="cr-counter">step 0 / {last}</span>
</div>
<div class="cr-caption">
  <div class="cr-intro">{html.escape(first["intro"])}</div>
  <div class="cr-product" style="display:none">
    <span class="cr-child"></span> → <span class="cr-parent"></span>:
    <span class="cr-derivative"></span> = <span class="cr-rule"></span><br>
    upstream × local = contribution:
    <span class="cr-upstream"></span> × <span class="cr-local"></span> =
    <span class="cr-contribution"></span>;
    <span class="cr-parent"></span>.grad: <span class="cr-before"></span> → <span class="cr-after"></span>
  </div>
</div>
{frames}
<script type="application/json" class="cr-data">{data}</script>
<script>{script}</script>
</div>"""

    def _repr_html_(self) -> str:
        return self._html()

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the player as a standalone HTML page; returns the path written."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Player.save: path must be a str or a path, got {type(path).__name__}")
        page = (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>chainrule: backward, step by step</title>\n</head>\n<body>\n"
            + self._html()
            + "\n</body>\n</html>\n"
        )
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        return os.fspath(path)


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
    button. A graph with more than ``max_steps`` steps raises a ValueError
    (each step is a picture); ``None`` lifts the limit. Needs Graphviz's ``dot``.
    """
    if not isinstance(output, Value):
        raise TypeError(f"play: output must be a Value, got {type(output).__name__}: {output!r:.80}")
    if not isinstance(interval, (int, float)) or not interval > 0:
        raise ValueError(f"play: interval must be a positive number of seconds, got {interval!r}")
    draw_dot(output, rankdir=rankdir, color=color, max_nodes=None)  # checks the drawing options
    order = topological_order(output)
    steps = list(backward_steps(output))
    if max_steps is not None and len(steps) > max_steps:
        raise ValueError(
            f"play: the backward pass has {len(steps)} steps, more than max_steps={max_steps}; "
            "play a smaller graph, or pass max_steps=None (each step is one picture)"
        )
    names = node_names(order)
    grads: dict[Value, float] = {output: 1.0}
    frame_states = [Highlight(dict(grads), None, output)]
    captions: list[dict[str, Any]] = [{
        "step": 0,
        "intro": f"After the forward pass. Backward starts at the output: "
                 f"{names[output]}.grad = ∂{wrap_name(names[output])}/∂{wrap_name(names[output])} = 1. "
                 "Press Next.",
    }]
    rules: dict[Value, list[Any]] = {}
    for k, s in enumerate(steps, start=1):
        grads[s.parent] = s.parent_grad
        frame_states.append(Highlight(dict(grads), (s.child, s.index), s.parent))
        if s.child not in rules:
            rules[s.child] = symbolic_local(s.child, names)
        rule = rules[s.child][s.index]
        captions.append({
            "step": k,
            "child": names[s.child],
            "parent": names[s.parent],
            "derivative": f"∂{wrap_name(names[s.child])}/∂{wrap_name(names[s.parent])}",
            "rule": f"{rule.text} = {_num(s.local)}" if rule is not None else _num(s.local),
            "upstream": _num(s.upstream),
            "local": _num(s.local),
            "contribution": _num(s.contribution),
            "before": _num(s.parent_grad_before),
            "after": _num(s.parent_grad),
        })
    sources = [draw_dot(output, rankdir=rankdir, edge_labels=edge_labels, color=color, max_nodes=None,
                        highlight=f).source for f in frame_states]
    return Player(output, steps, _render_svgs(sources), captions, float(interval))


def _render_svgs(sources: list[str]) -> list[str]:
    """Render many DOT graphs with one run of ``dot`` and return one inline SVG per graph."""
    try:
        out = graphviz.pipe("dot", "svg", "\n".join(sources).encode("utf-8"))
    except graphviz.ExecutableNotFound:
        raise DotNotFoundError(["dot"]) from None
    text = out.decode("utf-8")
    svgs = []
    for chunk in text.split("<svg")[1:]:
        body = "<svg" + chunk
        svgs.append(body[: body.rindex("</svg>") + len("</svg>")])
    if len(svgs) != len(sources):
        raise RuntimeError(f"play: dot returned {len(svgs)} pictures for {len(sources)} frames")
    return svgs
