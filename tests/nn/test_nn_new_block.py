"""A new block is one class plus one registry line: sized, named, trained, saved, loaded and inspected.

``Scale`` below is written here, in the test, as a learner would write one: it declares its sizes,
its config and its parameters; one line (``KINDS["Scale"] = Scale``) lets model files hold it.
Nothing in nn is told about it otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import nn
from autograd import Value
from autograd.core.checks import count


class Scale(nn.Module):
    """``y_i = a_i x_i``: one learnable factor per feature, starting at 1."""

    CONFIG = {"size": "size"}

    def __init__(self, size: int = 2) -> None:
        self.size = count("Scale", "size", size)
        self.a = [Value(1.0) for _ in range(self.size)]
        self._rename("")

    def __call__(self, x: Any) -> Any:
        return [ai * xi for ai, xi in zip(self.a, x)]

    def own_parameters(self) -> dict[str, Value | list[Value]]:
        return {"a": self.a}

    def sizes(self) -> tuple[int, int]:
        return self.size, self.size

    @staticmethod
    def parameter_count(config: dict[str, Any]) -> int:
        return int(config["size"])


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(nn.io.KINDS, "Scale", Scale)  # the one registry line


def _model() -> nn.Sequential:
    model = nn.Sequential(nn.Layer(2, 2, activation="tanh", seed=0), Scale(2), nn.Residual(Scale(2)),
                          nn.Layer(2, 1, activation="linear", seed=1))
    for i, a in enumerate(model.layers[1].a + model.layers[2].body.a):
        a.data = 0.5 + i
    return model


def test_it_is_sized_named_and_switched_like_any_block() -> None:
    model = _model()
    assert model.sizes() == (2, 1) and nn.blocks.sizes(Scale(3)) == (3, 3)
    with pytest.raises(ValueError, match="layer 0 gives 3 outputs but layer 1 takes 2 inputs"):
        nn.Sequential(nn.Layer(2, 3), Scale(2))
    names = [n for n, _ in model.named_parameters()]
    assert names[6:10] == ["layers.1.a.0", "layers.1.a.1", "layers.2.body.a.0", "layers.2.body.a.1"]
    assert model.layers[2].body.a[1].label == "layers.2.body.a.1"  # renamed by the container
    assert model.parameters() == [p for _, p in model.named_parameters()]
    model.eval()
    assert not model.layers[2].body.training
    with pytest.raises(TypeError, match=r"^Scale: size must be a positive integer, got str: '2'$"):
        Scale("2")  # type: ignore[arg-type]


def test_it_trains_and_is_inspected() -> None:
    model = _model()
    history = nn.fit(model, [[0.1, 0.2], [0.3, -0.4], [-0.5, 0.1]], [1.0, -1.0, 0.5], epochs=3,
                     progress=False, metrics=())
    assert history.epochs == 3 and model.layers[1].a[0].data != 0.5  # its parameters are trained
    x = [0.3, -0.2]
    loss = model(x) ** 2
    found = nn.inspect.layer_gradients(model, loss)
    assert [g.name for g in found] == ["layers.0", "layers.3"]  # no weight matrix: opened past, not listed


def test_it_is_saved_and_loaded_with_one_registry_line(registered: None, tmp_path: Path) -> None:
    model = _model()
    path = tmp_path / "scaled.json"
    nn.save(model, path)
    doc = json.loads(path.read_text())
    assert doc["version"] == 2
    assert doc["architecture"]["layers"][1] == {"type": "Scale", "size": 2}
    assert doc["architecture"]["layers"][2] == {"type": "Residual", "body": {"type": "Scale", "size": 2}}
    back = nn.load(path)
    assert isinstance(back.layers[1], Scale) and isinstance(back.layers[2].body, Scale)
    assert back.state_dict() == model.state_dict()
    x = [0.25, -0.75]
    assert back(x).data == model(x).data
    doc["architecture"]["layers"][1]["size"] = 3  # a file that does not fit is refused, naming the problem
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="shape mismatch|does not fit together"):
        nn.load(path)


def test_without_the_registry_line_files_refuse_it(tmp_path: Path) -> None:
    path = tmp_path / "scaled.json"
    with pytest.raises(TypeError, match="cannot save a Scale inside a model"):
        nn.save(_model(), path)
    assert not path.exists()
    pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"to_torch: expected an nn model \(MLP, .*\), got Scale"):
        nn.to_torch(Scale(2))
