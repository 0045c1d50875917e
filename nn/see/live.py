"""Watch a network learn, live in Jupyter: the decision boundary, the loss curve and the network view.

What you can do with it::

    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    nn.fit(model, X, y, loss='hinge', epochs=100, live=True)      # redrawn every few epochs
    pg = nn.playground(model, X, y, loss='hinge', epochs=200)     # with Play / Pause / Step
    pg                                                            # (the cell's last expression)

Both show the same three pictures, redrawn every few epochs: the plane shaded by
the class the model predicts (2-D inputs), with the data on top; the loss and
the metrics per epoch; and the network view of :func:`nn.draw_network`, whose
edges show the weights or, at the flick of a toggle, their gradients.

``fit(..., live=True)`` trains as ``fit`` always does, in the cell, and returns
its :class:`nn.History`; while it runs the kernel is busy, so its view has no
buttons (interrupt the kernel to stop: the history says ``interrupted``).
``playground`` returns at once and trains only when asked: **Play** runs epoch
after epoch in the background of the kernel, redrawing as it goes, **Pause**
stops after the current frame, **Step** trains one frame's worth of epochs.
Its epochs are ``fit``'s own (one call per frame, with the same optimizer and
random source), so the numbers are those ``fit`` would give. Needs ipywidgets
(``pip install "chainrule[notebook]"``) and Graphviz; NumPy, when installed,
makes the decision boundary quick (``autograd.trace``).
"""

from __future__ import annotations

import asyncio
import base64
import math
import numbers
import random
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autograd import Value, no_grad
from autograd.core.checks import choice, count
from autograd.core.extras import need
from autograd.see import palette
from autograd.see.text import format_number, html_text

from ..module import Module
from ..optim import SGD, Optimizer
from ..train import History, fit
from .network import draw_network, network_layers

__all__ = ["LiveView", "Playground", "playground", "fit_view"]

_STYLE = """
.cr-live .cr-status { padding: 6px 10px; background: var(--cr-panel); border-radius: 6px; font-size: 15px;
  font-variant-numeric: tabular-nums; }
.cr-live .cr-panels { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; margin-top: 8px; }
.cr-live .cr-column { display: flex; flex-direction: column; gap: 10px; }
.cr-live .cr-panel h4 { margin: 0 0 4px; font-size: 14px; font-weight: bold; color: var(--cr-fg); }
.cr-live .cr-panel svg text { font-family: Helvetica, Arial, sans-serif; }
.cr-live .cr-note { color: var(--cr-muted); font-size: 13px; }
.cr-live .cr-graph { max-height: none; }
"""
BLUE, RED = palette.rgb(palette.BLUE), palette.rgb(palette.RED)


def _png(pixels: list[list[tuple[int, int, int]]]) -> bytes:
    """A small RGB picture as PNG bytes (rows of pixels, top row first), with the standard library."""
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", len(pixels[0]), len(pixels), 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body




def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = "currentColor") -> str:
    """One SVG text of 12 px, escaped."""
    return (f"<text x='{x:.0f}' y='{y:.0f}' font-size='12' text-anchor='{anchor}' fill='{fill}'>"
            f"{html_text(text)}</text>")


def _tint(rgb: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(255 + (c - 255) * t) for c in rgb)  # type: ignore[return-value]


class LiveView:
    """The three live pictures of a model being trained, in one ipywidgets ``HTML`` (``self.html``).

    ``update(history)`` redraws them for the model as it is now; ``show`` is
    ``'weight'`` or ``'grad'`` (what the network view's edges show);
    ``resolution`` is the decision boundary's grid (points per side).
    """

    def __init__(self, model: Module, X: Sequence[Any], y: Sequence[Any], epochs: int, *,
                 show: str = "weight", resolution: int = 40, title: str = "training") -> None:
        w = need("ipywidgets", "the live training view")
        if show not in ("weight", "grad"):
            raise ValueError(f"live view: show must be 'weight' or 'grad', got {show!r:.40}")
        draw_network(model)  # a model the network view cannot draw is refused before anything is shown
        self.model, self.X, self.y, self.epochs = model, [list(x) for x in X], list(y), epochs
        self.show, self.resolution, self.title = show, resolution, title
        self.history = History()
        self.status = ""
        self._scores: Callable[[list[list[float]]], list[Any]] | None = None
        self.html = w.HTML(value="", layout=w.Layout(width="100%"))
        self.update(self.history)

    # -- the pictures ---------------------------------------------------------------------------

    def update(self, history: History, stopped: str = "") -> None:
        """Redraw every picture for the model as it is now, with ``history`` (epochs so far)."""
        self.history = history
        done = history.epochs
        parts = [f"epoch <b>{done}</b> / {self.epochs}"]
        if history.loss:
            parts.append(f"loss <b class='cr-loss'>{format_number(history.loss[-1])}</b>")
        for name, values in history.metrics.items():
            if values:
                shown = f"{100 * values[-1]:.0f}%" if name == "accuracy" else format_number(values[-1])
                parts.append(f"{html_text(name)} <b>{shown}</b>")
        if stopped:
            parts.append(f"<span class='cr-note'>{html_text(stopped)}</span>")
        self.status = " · ".join(parts)
        panels = [f"<div class='cr-column'>{self._boundary_panel()}{self._loss_panel(history)}</div>",
                  self._network_panel()]
        self.html.value = (
            f"<div class='cr-ui cr-live'><style>{_theme()}{_STYLE}</style>"
            f"<div class='cr-status' data-epoch='{done}'>{html_text(self.title)}: {self.status}</div>"
            f"<div class='cr-panels'>{''.join(panels)}</div></div>"
        )

    def _grid_scores(self, points: list[list[float]]) -> list[Any]:
        """The model's output at many points: replayed with NumPy when it can be, else one by one."""
        if self._scores is None:
            try:
                import numpy

                from autograd.replay import trace

                tape = trace(self.model, 2)
                self._scores = lambda pts: tape(numpy.array(pts, dtype=float)).tolist()
            except Exception:  # no NumPy, or a model the replay cannot trace: the scalar engine, one by one
                def one_by_one(pts: list[list[float]]) -> list[Any]:
                    with no_grad():
                        outs = [self.model(p) for p in pts]
                    return [o.data if isinstance(o, Value) else [v.data for v in o] for o in outs]

                self._scores = one_by_one
        return self._scores(points)

    def _boundary_panel(self) -> str:
        if not self.X or len(self.X[0]) != 2:
            return ("<div class='cr-panel'><h4>decision boundary</h4><div class='cr-note'>drawn for "
                    "2-D inputs only</div></div>")
        n, size, pad = self.resolution, 300, 52
        xs = [p[0] for p in self.X]
        ys = [p[1] for p in self.X]
        lo_x, hi_x, lo_y, hi_y = min(xs) - 0.4, max(xs) + 0.4, min(ys) - 0.4, max(ys) + 0.4
        grid = [[lo_x + (hi_x - lo_x) * (i + 0.5) / n, hi_y - (hi_y - lo_y) * (j + 0.5) / n]
                for j in range(n) for i in range(n)]
        scores = self._grid_scores(grid)
        multi = isinstance(scores[0], list)
        labels = [float(t) for t in self.y]
        pixels = []
        for j in range(n):
            row = []
            for i in range(n):
                s = scores[j * n + i]
                if multi:
                    k = max(range(len(s)), key=s.__getitem__)
                    row.append(_tint(palette.rgb(palette.for_class(k, len(s))), 0.35))
                else:
                    t = 0.12 + 0.5 * min(1.0, abs(s) / 2.0) if s == s else 0.0
                    row.append(_tint(BLUE if s > 0 else RED, t))
            pixels.append(row)
        image = base64.b64encode(_png(pixels)).decode("ascii")
        dots = []
        for (x, y), t in zip(self.X, labels):
            cx = pad + (x - lo_x) / (hi_x - lo_x) * size
            cy = 6 + (hi_y - y) / (hi_y - lo_y) * size
            colour = palette.for_class(t, len(scores[0]) if multi else 2)
            dots.append(f"<circle cx='{cx:.1f}' cy='{cy:.1f}' r='4' fill='{colour}' stroke='{palette.INK}' "
                        "stroke-width='0.8'/>")
        negative = any(t < 0 for t in labels)
        pos, neg = ("+1", "-1") if negative else ("1", "0")
        key = "shade: the predicted class" if multi else f"blue: score > 0 (class {pos}), red: < 0 ({neg})"
        bottom = size + 24
        num = format_number
        text = [_text(pad, bottom, num(lo_x)), _text(pad + size, bottom, num(hi_x), "end"),
                _text(pad + size / 2, bottom, "x1", "middle"), _text(pad - 5, 6 + size / 2, "x2", "end"),
                _text(pad - 5, size + 6, num(lo_y), "end"), _text(pad - 5, 18, num(hi_y), "end"),
                _text(pad, size + 44, key)]
        w, h = size + pad + 8, size + 52
        svg = (f"<svg class='cr-boundary' width='{w}' height='{h}' viewBox='0 0 {w} {h}' "
               "xmlns='http://www.w3.org/2000/svg'>"
               f"<image x='{pad}' y='6' width='{size}' height='{size}' preserveAspectRatio='none' "
               f"href='data:image/png;base64,{image}'/>"
               f"<rect x='{pad}' y='6' width='{size}' height='{size}' fill='none' stroke='currentColor'/>"
               f"{''.join(dots)}{''.join(text)}</svg>")
        return f"<div class='cr-panel'><h4>decision boundary</h4>{svg}</div>"

    def _loss_panel(self, history: History) -> str:
        width, height, left, top, bottom, right = 404, 250, 54, 10, 40, 42
        inner_w, inner_h = width - left - right, height - top - bottom
        losses = [v for v in history.loss if math.isfinite(v)]
        span = max(self.epochs, history.epochs, 1)
        lo = min(0.0, min(losses, default=0.0))
        hi = max(losses, default=1.0)
        hi = hi if hi > lo else lo + 1.0

        def line(values: list[float], top_v: float, low_v: float, colour: str, dashed: bool = False) -> str:
            pts = " ".join(f"{left + (k + 1) / span * inner_w:.1f},"
                           f"{top + (top_v - v) / (top_v - low_v) * inner_h:.1f}"
                           for k, v in enumerate(values) if math.isfinite(v))
            dash = " stroke-dasharray='5 3'" if dashed else ""
            return f"<polyline points='{pts}' fill='none' stroke='{colour}' stroke-width='2'{dash}/>"

        parts = [f"<rect x='{left}' y='{top}' width='{inner_w}' height='{inner_h}' fill='none' "
                 "stroke='currentColor' stroke-opacity='0.5'/>",
                 _text(left - 6, top + 12, format_number(hi), "end"),
                 _text(left - 6, top + inner_h, format_number(lo), "end"),
                 _text(left, top + inner_h + 16, "0"),
                 _text(left + inner_w, top + inner_h + 16, f"epoch {span}", "end"),
                 _text(left, height - 4, "— loss", fill=palette.INK)]
        if history.loss:
            parts.append(line(history.loss, hi, lo, palette.INK))
        for i, (name, values) in enumerate(history.metrics.items()):
            colour = palette.OTHERS[i % len(palette.OTHERS)]
            if values and all(0 <= v <= 1 for v in values):  # a fraction: on a scale of 0..1, the right axis
                parts += [line(values, 1.0, 0.0, colour, dashed=True),
                          _text(left + inner_w + 4, top + 12, "100%", fill=colour),
                          _text(left + inner_w + 4, top + inner_h, "0%", fill=colour),
                          _text(left + 60 + 150 * i, height - 4, f"- - {name} (right)", fill=colour)]
        svg = (f"<svg class='cr-losses' width='{width}' height='{height}' viewBox='0 0 {width} {height}' "
               f"xmlns='http://www.w3.org/2000/svg'>{''.join(parts)}</svg>")
        return f"<div class='cr-panel'><h4>loss per epoch</h4>{svg}</div>"

    def _network_panel(self) -> str:
        from autograd.see.html import render_svg  # Graphviz, when the picture is drawn

        what = "weights" if self.show == "weight" else "gradients of the last step"
        svg = render_svg(draw_network(self.model, show=self.show))
        return f"<div class='cr-panel'><h4>network: {what}</h4><div class='cr-graph'>{svg}</div></div>"


def _theme() -> str:
    from autograd.see.html import THEME_CSS

    return THEME_CSS


def _every(epochs: int, live: Any, where: str) -> int:
    """How many epochs pass between two pictures: ``live=True`` picks about 25 pictures in all."""
    if live is True:
        return max(1, round(epochs / 25))
    if isinstance(live, bool) or not isinstance(live, numbers.Integral) or live < 1:
        raise ValueError(f"{where}: live must be True, False or a positive number of epochs between "
                         f"pictures, got {live!r:.40}")
    return int(live)


def fit_view(model: Module, X: Sequence[Any], y: Sequence[Any], epochs: int, live: Any) -> Callable[..., Any]:
    """The live view ``fit(..., live=...)`` shows, displayed now; returns the callback that redraws it.

    It redraws after every ``live`` epochs (``True``: about 25 times in all) and after the last.
    """
    every = _every(epochs, live, "fit")
    display = need("IPython.display", "fit(live=True)").display
    view = LiveView(model, X, y, epochs, title="nn.fit")
    if need("IPython", "fit(live=True)").get_ipython() is None:  # a plain script: nowhere to draw
        raise RuntimeError("fit: live=True draws in Jupyter, and this is a plain Python script; use "
                           "progress=True here, and nn.plot.history(fit(...)) for the curves afterwards")
    shown = display(_Shown(view), display_id=True)

    def redraw(epoch: int, history: History) -> None:
        if (epoch + 1) % every == 0 or epoch + 1 == epochs:
            view.update(history)
        if epoch + 1 == epochs and shown is not None:
            shown.update(_Shown(view))  # so that a saved notebook keeps the last picture, too

    redraw.view = view  # type: ignore[attr-defined]
    return redraw


class _Shown:
    """A live view as Jupyter shows it: the widget, and its pictures as plain HTML for viewers that
    cannot run widgets (GitHub shows those)."""

    def __init__(self, view: LiveView) -> None:
        self.view = view

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        data = dict(self.view.html._repr_mimebundle_(**kwargs) or {})
        data.update({"text/html": self.view.html.value, "text/plain": f"<live view: {self.view.status}>"})
        return data


class Playground:
    """A training you drive with Play / Pause / Step, in Jupyter (see :func:`playground`).

    ``history`` holds every epoch trained so far; ``view`` the pictures; ``step()``
    trains one frame (``every`` epochs) and redraws, as the Step button does; ``run()``
    trains to the end without the event loop (in a script); ``playing`` says whether Play is on.
    """

    def __init__(self, model: Module, X: Sequence[Any], y: Sequence[Any], *, epochs: int, every: int,
                 fit_options: dict[str, Any], show: str) -> None:
        w = need("ipywidgets", "nn.playground")
        self.model, self.X, self.y, self.epochs, self.every = model, X, y, epochs, every
        self._options = fit_options
        self.history = History(list(_metric_names(fit_options.get("metrics", ("accuracy",)))))
        self.view = LiveView(model, X, y, epochs, show=show, title="nn.playground")
        self.playing = False
        self._task: Any = None
        self.play_button = w.Button(description="Play", icon="play", tooltip="train, redrawing as it goes")
        self.step_button = w.Button(description="Step", icon="step-forward",
                                    tooltip=f"train {every} epoch{'s' if every != 1 else ''} and redraw")
        self.edges = w.ToggleButtons(options=[("weights", "weight"), ("gradients", "grad")], value=show,
                                     description="edges:",
                                     style={"button_width": "90px", "description_width": "initial"})
        self.play_button.on_click(lambda _: self.toggle())
        self.step_button.on_click(lambda _: self._step_clicked())
        self.edges.observe(self._edges_changed, names="value")
        self.widget = w.VBox([w.HBox([self.play_button, self.step_button, self.edges]), self.view.html])
        self.widget.add_class("cr-playground")

    def __repr__(self) -> str:
        return f"<Playground: epoch {self.history.epochs} / {self.epochs}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget, and the pictures as plain HTML for viewers that cannot run widgets (GitHub)."""
        data = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        data.update({"text/html": self.view.html.value, "text/plain": repr(self)})
        return data

    def _edges_changed(self, change: Any) -> None:
        self.view.show = change["new"]
        self.view.update(self.history)

    def _step_clicked(self) -> None:
        self.playing = False  # Step while playing: pause there, then step
        try:
            self.step()
        except Exception as e:  # a button has nowhere to raise to: say it where the reader looks
            self.view.update(self.history, f"stopped: {type(e).__name__}: {e}")

    def _train(self, n: int) -> None:
        n = min(n, self.epochs - self.history.epochs)
        if n <= 0:
            return
        h = fit(self.model, self.X, self.y, epochs=n, progress=False, **self._options)
        self.history.loss += h.loss
        for name, values in h.metrics.items():
            self.history.metrics.setdefault(name, []).extend(values)
        self.history.interrupted = h.interrupted

    def step(self) -> None:
        """Train one frame (``every`` epochs, fewer at the end) and redraw."""
        self._train(self.every)
        self._redraw("")

    def run(self) -> History:
        """Train every remaining epoch now, redrawing after each frame; returns the history."""
        self.history.interrupted = False  # Ctrl-C inside a frame's fit stops this loop too
        while self.history.epochs < self.epochs and not self.history.interrupted:
            self.step()
        return self.history

    def _redraw(self, note: str) -> None:
        self.view.update(self.history, "finished" if self.history.epochs >= self.epochs else note)

    def toggle(self) -> None:
        """Play if paused, pause if playing (the Play / Pause button)."""
        if self.playing:
            self.playing = False
            return
        if self.history.epochs >= self.epochs:
            self._redraw("")
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script): play to the end here
            self.run()
            return
        self.playing = True
        self.play_button.description, self.play_button.icon = "Pause", "pause"
        self._task = loop.create_task(self._play())

    async def _play(self) -> None:
        note, self.history.interrupted = "paused", False
        try:
            while self.playing and self.history.epochs < self.epochs and not self.history.interrupted:
                self._train(self.every)
                self._redraw("")
                await asyncio.sleep(0.02)  # let the kernel handle a click on Pause
        except Exception as e:  # nobody awaits this task: say what stopped it where the reader looks
            note = f"stopped: {type(e).__name__}: {e}"
        finally:
            note = "interrupted" if self.history.interrupted else note
            self.playing = False
            self.play_button.description, self.play_button.icon = "Play", "play"
            self._redraw(note)


def _metric_names(metrics: Iterable[Any]) -> list[str]:
    return [m if isinstance(m, str) else getattr(m, "__name__", "metric") for m in metrics]


def playground(
    model: Module,
    X: Sequence[Any],
    y: Sequence[Any],
    *,
    loss: Any = "mse",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    every: int = 1,
    batch_size: int | None = None,
    l2: float = 0.0,
    metrics: Iterable[Any] = ("accuracy",),
    seed: int | random.Random | None = None,
    show: str = "weight",
) -> Playground:
    """A live training in Jupyter with Play / Pause / Step: the pictures of :class:`LiveView`, redrawn.

    ``loss``, ``optimizer`` (default: ``SGD(model.parameters(), lr=0.1)``, made once),
    ``batch_size``, ``l2``, ``metrics`` and ``seed`` are :func:`nn.fit`'s; training stops after
    ``epochs`` epochs; each frame is ``every`` epochs; ``show`` is what the network view's edges
    show first (``'weight'`` or ``'grad'``). Nothing is trained until you press Play or Step.
    Make it a cell's last expression.
    """
    epochs, every = count("playground", "epochs", epochs), count("playground", "every", every)
    choice("live view", "show", show, ("weight", "grad"))
    network_layers(model)  # a model the network view cannot draw: refused before the data are checked
    opt = optimizer if optimizer is not None else SGD(model.parameters(), lr=0.1) \
        if isinstance(model, Module) else None
    metrics = list(metrics)
    rng = random.Random(seed) if isinstance(seed, int) and not isinstance(seed, bool) else seed
    options = {"loss": loss, "optimizer": opt, "batch_size": batch_size, "l2": l2, "metrics": metrics,
               "seed": rng}
    fit(model, X, y, epochs=0, progress=False, **options)  # fit checks every argument, and trains nothing
    return Playground(model, X, y, epochs=epochs, every=every, fit_options=options, show=show)
