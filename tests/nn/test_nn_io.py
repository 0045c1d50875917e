"""Model files: round trips, atomic writes, and every kind of malformed file."""

from __future__ import annotations

import errno
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

import nn
import nn.io
from autograd import Value


def _doc(model: nn.Module | None = None) -> dict[str, Any]:
    model = model or nn.MLP(2, [3, 1], seed=0)
    return {
        "format": "chainrule.nn",
        "version": 1,
        "architecture": {"type": type(model).__name__, **model.config()},
        "parameters": model.state_dict(),
    }


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("model", [
    nn.MLP(2, [4, 3, 1], activation="tanh", seed=0),
    nn.MLP(3, [2, 2], activation="sigmoid", output_activation="relu", fused=False, seed=1),
    nn.Layer(2, 3, activation="linear", seed=2),
    nn.Neuron(4, activation="tanh", seed=3),
], ids=["mlp", "mlp-elementary", "layer", "neuron"])
def test_round_trip_gives_identical_predictions(tmp_path: Path, model: nn.Module) -> None:
    path = tmp_path / "model.json"
    nn.save(model, path)
    loaded = nn.load(str(path))
    assert type(loaded) is type(model) and repr(loaded) == repr(model)
    assert loaded.state_dict() == model.state_dict()  # exact: JSON keeps every bit of a float
    nin = model.nin
    for k in range(3):
        x = [0.3 * k - 0.5 * i for i in range(nin)]
        a, b = model(x), loaded(x)
        a, b = (a if isinstance(a, list) else [a]), (b if isinstance(b, list) else [b])
        assert [v.data for v in a] == [v.data for v in b]
    assert all(p.label == n for n, p in loaded.named_parameters())


def test_the_file_is_readable_json(tmp_path: Path) -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    nn.save(model, tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["format"] == "chainrule.nn" and doc["version"] == 1
    assert doc["architecture"] == {"type": "MLP", "nin": 2, "nouts": [2, 1], "activation": "relu",
                                   "output_activation": "linear", "fused": True}
    assert doc["parameters"] == model.state_dict()


def test_save_overwrites_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    nn.save(nn.MLP(2, [2, 1], seed=0), path)
    os.chmod(path, 0o640)
    second = nn.MLP(2, [2, 1], seed=1)
    nn.save(second, path)
    assert nn.load(path).state_dict() == second.state_dict()
    assert os.listdir(tmp_path) == ["m.json"]
    assert os.stat(path).st_mode & 0o777 == 0o640  # permissions kept


def test_a_write_that_fails_midway_leaves_the_old_file_intact(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.json"
    old = nn.MLP(2, [3, 1], seed=0)
    nn.save(old, path)
    before = path.read_bytes()

    def half_then_fail(obj: Any, f: Any, **kwargs: Any) -> None:
        f.write(json.dumps(obj)[:40])  # part of the document reaches the temporary file
        raise OSError(errno.EIO, "simulated failure while writing")

    monkeypatch.setattr(nn.io.json, "dump", half_then_fail)
    with pytest.raises(OSError, match="simulated"):
        nn.save(nn.MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]
    assert nn.load(path).state_dict() == old.state_dict()


def test_a_full_disk_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.json"
    nn.save(nn.MLP(2, [3, 1], seed=0), path)
    before = path.read_bytes()

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(nn.io.os, "fsync", no_space)
    with pytest.raises(OSError, match="No space left"):
        nn.save(nn.MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]


def test_save_refuses_non_finite_parameters_and_other_objects(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    model = nn.MLP(2, [2, 1], seed=0)
    nn.save(model, path)
    before = path.read_bytes()
    model.layers[0].neurons[1].w[0].data = math.nan
    with pytest.raises(ValueError, match="'layers.0.neurons.1.w.0' is nan"):
        nn.save(model, path)
    assert path.read_bytes() == before
    with pytest.raises(TypeError, match="save: expected one of the kinds a model file holds .nn.Neuron,"):
        nn.save(Value(1.0), path)


def _set(doc: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    *path, last = dotted.split("/")
    node = doc
    for key in path:
        node = node[key]
    node[last] = value
    return doc


def _drop(doc: dict[str, Any], dotted: str) -> dict[str, Any]:
    *path, last = dotted.split("/")
    node = doc
    for key in path:
        node = node[key]
    del node[last]
    return doc


FIRST = "layers.0.neurons.0.w.0"

MALFORMED_DOCS = {
    "wrong version": (lambda d: _set(d, "version", 2), "unsupported format version 2"),
    "version as text": (lambda d: _set(d, "version", "1"), "unsupported format version '1'"),
    "version as bool": (lambda d: _set(d, "version", True), "unsupported format version True"),
    "not our format": (lambda d: _set(d, "format", "keras"), "not a chainrule model file"),
    "no format": (lambda d: _drop(d, "format"), "not a chainrule model file"),
    "unknown top field": (lambda d: _set(d, "code", "import os"), "unknown top-level field\\(s\\) 'code'"),
    "no architecture": (lambda d: _drop(d, "architecture"), "missing or malformed 'architecture'"),
    "no parameters": (lambda d: _drop(d, "parameters"), "missing or malformed 'parameters'"),
    "parameters as list": (lambda d: _set(d, "parameters", [1.0]), "missing or malformed 'parameters'"),
    "unknown type": (lambda d: _set(d, "architecture/type", "os.system"), "architecture type 'os.system'"),
    "unknown field": (lambda d: _set(d, "architecture/dropout", 0.5), "unknown architecture field.* MLP"),
    "missing field": (lambda d: _drop(d, "architecture/nouts"), "missing architecture field.* MLP: 'nouts'"),
    "bad activation": (lambda d: _set(d, "architecture/activation", "gelu"), "'activation' must be one of"),
    "bad nin": (lambda d: _set(d, "architecture/nin", 2.0), "'nin' must be a positive integer"),
    "bool nin": (lambda d: _set(d, "architecture/nin", True), "'nin' must be a positive integer"),
    "bad nouts": (lambda d: _set(d, "architecture/nouts", [3, -1]), "'nouts' must be a non-empty list"),
    "empty nouts": (lambda d: _set(d, "architecture/nouts", []), "'nouts' must be a non-empty list"),
    "fused as text": (lambda d: _set(d, "architecture/fused", "yes"), "'fused' must be true or false"),
    "too few parameters": (lambda d: _drop(d, f"parameters/{FIRST}"), "shape mismatch: .* has 13"),
    "shape of another net": (lambda d: _set(d, "architecture/nouts", [4, 1]), "shape mismatch"),
    "renamed parameter": (lambda d: _set(_drop(d, f"parameters/{FIRST}"), "parameters/w", 0.1),
                          f"parameter '{FIRST}' is missing"),
    "string parameter": (lambda d: _set(d, f"parameters/{FIRST}", "0.5"), "must be a number, got str"),
    "list parameter": (lambda d: _set(d, f"parameters/{FIRST}", [0.5]), "must be a number, got list"),
    "bool parameter": (lambda d: _set(d, f"parameters/{FIRST}", False), "must be a number, got bool"),
    "null parameter": (lambda d: _set(d, f"parameters/{FIRST}", None), "must be a number, got NoneType"),
    "huge integer": (lambda d: _set(d, f"parameters/{FIRST}", 10**400), "is not a finite number"),
    "giant architecture": (lambda d: _set(d, "architecture/nouts", [100000, 100000, 1]), "over the limit"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_DOCS))
def test_malformed_documents_raise_value_errors_naming_the_problem(tmp_path: Path, name: str) -> None:
    change, match = MALFORMED_DOCS[name]
    path = _write(tmp_path / "bad.json", change(_doc()))
    with pytest.raises(ValueError, match=match):
        nn.load(path)


MALFORMED_TEXTS = {
    "truncated": (lambda text: text[: len(text) // 2], "invalid or truncated JSON"),
    "empty": (lambda text: "", "invalid or truncated JSON"),
    "not json": (lambda text: "print('hello')", "invalid or truncated JSON"),
    "NaN": (lambda text: text.replace("0.0", "NaN", 1), "NaN is not allowed"),
    "Infinity": (lambda text: text.replace("0.0", "-Infinity", 1), "-Infinity is not allowed"),
    "overflowing float": (lambda text: text.replace("0.0", "1e999", 1), "is not a finite number"),
    "deeply nested": (lambda text: "[" * 200_000 + "]" * 200_000, "nested too deeply"),
    "top-level list": (lambda text: "[1, 2]", "expected a JSON object at the top, got list"),
    "duplicate key": (lambda text: text.replace('"version": 1', '"version": 1, "version": 1'), "duplicate"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_TEXTS))
def test_malformed_texts_raise_value_errors_naming_the_problem(tmp_path: Path, name: str) -> None:
    change, match = MALFORMED_TEXTS[name]
    text = json.dumps(_doc())
    assert "0.0" in text  # the biases start at 0.0
    path = tmp_path / "bad.json"
    path.write_text(change(text))
    with pytest.raises(ValueError, match=match):
        nn.load(path)


def test_files_over_the_size_limit_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.json"
    nn.save(nn.MLP(2, [8, 1], seed=0), path)
    monkeypatch.setattr(nn.io, "MAX_BYTES", 100)
    with pytest.raises(ValueError, match="larger than"):
        nn.load(path)
    assert nn.io.MAX_BYTES == 100 and os.path.getsize(path) > 100


def test_binary_garbage_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match="not UTF-8"):
        nn.load(path)
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "missing.json")
