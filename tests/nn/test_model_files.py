"""Model files under stress: interrupted writes, hostile files, and numbers that must survive exactly.

``tests/nn/test_nn_io.py`` checks the format itself and a catalogue of malformed
documents. This file adds the failure modes around it:

* **Atomic replacement.** A save that fails at any point (the serializer
  raising before it writes, the disk filling up in the middle of a write,
  Ctrl-C, the final rename failing) leaves the previous file byte for byte,
  and no temporary file behind. While a save is in progress a reader sees the
  old file, whole.
* **Refusals.** Every prefix of a model file (what a crash mid-copy leaves) is
  refused with a ``ValueError``; so are versions, fields, shapes and numbers
  that ``test_nn_io`` does not try, a multi-gigabyte file (refused after
  reading no more than the limit), and nesting deep enough to exhaust Python's
  recursion limit.
* **Nothing is executed.** Loading good and hostile files never reaches
  ``eval``, ``exec``, ``compile``, ``pickle``, an import or a subprocess.
"""

from __future__ import annotations

import builtins
import errno
import importlib
import io
import json
import math
import os
import pickle
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nn
from nn import io as nn_io


def doc_of(model: nn.Module) -> dict[str, Any]:
    """The document ``nn.save`` writes for ``model`` (as a dict, to be altered by a test)."""
    kind = type(model).__name__
    config = model.config()  # type: ignore[attr-defined]
    return {
        "format": "chainrule.nn",
        "version": 1,
        "architecture": {"type": kind, **config},
        "parameters": model.state_dict(),
    }


def write_doc(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, bytes, nn.MLP]:
    """A model saved at ``m.json``: the path, its bytes and the model."""
    path = tmp_path / "m.json"
    model = nn.MLP(2, [3, 1], seed=0)
    nn.save(model, path)
    return path, path.read_bytes(), model


def only(path: Path) -> list[str]:
    """The files in ``path``'s directory (a temporary file left behind would show here)."""
    return sorted(os.listdir(path.parent))


# -- atomic replacement ---------------------------------------------------------------------


def test_serializer_failing_before_writing_anything(
    saved: tuple[Path, bytes, nn.MLP], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, before, _ = saved

    def refuse(obj: Any, f: Any, **kwargs: Any) -> None:
        raise ValueError("simulated: the serializer gave up")

    monkeypatch.setattr(nn_io.json, "dump", refuse)
    with pytest.raises(ValueError, match="simulated"):
        nn.save(nn.MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == before
    assert only(path) == ["m.json"]


class _DiskFillsUp(io.TextIOWrapper):
    """A file whose writes succeed until ``budget`` characters, then fail as a full disk does."""

    budget = 0

    def write(self, s: str) -> int:
        if len(s) > type(self).budget:
            super().write(s[: type(self).budget])  # a partial write reaches the file first
            type(self).budget = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        type(self).budget -= len(s)
        return super().write(s)


@pytest.mark.parametrize("budget", [0, 1, 100, 400])
def test_disk_full_in_the_middle_of_the_write(
    saved: tuple[Path, bytes, nn.MLP], monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    """The file's own ``write`` raises ENOSPC after ``budget`` characters (0: at once)."""
    path, before, old = saved
    real_fdopen = os.fdopen

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        raw = real_fdopen(fd, mode.replace("b", "") + "b" if "w" in mode else mode)
        if "w" not in mode:
            return raw
        _DiskFillsUp.budget = budget
        return _DiskFillsUp(raw, encoding=kwargs.get("encoding", "utf-8"))

    monkeypatch.setattr(nn_io.os, "fdopen", fdopen)
    with pytest.raises(OSError) as info:
        nn.save(nn.MLP(2, [3, 1], seed=1), path)
    assert info.value.errno == errno.ENOSPC
    assert path.read_bytes() == before
    assert only(path) == ["m.json"]
    monkeypatch.undo()
    assert nn.load(path).state_dict() == old.state_dict()


def test_ctrl_c_during_the_write(saved: tuple[Path, bytes, nn.MLP], monkeypatch: pytest.MonkeyPatch) -> None:
    path, before, _ = saved
    real_dump = json.dump

    def interrupted(obj: Any, f: Any, **kwargs: Any) -> None:
        real_dump(obj, f, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(nn_io.json, "dump", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nn.save(nn.MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == before
    assert only(path) == ["m.json"]


def test_the_rename_failing(saved: tuple[Path, bytes, nn.MLP], monkeypatch: pytest.MonkeyPatch) -> None:
    path, before, _ = saved

    def no_rename(src: Any, dst: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(nn_io.os, "replace", no_rename)
    with pytest.raises(OSError, match="cross-device"):
        nn.save(nn.MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == before
    assert only(path) == ["m.json"]


def test_a_failed_first_save_leaves_no_file_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(nn_io.os, "fsync", no_space)
    with pytest.raises(OSError):
        nn.save(nn.MLP(2, [1], seed=0), tmp_path / "new.json")
    assert os.listdir(tmp_path) == []


def test_a_reader_during_the_save_sees_the_old_file_whole(
    saved: tuple[Path, bytes, nn.MLP], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the last moment before the rename (the fsync), the target still holds the old bytes."""
    path, before, old = saved
    seen: list[bytes] = []
    real_fsync = os.fsync

    def fsync_and_look(fd: int) -> None:
        real_fsync(fd)
        seen.append(path.read_bytes())

    monkeypatch.setattr(nn_io.os, "fsync", fsync_and_look)
    new = nn.MLP(2, [3, 1], seed=1)
    nn.save(new, path)
    assert seen and seen[0] == before  # mid-save: the old file
    assert nn.load(path).state_dict() == new.state_dict()  # after: the new one
    assert only(path) == ["m.json"]


def test_numbers_survive_the_round_trip_exactly(tmp_path: Path) -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    special = [-0.0, 5e-324, 1.7976931348623157e308, -2.2250738585072014e-308, 0.1, 1 / 3]
    for p, x in zip(model.parameters(), special):
        p.data = x
    nn.save(model, tmp_path / "m.json")
    loaded = nn.load(tmp_path / "m.json").parameters()
    for x, p in zip(special, loaded):
        assert p.data == x and math.copysign(1.0, p.data) == math.copysign(1.0, x)


# -- refusals --------------------------------------------------------------------------------


def test_every_prefix_of_a_file_is_refused(saved: tuple[Path, bytes, nn.MLP], tmp_path: Path) -> None:
    """A copy cut short anywhere (a crash, a full disk, a download that stopped) never loads."""
    _, full, _ = saved
    small = tmp_path / "small.json"
    nn.save(nn.Neuron(1, seed=0), small)  # a short file, so every cut can be tried quickly
    for content in (full, small.read_bytes()):
        cut = tmp_path / "cut.json"
        for n in range(len(content.rstrip())):
            cut.write_bytes(content[:n])
            with pytest.raises(ValueError, match="load: .*(JSON|UTF-8|expected a JSON object)"):
                nn.load(cut)


def _refused(tmp_path: Path, doc: Any, match: str) -> None:
    path = write_doc(tmp_path / "bad.json", doc)
    with pytest.raises(ValueError, match=match) as info:
        nn.load(path)
    assert str(path) in str(info.value)  # the message names the file


def _neuron() -> dict[str, Any]:
    return doc_of(nn.Neuron(2, seed=0))


def _layer() -> dict[str, Any]:
    return doc_of(nn.Layer(2, 3, seed=0))


def _mlp() -> dict[str, Any]:
    return doc_of(nn.MLP(2, [2, 1], seed=0))


def _with(doc: dict[str, Any], where: str, **changes: Any) -> dict[str, Any]:
    part = doc if where == "" else doc[where]
    part.update(changes)
    return doc


def _without(doc: dict[str, Any], where: str, key: str) -> dict[str, Any]:
    del (doc if where == "" else doc[where])[key]
    return doc


REFUSED: dict[str, tuple[Callable[[], Any], str]] = {
    # format versions
    "version 0": (
        lambda: _with(_mlp(), "", version=0),
        "unsupported format version 0; this nn reads version 1",
    ),
    "version null": (lambda: _with(_mlp(), "", version=None), "unsupported format version None"),
    "version 1.5": (lambda: _with(_mlp(), "", version=1.5), "unsupported format version 1.5"),
    "no version": (lambda: _without(_mlp(), "", "version"), "unsupported format version None"),
    # the document's shape
    "top-level string": (lambda: "chainrule.nn", "expected a JSON object at the top, got str"),
    "top-level null": (lambda: None, "expected a JSON object at the top, got NoneType"),
    "architecture as list": (lambda: _with(_mlp(), "", architecture=["MLP"]), "malformed 'architecture'"),
    # unknown architecture fields, for every type
    "Neuron: unknown field": (
        lambda: _with(_neuron(), "architecture", bias=False),
        "unknown architecture field.*'bias'",
    ),
    "Layer: unknown field": (
        lambda: _with(_layer(), "architecture", nouts=[3]),
        "unknown architecture field.*'nouts'",
    ),
    "Layer: missing nout": (
        lambda: _without(_layer(), "architecture", "nout"),
        "missing architecture field.*'nout'",
    ),
    "MLP: a Layer's field": (
        lambda: _with(_mlp(), "architecture", nout=3),
        "unknown architecture field.*'nout'",
    ),
    "type in lower case": (
        lambda: _with(_mlp(), "architecture", type="mlp"),
        "unknown architecture type 'mlp'",
    ),
    "no type": (lambda: _without(_mlp(), "architecture", "type"), "unknown architecture type None"),
    # architecture values
    "nin as text": (
        lambda: _with(_mlp(), "architecture", nin="2"),
        "'nin' must be a positive integer, got '2'",
    ),
    "nin of zero": (lambda: _with(_mlp(), "architecture", nin=0), "'nin' must be a positive integer, got 0"),
    "nin absurd": (lambda: _with(_mlp(), "architecture", nin=10**12), "'nin' must be a positive integer"),
    "nouts with a float": (
        lambda: _with(_mlp(), "architecture", nouts=[2.0, 1]),
        "'nouts' must be a non-empty list",
    ),
    "nouts as object": (
        lambda: _with(_mlp(), "architecture", nouts={"0": 2}),
        "'nouts' must be a non-empty list",
    ),
    "activation null": (
        lambda: _with(_layer(), "architecture", activation=None),
        "'activation' must be one of",
    ),
    "fused as 1": (lambda: _with(_neuron(), "architecture", fused=1), "'fused' must be true or false"),
    # shapes
    "one parameter too many": (
        lambda: _with(_mlp(), "parameters", extra=0.5),
        "shape mismatch: the architecture has 9 parameters, the file has 10",
    ),
    "Layer: one too few": (
        lambda: _without(_layer(), "parameters", "neurons.2.b"),
        "shape mismatch: the architecture has 9 parameters, the file has 8",
    ),
    "another model's names": (
        lambda: _with(_mlp(), "", parameters={f"p{i}": 0.0 for i in range(9)}),
        "shape mismatch: parameter 'layers.0.neurons.0.w.0' is missing",
    ),
    "a Layer's names in a Neuron": (
        lambda: _with(
            _neuron(), "", parameters={"neurons.0.w.0": 0.1, "neurons.0.w.1": 0.1, "neurons.0.b": 0.0}
        ),
        "shape mismatch: parameter 'w.0' is missing",
    ),
    # numbers
    "parameter as object": (
        lambda: _with(_neuron(), "parameters", b={"value": 0.0}),
        "'b' must be a number, got dict",
    ),
    "parameter 'nan' as text": (
        lambda: _with(_neuron(), "parameters", b="nan"),
        "'b' must be a number, got str",
    ),
    "parameter true": (lambda: _with(_neuron(), "parameters", b=True), "'b' must be a number, got bool"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_documents_refused_with_a_value_error_naming_the_problem(tmp_path: Path, name: str) -> None:
    make, match = REFUSED[name]
    _refused(tmp_path, make(), match)


@pytest.mark.parametrize(
    "literal, match",
    [
        ("Infinity", "Infinity is not allowed"),
        ("-1e400", "is not a finite number"),
        ("1e400", "is not a finite number"),
        ("NaN", "NaN is not allowed"),
        ("nan", "invalid or truncated JSON"),
        ("1" * 5000, "invalid JSON|not a finite number"),  # more digits than Python turns into an int
    ],
)
def test_non_finite_and_oversized_numbers(tmp_path: Path, literal: str, match: str) -> None:
    text = json.dumps(_neuron()).replace('"b": 0.0', f'"b": {literal}')
    assert literal in text
    path = tmp_path / "n.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        nn.load(path)


def test_non_finite_number_in_the_architecture(tmp_path: Path) -> None:
    text = json.dumps(_neuron()).replace('"nin": 2', '"nin": Infinity')
    path = tmp_path / "n.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="Infinity is not allowed"):
        nn.load(path)


def test_a_huge_file_is_refused_after_reading_at_most_the_limit(tmp_path: Path) -> None:
    """A sparse 8 GB file: if load read it all, this test would exhaust memory and time."""
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.write(b'{"format": "chainrule.nn", ')
        f.truncate(8 * 1024**3)
    with pytest.raises(ValueError, match=r"larger than 50 MB; refusing to read it"):
        nn.load(path)


@pytest.mark.parametrize("depth", [900, 5_000, 100_000])
def test_deep_nesting_inside_a_document(tmp_path: Path, depth: int) -> None:
    """Nesting where a number belongs: below, near and far beyond the recursion limit."""
    text = json.dumps(_neuron()).replace('"b": 0.0', '"b": ' + "[" * depth + "]" * depth)
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="nested too deeply|'b' must be a number, got list"):
        nn.load(path)


# -- nothing is executed ----------------------------------------------------------------


HOSTILE = {
    "type is code": lambda: _with(_mlp(), "architecture", type="__import__('os').system('touch pwned')"),
    "activation is code": lambda: _with(_mlp(), "architecture", activation="eval"),
    "a parameter is code": lambda: _with(_neuron(), "parameters", b="__import__('os')"),
    "pickle-style keys": lambda: {"py/object": "os.system", "py/reduce": ["touch pwned"]},
    "dunder parameter names": lambda: _with(
        _neuron(), "", parameters={"__class__": 0.0, "__init__": 0.0, "b": 0.0}
    ),
    "dunder architecture field": lambda: _with(_neuron(), "architecture", __class__="Neuron"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_are_refused_without_running_anything(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_doc(tmp_path / "hostile.json", HOSTILE[name]())
    monkeypatch.chdir(tmp_path)
    with _tripwires() as used:
        with pytest.raises(ValueError, match="load: "):
            nn.load(path)
    assert used == []
    assert sorted(os.listdir(tmp_path)) == ["hostile.json"]  # no 'pwned'


def test_a_good_file_loads_without_running_anything(
    saved: tuple[Path, bytes, nn.MLP], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _, model = saved
    with _tripwires() as used:
        loaded = nn.load(path)
    assert used == []
    assert loaded.state_dict() == model.state_dict()


class _tripwires:
    """Replace every way of running code with a tripwire that records its use and fails.

    The ``with`` block yields the record. The tripwires stand only around the
    call under test: pytest itself imports and compiles while it runs a test.
    """

    def __init__(self) -> None:
        self.used: list[str] = []
        self.saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> list[str]:
        used = self.used

        def tripwire(name: str) -> Callable[..., Any]:
            def fail(*args: Any, **kwargs: Any) -> Any:
                used.append(name)
                raise AssertionError(f"load must not call {name}")

            return fail

        for module, name in [
            (builtins, "eval"), (builtins, "exec"), (builtins, "compile"), (builtins, "__import__"),
            (pickle, "loads"), (pickle, "load"), (importlib, "import_module"),
            (os, "system"), (os, "popen"), (subprocess, "Popen"),
        ]:  # fmt: skip
            self.saved.append((module, name, getattr(module, name)))
            setattr(module, name, tripwire(f"{module.__name__}.{name}"))
        return used

    def __exit__(self, *exc: object) -> None:
        for module, name, original in reversed(self.saved):
            setattr(module, name, original)
