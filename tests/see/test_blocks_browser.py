"""The block view of microgpt's graph in a real JupyterLab: its menu opens a block, then a block in it,
down to one attention head's softmax drawn node by node; ``up`` and ``top`` go back.

One JupyterLab (on 127.0.0.1, in a temporary folder) and one headless Chromium, as in
test_explore_browser.py. Set CHAINRULE_SCREENSHOTS to a folder to keep the screenshots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autograd import track_blocks
from autograd.see.blocks import block_view, blocks
from tests.support.gpt_doc import document_loss, model_and_doc
from tests.support.jupyterlab_session import notebook_in_lab
from tests.support.jupyterlab_session import screenshot as take_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELLS = [
    "import autograd\nfrom tests.support.gpt_doc import document_loss, model_and_doc\n"
    "gpt, model, tokenizer, doc = model_and_doc()\n"
    "with autograd.track_blocks():\n    loss = document_loss(gpt, model, tokenizer, doc)\nloss.backward()",
    "bx = autograd.explore_blocks(loss)\nbx",
]
ZOOM = ["pos_id=3", "forward", "li=0", "h=2", "_softmax"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with notebook_in_lab(tmp_path_factory.mktemp("jupyterlab_blocks"), "blocks.ipynb", CELLS) as session:
        yield session


def screenshot(lab: Any, name: str) -> Path:
    return take_screenshot(lab, ".cr-blocks", name)


def crumb(lab: Any) -> str:
    return " ".join(lab.page.locator(".cr-blocks .cr-crumb").inner_text().split())


def font_pixels(lab: Any) -> list[float]:
    return list(lab.page.evaluate("""() => Array.from(document.querySelectorAll('.cr-blocks svg text'))
        .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""))


def test_the_menu_zooms_down_to_one_heads_softmax(lab: Any) -> None:
    gpt, model, tokenizer, doc = model_and_doc()  # the notebook's graph, built again here to compare
    with track_blocks():
        loss = document_loss(gpt, model, tokenizer, doc)
    counts = blocks(loss)
    page = lab.page
    page.wait_for_selector(".cr-blocks svg")
    top = block_view(loss)
    assert crumb(lab) == top.title == f"document_loss: {top.total:,} nodes"
    assert min(font_pixels(lab)) >= 12.0
    screenshot(lab, "blocks_top_jupyterlab")
    path: list[str] = ["document_loss"]
    for step in ZOOM:
        path.append(step)
        options = [" ".join(o.split()) for o in page.locator(".cr-blocks select option").all_text_contents()]
        label = next((o for o in options if o.split(" · ")[0] == step), f"{step} not in {options}")
        box = next(b for b in block_view(loss, path[:-1]).boxes if b.key == (step,))
        assert label == f"{step} · {len(box.nodes):,} nodes"  # as the box in the picture says
        page.locator(".cr-blocks select").select_option(label=label)
        want = " > ".join(path)
        page.wait_for_function(f"""() => document.querySelector('.cr-blocks .cr-crumb').innerText
                                   .startsWith({want + ':'!r})""")
        if step in ("li=0", "_softmax"):
            screenshot(lab, f"blocks_{step.replace('=', '')}_jupyterlab")
    # the softmax of head 2 at position 3, node by node: one oval per node made in it
    n = counts[" > ".join(path)]
    assert crumb(lab) == f"{' > '.join(path)}: {n} nodes"
    ovals = page.locator(".cr-blocks svg g.node ellipse").count()
    assert ovals == n
    assert page.locator(".cr-blocks select option").count() == 1  # nothing inside to open
    assert min(font_pixels(lab)) >= 12.0
    page.locator(".cr-blocks button", has_text="up").click()
    shown = "document.querySelector('.cr-blocks .cr-crumb').innerText"
    page.wait_for_function(f"() => !{shown}.includes('_softmax')")
    assert crumb(lab).startswith(" > ".join(path[:-1]) + ":")
    page.locator(".cr-blocks button", has_text="top").click()
    page.wait_for_function(f"() => {shown}.startsWith('document_loss:')")
