"""Model files: ``save`` a network to JSON and ``load`` it back, safely.

What you can do with it::

    nn.save(model, "moons.json")
    model = nn.load("moons.json")       # the same architecture, the same weights

A model file is plain JSON you can read::

    {"format": "chainrule.nn", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu",
                      "output_activation": "linear", "fused": true},
     "parameters": {"layers.0.neurons.0.w.0": 0.23, ...}}

Version 1 holds the three kinds of :mod:`nn.module` (``Neuron``, ``Layer``, ``MLP``), and
``save`` still writes them so, byte for byte as before. Version 2 holds the blocks of
:mod:`nn.blocks` (``Sequential``, ``Residual``, ``LayerNorm``, ``BatchNorm``, ``RNNCell``,
``RNN``); their architectures nest (a ``Sequential`` lists its layers, a ``Residual`` holds its
body, and any kind may appear inside), and a ``"buffers"`` object keeps the numbers that are
not parameters, BatchNorm's running statistics::

    {"format": "chainrule.nn", "version": 2,
     "architecture": {"type": "Sequential", "layers": [
         {"type": "Layer", "nin": 2, "nout": 8, "activation": "tanh", "fused": true},
         {"type": "Residual", "body": {"type": "Layer", "nin": 8, "nout": 8, ...}},
         {"type": "BatchNorm", "size": 8, "momentum": 0.1, "eps": 1e-05}, ...]},
     "parameters": {"layers.0.neurons.0.w.0": 0.23, ...},
     "buffers": {"layers.2.running_mean.0": 0.01, ...}}

Each model has one version: a version-2 file whose top is a kind of version 1 is refused, so
the same model always gives the same file and older readers keep reading what they could.

Why it is safe:

* ``save`` writes a temporary file next to the target, flushes it to disk
  (``fsync``) and only then renames it over the target (``os.replace``, atomic).
  If anything fails on the way (a full disk, an error while writing), the old
  file is still there, whole.
* ``load`` only parses JSON: nothing in the file is ever executed or imported.
  Every field is checked, and anything unexpected (truncated JSON, another
  format version, unknown or missing fields, wrong shapes, non-numbers, NaN or
  infinity, a file over ``MAX_BYTES``, absurdly deep nesting of the JSON or of
  the architecture) raises a ``ValueError`` that says what is wrong.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import stat
import tempfile
from dataclasses import dataclass
from typing import Any

from .blocks import RNN, BatchNorm, LayerNorm, Residual, RNNCell, Sequential
from .module import ACTIVATIONS, MLP, Layer, Module, Neuron

__all__ = ["save", "load", "FORMAT", "VERSION", "MAX_BYTES", "KINDS"]

#: The value of the "format" field that marks a chainrule model file.
FORMAT = "chainrule.nn"
#: The newest format version this code writes and reads (it reads every version since 1).
VERSION = 2
#: Files larger than this are refused (50 MB, far above any network this engine can train).
MAX_BYTES = 50 * 1024 * 1024
#: The most parameters a loaded architecture may declare.
MAX_PARAMETERS = 5_000_000
#: How deeply architectures may nest (a Residual inside a Sequential inside ...).
MAX_DEPTH = 32

#: Every kind of module a file can hold, by the name written in its "type" field: the one registry
#: (the bridge reads it too). A kind declares the rest itself: its ``CONFIG`` (the fields written and
#: checked), ``parameter_count`` and, if its constructor is not ``cls(**config)``, ``from_config``.
#: A new block is one class plus one line here.
KINDS: dict[str, type[Module]] = {cls.__name__: cls for cls in (
    Neuron, Layer, MLP,                                   # version 1
    Sequential, Residual, LayerNorm, BatchNorm, RNNCell, RNN,
)}
#: The kinds a version-1 file holds at its top; every other kind is version 2.
_VERSION_1 = ("Neuron", "Layer", "MLP")
#: What an architecture field of each kind (a value of a ``CONFIG``) nests: one module, or a list.
_NESTED = ("architecture", "architectures")


def _reads() -> str:
    later = [k for k in KINDS if k not in _VERSION_1]
    return f"version 1 ({', '.join(_VERSION_1)}) and version 2 ({', '.join(later)})"


def _kind_of(model: Any, inside: bool) -> type[Module]:
    """The registered kind of ``model``, or a TypeError listing the kinds a file holds."""
    kind = type(model).__name__
    if KINDS.get(kind) is not type(model):
        kinds = ", ".join(f"nn.{k}" for k in KINDS)
        raise TypeError(f"save: cannot save a {kind} inside a model; a model file holds {kinds}" if inside
                        else f"save: expected one of the kinds a model file holds ({kinds}), got {kind}")
    return type(model)


def _architecture(model: Module, depth: int = 0) -> dict[str, Any]:
    """The architecture of ``model`` as a JSON object (nested where it holds modules)."""
    cls = _kind_of(model, inside=depth > 0)
    if depth > MAX_DEPTH:
        raise ValueError(f"save: the model nests more than {MAX_DEPTH} levels deep; load could not read "
                         "it back")
    arch: dict[str, Any] = {"type": cls.__name__}
    for key, v in model.config().items():
        what = cls.CONFIG[key]
        arch[key] = _architecture(v, depth + 1) if what == "architecture" else \
            [_architecture(m, depth + 1) for m in v] if what == "architectures" else v
    return arch


def _flat_buffers(model: Module) -> dict[str, float]:
    named = getattr(model, "named_buffers", None)
    return {f"{name}.{i}": x for name, xs in (named() if callable(named) else []) for i, x in enumerate(xs)}


def _refuse_shared(model: Module) -> None:
    """A model file stores a module per place it is used, so one module in two places (a layer in two
    Residuals) would come back as two; ``save`` refuses such a model rather than split it."""
    seen: dict[int, str] = {}
    todo: list[tuple[str, Any]] = [("the model", model)]
    while todo:
        name, m = todo.pop()
        if id(m) in seen:
            raise ValueError(f"save: {seen[id(m)]} and {name} are one module used in two places; a model "
                             "file stores a module per place and would load them as two. Save a model "
                             "that uses each module once (or save its state_dict() yourself)")
        seen[id(m)] = name
        prefix = "" if name == "the model" else name + "."
        todo += [(f"{prefix}{child_name}", sub) for child_name, sub in m.children()][::-1]


def save(model: Module, path: str | bytes | os.PathLike[Any]) -> None:
    """Write ``model`` to the JSON file ``path``, atomically.

    ``model`` is an ``nn.Neuron``, ``nn.Layer`` or ``nn.MLP`` (written as version 1) or one of
    the blocks of :mod:`nn.blocks` (version 2, with BatchNorm's running statistics). ``path``
    is a str, bytes (decoded as ``os.fsdecode`` does) or an ``os.PathLike``; a symbolic link is
    followed, so the file it points to is replaced and the link kept.

    Every check :func:`load` makes is made here first, on the document about to be written, so
    ``save`` writes exactly the files ``load`` reads: a model it refuses (a parameter that is
    NaN, infinite or not a number; more than ``MAX_PARAMETERS`` parameters; a file that would
    be over ``MAX_BYTES``) raises ``ValueError`` (``TypeError`` for a parameter that is not a
    number at all) and leaves any existing file alone. So does a target that is not a regular
    file (a directory, a FIFO, a device), before anything is opened.
    """
    kind = _kind_of(model, inside=False).__name__
    _refuse_shared(model)
    path = _path("save", path)
    version = 1 if kind in _VERSION_1 else 2
    params = {name: _number("save", "parameter", name, v) for name, v in model.state_dict().items()}
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": version,
        "architecture": _architecture(model),
        "parameters": params,
    }
    if version >= 2:
        buffers = _flat_buffers(model)
        doc["buffers"] = {name: _number("save", "buffer", name, v) for name, v in buffers.items()}
    _check_document(f"save: {path}", doc)  # what load would refuse is refused here, before writing
    target = os.path.realpath(path)  # through a symbolic link: the file it names is the one replaced
    _check_target(target, path)
    directory = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            out = _Limited(f, path)
            json.dump(doc, out, indent=1, allow_nan=False)
            out.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(target))
        _check_target(target, path)  # once more: a FIFO made at the target meanwhile is not replaced
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_directory(directory)


def _path(where: str, path: Any) -> str:
    """``path`` as a str: a str, bytes (decoded as ``os.fsdecode`` does) or an ``os.PathLike``."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{where}: path must be a str, bytes or os.PathLike, got {type(path).__name__}: "
                        f"{path!r:.60}")
    text = os.fsdecode(os.fspath(path))
    if not text or "\x00" in text:
        raise ValueError(f"{where}: path must name a file, got {text!r:.60}")
    return text


def _number(where: str, what: str, name: str, v: Any) -> float:
    """A parameter's or buffer's number as the float written (True is 1.0, a NumPy float a float)."""
    if v.__class__ is float:
        return v
    if isinstance(v, numbers.Real):
        try:
            return float(v)
        except OverflowError:
            return math.inf  # refused below, as not finite
    raise TypeError(f"{where}: {what} {name!r} must be a number, got {type(v).__name__}: {v!r:.40}")


#: What a path that is not a regular file is, for the message.
_NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (a named pipe)"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                (stat.S_ISSOCK, "a socket"))


def _check_regular(where: str, path: str, mode: int) -> None:
    """The one check save and load share: a model file is a regular file, or a ValueError.

    Why: ``save`` replaces its target with a new file, which would destroy a FIFO or a device
    node (and a directory cannot be replaced); ``load`` would block for ever opening a FIFO
    nobody writes to, or read a device without end. Both look before they open."""
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
    done = "nothing was written" if where == "save" else "nothing was read"
    raise ValueError(f"{where}: {path} is {kind}; a model file must be a regular file ({done})")


def _check_target(target: str, path: str) -> None:
    """The target of ``save``: a regular file, or nothing yet."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    _check_regular("save", path, mode)


class _Limited:
    """The file ``save`` writes, refusing to grow past ``MAX_BYTES`` (the JSON is ASCII: a character is
    a byte), so that no file is written that ``load`` would refuse for its size."""

    def __init__(self, f: Any, path: str) -> None:
        self.f, self.path, self.left = f, path, MAX_BYTES

    def write(self, text: str) -> int:
        self.left -= len(text)
        if self.left < 0:
            raise ValueError(f"save: {self.path}: the model file would be larger than "
                             f"{MAX_BYTES / (1024 * 1024):g} MB, which load refuses to read (MAX_BYTES, "
                             "about "
                             "a million parameters); nothing was written")
        return int(self.f.write(text))


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


def _bad(source: str, problem: str) -> ValueError:
    return ValueError(f"{source}: {problem}")  # source: "load: <path>" or "save: <path>"


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed (parameters must be finite numbers)")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def load(path: str | bytes | os.PathLike[Any]) -> Module:
    """Read a model written by :func:`save` and return it, ready to use.

    Raises ``ValueError`` naming the problem for any malformed file and for a path that is not
    a regular file (a FIFO, a device, a directory: refused before it is opened, so nothing
    blocks), and ``OSError`` (such as ``FileNotFoundError``) when the file cannot be read.
    """
    path = _path("load", path)
    source = f"load: {path}"
    raw = _read(path, source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _bad(source, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    try:
        doc = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as e:
        raise _bad(source, f"invalid or truncated JSON: {e.msg} at line {e.lineno}, column {e.colno}") \
            from None
    except RecursionError:
        raise _bad(source, "the JSON is nested too deeply to be a model file") from None
    except ValueError as e:
        raise _bad(source, f"invalid JSON: {e}") from None
    tree, params, buffers = _check_document(source, doc)
    try:
        model = _build(tree)
    except (TypeError, ValueError) as e:  # sizes that do not fit together (a Sequential's, a Residual's)
        raise _bad(source, f"the architecture does not fit together: {e}") from None
    names = [n for n, _ in model.named_parameters()]
    missing = [n for n in names if n not in params]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise _bad(source, f"shape mismatch: parameter {missing[0]!r} is missing{more}")
    wanted = _flat_buffers(model)
    if set(wanted) != set(buffers):
        gone = sorted(set(wanted) - set(buffers))
        extra = sorted(set(buffers) - set(wanted))
        problem = f"buffer {gone[0]!r} is missing" if gone else f"unexpected buffer {extra[0]!r}"
        raise _bad(source, f"shape mismatch: {problem} (the architecture has {len(wanted)} buffers, the file "
                           f"has {len(buffers)})")
    model.load_state_dict({n: float(params[n]) for n in names})
    named = getattr(model, "named_buffers", None)
    for name, xs in named() if callable(named) else []:
        for i in range(len(xs)):
            xs[i] = float(buffers[f"{name}.{i}"])  # in place: the module's own lists
    return model


def _read(path: str, source: str) -> bytes:
    """The bytes of the model file ``path``: a regular file of at most ``MAX_BYTES``, checked before
    it is opened, and again on what was opened (in case the path changed in between)."""
    _check_regular("load", path, os.stat(path).st_mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)  # nothing blocks in open
    fd = os.open(path, flags)
    with open(fd, "rb") as f:  # (os.fdopen would import io, and load imports nothing)
        st = os.fstat(f.fileno())
        _check_regular("load", path, st.st_mode)
        too_large = _bad(source, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; refusing to read "
                                 "it")
        if st.st_size > MAX_BYTES:
            raise too_large
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise too_large
    return raw


def _check_document(source: str, doc: Any) -> tuple[_Node, dict[str, Any], dict[str, Any]]:
    """Every check of a model document that needs no model built: the one set of rules for what
    ``load`` reads and ``save`` writes. Returns the checked architecture, parameters and buffers."""
    if not isinstance(doc, dict):
        raise _bad(source, f"expected a JSON object at the top, got {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise _bad(source, f"not a chainrule model file (the 'format' field must be {FORMAT!r})")
    version = doc.get("version")
    if isinstance(version, bool) or version not in (1, 2):
        raise _bad(source, f"unsupported format version {version!r:.40}; this nn reads {_reads()}")
    fields = {"format", "version", "architecture", "parameters"} | ({"buffers"} if version >= 2 else set())
    unknown = sorted(set(doc) - fields)
    if unknown:
        raise _bad(source, f"unknown top-level field(s) {', '.join(repr(k) for k in unknown)}")
    arch = doc.get("architecture")
    if not isinstance(arch, dict):
        raise _bad(source, "missing or malformed 'architecture' (expected an object)")
    params = doc.get("parameters")
    if not isinstance(params, dict):
        raise _bad(source, "missing or malformed 'parameters' (expected an object of name -> number)")
    buffers = doc.get("buffers", {})
    if not isinstance(buffers, dict):
        raise _bad(source, "missing or malformed 'buffers' (expected an object of name -> number)")
    top = arch.get("type")
    if version >= 2 and top in _VERSION_1:
        raise _bad(source, f"unsupported format version {version} for an architecture of type {top!r}: a "
                           "Neuron, Layer or MLP is stored as version 1 (which nn.save writes for it)")
    if version == 1 and top in KINDS and top not in _VERSION_1:
        raise _bad(source, f"architecture type {top!r} needs format version 2 (version 1 holds "
                           f"{list(_VERSION_1)})")
    tree = _check_tree(source, arch)
    expected = _parameter_count(tree)
    if expected > MAX_PARAMETERS:
        raise _bad(source, f"the architecture declares {expected} parameters, over the limit "
                           f"{MAX_PARAMETERS}")
    if len(params) != expected:
        n = len(params)
        raise _bad(source, f"shape mismatch: the architecture has {expected} parameters, the file has {n}")
    for what, numbers_ in (("parameter", params), ("buffer", buffers)):
        for name, v in numbers_.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise _bad(source, f"{what} {name!r} must be a number, got {type(v).__name__}: {v!r:.40}")
            try:
                finite = math.isfinite(v)
            except OverflowError:
                finite = False
            if not finite:
                raise _bad(source, f"{what} {name!r} is {v!r:.40}, which is not a finite number")
    for name, v in buffers.items():
        if name.rsplit(".", 1)[0].rsplit(".", 1)[-1] == "running_var" and v < 0:  # '<module>.running_var.<i>'
            raise _bad(source, f"buffer {name!r} is a variance and must be >= 0, got {v!r}")
    return tree, params, buffers


@dataclass
class _Node:
    """A checked architecture: its kind, its plain fields, and its checked children by field (the
    architectures nested in it: a Sequential's ``layers``, a Residual's ``body``)."""

    kind: str
    config: dict[str, Any]
    children: dict[str, list[_Node]]


def _check_tree(source: str, arch: dict[str, Any]) -> _Node:
    """Check an architecture and everything nested in it, without recursion (the nesting is capped)."""
    root = _Node(*_check_architecture(source, arch), {})
    stack: list[tuple[_Node, dict[str, Any], int]] = [(root, arch, 0)]
    while stack:
        node, raw, depth = stack.pop()
        for key, what in KINDS[node.kind].CONFIG.items():
            if what not in _NESTED:
                continue
            if depth >= MAX_DEPTH:
                raise _bad(source, f"the architecture nests more than {MAX_DEPTH} levels deep")
            node.children[key] = []
            for child in raw[key] if what == "architectures" else [raw[key]]:
                if not isinstance(child, dict):
                    raise _bad(source, f"every architecture inside a {node.kind} must be an object, got "
                                       f"{type(child).__name__}: {child!r:.40}")
                kid = _Node(*_check_architecture(source, child), {})
                node.children[key].append(kid)
                stack.append((kid, child, depth + 1))
    return root


def _walk(tree: _Node) -> list[_Node]:
    """Every node of a checked architecture, each before the ones nested in it."""
    order: list[_Node] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(kid for kids in node.children.values() for kid in kids)
    return order


def _build(tree: _Node) -> Module:
    """The module a checked architecture describes (built in reverse order, so every child exists
    before its parent, which names it)."""
    built: dict[int, Module] = {}
    for node in reversed(_walk(tree)):
        cls = KINDS[node.kind]
        config = dict(node.config)
        for key, kids in node.children.items():
            modules = [built[id(k)] for k in kids]
            config[key] = modules[0] if cls.CONFIG[key] == "architecture" else modules
        built[id(node)] = cls.from_config(config)
    return built[id(tree)]


def _check_architecture(source: str, arch: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = arch.get("type")
    if not isinstance(kind, str) or kind not in KINDS:
        raise _bad(source, f"unknown architecture type {kind!r:.40}; expected one of {sorted(KINDS)}")
    fields = KINDS[kind].CONFIG
    given = set(arch) - {"type"}
    unknown = sorted(given - set(fields))
    if unknown:
        raise _bad(source, f"unknown architecture field(s) for {kind}: {', '.join(repr(k) for k in unknown)}")
    missing = [k for k in fields if k not in given]
    if missing:
        raise _bad(source, f"missing architecture field(s) for {kind}: {', '.join(repr(k) for k in missing)}")
    config: dict[str, Any] = {}
    for key, what in fields.items():
        v = arch[key]
        if not _field_ok(what, v):
            raise _bad(source, f"architecture field {key!r} must be {_EXPECTED[what]}, got {v!r:.60}")
        if what not in _NESTED:  # nested ones are checked by _check_tree
            config[key] = v
    return kind, config


_EXPECTED = {
    "size": "a positive integer",
    "sizes": "a non-empty list of positive integers",
    "activation": f"one of {sorted(ACTIVATIONS)}",
    "bool": "true or false",
    "positive": "a finite number > 0",
    "fraction": "a number in [0, 1]",
    "size or null": "a positive integer or null",
    "architecture": "an architecture (an object with a 'type')",
    "architectures": "a non-empty list of architectures",
}


def _field_ok(what: str, v: Any) -> bool:
    if what == "size":
        return _is_size(v)
    if what == "sizes":
        return isinstance(v, list) and len(v) > 0 and all(_is_size(n) for n in v)
    if what == "activation":
        return isinstance(v, str) and v in ACTIVATIONS
    if what in ("positive", "fraction"):
        number = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        return number and (v > 0 if what == "positive" else 0 <= v <= 1)
    if what == "size or null":
        return v is None or _is_size(v)
    if what == "architecture":
        return isinstance(v, dict)
    if what == "architectures":
        return isinstance(v, list) and len(v) > 0
    return isinstance(v, bool)


def _is_size(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_PARAMETERS


def _parameter_count(tree: _Node) -> int:
    """How many parameters the architecture has (counted from the fields, before anything is built)."""
    return sum(KINDS[node.kind].parameter_count(node.config) for node in _walk(tree))
