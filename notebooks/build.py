"""Write the lesson notebooks from their sources and run them, so they are kept with outputs.

Each lesson lives in ``notebooks/src/NN_name.py`` as plain text split into cells by marker
lines::

    #%% md
    Some *markdown*.
    #%% code
    x = 1

``python notebooks/build.py`` turns every source into ``notebooks/NN_name.ipynb``, executes it
top to bottom on a fresh ``python3`` kernel (from the environment running this script) with
``notebooks/`` as the working directory, and saves it with its outputs. Name lessons to
build only some of them: ``python notebooks/build.py 03 06``. ``--no-run`` writes the
notebooks without executing them.

The workbooks (``notebooks/workbooks/src/NN_name.py``, the same format) are written to
``notebooks/workbooks/NN_name.ipynb`` too, but never run: they are saved unanswered, for the
learner to fill in (``tests/test_workbooks.py`` runs them with the answers put in).
"""

from __future__ import annotations

import argparse
import html
import os
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = HERE / "src"
WORKBOOKS = HERE / "workbooks"
KERNEL = "python3"
TIMEOUT = 300  # seconds per cell


def parse(text: str) -> list[tuple[str, str]]:
    """Split a lesson source into (kind, source) cells; kind is 'md' or 'code'."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("#%%"):
            kind = line[3:].strip() or "code"
            if kind not in ("md", "code"):
                raise ValueError(f"unknown cell kind {kind!r} in marker line {line!r}")
            cells.append((kind, []))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip():
            raise ValueError("text before the first #%% marker")
    out = []
    for kind, lines in cells:
        body = "\n".join(lines).strip("\n")
        if body.strip():
            out.append((kind, body))
    return out


def notebook(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        for kind, src in cells
    ]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    # Stable cell ids keep the saved files' diffs small from one build to the next.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    return nb


def kernel_env() -> dict[str, str]:
    """The environment for the kernel: this checkout first on the import path.

    So the notebooks import the ``autograd`` and ``nn`` of this checkout, whatever
    state an editable install is in.
    """
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    # Figures inline, whatever backend the calling process uses.
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return env


def kernel_manager() -> KernelManager | None:
    """A manager for the ``python3`` kernel of the environment running this script.

    Jupyter looks for kernels in the user's directories before the environment's, so a
    ``python3`` kernel installed for another Python could otherwise run the lessons. The
    environment's own kernelspec (written by ipykernel) is used when it exists.
    """
    ksm = KernelSpecManager(kernel_dirs=[os.path.join(sys.prefix, "share", "jupyter", "kernels")])
    if KERNEL not in ksm.find_kernel_specs():
        return None  # let Jupyter find one the usual way
    return KernelManager(kernel_name=KERNEL, kernel_spec_manager=ksm)


def execute(nb: nbformat.NotebookNode, cwd: Path = HERE, timeout: int = TIMEOUT) -> nbformat.NotebookNode:
    """Run every cell on a fresh kernel; raises CellExecutionError on the first error."""
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=KERNEL, km=kernel_manager(), record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute(env=kernel_env())
    widget_text(nb)
    return nb


def widget_text(nb: nbformat.NotebookNode) -> None:
    """Give each saved progress-bar widget a text form showing how the bar ended.

    In Jupyter, tqdm draws a widget whose plain-text fallback is the bar as it *started*
    (0%); viewers that cannot run widgets (GitHub) show that fallback. The widget's final
    state is saved with the notebook, so the text is rebuilt from it: the same prefix,
    bar and counts that the widget shows.
    """
    saved = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    state = saved.get("state", {})

    def model(ref: str) -> dict:
        return state.get(ref.removeprefix("IPY_MODEL_"), {})

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            box = model(view["model_id"]) if view else {}
            if box.get("model_name") != "HBoxModel":
                continue
            parts = [model(ref) for ref in box["state"].get("children", [])]
            names = [p.get("model_name") for p in parts]
            if names != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
                continue
            bar = parts[1]["state"]
            done = bar.get("value", 0) / bar["max"] if bar.get("max") else 0.0
            text = (
                html.unescape(parts[0]["state"].get("value", ""))
                + "|" + "█" * round(10 * done) + " " * (10 - round(10 * done)) + "|"
                + html.unescape(parts[2]["state"].get("value", ""))
            )
            out["data"]["text/plain"] = text.replace("\u2007", " ")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lessons", nargs="*", help="lesson numbers or names to build (default: all)")
    ap.add_argument("--no-run", action="store_true", help="write the notebooks without running them")
    args = ap.parse_args(argv)
    sources = sorted(SRC.glob("[0-9][0-9]_*.py")) + sorted((WORKBOOKS / "src").glob("[0-9][0-9]_*.py"))
    if args.lessons:
        sources = [s for s in sources if any(s.stem.startswith(w) for w in args.lessons)]
    for src in sources:
        nb = notebook(parse(src.read_text(encoding="utf-8")))
        t = time.perf_counter()
        workbook = src.parent.parent == WORKBOOKS
        if not args.no_run and not workbook:
            execute(nb)
        dest = src.parent.parent / f"{src.stem}.ipynb"
        nbformat.write(nb, dest)
        print(f"{dest.name}: {len(nb.cells)} cells, ran in {time.perf_counter() - t:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
