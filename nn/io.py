"""Model files: ``save`` a network to JSON and ``load`` it back, safely.

What you can do with it::

    nn.save(model, "moons.json")
    model = nn.load("moons.json")       # the same architecture, the same weights

A model file is plain JSON you can read::

    {"format": "chainrule.nn", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu",
                      "output_activation": "linear", "fused": true},
     "parameters": {"layers.0.neurons.0.w.0": 0.23, ...}}

Why it is safe:

* ``save`` writes a temporary file next to the target, flushes it to disk
  (``fsync``) and only then renames it over the target (``os.replace``, atomic).
  If anything fails on the way (a full disk, an error while writing), the old
  file is still there, whole.
* ``load`` only parses JSON: nothing in the file is ever executed or imported.
  Every field is checked, and anything unexpected (truncated JSON, another
  format version, unknown or missing fields, wrong shapes, non-numbers, NaN or
  infinity, a file over ``MAX_BYTES``, absurdly deep nesting) raises a
  ``ValueError`` that says what is wrong.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any

from .module import ACTIVATIONS, MLP, Layer, Module, Neuron

__all__ = ["save", "load", "FORMAT", "VERSION", "MAX_BYTES"]

#: The value of the "format" field that marks a chainrule model file.
FORMAT = "chainrule.nn"
#: The format version this code writes and reads.
VERSION = 1
#: Files larger than this are refused (50 MB, far above any network this engine can train).
MAX_BYTES = 50 * 1024 * 1024
#: The most parameters a loaded architecture may declare.
MAX_PARAMETERS = 5_000_000

_FIELDS: dict[str, dict[str, str]] = {
    # architecture type -> field -> kind of value
    "Neuron": {"nin": "size", "activation": "activation", "fused": "bool"},
    "Layer": {"nin": "size", "nout": "size", "activation": "activation", "fused": "bool"},
    "MLP": {"nin": "size", "nouts": "sizes", "activation": "activation", "output_activation": "activation",
            "fused": "bool"},
}


def save(model: Module, path: str | os.PathLike[str]) -> None:
    """Write ``model`` (an ``nn.Neuron``, ``nn.Layer`` or ``nn.MLP``) to the JSON file ``path``, atomically.

    Raises ``ValueError`` (and leaves any existing file alone) if a parameter is
    NaN or infinite, since such a model could not be loaded back.
    """
    kind = type(model).__name__
    if not isinstance(model, (Neuron, Layer, MLP)) or kind not in _FIELDS:
        raise TypeError(f"save: expected an nn.Neuron, nn.Layer or nn.MLP, got {type(model).__name__}")
    params = model.state_dict()
    for name, v in params.items():
        if not math.isfinite(v):
            raise ValueError(f"save: parameter {name!r} is {v!r}; only finite numbers can be saved")
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {"type": kind, **model.config()},
        "parameters": params,
    }
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_directory(directory)


def _mode_for(path: str) -> int:
    """Keep an existing file's permissions; a new file gets rw-r--r--."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return 0o644


def _sync_directory(directory: str) -> None:
    """Flush the rename itself to disk where the system allows it (POSIX)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _bad(path: str, problem: str) -> ValueError:
    return ValueError(f"load: {path}: {problem}")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed (parameters must be finite numbers)")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def load(path: str | os.PathLike[str]) -> Module:
    """Read a model written by :func:`save` and return it, ready to use.

    Raises ``ValueError`` naming the problem for any malformed file, and
    ``OSError`` (such as ``FileNotFoundError``) when the file cannot be read.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise _bad(path, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; refusing to read it")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _bad(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    try:
        doc = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as e:
        raise _bad(path, f"invalid or truncated JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except RecursionError:
        raise _bad(path, "the JSON is nested too deeply to be a model file") from None
    except ValueError as e:
        raise _bad(path, f"invalid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise _bad(path, f"expected a JSON object at the top, got {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise _bad(path, f"not a chainrule model file (the 'format' field must be {FORMAT!r})")
    version = doc.get("version")
    if version != VERSION or isinstance(version, bool):
        raise _bad(path, f"unsupported format version {version!r:.40}; this nn reads version {VERSION}")
    unknown = sorted(set(doc) - {"format", "version", "architecture", "parameters"})
    if unknown:
        raise _bad(path, f"unknown top-level field(s) {', '.join(repr(k) for k in unknown)}")
    arch = doc.get("architecture")
    if not isinstance(arch, dict):
        raise _bad(path, "missing or malformed 'architecture' (expected an object)")
    params = doc.get("parameters")
    if not isinstance(params, dict):
        raise _bad(path, "missing or malformed 'parameters' (expected an object of name -> number)")
    kind, config = _check_architecture(path, arch)
    expected = _parameter_count(kind, config)
    if expected > MAX_PARAMETERS:
        raise _bad(path, f"the architecture declares {expected} parameters, over the limit {MAX_PARAMETERS}")
    if len(params) != expected:
        n = len(params)
        raise _bad(path, f"shape mismatch: the architecture has {expected} parameters, the file has {n}")
    for name, v in params.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _bad(path, f"parameter {name!r} must be a number, got {type(v).__name__}: {v!r:.40}")
        try:
            finite = math.isfinite(v)
        except OverflowError:
            finite = False
        if not finite:
            raise _bad(path, f"parameter {name!r} is not a finite number")
    model: Module = {"Neuron": Neuron, "Layer": Layer, "MLP": MLP}[kind](**config, seed=0)
    names = [n for n, _ in model.named_parameters()]
    missing = [n for n in names if n not in params]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise _bad(path, f"shape mismatch: parameter {missing[0]!r} is missing{more}")
    model.load_state_dict({n: float(params[n]) for n in names})
    return model


def _check_architecture(path: str, arch: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = arch.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise _bad(path, f"unknown architecture type {kind!r:.40}; expected one of {sorted(_FIELDS)}")
    fields = _FIELDS[kind]
    given = set(arch) - {"type"}
    unknown = sorted(given - set(fields))
    if unknown:
        raise _bad(path, f"unknown architecture field(s) for {kind}: {', '.join(repr(k) for k in unknown)}")
    missing = [k for k in fields if k not in given]
    if missing:
        raise _bad(path, f"missing architecture field(s) for {kind}: {', '.join(repr(k) for k in missing)}")
    config: dict[str, Any] = {}
    for key, what in fields.items():
        v = arch[key]
        if not _field_ok(what, v):
            raise _bad(path, f"architecture field {key!r} must be {_EXPECTED[what]}, got {v!r:.60}")
        config[key] = v
    return kind, config


_EXPECTED = {
    "size": "a positive integer",
    "sizes": "a non-empty list of positive integers",
    "activation": f"one of {sorted(ACTIVATIONS)}",
    "bool": "true or false",
}


def _field_ok(what: str, v: Any) -> bool:
    if what == "size":
        return _is_size(v)
    if what == "sizes":
        return isinstance(v, list) and len(v) > 0 and all(_is_size(n) for n in v)
    if what == "activation":
        return isinstance(v, str) and v in ACTIVATIONS
    return isinstance(v, bool)


def _is_size(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_PARAMETERS


def _parameter_count(kind: str, config: dict[str, Any]) -> int:
    """How many parameters the architecture has: (inputs + 1) per neuron."""
    if kind == "Neuron":
        return int(config["nin"]) + 1
    if kind == "Layer":
        return (int(config["nin"]) + 1) * int(config["nout"])
    dims = [config["nin"]] + list(config["nouts"])
    return sum((a + 1) * b for a, b in zip(dims, dims[1:]))
