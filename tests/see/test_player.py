"""play: a self-contained HTML player whose frames agree with backward_steps."""

from __future__ import annotations

import html
import json
import os
import re
from typing import Any

import pytest
from PIL import ImageOps

from autograd import Value, backward_steps, play
from autograd.see import palette
from autograd.see.html import DotNotFoundError
from autograd.see.player import SLIDE_PX
from autograd.see.text import format_factor, format_number
from tests.support.lecture import lecture_L

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]




def captions(page: str) -> list[dict]:
    data = re.search(r'<script type="application/json" class="cr-data">(.*?)</script>', page, re.S)
    assert data is not None
    return json.loads(data.group(1).replace("<\\/", "</"))


def test_one_frame_per_step_and_captions_agree() -> None:
    L = lecture_L()[0]
    player = play(L)
    steps = list(backward_steps(L))
    assert len(player.steps) == len(steps) == 6
    assert len(player.frames) == len(steps) + 1
    page = player._repr_html_()
    assert page.count('class="cr-frame"') == len(steps) + 1
    caps = captions(page)
    assert caps[0]["step"] == 0 and "L.grad" in caps[0]["intro"]
    for cap, s in zip(caps[1:], steps):
        assert cap["child"] == s.child.label and cap["parent"] == s.parent.label
        assert cap["upstream"] == format_factor(s.upstream)  # factors of a product: (-2) in parentheses
        assert cap["local"] == format_factor(s.local)
        assert cap["contribution"] == format_number(s.contribution)
        assert cap["after"] == format_number(s.parent_grad)
    assert caps[1]["rule"] == "f = -2" and caps[1]["derivative"] == "∂L/∂d"


def test_frames_highlight_the_active_edge_and_the_new_grad() -> None:
    player = play(lecture_L()[0])
    first, third = player.frames[0], player.frames[3]
    assert first.startswith("<svg") and first.rstrip().endswith("</svg>")
    edge = f'stroke="{palette.HIGHLIGHT}" stroke-width="3"'  # the active edge: the palette's "look here"
    assert edge not in first  # no active edge before backward starts
    assert palette.HIGHLIGHT_FILL in first  # the output's gradient, 1, is the first one filled in
    # step 3: d passes its gradient to e; e's box is filled and now shows grad -2
    assert third.count(edge) >= 2  # the edge and its arrowhead
    filled = re.findall(rf'<title>(n\d+)</title>\s*<polygon fill="{palette.HIGHLIGHT_FILL}"', third)
    assert filled == ["n2"]  # e, the third Value in topological order
    assert "grad &#45;2<" in third  # in the one number format of every tool (Graphviz writes - as &#45;)


def test_page_is_self_contained(tmp_path) -> None:
    path = play(lecture_L()[0]).save(tmp_path / "player.html")
    page = open(path, encoding="utf-8").read()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert not url.startswith(("http:", "https:", "//")), url
    assert all(cls in page for cls in ("cr-prev", "cr-next", "cr-play", "cr-slider", "cr-upstream",
                                       "cr-local", "cr-contribution"))


def test_player_options_and_errors(monkeypatch, tmp_path) -> None:
    L = lecture_L()[0]
    with pytest.raises(ValueError, match="6 steps, more than max_steps=3"):
        play(L, max_steps=3)
    with pytest.raises(TypeError, match="play: output must be a Value"):
        play(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="interval"):
        play(L, interval=0)
    with pytest.raises(TypeError, match="Player.save: path"):
        play(L).save(3)  # type: ignore[arg-type]
    assert "blue for grad" in play(L, color="grad").frames[-1]  # the colour key of color='grad'
    assert "blue for grad" not in play(L).frames[-1]
    for rankdir, wide in (("LR", True), ("TB", False)):
        size = re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', play(L, rankdir=rankdir).frames[0])
        assert size is not None and (int(size.group(1)) > int(size.group(2))) == wide
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DotNotFoundError, match="apt-get install graphviz"):
        play(L)


@pytest.mark.browser
def test_player_in_a_real_browser(tmp_path) -> None:
    """Open the saved page in headless Chromium, press Next three times, read the caption."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"the browser test needs Chromium at {CHROMIUM}; `make test` installs it")
    from playwright.sync_api import sync_playwright

    L = lecture_L()[0]
    path = play(L).save(tmp_path / "player.html")
    steps = list(backward_steps(L))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 520})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"file://{path}")
            assert page.inner_text(".cr-counter") == "step 0 / 6"
            assert page.is_visible(".cr-intro") and not page.is_visible(".cr-product")
            for k in range(1, 4):
                page.click(".cr-next")
                s = steps[k - 1]
                assert page.inner_text(".cr-counter") == f"step {k} / 6"
                assert page.inner_text(".cr-product .cr-child") == s.child.label
                assert page.inner_text(".cr-product .cr-parent") == s.parent.label
                assert page.inner_text(".cr-upstream") == format_factor(s.upstream)
                assert page.inner_text(".cr-local") == format_factor(s.local)
                product = page.inner_text(".cr-product")  # totals with d, the edge's local derivative with ∂
                c, q = s.child.label, s.parent.label
                u, loc = format_factor(s.upstream), format_factor(s.local)
                assert f"dL/d{c} × ∂{c}/∂{q} = {u} × {loc} =" in product
                assert "∂L/∂L" not in product and f"{q}.grad: " in product
                assert float(page.inner_text(".cr-contribution")) == s.contribution
                assert float(page.inner_text(".cr-after")) == s.parent_grad
                visible = page.locator(".cr-frame:visible")
                assert visible.count() == 1 and visible.get_attribute("data-frame") == str(k)
            assert page.input_value(".cr-slider") == "3"
            page.screenshot(path=str(tmp_path / "player.png"))
            page.click(".cr-prev")
            assert page.inner_text(".cr-counter") == "step 2 / 6"
            page.fill(".cr-slider", "6")
            assert page.inner_text(".cr-counter") == "step 6 / 6"
            assert float(page.inner_text(".cr-after")) == steps[-1].parent_grad
            assert all(u.startswith("file://") for u in requests), requests  # nothing fetched from the net
        finally:
            browser.close()


def neuron() -> tuple[Value, list[Value]]:
    """One relu neuron, built op by op with the names nn gives: the graph the demo plays."""
    x1, x2 = Value(0.5, label="x1"), Value(-1.5, label="x2")
    w0, w1 = Value(0.8, label="layers.0.neurons.3.w.0"), Value(-0.6, label="layers.0.neurons.3.w.1")
    b = Value(0.1, label="layers.0.neurons.3.b")
    z = w0 * x1 + w1 * x2 + b
    z.label = "z"
    out = z.relu()
    out.label = "layers.0.neurons.3"
    return out, [x1, x2, w0, w1, b]


def box_texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_captions_name_nodes_as_their_boxes_do() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    f = (a * b) * (a + b)  # the product and the sum have no labels
    f.label = "f"
    player = play(f)
    for k, cap in enumerate(player.captions[1:], start=1):
        drawn = box_texts(player.frames[k])
        assert cap["child"] in drawn and cap["parent"] in drawn, (cap, drawn)
    assert {c["parent"] for c in player.captions[1:]} >= {"a * b", "a + b"}
    assert player.caption_text(1) == ("step 1 / 6: f → a * b\n"
                                      "local:  ∂f/∂(a * b) = a + b = 5\n"
                                      "upstream × local = contribution:\n"
                                      "    df/df\n"
                                      "  × ∂f/∂(a * b)\n"
                                      "  = 1 × 5 = 5\n"
                                      "(a * b).grad: 0 → 5")


def test_an_animation_frame_writes_its_caption_in_lines() -> None:
    """The GIF's caption is a Graphviz label: each line its own, and no line break drawn as a symbol."""
    from autograd.see.text import dot_string

    a, b = Value(2.0, label="a"), Value(3.0, label="b\nc")
    player = play((a * b).tanh())
    for k in range(len(player.frames)):
        text = dot_string(player.caption_text(k))
        lines = 4 if k == 0 else 7  # short lines: a caption may stand beside a tall graph
        assert text.count("\\l") == lines, text
        assert "␊" not in text.replace("b␊c", ""), text  # the label's own line break: shown
    assert "b␊c" in dot_string(player.caption_text(1)) + dot_string(player.caption_text(2))


def test_every_frame_has_the_same_layout() -> None:
    player = play(neuron()[0])

    def boxes(svg: str) -> list[tuple[str, str]]:
        return re.findall(r"<title>(n\d+)</title>\s*<polygon [^>]*points=\"([^\"]+)\"", svg)
    first = boxes(player.frames[0])
    assert len(first) == 10 and all(boxes(svg) == first for svg in player.frames)  # nothing moves
    sizes = {re.findall(r'<svg width="(\d+)pt" height="(\d+)pt"', svg)[0] for svg in player.frames}
    assert len(sizes) == 1


def test_gif_apng_and_png_frames_for_slides(tmp_path) -> None:
    from PIL import Image

    player = play(lecture_L()[0], interval=0.5)
    gif = player.save(tmp_path / "backward.gif")
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 7 and im.info["loop"] == 0
        size = im.size
        durations = []
        for k in range(im.n_frames):
            im.seek(k)
            durations.append(im.info["duration"])
            assert im.size == size
    assert durations == [500] * 6 + [1500]  # the finished pass stays up longer
    assert size[0] <= SLIDE_PX + 2 and size[0] / size[1] >= 4 / 3  # a slide's width, landscape
    with Image.open(player.save(tmp_path / "backward.png")) as im:
        assert im.format == "PNG" and getattr(im, "is_animated", False)
        assert im.n_frames == 7 and im.size == size
    paths = player.save_frames(tmp_path / "frames", dpi=55)
    assert [os.path.basename(p) for p in paths] == [f"step_{k:03d}.png" for k in range(7)]
    with Image.open(paths[3]) as half, Image.open(player.save_frames(tmp_path / "full", dpi=110)[3]) as full:
        assert abs(half.size[0] - full.size[0] / 2) < 40  # half the dpi, half the width
        ink = ImageOps.invert(half.convert("L")).point(lambda p: 255 if p > 155 else 0).getbbox()
        caption = ImageOps.invert(half.convert("L").crop((0, ink[1], half.size[0], ink[1] + 8))).getbbox()
        assert caption is not None and caption[2] < half.size[0] / 2  # a wide graph: its caption above it


def tall() -> Value:
    """A graph taller than wide when drawn top to bottom: the demo's neuron, with nn's long names."""
    return neuron()[0]


@pytest.mark.parametrize(("make", "rankdir", "beside"), [
    (lambda: lecture_L()[0], "LR", False),  # wide: the caption above
    (tall, "TB", True),  # tall: the caption beside, as on a slide with text and a picture
    (lambda: Value(2.0, label="x") * 3, "LR", False),  # tiny: white margins make it a slide
    (lambda: chain(3), "LR", False),  # far wider than a slide: text stays 12 px, so wider than 1280
    (lambda: chain(3), "TB", True),  # far taller than a slide
])
def test_every_animation_is_a_readable_slide(tmp_path, make: Any, rankdir: str, beside: bool) -> None:
    """Each animation is landscape (4:3 or wider), at most 1280 px wide unless that would put text
    under 12 px, and its smallest text (a font size in points at the dpi drawn) is 12 px or more."""
    from PIL import Image

    from autograd.see.player import _beside, _least_pt

    player = play(make(), rankdir=rankdir, max_steps=None)
    dpi = player.slide_dpi()
    graph, caption = player._slide_sizes()
    assert _beside(graph, caption) is beside
    assert _least_pt(player) * dpi / 72 >= 12 - 1e-9  # every text, the captions' too
    with Image.open(player.save(tmp_path / "a.gif")) as im:
        width, height = im.size
    assert width / height >= 4 / 3 - 0.01
    assert width <= SLIDE_PX + 2 or dpi == pytest.approx(12 * 72 / _least_pt(player))
    assert dpi <= 110


def chain(n: int) -> Value:
    x = Value(0.5, label="x")
    for k in range(n):
        x = (x * 1.5).tanh()
        x.label = f"h{k}"
    return x


def test_save_refuses_what_it_cannot_write(tmp_path, monkeypatch) -> None:
    import sys

    player = play(lecture_L()[0])
    with pytest.raises(ValueError, match=r"must end in .html, .gif or .png"):
        player.save(tmp_path / "backward.svg")
    with pytest.raises(ValueError, match="dpi must be a finite number >= 20 and <= 600"):
        player.save(tmp_path / "backward.gif", dpi=0)
    with pytest.raises(TypeError, match="Player.save_frames: folder"):
        player.save_frames(3)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "PIL", None)  # as if Pillow were not installed
    with pytest.raises(ImportError, match=r'pip install "chainrule\[plot\]"'):
        player.save(tmp_path / "backward.gif")
    assert list(tmp_path.iterdir()) == []  # a refused call writes nothing


def test_labels_cannot_break_the_page() -> None:
    a = Value(2.0, label="<!--<script>")
    b = a * Value(3.0, label="</script><script>window.pwned = 1</script>")
    b.label = "&amp;"
    player = play(b)
    page = player._repr_html_()
    data = re.search(r'<script type="application/json" class="cr-data">(.*?)</script>', page, re.S)
    assert data is not None and "<" not in data.group(1) and ">" not in data.group(1)
    assert page.count("<script") == 2 and page.count("</script>") == 2  # the player's own two, no more
    assert {"<!--<script>", "&amp;"} <= set(box_texts(player.frames[0]))  # the boxes show the labels as text
    assert "(&amp;amp;).grad" in page  # and so does the caption


FILTER = "() => getComputedStyle(document.querySelector('.cr-graph svg')).filter"
FONT_PX = """() => Array.from(document.querySelectorAll('.cr-frame'))
  .filter(f => f.style.display !== 'none')
  .flatMap(f => Array.from(f.querySelectorAll('svg text')))
  .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""


OUTPUT_IN_VIEW = f"""() => {{
  const box = document.querySelector('.cr-frame[data-frame="0"] [fill="{palette.HIGHLIGHT_FILL}"]')
    .getBoundingClientRect();
  const view = document.querySelector('.cr-graph').getBoundingClientRect();
  return box.left >= view.left && box.right <= view.right && box.top >= view.top && box.bottom <= view.bottom;
}}"""


def shot(page, tmp_path, name: str) -> None:
    """A screenshot into tmp_path, and into $CHAINRULE_SCREENSHOTS when that is set (to look at)."""
    page.screenshot(path=str(tmp_path / f"{name}.png"))
    keep = os.environ.get("CHAINRULE_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        page.screenshot(path=os.path.join(keep, f"{name}.png"))


@pytest.mark.browser
def test_player_is_readable_zooms_steps_by_keyboard_and_follows_the_theme(tmp_path) -> None:
    """The one-neuron graph at 1280x720: natural size, text >= 12 px, zoom, arrows, light and dark."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"the browser test needs Chromium at {CHROMIUM}; `make test` installs it")
    from playwright.sync_api import sync_playwright

    out, _ = neuron()
    path = play(out).save(tmp_path / "neuron.html")
    evil = Value(1.0, label="</script><script>window.pwned = 1</script><!--")
    evil_path = play(evil * 2.0).save(tmp_path / "evil.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720}, color_scheme="light")
            page.goto(f"file://{path}")
            # step 0: backward starts at the output, which is shown (scrolled to in the first animation frame
            # after layout, so wait for it rather than look once: a busy machine draws that frame later)
            page.wait_for_function(OUTPUT_IN_VIEW, timeout=10_000)
            sizes = page.evaluate(FONT_PX)
            assert len(sizes) > 30 and min(sizes) >= 12.0, sorted(sizes)[:5]  # edge labels included
            svg = page.locator(".cr-frame[data-frame='0'] svg")
            natural = float(svg.get_attribute("width").removesuffix("pt")) * 4 / 3  # type: ignore[union-attr]
            assert svg.bounding_box()["width"] == pytest.approx(natural, abs=1)  # type: ignore[index]
            assert page.evaluate(FILTER) == "none"
            shot(page, tmp_path, "player_light")

            page.click(".cr-zoom-in")
            assert page.inner_text(".cr-zoom-level") == "125%"
            assert svg.bounding_box()["width"] == pytest.approx(natural * 1.25, abs=1)  # type: ignore[index]
            page.click(".cr-zoom-fit")  # the graph is wider than the view at any readable size
            assert min(page.evaluate(FONT_PX)) >= 11.99  # so Fit stops at 12 px text ...
            page.wait_for_function(OUTPUT_IN_VIEW, timeout=10_000)  # ... and scrolls to the step box
            shot(page, tmp_path, "player_fit")
            page.click(".cr-zoom-reset")
            assert page.inner_text(".cr-zoom-level") == "100%"

            page.click(".cr-caption")  # the keys work once the reader is on the page
            for k in (1, 2, 3):
                page.keyboard.press("ArrowRight")
                assert page.inner_text(".cr-counter") == f"step {k} / 9"
            page.keyboard.press("ArrowLeft")
            assert page.inner_text(".cr-counter") == "step 2 / 9"
            page.keyboard.press("+")
            assert page.inner_text(".cr-zoom-level") == "125%"
            page.keyboard.press("0")
            assert page.inner_text(".cr-zoom-level") == "100%"
            steps = list(backward_steps(out))
            assert page.inner_text(".cr-product .cr-parent") == steps[1].parent_name
            shot(page, tmp_path, "player_light_step2")

            dark = browser.new_page(viewport={"width": 1280, "height": 720}, color_scheme="dark")
            dark.goto(f"file://{path}")
            assert "invert" in dark.evaluate(FILTER)  # the graph shown inverted, its hues kept
            fg = dark.evaluate("() => getComputedStyle(document.querySelector('.cr-caption')).color")
            assert fg == "rgb(230, 237, 243)"  # light text on the dark theme's panels
            dark.click(".cr-next")
            shot(dark, tmp_path, "player_dark")

            page.goto(f"file://{evil_path}")
            page.click(".cr-next")
            assert page.inner_text(".cr-counter") == "step 1 / 2"  # the hostile label runs nothing
            assert page.evaluate("() => window.pwned") is None
            assert evil.label in page.inner_text(".cr-caption")
        finally:
            browser.close()
