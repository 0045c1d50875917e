"""Model files: no hang, no lost file, and save and load agree on what a model file is.

* **Targets and sources that are not regular files** (a FIFO, a device, a directory, a link to
  one) are refused by ``save`` and ``load`` with a ``ValueError`` before anything is opened:
  the FIFO or the device is still there afterwards, and ``load`` returns at once instead of
  blocking in ``open()`` (each call runs in a thread that must finish within seconds).
* **save and load accept exactly the same models.** A property over models whose numbers are
  set to special values (True, NumPy numbers, NaN, infinities, huge integers, strings, None...):
  either ``save`` refuses, and the file on disk is byte for byte what it was, or ``load`` gives
  the same numbers back. The same holds at the limits: ``MAX_BYTES`` (which ``save`` checks as it
  writes) and ``MAX_PARAMETERS``.
* **Paths** are a str, bytes (decoded as ``os.fsdecode`` does) or an ``os.PathLike``; a
  symbolic link is followed, so the file it names is replaced and the link kept.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value
from tests.support.helpers import named_buffers


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """Run ``call`` in a thread and return what it returns or raises; fail if it takes longer (a hang)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = call()
        except BaseException as e:  # handed back below
            result["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"the call did not return within {seconds} s (it blocks)"
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _fifo(tmp: Path) -> Path:
    path = tmp / "pipe.json"
    os.mkfifo(path)
    return path


def _directory(tmp: Path) -> Path:
    path = tmp / "folder.json"
    path.mkdir()
    (path / "inside.txt").write_text("keep me")
    return path


def _link_to_fifo(tmp: Path) -> Path:
    link = tmp / "link.json"
    link.symlink_to(_fifo(tmp))
    return link


#: name -> (make the path in a temporary folder, what the message calls it)
NOT_REGULAR: dict[str, tuple[Callable[[Path], Path], str]] = {
    "a FIFO": (_fifo, "a FIFO"),
    "a character device": (lambda tmp: Path(os.devnull), "a character device"),
    "a directory": (_directory, "a directory"),
    "a link to a FIFO": (_link_to_fifo, "a FIFO"),
}


def _state(path: Path) -> tuple[Any, ...]:
    """What must not change: the kind of file, and a directory's contents."""
    st_ = os.stat(path)
    inside = sorted(os.listdir(path)) if stat.S_ISDIR(st_.st_mode) else None
    return stat.S_IFMT(st_.st_mode), st_.st_ino, inside


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
@pytest.mark.parametrize("kind", list(NOT_REGULAR))
def test_save_refuses_a_target_that_is_not_a_regular_file_and_leaves_it(tmp_path: Path, kind: str) -> None:
    make, called = NOT_REGULAR[kind]
    path = make(tmp_path)
    before, listing = _state(path), sorted(os.listdir(tmp_path))
    with pytest.raises(ValueError, match=rf"save: .* is {called}.*; a model file must be a regular file"):
        within(10, lambda: nn.save(nn.MLP(2, [1], seed=0), path))
    assert _state(path) == before  # the FIFO, the device, the folder: all still there, as they were
    assert sorted(os.listdir(tmp_path)) == listing  # no temporary file left behind


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
@pytest.mark.parametrize("kind", list(NOT_REGULAR))
def test_load_refuses_a_source_that_is_not_a_regular_file_without_blocking(tmp_path: Path, kind: str) -> None:
    make, called = NOT_REGULAR[kind]
    path = make(tmp_path)
    with pytest.raises(ValueError, match=rf"load: .* is {called}.*; a model file must be a regular file"):
        within(10, lambda: nn.load(path))
    for device in ("/dev/zero", "/dev/urandom"):  # endless sources: refused before reading
        if os.path.exists(device):
            with pytest.raises(ValueError, match="is a character device"):
                within(10, lambda d=device: nn.load(d))  # type: ignore[misc]


# -- save and load accept the same models ----------------------------------------------------

#: Numbers a file holds (as the float they are equal to) ...
ACCEPTED = [True, False, 0, -0.0, 5e-324, 1.7976931348623157e308, np.float32(0.25), np.float64(-1.5),
            np.int64(3)]
#: ... and what no file holds: not finite (10**400 is no float), or not a number at all.
REFUSED = [10**400, -(10**400), math.nan, math.inf, -math.inf, np.float32(np.inf), "0.5", None, Value(1.0),
           [0.5], b"1"]
SPECIAL = ACCEPTED + REFUSED

MODELS: dict[str, Callable[[], nn.Module]] = {
    "MLP": lambda: nn.MLP(2, [2, 1], seed=0),
    "Neuron": lambda: nn.Neuron(2, seed=0),
    "Sequential with BatchNorm": lambda: nn.Sequential(nn.Layer(2, 2, seed=0), nn.BatchNorm(2)),
    "RNN": lambda: nn.RNN(1, 2, seed=0),
}


def _set(model: nn.Module, k: int, value: Any) -> str:
    """Set the model's k-th number (its parameters, then its buffers) to ``value``; returns its name."""
    params = model.parameters()
    if k < len(params):
        params[k].data = value
        return list(model.state_dict())[k]
    buffers = [(name, xs, i) for name, xs in named_buffers(model) for i in range(len(xs))]
    name, xs, i = buffers[k - len(params)]
    xs[i] = value
    return f"{name}.{i}"


def _count(model: nn.Module) -> int:
    """How many numbers a file holds for the model: its parameters and its buffers."""
    return len(model.parameters()) + sum(len(xs) for _, xs in named_buffers(model))


def _refused(value: Any) -> bool:
    return any(value is r for r in REFUSED)


@given(kind=st.sampled_from(sorted(MODELS)), where=st.integers(0, 1000), value=st.sampled_from(SPECIAL),
       negative_variance=st.booleans())
def test_save_writes_exactly_what_load_reads(tmp_path_factory: Any, kind: str, where: int, value: Any,
                                            negative_variance: bool) -> None:
    path = tmp_path_factory.mktemp("files") / "m.json"
    nn.save(nn.Neuron(1, seed=1), path)
    before = path.read_bytes()
    model = MODELS[kind]()
    name = _set(model, where % _count(model), value)
    negative = negative_variance and isinstance(model, nn.Sequential)
    if negative:
        model.layers[1].running_var[0] = -1.0  # type: ignore[attr-defined]
    # what load refuses: a number that is no finite float, and a negative variance
    must_refuse = _refused(value) or negative or (".running_var." in name and value < 0)
    expected = model.state_dict()
    buffers = [list(xs) for _, xs in named_buffers(model)]
    try:
        nn.save(model, path)
    except (TypeError, ValueError) as e:
        assert must_refuse, f"save refused {value!r} as {name}: {e}"
        assert str(e).startswith("save: "), e
        assert path.read_bytes() == before  # refused: the old file whole
        assert sorted(os.listdir(path.parent)) == ["m.json"]
        return
    assert not must_refuse, f"save wrote {value!r} as {name}, which load refuses"
    _assert_loads_back(path, expected, buffers)


def _assert_loads_back(path: Path, expected: dict[str, Any], buffers: list[list[Any]]) -> None:
    """The file at ``path`` loads, with the numbers of ``expected`` and ``buffers``, signs of zero too."""
    loaded = nn.load(path)
    assert list(loaded.state_dict()) == list(expected)
    for name, x in expected.items():
        got = loaded.state_dict()[name]
        assert got == float(x) and math.copysign(1, got) == math.copysign(1, float(x)), name
    assert [list(xs) for _, xs in named_buffers(loaded)] == [[float(x) for x in xs] for xs in buffers]


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.parametrize("value", ACCEPTED, ids=repr)
def test_every_accepted_number_is_saved_and_loads_back_equal(tmp_path: Path, kind: str, value: Any) -> None:
    """The first parameter and the last one set to ``value``, and for BatchNorm a running mean too."""
    model = MODELS[kind]()
    params = len(model.parameters())
    _set(model, 0, value)
    _set(model, params - 1, value)
    if kind == "Sequential with BatchNorm":
        assert _set(model, params, value) == "layers.1.running_mean.0"
    path = tmp_path / "m.json"
    nn.save(model, path)
    _assert_loads_back(path, model.state_dict(), [list(xs) for _, xs in named_buffers(model)])


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_every_refused_number_is_refused_by_save_and_the_file_kept(tmp_path: Path, kind: str,
                                                                   value: Any) -> None:
    path = tmp_path / "m.json"
    nn.save(nn.Neuron(1, seed=1), path)
    before = path.read_bytes()
    for k in (0, -1):  # a parameter, and the last number (a buffer, for BatchNorm)
        model = MODELS[kind]()
        _set(model, k % _count(model), value)
        with pytest.raises((TypeError, ValueError), match=r"^save: "):
            nn.save(model, path)
        assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.json"]


@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_load_refuses_a_file_written_by_hand_with_a_refused_number(tmp_path: Path, value: Any) -> None:
    """The number as near as JSON can spell it: NaN, Infinity, 400 digits, a string, null, a list..."""
    path = tmp_path / "m.json"
    nn.save(nn.Neuron(1, seed=1), path)
    doc = json.loads(path.read_bytes())
    doc["parameters"]["w.0"] = "@"
    path.write_text(json.dumps(doc).replace('"@"', _json_literal(value)))
    not_a_number = (r"^load: .*(parameter 'w\.0' (must be a number|is .*which is not a finite number)"
                    r"|is not allowed \(parameters must be finite numbers\))")
    with pytest.raises(ValueError, match=not_a_number):
        nn.load(path)


def _json_literal(value: Any) -> str:
    """``value`` as JSON text: NaN and Infinity as Python's json writes them, 10**400 with all its digits."""
    if isinstance(value, Value):
        return json.dumps({"data": value.data})
    if isinstance(value, bytes):
        return json.dumps(value.decode())
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, np.floating)):
        return json.dumps(float(value))
    return json.dumps(value)


@pytest.mark.parametrize("limit", [900, 2_000, 5_000])
def test_the_size_limit_is_the_same_for_save_and_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      limit: int) -> None:
    """With MAX_BYTES lowered, each model either saves and loads, or is refused by save, file kept."""
    monkeypatch.setattr(nn.io, "MAX_BYTES", limit)
    path = tmp_path / "m.json"
    path.write_bytes(b"old")
    outcomes = set()
    for width in (1, 4, 16, 64):
        model = nn.MLP(2, [width], seed=0)
        try:
            nn.save(model, path)
        except ValueError as e:
            assert re.search(r"would be larger than .* which load refuses to read", str(e))
            assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["m.json"]
            outcomes.add("refused")
            continue
        assert os.path.getsize(path) <= limit
        assert nn.load(path).state_dict() == model.state_dict()
        path.write_bytes(b"old")
        outcomes.add("saved")
    assert outcomes == {"refused", "saved"}  # each limit is crossed by one of the widths
    # load draws the line at the same byte: a file written by hand, padded to the limit, loads;
    # one byte more is refused before it is parsed
    text = json.dumps(_mlp_document(2, [1]))
    assert len(text) < limit
    path.write_text(text + " " * (limit - len(text)))
    assert os.path.getsize(path) == limit
    assert nn.load(path).state_dict() == _mlp_document(2, [1])["parameters"]
    path.write_text(text + " " * (limit + 1 - len(text)))
    with pytest.raises(ValueError, match=r"^load: .*m\.json: the file is larger than \d+ MB; refusing to "
                                         r"read it$"):
        nn.load(path)


@pytest.mark.parametrize("width", [1, 4, 16])
def test_save_and_load_draw_the_size_limit_at_the_same_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            width: int) -> None:
    """A file of n bytes: with MAX_BYTES = n, save writes it and load reads it; with n - 1, both refuse."""
    model = nn.MLP(2, [width], seed=0)
    path = tmp_path / "m.json"
    nn.save(model, path)
    n = os.path.getsize(path)
    monkeypatch.setattr(nn.io, "MAX_BYTES", n)
    nn.save(model, path)
    assert os.path.getsize(path) == n and nn.load(path).state_dict() == model.state_dict()
    monkeypatch.setattr(nn.io, "MAX_BYTES", n - 1)
    with pytest.raises(ValueError, match=r"^save: .*would be larger than .* which load refuses to read"):
        nn.save(model, path)
    assert os.path.getsize(path) == n  # the file of n bytes is still there ...
    with pytest.raises(ValueError, match=r"^load: .*: the file is larger than \d+ MB; refusing to read it"):
        nn.load(path)  # ... and load refuses it


def _mlp_document(nin: int, nouts: list[int]) -> dict[str, Any]:
    """A version-1 MLP file, written by hand (not by save): every weight 0.5, every bias -0.25."""
    sizes = [nin, *nouts]
    params: dict[str, float] = {}
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        for j in range(n_out):
            params.update({f"layers.{k}.neurons.{j}.w.{i}": 0.5 for i in range(n_in)})
            params[f"layers.{k}.neurons.{j}.b"] = -0.25
    return {"format": "chainrule.nn", "version": 1,
            "architecture": {"type": "MLP", "nin": nin, "nouts": nouts, "activation": "relu",
                             "output_activation": "linear", "fused": True},
            "parameters": params}


def test_the_parameter_limit_is_the_same_for_save_and_load(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nn.io, "MAX_PARAMETERS", 10)
    path = tmp_path / "m.json"
    nn.save(nn.MLP(2, [3], seed=0), path)  # 9 parameters
    assert nn.load(path).state_dict() == nn.MLP(2, [3], seed=0).state_dict()
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"save: .*declares 12 parameters, over the limit 10"):
        nn.save(nn.MLP(2, [4], seed=0), path)
    assert path.read_bytes() == before
    # load: files written by hand, one at the limit (a Neuron with 9 weights and a bias) and one over it
    neuron = {"format": "chainrule.nn", "version": 1,
              "architecture": {"type": "Neuron", "nin": 9, "activation": "relu", "fused": True},
              "parameters": {**{f"w.{i}": 0.125 * i for i in range(9)}, "b": 1.0}}
    path.write_text(json.dumps(neuron))
    assert nn.load(path).state_dict() == neuron["parameters"]
    nn.save(nn.Neuron(9, seed=0), path)  # and save writes it too
    path.write_text(json.dumps(_mlp_document(2, [4])))
    with pytest.raises(ValueError, match=r"^load: .*m\.json: the architecture declares 12 parameters, over "
                                         r"the limit 10$"):
        nn.load(path)


# -- paths -------------------------------------------------------------------------------------


class _BytesPath:
    def __init__(self, path: bytes) -> None:
        self.path = path

    def __fspath__(self) -> bytes:
        return self.path


@pytest.mark.parametrize("spell", [str, os.fsencode, Path, lambda p: _BytesPath(os.fsencode(p))],
                         ids=["str", "bytes", "Path", "PathLike giving bytes"])
def test_every_kind_of_path_os_fspath_takes_works(tmp_path: Path, spell: Callable[[str], Any]) -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    path = spell(str(tmp_path / "m.json"))
    nn.save(model, path)
    assert nn.load(path).state_dict() == model.state_dict()


@pytest.mark.parametrize("path, error, match", [
    (3, TypeError, r"path must be a str, bytes or os.PathLike, got int"),
    (None, TypeError, r"path must be a str, bytes or os.PathLike, got NoneType"),
    ("", ValueError, r"path must name a file, got ''"),
    ("a\x00b", ValueError, r"path must name a file"),
])
def test_paths_of_another_kind_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: Any,
                                           error: type, match: str) -> None:
    monkeypatch.chdir(tmp_path)
    for call, where in ((lambda: nn.save(nn.Neuron(1), path), "save"), (lambda: nn.load(path), "load")):
        with pytest.raises(error, match=f"{where}: {match}"):
            call()
    assert os.listdir(tmp_path) == []


def test_a_symbolic_link_is_followed_and_kept(tmp_path: Path) -> None:
    target, link = tmp_path / "real.json", tmp_path / "link.json"
    nn.save(nn.Neuron(1, seed=0), target)
    link.symlink_to(target)
    model = nn.Neuron(1, seed=1)
    nn.save(model, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert nn.load(target).state_dict() == model.state_dict()
    assert sorted(os.listdir(tmp_path)) == ["link.json", "real.json"]

