"""Explore a function live in Jupyter: a slider per input, the graph redrawn at every change; and
zoom into the blocks of a big graph.

What you can do with it::

    from autograd import explore
    explore(lambda a, b, c, f: (a * b + c) * f, a=2.0, b=-3.0, c=10.0, f=-2.0)
    explore(lambda x, w, b: (w * x + b).tanh(), x=(0.5, -2, 2), w=1.0, b=(0.0, -1, 1, 0.05))
    explore_blocks(loss)     # a graph built inside track_blocks(): its blocks, a menu to open each

Each input gets a slider. Every time one moves, the function runs again on
fresh Values labelled with the inputs' names, ``backward()`` fills every
gradient, and the graph is drawn again (as :func:`autograd.draw_dot` draws it,
with ``edge_labels=True`` and ``color='grad'``): each box shows its value and
its gradient, each edge its local derivative. Above it, a line gives the output
and its gradient with respect to every input, in the same number format as the
picture (:func:`autograd.see.text.format_number`). An input is a number (the
slider spans -5..5, or wider for a larger number, in steps of 0.1) or a tuple
``(value, low, high)`` or ``(value, low, high, step)``.

An error at some setting of the sliders (``log`` of a negative number) is
written above the last good picture, in place of the numbers; move the slider
back and the picture returns. The boxes never shrink while you explore, so the
layout stays put as the numbers change. Needs ipywidgets and Graphviz's ``dot``
(``pip install "chainrule[notebook]"``).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from typing import Any

from ..core.engine import Value, topological_order
from ..core.extras import need
from ..core.walk import local_numbers
from .blocks import SEP, block_view, draw_view
from .draw import Graph, Highlight, check_style, draw_dot, natural_order
from .html import THEME_CSS, node_sizes, render_many, render_svg, svg_markup
from .names import node_id, wrap_name
from .text import format_number, html_text

__all__ = ["explore", "Explorer", "explore_blocks", "BlockExplorer"]

_STYLE = """
.cr-explore .cr-summary { padding: 6px 10px; margin: 4px 0 6px; background: var(--cr-panel);
  border-radius: 6px; font-size: 15px; }
.cr-explore .cr-summary b { font-variant-numeric: tabular-nums; }
.cr-explore .cr-summary .cr-sep { color: var(--cr-muted); padding: 0 6px; }
.cr-explore .cr-stale svg { opacity: 0.45; }
"""


def _widgets() -> Any:
    return need("ipywidgets", "explore")


def _spec(name: str, given: Any) -> tuple[float, float, float, float]:
    """An input's (value, low, high, step), from a number or a tuple; a clear error otherwise."""
    def real(x: Any) -> bool:
        return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(float(x))

    if real(given):
        v = float(given)
        m = float(max(5, math.ceil(2 * abs(v))))
        return v, -m, m, 0.1
    if isinstance(given, tuple) and len(given) in (3, 4) and all(real(x) for x in given):
        v, lo, hi = (float(x) for x in given[:3])
        step = float(given[3]) if len(given) == 4 else 0.1
        if lo < hi and lo <= v <= hi and step > 0:
            return v, lo, hi, step
    raise ValueError(f"explore: input {name} must be a finite number or a tuple (value, low, high) or "
                     f"(value, low, high, step) with low <= value <= high and step > 0, got {given!r:.80}")


def _decimals(step: float) -> int:
    """How many decimals a slider moving in ``step`` needs to show its value exactly (at most 6)."""
    for k in range(7):
        if abs(round(step, k) - step) < 1e-12:
            return k
    return 6


class Explorer:
    """The live view :func:`explore` returns; Jupyter shows ``widget``.

    ``sliders`` maps each input's name to its slider; ``values``, ``output`` (the
    last output Value), ``grads`` (name -> d output / d input), ``svg`` (the last
    picture) and ``error`` (the message of a failed setting, or ``''``) describe
    what is drawn. ``set(a=3.0)`` moves sliders from code, as dragging them does.
    """

    def __init__(self, fn: Callable[..., Any], specs: dict[str, tuple[float, float, float, float]], *,
                 color: str | None, rankdir: str) -> None:
        w = _widgets()
        self.fn, self.color, self.rankdir = fn, color, rankdir
        name = getattr(fn, "__name__", "")
        self.output_name = name if name.isidentifier() and name not in specs else "out"
        self.values: dict[str, float] = {n: s[0] for n, s in specs.items()}
        self.output: Value | None = None
        self.grads: dict[str, float] = {}
        self.svg = ""
        self.error = ""
        self._sizes: dict[int, tuple[float, float]] = {}
        self._digits: dict[tuple[int, int], int] = {}
        self._update()  # the first run: a bad function or input raises here, before anything is shown
        self.sliders = {
            n: w.FloatSlider(value=v, min=lo, max=hi, step=step, description=n, continuous_update=True,
                             readout_format=f".{_decimals(step)}f", style={"description_width": "initial"},
                             layout=w.Layout(width="min(520px, 100%)"))
            for n, (v, lo, hi, step) in specs.items()
        }
        self.view = w.HTML(value=self._html(), layout=w.Layout(width="100%"))
        for slider in self.sliders.values():
            slider.observe(self._moved, names="value")
        self.widget = w.VBox([*self.sliders.values(), self.view])
        self.widget.add_class("cr-explorer")

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={format_number(v)}" for n, v in self.values.items())
        return f"<Explorer: {self.output_name}({shown})>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget, and the picture as plain HTML for viewers that cannot run widgets (GitHub)."""
        data = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        data.update({"text/html": self._html(), "text/plain": repr(self)})
        return data

    def set(self, **values: float) -> None:
        """Move sliders to new values (each must lie in its slider's range); the view follows."""
        for n, v in values.items():
            if n not in self.sliders:
                raise ValueError(f"Explorer.set: no input named {n!r}; the inputs are "
                                 f"{', '.join(self.sliders)}")
            s = self.sliders[n]
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not s.min <= float(v) <= s.max:
                raise ValueError(f"Explorer.set: {n} must be a number from {format_number(s.min)} to "
                                 f"{format_number(s.max)}, got {v!r:.40}")
        for n, v in values.items():
            self.sliders[n].value = float(v)

    def _moved(self, change: Any) -> None:
        self.values = {n: float(s.value) for n, s in self.sliders.items()}
        try:
            self._update()
        except Exception as e:  # any error (a KeyError too): a slider has nowhere to raise to, so say it here
            self.error = f"{type(e).__name__}: {e}"
        self.view.value = self._html()

    def _update(self) -> None:
        """Run the function on the sliders' values, backward, and draw: the view's numbers and picture."""
        leaves = {n: Value(v, label=n) for n, v in self.values.items()}
        out = self.fn(**leaves)
        if not isinstance(out, Value):
            raise TypeError(f"explore: fn must return a Value, got {type(out).__name__}: {out!r:.60}")
        if not out.label:
            out.label = self.output_name
        out.backward()
        order = topological_order(out)
        # Boxes never shrink while exploring, so the layout moves only when a number needs more room.
        index = {v: i for i, v in enumerate(order)}
        for v in order:  # the longest number each edge has shown: its label keeps that room
            for k, d in enumerate(local_numbers(v) if v._prev else ()):
                key = (index[v], k)
                self._digits[key] = max(self._digits.get(key, 0), len(format_number(d)))
        frame = Highlight(grads={v: float(v.grad) for v in order}, active=None, changed=None,
                          sizes={v: self._sizes[i] for i, v in enumerate(order) if i in self._sizes},
                          digits={(v, k): self._digits[(i, k)] for i, v in enumerate(order)
                                  for k in range(len(v._prev)) if (i, k) in self._digits})
        graph = draw_dot(out, edge_labels=True, color=self.color, rankdir=self.rankdir, highlight=frame)
        graph.attr(bgcolor="transparent")
        (svg,) = render_many([graph.source], "svg")
        (sizes,) = node_sizes([graph.source])
        for i in range(len(order)):
            if node_id(i) in sizes:
                self._sizes[i] = sizes[node_id(i)]
        self.output, self.error = out, ""
        self.svg = svg_markup(svg.decode("utf-8"))
        self.grads = {n: float(leaf.grad) for n, leaf in leaves.items()}

    def _html(self) -> str:
        out = self.output
        assert out is not None
        d = wrap_name(out.label)
        sep = '<span class="cr-sep">·</span>'
        if self.error:
            summary = f'<span class="cr-error">{html_text(self.error)}</span>'
        else:
            label = html_text(out.label)
            parts = [f'<span class="cr-out">{label} = <b>{format_number(out.data)}</b></span>']
            parts += [f'<span class="cr-grad" data-input="{html_text(n)}">'
                      f"∂{html_text(d)}/∂{html_text(n)} = <b>{format_number(g)}</b></span>"
                      for n, g in self.grads.items()]
            summary = sep.join(parts)
        stale = " cr-stale" if self.error else ""
        return (f'<div class="cr-ui cr-explore"><style>{THEME_CSS}{_STYLE}</style>'
                f'<div class="cr-summary">{summary}</div><div class="cr-graph{stale}">{self.svg}</div></div>')


def explore(fn: Callable[..., Any], /, *, color: str | None = "grad", rankdir: str = "LR",
            **inputs: Any) -> Explorer:
    """A live view of ``fn`` in Jupyter: one slider per input, the graph redrawn as they move.

    ``fn`` takes the inputs by name and returns a Value; each input is given as
    ``name=value`` (a slider from -5 to 5, wider for a larger value, in steps of
    0.1) or ``name=(value, low, high)`` or ``name=(value, low, high, step)``.
    ``color`` and ``rankdir`` are :func:`autograd.draw_dot`'s. The output is
    labelled with ``fn``'s name (``out`` for a lambda) unless ``fn`` labels it.
    Runs ``fn`` once at once, so a function that fails, or returns no Value,
    raises here. Returns an :class:`Explorer`; make it a cell's last expression.
    """
    if not callable(fn):
        raise TypeError(f"explore: fn must be a function of the inputs, got {type(fn).__name__}: {fn!r:.60}")
    if not inputs:
        raise ValueError("explore: give at least one input, as name=value (e.g. explore(f, a=2.0, b=-3.0))")
    check_style("explore", rankdir, color)
    specs = {name: _spec(name, given) for name, given in inputs.items()}
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: calling it will tell
        signature = None
    if signature is not None:
        try:
            signature.bind(**specs)
        except TypeError:
            raise TypeError(f"explore: fn takes ({', '.join(signature.parameters)}) but the inputs given are "
                            f"{', '.join(specs)}; give one input per parameter, by name") from None
    _widgets()
    return Explorer(fn, specs, color=color, rankdir=rankdir)


# --- zooming in Jupyter ------------------------------------------------------------------------------

_MENU_PROMPT = "open a block…"
_ZOOM_STYLE = """
.cr-zoom .cr-crumb { padding: 6px 10px; margin: 4px 0 6px; background: var(--cr-panel); border-radius: 6px;
  font-size: 15px; }
.cr-zoom .cr-graph { overflow-x: auto; }
"""


class BlockExplorer:
    """The block view in Jupyter, zoomable: a menu of the blocks shown (choose one to open it), ``up``
    and ``top``; what :func:`explore_blocks` returns (Jupyter shows ``widget``).

    ``path`` is the block shown, ``svg`` its picture; ``zoom(block)`` opens a block from code, as the
    menu does."""

    def __init__(self, root: Value, block: Any = None) -> None:
        w = need("ipywidgets", "explore_blocks")
        self.root = root
        self.path: tuple[str, ...] = ()
        self.svg = ""
        self._choices: list[tuple[str, str]] = []
        self._quiet = False
        self.menu = w.Dropdown(options=[(_MENU_PROMPT, "")], value="", description="open",
                               layout=w.Layout(width="min(560px, 100%)"))
        self.up = w.Button(description="up", tooltip="the block around this one")
        self.top = w.Button(description="top", tooltip="the whole graph")
        self.view = w.HTML(layout=w.Layout(width="100%"))
        self.zoom(block)  # a bad path raises here, before anything is shown
        self.menu.observe(self._chosen, names="value")
        self.up.on_click(lambda _: self.zoom(self.path[:-1]))
        self.top.on_click(lambda _: self.zoom(None))
        self.widget = w.VBox([w.HBox([self.menu, self.up, self.top]), self.view])
        self.widget.add_class("cr-blocks")

    def zoom(self, block: Any) -> None:
        """Show ``block`` (a path; None: where the block view opens)."""
        plan = block_view(self.root, block)  # once: a 60,000-node graph takes a good part of a second
        if plan.boxes:
            graph = Graph("chainrule")
            draw_view(graph, plan, "TB")
        else:  # a small block, node by node, as draw_dot draws it
            graph = draw_dot(self.root, view="blocks", block=plan.path)
        graph.attr(bgcolor="transparent")
        self.path, self.svg = plan.path, render_svg(graph)
        shown = sorted((b for b in plan.boxes if b.kind == "block"), key=lambda b: natural_order(b.name))
        self._choices = [(f"{b.name} · {len(b.nodes):,} nodes", SEP.join((*plan.path, *b.key)))
                         for b in shown]
        self._quiet = True  # the menu's own change is not a choice
        try:
            self.menu.options = [(_MENU_PROMPT, ""), *self._choices]
            self.menu.value = ""
        finally:
            self._quiet = False
        self.up.disabled = not self.path
        crumb = html_text(plan.title)
        self.view.value = (f'<div class="cr-ui cr-zoom"><style>{THEME_CSS}{_ZOOM_STYLE}</style>'
                           f'<div class="cr-crumb">{crumb}</div><div class="cr-graph">{self.svg}</div></div>')

    def _chosen(self, change: Any) -> None:
        if self._quiet or not change["new"]:
            return
        self.zoom(change["new"])

    def __repr__(self) -> str:
        return f"<BlockExplorer: {SEP.join(self.path) or 'the whole graph'}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget, and the picture as plain HTML for viewers that cannot run widgets."""
        data = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        data.update({"text/html": self.view.value, "text/plain": repr(self)})
        return data


def explore_blocks(root: Value, block: Any = None) -> BlockExplorer:
    """The block view of ``root`` (built inside ``track_blocks()``) in Jupyter, with a menu to open
    each block, down to one node at a time: ``explore_blocks(loss)`` as a cell's last expression.
    Needs ipywidgets (``pip install "chainrule[notebook]"``) and Graphviz's ``dot``."""
    if not isinstance(root, Value):
        raise TypeError(f"explore_blocks: root must be a Value, got {type(root).__name__}: {root!r:.80}")
    return BlockExplorer(root, block)
