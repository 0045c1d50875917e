"""Model files of format version 2: the blocks of nn.blocks, nested architectures, BatchNorm's running
statistics, and every way such a file can be malformed. (Version 1, the MLP, Layer and Neuron files,
is tested in test_nn_io.py and test_model_files.py, and is still what nn.save writes for them.)
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

import nn
import nn.io


def _stack() -> nn.Sequential:
    bn = nn.BatchNorm(3, momentum=0.3, eps=1e-4)
    model = nn.Sequential(nn.Layer(2, 3, activation="tanh", seed=0),
                          nn.Residual(nn.Sequential(nn.LayerNorm(3, eps=1e-3), nn.Layer(3, 3, seed=1))),
                          bn, nn.MLP(3, [2, 1], activation="sigmoid", seed=2))
    model.forward_batch([[0.1, 0.2], [0.5, -0.4], [-1.0, 0.3]])  # running statistics, not the defaults
    for i, p in enumerate(model.parameters()):
        p.data += 0.01 * i  # and parameters that are not the initial ones
    return model


MODELS = {
    "stack": _stack,
    "rnn": lambda: nn.RNN(2, 4, nout=2, activation="relu", output_activation="tanh", bptt_steps=3, seed=5),
    "rnn cell": lambda: nn.RNNCell(1, 3, activation="sigmoid", seed=6),
    "layer norm": lambda: nn.LayerNorm(4, eps=0.5),
    "batch norm": lambda: nn.BatchNorm(2, momentum=0.0),
    "residual": lambda: nn.Residual(nn.Layer(2, 2, activation="tanh", seed=7)),
}


def _outputs(model: Any) -> list[float]:
    if isinstance(model, nn.RNNCell):
        out = model([0.3], [0.1, -0.2, 0.4])
    elif isinstance(model, nn.RNN):
        out = model([0.3, -0.1, 0.2, 0.5, -0.7, 0.9])
    elif isinstance(model, nn.BatchNorm):
        out = model.eval()([0.3, -0.2])
    elif isinstance(model, nn.Sequential):
        out = model.eval()([0.3, -0.2])
    else:
        out = model([0.3, -0.2, 0.1, 0.6][: getattr(model, "size", 2)])
    return [v.data for v in (out if isinstance(out, list) else [out])]


@pytest.mark.parametrize("name", list(MODELS))
def test_round_trip_of_every_block(tmp_path: Path, name: str) -> None:
    model = MODELS[name]()
    path = tmp_path / "m.json"
    nn.save(model, path)
    doc = json.loads(path.read_text())
    assert doc["version"] == 2 and doc["architecture"]["type"] == type(model).__name__
    loaded = nn.load(path)
    assert type(loaded) is type(model) and repr(loaded) == repr(model)
    assert loaded.state_dict() == model.state_dict()
    assert [n for n, _ in loaded.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert all(p.label == n for n, p in loaded.named_parameters())
    buffers = getattr(model, "named_buffers", lambda: [])()
    assert getattr(loaded, "named_buffers", lambda: [])() == buffers
    assert _outputs(loaded) == _outputs(model)


def test_the_nested_file_is_readable_json(tmp_path: Path) -> None:
    model = _stack()
    nn.save(model, tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    arch = doc["architecture"]
    assert [layer["type"] for layer in arch["layers"]] == ["Layer", "Residual", "BatchNorm", "MLP"]
    assert arch["layers"][1]["body"] == {"type": "Sequential", "layers": [
        {"type": "LayerNorm", "size": 3, "eps": 1e-3},
        {"type": "Layer", "nin": 3, "nout": 3, "activation": "relu", "fused": True}]}
    assert arch["layers"][2] == {"type": "BatchNorm", "size": 3, "momentum": 0.3, "eps": 1e-4}
    bn = model.layers[2]
    assert isinstance(bn, nn.BatchNorm)
    assert doc["buffers"] == {**{f"layers.2.running_mean.{i}": v for i, v in enumerate(bn.running_mean)},
                              **{f"layers.2.running_var.{i}": v for i, v in enumerate(bn.running_var)}}
    assert "layers.1.body.layers.0.gamma.2" in doc["parameters"]


def test_old_kinds_are_still_written_as_version_1_without_buffers(tmp_path: Path) -> None:
    nn.save(nn.MLP(2, [3, 1], seed=0), tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["version"] == 1 and "buffers" not in doc
    assert nn.io.VERSION == 2


def test_a_model_holding_an_unknown_module_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    class Doubler(nn.Module):
        def __call__(self, x: Any) -> Any:
            return [2 * v for v in x]

    path = tmp_path / "m.json"
    nn.save(nn.LayerNorm(2), path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="cannot save a Doubler inside a model"):
        nn.save(nn.Sequential(nn.Layer(2, 2), Doubler()), path)
    with pytest.raises(TypeError, match="save: expected one of the kinds a model file holds .*nn.RNN."):
        nn.save(Doubler(), path)
    bn = nn.BatchNorm(2)
    bn.running_var[0] = float("inf")
    with pytest.raises(ValueError, match="buffer 'running_var.0' is inf"):
        nn.save(bn, path)
    assert path.read_bytes() == before


def _saved(model: Any) -> str:
    """The text nn.save writes for ``model``."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.json")
        nn.save(model, path)
        with open(path, encoding="utf-8") as f:
            return f.read()


def _doc() -> dict[str, Any]:
    """The version-2 document of a small stack with a batch norm in the middle."""
    doc: dict[str, Any] = json.loads(_saved(nn.Sequential(nn.Layer(2, 2, seed=0), nn.BatchNorm(2),
                                                          nn.Layer(2, 1, seed=1))))
    return doc


def _nest(depth: int) -> dict[str, Any]:
    arch: dict[str, Any] = {"type": "LayerNorm", "size": 2, "eps": 1e-5}
    for _ in range(depth):
        arch = {"type": "Residual", "body": arch}
    return arch


def _edit(change: Any) -> Any:
    def make() -> dict[str, Any]:
        doc = _doc()
        change(doc)
        return doc
    return make


MALFORMED = {
    "an MLP as version 2": (lambda: {**json.loads(_saved(nn.MLP(2, [1], seed=0))), "version": 2},
                            "unsupported format version 2 for an architecture of type 'MLP'"),
    "a block as version 1": (_edit(lambda d: d.update(version=1)),
                             "unknown top-level field\\(s\\) 'buffers'"),
    "a block as version 1 without buffers": (_edit(lambda d: (d.update(version=1), d.pop("buffers"))),
                                             "architecture type 'Sequential' needs format version 2"),
    "no buffers": (_edit(lambda d: d.pop("buffers")), "shape mismatch: buffer 'layers.1.running_mean.0' is "
                                                      "missing"),
    "buffers as a list": (_edit(lambda d: d.update(buffers=[0.0])), "malformed 'buffers'"),
    "an extra buffer": (_edit(lambda d: d["buffers"].update(x=1.0)), "unexpected buffer 'x'"),
    "a negative variance": (_edit(lambda d: d["buffers"].update({"layers.1.running_var.1": -0.5})),
                            "'layers.1.running_var.1' is a variance and must be >= 0"),
    "a negative variance at the top": ({**json.loads(_saved(nn.BatchNorm(2))), "buffers": {
        "running_mean.0": 0.0, "running_mean.1": 0.0, "running_var.0": 1.0, "running_var.1": -1e-9}},
        "'running_var.1' is a variance and must be >= 0"),
    "a buffer as text": (_edit(lambda d: d["buffers"].update({"layers.1.running_mean.0": "0"})),
                         "buffer 'layers.1.running_mean.0' must be a number, got str"),
    "layers not a list": (_edit(lambda d: d["architecture"].update(layers={"type": "Layer"})),
                          "'layers' must be a non-empty list of architectures"),
    "no layers": (_edit(lambda d: d["architecture"].update(layers=[])), "'layers' must be a non-empty list"),
    "a layer that is a string": (_edit(lambda d: d["architecture"]["layers"].append("Layer")),
                                 "every architecture inside a Sequential must be an object, got str"),
    "an unknown nested type": (_edit(lambda d: d["architecture"]["layers"][1].update(type="Dropout")),
                               "unknown architecture type 'Dropout'"),
    "a nested field missing": (_edit(lambda d: d["architecture"]["layers"][1].pop("momentum")),
                               "missing architecture field.* BatchNorm: 'momentum'"),
    "momentum above 1": (_edit(lambda d: d["architecture"]["layers"][1].update(momentum=1.5)),
                         "'momentum' must be a number in \\[0, 1\\], got 1.5"),
    "eps of zero": (_edit(lambda d: d["architecture"]["layers"][1].update(eps=0)),
                    "'eps' must be a finite number"),
    "a batch norm of another size": (_edit(lambda d: d["architecture"]["layers"][1].update(size=3)),
                                     "shape mismatch: the architecture has 15 parameters, the file has 13"),
    "sizes that do not fit": ({"format": "chainrule.nn", "version": 2, "buffers": {},
                               "architecture": {"type": "Sequential", "layers": [
                                   {"type": "LayerNorm", "size": 2, "eps": 1e-5},
                                   {"type": "LayerNorm", "size": 3, "eps": 1e-5}]},
                               "parameters": {f"p{i}": 0.0 for i in range(2 * 2 + 2 * 3)}},
                              "does not fit together: Sequential: layer 0 gives 2 outputs but layer 1 takes"),
    "body not an object": ({"format": "chainrule.nn", "version": 2, "parameters": {}, "buffers": {},
                            "architecture": {"type": "Residual", "body": 3}},
                           "'body' must be an architecture"),
    "too deep": ({"format": "chainrule.nn", "version": 2, "architecture": _nest(40), "parameters": {},
                  "buffers": {}}, "nests more than 32 levels deep"),
    "bptt_steps of zero": ({**json.loads(_saved(nn.RNN(1, 2, seed=0))), "architecture": {
        "type": "RNN", "nin": 1, "nhidden": 2, "nout": 1, "activation": "tanh", "output_activation": "linear",
        "bptt_steps": 0}}, "'bptt_steps' must be a positive integer or null"),
    "an RNN of another size": ({**json.loads(_saved(nn.RNN(1, 2, seed=0))), "architecture": {
        "type": "RNN", "nin": 1, "nhidden": 3, "nout": 1, "activation": "tanh", "output_activation": "linear",
        "bptt_steps": None}}, "shape mismatch: the architecture has 19 parameters, the file has 11"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_version_2_documents_are_refused_naming_the_problem(tmp_path: Path, name: str) -> None:
    make, match = MALFORMED[name]
    doc = make() if callable(make) else make
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=match) as info:
        nn.load(path)
    assert str(path) in str(info.value)


def test_every_version_is_named_when_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**_doc(), "version": 3}))
    match = "unsupported format version 3; this nn reads version 1 \\(Neuron, Layer, MLP\\) and version 2"
    with pytest.raises(ValueError, match=match):
        nn.load(path)
