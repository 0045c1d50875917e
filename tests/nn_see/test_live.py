"""nn.playground and fit(live=...) without a browser: the same numbers as nn.fit, the pictures they draw,
and bad input refused before anything is trained (tests/see/test_explore_browser.py clicks the buttons)."""

from __future__ import annotations

import base64
import io
import re
import sys
from typing import Any

import pytest

import nn
from autograd.see.text import format_number
from nn.see.live import LiveView, playground


def recipe(seed: int = 0) -> tuple[nn.MLP, list[list[float]], list[float], Any]:
    X, y = nn.data.make_moons(30, noise=0.1, seed=seed)
    model = nn.MLP(2, [6, 6, 1], seed=seed)
    return model, X, y, nn.optim.SGD(model.parameters(), lr=nn.optim.LinearDecay(0.5, 0.05, steps=20))


def test_playground_trains_exactly_the_epochs_fit_would() -> None:
    model, X, y, opt = recipe()
    pg = playground(model, X, y, loss="hinge", l2=1e-4, optimizer=opt, epochs=20, every=3)
    assert pg.history.epochs == 0 and "epoch <b>0</b> / 20" in pg.view.html.value  # nothing trained yet
    pg.step()
    assert pg.history.epochs == 3
    history = pg.run()
    assert history.epochs == 20 and "finished" in pg.view.html.value
    ref_model, _, _, ref_opt = recipe()
    ref = nn.fit(ref_model, X, y, loss="hinge", l2=1e-4, optimizer=ref_opt, epochs=20, progress=False)
    assert history.loss == ref.loss and history.metrics == ref.metrics
    assert [p.data for p in model.parameters()] == [p.data for p in ref_model.parameters()]
    status = re.search(r"class='cr-status' data-epoch='20'>(.*?)</div>", pg.view.html.value)
    assert status and f"loss <b class='cr-loss'>{format_number(ref.loss[-1])}</b>" in status.group(1)
    pg.toggle()  # Play at the end trains nothing more
    assert pg.history.epochs == 20


def test_mini_batches_with_a_seed_match_fit_too() -> None:
    model, X, y, opt = recipe(1)
    pg = playground(model, X, y, loss="hinge", optimizer=opt, epochs=6, every=4, batch_size=8, seed=7)
    pg.toggle()  # no event loop here (a script): Play trains to the end at once
    ref_model, _, _, ref_opt = recipe(1)
    ref = nn.fit(ref_model, X, y, loss="hinge", optimizer=ref_opt, epochs=6, batch_size=8, seed=7,
                 progress=False)
    assert pg.history.loss == ref.loss


def test_the_three_pictures() -> None:
    from PIL import Image

    model, X, y, _ = recipe()
    view = LiveView(model, X, y, epochs=10, resolution=20)
    page = view.html.value
    boundary = re.search(r"<svg class='cr-boundary'.*?</svg>", page, re.S)
    assert boundary and boundary.group(0).count("<circle") == len(X)  # every training point
    png = re.search(r"base64,([A-Za-z0-9+/=]+)", boundary.group(0))
    assert png
    shade = Image.open(io.BytesIO(base64.b64decode(png.group(1)))).convert("RGB")
    assert shade.size == (20, 20)
    lo_x, hi_x = min(p[0] for p in X) - 0.4, max(p[0] for p in X) + 0.4
    lo_y, hi_y = min(p[1] for p in X) - 0.4, max(p[1] for p in X) + 0.4
    for i, j in ((0, 0), (19, 19), (5, 13)):  # each pixel: blue where the score > 0, red where < 0
        px, py = lo_x + (hi_x - lo_x) * (i + 0.5) / 20, hi_y - (hi_y - lo_y) * (j + 0.5) / 20
        r, _, b = shade.getpixel((i, j))
        assert (b > r) == (model([px, py]).data > 0)
    assert "<svg class='cr-losses'" in page and "network: weights" in page and "layers.1 · relu" in page
    three_d = LiveView(nn.MLP(3, [2, 1], seed=0), [[0.0, 1.0, 2.0]], [1.0], epochs=1)
    assert "drawn for 2-D inputs only" in three_d.html.value


def test_fit_live_shows_a_view_redrawn_every_few_epochs(monkeypatch) -> None:
    import IPython.display

    shown: list[Any] = []

    class Handle:  # what IPython's display(..., display_id=True) returns
        def update(self, obj: Any) -> None:
            shown.append(obj)

    def display(obj: Any, display_id: bool = False) -> Handle:
        shown.append(obj)
        return Handle()

    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())  # as inside a kernel
    model, X, y, opt = recipe()
    history = nn.fit(model, X, y, loss="hinge", optimizer=opt, epochs=7, live=3)
    assert len(shown) == 2  # shown at the start, and shown again at the end for a saved notebook
    bundle = shown[-1]._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # the live widget
    page = bundle["text/html"]  # and the same pictures as HTML, for viewers without widgets
    assert "nn.fit: epoch <b>7</b> / 7" in page and format_number(history.loss[-1]) in page  # the last epoch
    ref_model, _, _, ref_opt = recipe()
    ref = nn.fit(ref_model, X, y, loss="hinge", optimizer=ref_opt, epochs=7, progress=False)
    assert ref.loss == history.loss  # and the training is fit's own


def test_bad_input_is_refused_before_anything_is_trained(monkeypatch) -> None:
    model, X, y, opt = recipe()
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match="fit: live must be True, False or a positive number of epochs"):
        nn.fit(model, X, y, loss="hinge", optimizer=opt, epochs=3, live=0)
    with pytest.raises(ValueError, match="playground: epochs must be a positive integer"):
        playground(model, X, y, epochs=0)
    with pytest.raises(ValueError, match="playground: every must be a positive integer"):
        playground(model, X, y, every=-1)
    with pytest.raises(ValueError, match="fit: unknown loss 'hinj'"):
        playground(model, X, y, loss="hinj")
    with pytest.raises(ValueError, match="live view: show must be 'weight' or 'grad'"):
        playground(model, X, y, show="bias")
    with pytest.raises(TypeError, match="draw_network: model must be an nn.MLP"):
        playground(nn.Sequential(nn.LayerNorm(2)), X, y)
    assert [p.data for p in model.parameters()] == before
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ModuleNotFoundError, match=r'pip install "chainrule\[notebook\]"'):
        playground(model, X, y)
    with pytest.raises(ModuleNotFoundError, match=r'pip install "chainrule\[notebook\]"'):
        nn.fit(model, X, y, epochs=1, live=True)
    assert [p.data for p in model.parameters()] == before


def test_a_step_that_fails_says_so_in_the_view() -> None:
    model, X, y, opt = recipe()

    def bad_loss(preds: list[Any], targets: list[Any]) -> Any:
        return (preds[0] * 0 - 1).log()  # log of -1: the first step fails

    pg = playground(model, X, y, loss=bad_loss, optimizer=opt, epochs=3)
    pg.step_button.click()  # as a reader's click does: nowhere to raise to
    assert "stopped: ValueError: log: expected an input &gt; 0" in pg.view.html.value
    assert pg.history.epochs == 0 and not pg.playing
