"""microgpt's own code on chainrule: its GPT, its training loop and its Adam, the class swapped.

microgpt (Karpathy, February 2026) trains a small GPT on a scalar ``Value`` of its own. Its code
runs on chainrule unchanged but for the class; this module loads it that way, so a lesson or a test
can run the original next to chainrule's fast version::

    from nn import microgpt
    gpt = microgpt.engine()                 # microgpt's module, on autograd.Value
    own = microgpt.engine(Value=None)       # the same code on microgpt's own Value
    model = gpt.MicroGPT(vocab_size=27)     # its model; model.train_on_docs(...) trains it

The code is the refactor of microgpt that the PyPI package ``strands-microgpt`` 0.1.0 ships (its
``engine.py``, MIT licence: the model, ``train_on_docs`` with Adam, ``generate``), which needs only
the standard library. Nothing of it is copied into chainrule: install it without its
dependencies (the rest of that package is an agent SDK plugin we do not use)::

    pip install --no-deps strands-microgpt==0.1.0

``make demo`` and ``make test`` do that for you.
"""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType
from typing import Any

__all__ = ["engine", "REQUIREMENT", "MicrogptMissingError"]

#: The release whose ``engine.py`` is loaded (tests and the bench compare numbers with it).
REQUIREMENT = "strands-microgpt==0.1.0"

_KEEP = object()


class MicrogptMissingError(ModuleNotFoundError):
    """strands-microgpt is not installed; the message says how to install it."""


def engine(Value: Any = _KEEP) -> ModuleType:
    """A fresh copy of microgpt's module (strands-microgpt's ``engine.py``), its ``Value`` swapped.

    ``Value`` is the class its code builds on: ``autograd.Value`` by default, any micrograd-family
    class you pass, or None for microgpt's own. Each call loads a new module object, so swapping
    the class in one copy leaves every other copy as it was. The package's ``__init__`` (which
    imports the agent SDK) never runs.
    """
    spec = importlib.util.find_spec("strands_microgpt")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    path = os.path.join(folders[0], "engine.py") if folders else ""
    if not os.path.isfile(path):
        raise MicrogptMissingError(f"nn.microgpt.engine needs microgpt's code, which is not installed: "
                                   f"pip install --no-deps {REQUIREMENT}", name="strands_microgpt")
    loaded = importlib.util.spec_from_file_location("microgpt_engine", path)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    if Value is _KEEP:
        import autograd
        Value = autograd.Value
    if Value is not None:
        vars(module)["Value"] = Value  # its functions look the class up in their module at call time
    return module
