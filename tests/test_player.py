"""play: a self-contained HTML player whose frames agree with backward_steps."""

from __future__ import annotations

import json
import os
import re

import pytest
from lecture import lecture_L

from autograd import backward_steps, play
from autograd.draw import DotNotFoundError

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
        assert float(cap["upstream"]) == s.upstream
        assert float(cap["local"]) == s.local
        assert float(cap["contribution"]) == s.contribution
        assert float(cap["after"]) == s.parent_grad
    assert caps[1]["rule"] == "f = -2" and caps[1]["derivative"] == "∂L/∂d"


def test_frames_highlight_the_active_edge_and_the_new_grad() -> None:
    player = play(lecture_L()[0])
    first, third = player.frames[0], player.frames[3]
    assert first.startswith("<svg") and first.rstrip().endswith("</svg>")
    assert "#c0392b" not in first  # no active edge before backward starts
    assert "#ffe28a" in first  # the output's gradient, 1, is the first one filled in
    # step 3: d passes its gradient to e; e's box is filled and now shows grad -2
    assert third.count('stroke="#c0392b"') >= 2  # the edge and its arrowhead
    filled = re.findall(r'<title>(n\d+)</title>\s*<polygon fill="#ffe28a"', third)
    assert filled == ["n2"]  # e, the third Value in topological order
    assert "grad &#45;2.0000" in third or "grad -2.0000" in third


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
                assert float(page.inner_text(".cr-upstream")) == s.upstream
                assert float(page.inner_text(".cr-local")) == s.local
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
