"""Optional packages: a feature that needs one names the extra of chainrule that brings it.

The engine itself needs only the standard library (and ``graphviz`` to draw).
Plots need matplotlib, the batch replay NumPy, the live views ipywidgets, the
bridge PyTorch, the handwritten digits (``nn.data.load_digits``) scikit-learn.
Each feature imports its package through :func:`need` when it is used, so
``import autograd`` and ``import nn`` work without any of them, and a missing one
gives an error that says what to install::

    need("matplotlib.pyplot", "nn.see.plot.history")
    # MissingExtraError: nn.plot.history needs matplotlib, which is not installed:
    #     pip install "chainrule[plot]"
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["need", "MissingExtraError", "EXTRAS"]

#: The extra that brings each optional package (by its import name).
EXTRAS = {
    "matplotlib": "plot",
    "numpy": "fast",
    "ipywidgets": "notebook",
    "IPython": "notebook",
    "tqdm": "notebook",
    "torch": "torch",
    "sklearn": "digits",
}


class MissingExtraError(ModuleNotFoundError):
    """An optional package a feature needs is not installed; the message names the extra to install."""


def need(module: str, feature: str) -> Any:
    """Import ``module`` for ``feature`` and return it, or raise :class:`MissingExtraError` with the extra."""
    top = module.partition(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError as e:
        if e.name is not None and e.name.partition(".")[0] != top:
            raise  # the package is there but something it imports is broken: show that error
        extra = EXTRAS[top]
        message = f'{feature} needs {top}, which is not installed: pip install "chainrule[{extra}]"'
        raise MissingExtraError(message, name=top) from e
