"""The lessons as test material: their sources, one fresh run of each, and the facts of their figures.

What you can do with it:

* ``executed(name)`` runs a lesson's saved notebook afresh on a kernel (outputs cleared first),
  once per test session, and returns the notebook with its new outputs, the seconds it took and
  a record of every matplotlib figure it showed (the pixel size of each text, its words).
  test_notebooks.py and test_lessons_claims.py read the same run, so each lesson runs once.
* ``run_cells(name, edits, upto=..., extra=...)`` runs a lesson's source with some cells edited
  the way a "Try this" tells a reader to, on a fresh kernel, and returns what it printed and
  drew: the tests of the "Try this" paragraphs follow the text literally with it.
* ``text(nb)`` is everything a notebook printed, ``markdown(name)`` everything it says.

Why a recording hook instead of reading the PNGs: a picture's pixels do not say how large its
letters are. The hook wraps matplotlib's ``print_figure`` (which the inline backend calls to
make each PNG) and, after the picture is drawn, reads every visible text's font size and the
resolution it was drawn at.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

_spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOKS / "build.py")
assert _spec is not None and _spec.loader is not None
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

LESSONS = sorted(p.stem for p in (NOTEBOOKS / "src").glob("[0-9][0-9]_*.py"))

# Injected before a lesson's first cell: records each figure the inline backend turns into a picture.
_RECORD = '''
import matplotlib.backend_bases as _cr_backend
import matplotlib.text as _cr_text
_cr_figures = []
_cr_print_figure = _cr_backend.FigureCanvasBase.print_figure
def _cr_record(self, *args, **kwargs):
    result = _cr_print_figure(self, *args, **kwargs)
    dpi = kwargs.get("dpi")
    dpi = self.figure.dpi if dpi in (None, "figure") else dpi
    texts = [[t.get_text(), float(t.get_fontsize()) * dpi / 72]
             for t in self.figure.findobj(_cr_text.Text) if t.get_visible() and t.get_text().strip()]
    _cr_figures.append({"dpi": float(dpi), "texts": texts})
    return result
_cr_backend.FigureCanvasBase.print_figure = _cr_record
'''
_REPORT = "import json as _cr_json; print(_cr_json.dumps(_cr_figures))"


@dataclass
class Figure:
    """One matplotlib picture a lesson showed: the cell that drew it, its texts and their sizes in pixels."""

    cell: int
    dpi: float
    texts: list[tuple[str, float]]

    def words(self) -> str:
        return " ".join(t for t, _ in self.texts)


@dataclass
class Run:
    nb: nbformat.NotebookNode
    seconds: float
    figures: list[Figure] = field(default_factory=list)


def cells(name: str) -> list[tuple[str, str]]:
    """The lesson's cells from its source, as ``(kind, text)``; indices are the notebook's."""
    return build.parse((NOTEBOOKS / "src" / f"{name}.py").read_text(encoding="utf-8"))


def markdown(name: str) -> str:
    """The lesson's prose, the markdown cells joined, with lines joined into one text."""
    return re.sub(r"\s+", " ", "\n".join(src for kind, src in cells(name) if kind == "md"))


def text(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook printed or displayed as text, cell after cell."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "stream":  # a print may arrive in several pieces: join them as they are
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                data = out.get("data", {})
                parts.append("\n" + data.get("text/markdown", "") + "\n" + data.get("text/plain", "") + "\n")
            elif out.output_type == "error":
                parts.append(f"\n{out.ename}: {out.evalue}\n")
        parts.append("\n")
    return "".join(parts)


def _instrumented(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[Figure]]:
    """Run nb with the figure recorder around it; returns nb without the recorder's cells."""
    nb.cells = [nbformat.v4.new_code_cell(_RECORD), *nb.cells, nbformat.v4.new_code_cell(_REPORT)]
    try:
        build.execute(nb)
    finally:
        first, *body, last = nb.cells
        nb.cells = body
    report = json.loads("".join(o.get("text", "") for o in last.outputs if o.output_type == "stream"))
    # One PNG output per drawn figure, in the same order: that gives each record its cell.
    shown = [i for i, _ in png_widths(nb)]
    assert len(shown) == len(report), f"{len(report)} figures drawn, {len(shown)} PNG outputs"
    figures = [Figure(i, f["dpi"], [(t, s) for t, s in f["texts"]]) for i, f in zip(shown, report)]
    return nb, figures


_runs: dict[str, Run] = {}


def executed(name: str) -> Run:
    """The lesson's saved notebook run afresh (outputs cleared), once per session; fails on any error."""
    if name not in _runs:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        t = time.perf_counter()
        nb, figures = _instrumented(nb)
        _runs[name] = Run(nb, time.perf_counter() - t, figures)
    return _runs[name]


def cell_with(name: str, words: str) -> int:
    """The index of the first code cell of the lesson whose text holds ``words``."""
    found = [i for i, (kind, src) in enumerate(cells(name)) if kind == "code" and words in src]
    assert found, f"{name}: no code cell holds {words!r}"
    return found[0]


def run_cells(name: str, edits: dict[int, list[tuple[str, str]]] | None = None, upto: int | None = None,
              extra: tuple[str, ...] = (), only: list[int] | None = None, raises: str | None = None) -> Run:
    """Run the lesson's source, cells ``0..upto`` (or the cells in ``only``), with cells edited.

    ``edits`` maps a cell index to ``(old, new)`` replacements: the cell's text must hold ``old``
    (so a test that follows a "Try this" fails when the lesson no longer says what to change),
    and every ``old`` becomes ``new``. ``extra`` cells run after them, as a reader adding a cell
    would. ``raises``: the text of the one cell (edited or extra) allowed to end in an error.
    """
    source = cells(name)
    chosen = only if only is not None else list(range(len(source) if upto is None else upto + 1))
    code = []
    for i in chosen:
        kind, src = source[i]
        if kind != "code":
            continue
        for old, new in (edits or {}).get(i, []):
            assert old in src, f"{name} cell {i} does not hold {old!r}"
            src = src.replace(old, new)
        code.append(src)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": build.KERNEL, "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in [*code, *extra]]
    for cell in nb.cells:
        if raises is not None and raises in cell.source:
            cell.metadata["tags"] = ["raises-exception"]  # nbclient records the error and goes on
    t = time.perf_counter()
    nb, figures = _instrumented(nb)
    return Run(nb, time.perf_counter() - t, figures)


def png_widths(nb: nbformat.NotebookNode) -> list[tuple[int, int]]:
    """(cell index, width in pixels) of every PNG the notebook shows."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                found.append((i, struct.unpack(">I", base64.b64decode(png)[16:20])[0]))
    return found


def svg_widths(nb: nbformat.NotebookNode) -> list[tuple[int, float]]:
    """(cell index, width in CSS pixels) of every SVG picture the notebook shows (1 pt = 4/3 px)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            svg = out.get("data", {}).get("image/svg+xml")
            if not svg:
                continue
            m = re.search(r'<svg[^>]*?\swidth="([\d.]+)(pt|px)?"', svg)
            assert m, f"cell {i}: an SVG without a width"
            found.append((i, float(m.group(1)) * (4 / 3 if m.group(2) == "pt" else 1)))
    return found
