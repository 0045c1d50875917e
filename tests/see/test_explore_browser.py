"""The live views in a real JupyterLab: the explorer's sliders redraw the graph with the right numbers,
the playground's Step / Play / Pause train exactly as nn.fit does, and fit(live=...) draws its last epoch.

One JupyterLab (on 127.0.0.1, in a temporary folder) and one headless Chromium serve every test here:
the notebook below is opened and run once, then each test works the widgets as a reader would. Set
CHAINRULE_SCREENSHOTS to a folder to keep the screenshots taken on the way (light and dark themes).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import nn
from autograd.see.text import format_number
from tests.support.jupyterlab_session import notebook_in_lab, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EPOCHS = 300
CELLS = [
    "import autograd, nn\nfrom autograd.see.text import format_number",
    "ex = autograd.explore(lambda a, b, c, f: (a * b + c) * f, a=2.0, b=-3.0, c=10.0, f=-2.0)\nex",
    "X, y = nn.data.make_moons(40, noise=0.1, seed=0)\n"
    "model = nn.MLP(2, [8, 8, 1], seed=0)\n"
    f"pg = nn.playground(model, X, y, loss='hinge', optimizer=nn.optim.SGD(model.parameters(), lr=0.3), "
    f"epochs={EPOCHS})\npg",
    "model2 = nn.MLP(2, [8, 8, 1], seed=0)\n"
    "h = nn.fit(model2, X, y, loss='hinge', optimizer=nn.optim.SGD(model2.parameters(), lr=0.3), epochs=12, "
    "live=4)\nprint('fit finished:', h.epochs, format_number(h.loss[-1]))",
    "from autograd import Value\n"
    "a, b, c, f = (Value(v, label=n) for v, n in ((2.0, 'a'), (-3.0, 'b'), (10.0, 'c'), (-2.0, 'f')))\n"
    "L = (a * b + c) * f\nL.label = 'L'\nautograd.play(L)",
    "autograd.explain(L, a)",
    "nn.MLP(2, [16, 16, 1], seed=0).draw()",
]


def expected_loss(epochs: int) -> str:
    """The loss nn.fit reports after ``epochs`` epochs of the notebook's recipe, run here."""
    X, y = nn.data.make_moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 8, 1], seed=0)
    h = nn.fit(model, X, y, loss="hinge", optimizer=nn.optim.SGD(model.parameters(), lr=0.3), epochs=epochs,
               progress=False)
    return format_number(h.loss[-1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with notebook_in_lab(tmp_path_factory.mktemp("jupyterlab"), "live.ipynb", CELLS) as session:
        yield session


def texts(lab: Any, selector: str) -> list[str]:
    return [" ".join(t.split()) for t in lab.page.locator(selector).all_text_contents()]


def test_explorer_redraws_the_graph_as_a_slider_moves(lab: Any) -> None:
    page = lab.page
    view = ".cr-explorer .cr-explore"
    page.wait_for_selector(f"{view} svg")
    assert texts(lab, f"{view} .cr-out") == ["out = -8"]
    assert "∂out/∂a = 6" in texts(lab, f"{view} .cr-grad")
    boxes = texts(lab, f"{view} svg text")
    assert "data 2" in boxes and "grad 6" in boxes and "∂/∂a = -3" in boxes  # a's box, and the edge a -> *
    screenshot(lab, ".cr-explorer", "explorer_light")

    sliders = page.locator(".cr-explorer .widget-slider")
    slider = sliders.filter(has=page.locator("label", has_text=re.compile(r"^a$")))
    slider.locator(".noUi-handle").focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")  # the slider moves in steps, as when dragged
    readout = ".cr-explorer .widget-readout"
    page.wait_for_function(f"() => document.querySelector('{readout}').textContent !== '2.0'")
    a = float(slider.locator(".widget-readout").inner_text())
    assert a > 2.0
    b, c, f = -3.0, 10.0, -2.0
    out = (a * b + c) * f
    want = [f"out = {format_number(out)}"]
    page.wait_for_function(f"() => document.querySelector('{view} .cr-out').innerText.trim() === {want[0]!r}")
    assert texts(lab, f"{view} .cr-out") == want
    grads = texts(lab, f"{view} .cr-grad")
    assert grads == [f"∂out/∂a = {format_number(b * f)}", f"∂out/∂b = {format_number(a * f)}",
                     f"∂out/∂c = {format_number(f)}", f"∂out/∂f = {format_number(a * b + c)}"]
    boxes = texts(lab, f"{view} svg text")
    assert f"data {format_number(a)}" in boxes and f"data {format_number(out)}" in boxes
    assert f"∂/∂b = {format_number(a)}" in boxes  # the edge b -> * carries d(a*b)/db = a

    # typing a value into the slider's readout works too; a setting outside log's domain would show its error
    readout = page.locator(".cr-explorer .widget-slider").filter(
        has=page.locator("label", has_text=re.compile(r"^b$"))).locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("-1")
    page.keyboard.press("Enter")
    want_b = f"out = {format_number((a * -1.0 + c) * f)}"
    page.wait_for_function(f"() => document.querySelector('{view} .cr-out').innerText.trim() === {want_b!r}")
    lab.theme("JupyterLab Dark")
    screenshot(lab, ".cr-explorer", "explorer_dark")
    lab.theme("JupyterLab Light")


def status(lab: Any, selector: str) -> tuple[int, str]:
    """The epoch and the loss a live view's status line shows (the loss '' before any epoch)."""
    text = lab.page.locator(f"{selector} .cr-status").inner_text()
    m = re.search(r"epoch (\d+) / \d+(?: · loss (\S+))?", text)
    assert m, text
    return int(m.group(1)), m.group(2) or ""


def test_playground_steps_plays_and_pauses_like_fit(lab: Any) -> None:
    page = lab.page
    pg = ".cr-playground"
    page.wait_for_selector(f"{pg} .cr-status")
    assert status(lab, pg) == (0, "")  # nothing is trained until asked
    step = page.locator(f"{pg} button", has_text="Step")
    for k in range(1, 4):
        step.click()
        page.wait_for_selector(f"{pg} .cr-status[data-epoch='{k}']")
    assert status(lab, pg) == (3, expected_loss(3))

    play = page.locator(f"{pg} button", has_text=re.compile("Play|Pause"))
    play.click()
    page.wait_for_function(f"() => +document.querySelector('{pg} .cr-status').dataset.epoch >= 8")
    play.click()  # Pause
    page.wait_for_function(f"() => document.querySelector('{pg} .cr-status').innerText.includes('paused')")
    paused, loss = status(lab, pg)
    assert 8 <= paused < EPOCHS
    page.wait_for_timeout(1000)
    assert status(lab, pg)[0] == paused  # paused means paused
    assert loss == expected_loss(paused)  # Play trains exactly the epochs fit would
    step.click()
    page.wait_for_selector(f"{pg} .cr-status[data-epoch='{paused + 1}']")
    assert status(lab, pg) == (paused + 1, expected_loss(paused + 1))

    assert "network: weights" in page.locator(pg).inner_text()
    page.locator(f"{pg} button", has_text="gradients").click()
    page.wait_for_function(f"() => document.querySelector('{pg}').innerText.includes('network: gradients')")
    boundary = page.locator(f"{pg} svg.cr-boundary")
    assert boundary.locator("circle").count() == 40  # every training point on the decision boundary
    screenshot(lab, pg, "playground_light")
    lab.theme("JupyterLab Dark")
    screenshot(lab, pg, "playground_dark")
    lab.theme("JupyterLab Light")


def test_fit_live_draws_the_training_to_its_last_epoch(lab: Any) -> None:
    page = lab.page
    view = ".cr-live:has(.cr-status:text('nn.fit'))"
    page.wait_for_selector(view)
    printed = page.locator(".jp-OutputArea-output", has_text="fit finished:").inner_text()
    m = re.search(r"fit finished: 12 (\S+)", printed)
    assert m and m.group(1) == expected_loss(12)
    assert status(lab, view) == (12, m.group(1))
    assert page.locator(f"{view} svg.cr-losses polyline").count() >= 1


def test_player_explain_and_network_view_read_well_in_jupyterlab(lab: Any) -> None:
    page = lab.page
    player = ".jp-OutputArea-output .cr-player"
    page.wait_for_selector(f"{player} .cr-frame svg")
    assert page.inner_text(f"{player} .cr-counter") == "step 0 / 6"
    cells = "() => document.querySelectorAll('.jp-Notebook .jp-Cell.jp-mod-selected').length"
    page.locator(f"{player} .cr-caption").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.inner_text(f"{player} .cr-counter") == "step 2 / 6"  # the arrow keys work in the lab
    assert page.inner_text(f"{player} .cr-product .cr-parent") == "f"
    assert page.evaluate(cells) == 1
    sizes = page.evaluate(f"""() => Array.from(document.querySelectorAll('{player} .cr-frame'))
        .filter(f => f.style.display !== 'none').flatMap(f => Array.from(f.querySelectorAll('svg text')))
        .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)""")
    assert sizes and min(sizes) >= 12.0  # at its natural size in the notebook too
    screenshot(lab, player, "player_jupyterlab_light")
    explained = page.locator(".jp-RenderedMarkdown", has_text="path")
    assert "a → a * b → a * b + c → L" in explained.inner_text()  # the names the player's boxes show
    screenshot(lab, ".jp-RenderedMarkdown >> text=path", "explain_light")
    network = page.locator(".jp-OutputArea-output img, .jp-OutputArea-output svg").last
    network.scroll_into_view_if_needed()
    screenshot(lab, ".jp-RenderedSVG, .jp-RenderedImage", "network_light")
    lab.theme("JupyterLab Dark")
    screenshot(lab, player, "player_jupyterlab_dark")
    screenshot(lab, ".jp-RenderedMarkdown >> text=path", "explain_dark")
    screenshot(lab, ".jp-RenderedSVG, .jp-RenderedImage", "network_dark")
    lab.theme("JupyterLab Light")
