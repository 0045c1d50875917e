"""Small helpers shared by several test modules: comparing numbers with NaN, a model's buffers, the CLI."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np

from autograd import cli


def same(got: Any, want: Any, *, rtol: float, atol: float = 0.0) -> bool:
    """The same numbers, element for element: NaN where NaN, an infinity where the same infinity, and
    a finite number within ``atol + rtol * |want|`` of the one wanted. The shapes must match too (no
    broadcasting: a list of one number is not the same as a list of three)."""
    a, b = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if a.shape != b.shape:
        return False
    close = np.isclose(a, b, rtol=rtol, atol=atol)  # an infinity is close to the same infinity only
    return bool(np.all((np.isnan(a) & np.isnan(b)) | (a == b) | close))


def named_buffers(model: Any) -> list[tuple[str, list[float]]]:
    """``model.named_buffers()`` (BatchNorm's running statistics) as a list; [] for a kind without any."""
    return list(getattr(model, "named_buffers", lambda: [])())


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``chainrule argv...`` in this process: the exit status, what it wrote to stdout and to stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()
