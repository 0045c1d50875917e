"""microgpt's own training, its class swapped for ``autograd.Value``: the same losses, step by step.

microgpt's code (strands-microgpt 0.1.0's ``engine.py``: its model, loss, ``backward()`` and Adam in
``MicroGPT.train_on_docs``) runs 20 steps on each class from the same weights and documents. The
losses agree bit for bit wherever the two classes do the same arithmetic; the one op where they do
not is division: microgpt writes ``a / b`` as ``a * b**-1`` (two roundings), chainrule's ``/`` is one
division (one rounding). So against microgpt's class as it is, a loss may differ in its last bits;
against microgpt's class with only its ``/`` made one division, every loss is the same to the bit,
which shows that division is the whole difference.

The model is small (8 embedding dimensions, 2 heads, block size 8; microgpt's default is 16, 4, 16)
so that the 60 steps run in a few seconds: the ops and their order are the same at any size.
"""

from __future__ import annotations

from typing import Any

import pytest

from nn import data, microgpt

STEPS = 20
SMALL = {"n_embd": 8, "n_head": 2, "block_size": 8}


def train(gpt: Any) -> list[float]:
    """microgpt's own training loop on the module ``gpt``: STEPS steps, losses as it returns them."""
    docs = data.load_names(64)
    tokenizer = gpt.Tokenizer.from_docs(docs)
    model = gpt.MicroGPT(vocab_size=tokenizer.vocab_size, **SMALL)
    return list(model.train_on_docs(docs, tokenizer, num_steps=STEPS, log_every=0))


def with_one_division() -> Any:
    """microgpt's module on its own class, whose ``/`` alone is made one division (as chainrule's)."""
    gpt = microgpt.engine(Value=None)
    own = gpt.Value

    class OneDivision(own):  # type: ignore[misc, valid-type]
        __slots__ = ()

        def __truediv__(self, other: Any) -> Any:
            other = other if isinstance(other, own) else own(other)
            out = self.data / other.data
            return OneDivision(out, (self, other), (1.0 / other.data, -out / other.data))

    vars(gpt)["Value"] = OneDivision  # its methods make every new node with the module's Value
    return gpt


@pytest.fixture(scope="module")
def losses() -> dict[str, list[float]]:
    return {"chainrule": train(microgpt.engine()), "microgpt": train(microgpt.engine(Value=None)),
            "microgpt, one division": train(with_one_division())}


def test_the_runs_are_microgpts_training(losses: dict[str, list[float]]) -> None:
    for run in losses.values():
        assert len(run) == STEPS and all(isinstance(x, float) for x in run)
        assert sum(run[-5:]) < sum(run[:5])  # it learns: the loss comes down over the 20 steps


def test_the_same_arithmetic_gives_the_same_losses_bit_for_bit(losses: dict[str, list[float]]) -> None:
    assert losses["chainrule"] == losses["microgpt, one division"]


def test_against_microgpts_own_division_every_step_is_within_float_rounding(
    losses: dict[str, list[float]],
) -> None:
    for step, (ours, theirs) in enumerate(zip(losses["chainrule"], losses["microgpt"])):
        assert ours == pytest.approx(theirs, rel=1e-13, abs=0), f"step {step}"


def test_microgpts_division_is_two_roundings_and_ours_is_one() -> None:
    """The difference named above, on one pair of numbers where it shows."""
    own = microgpt.engine(Value=None).Value
    a, b = 3.0, 5.0  # 3 * 5**-1 is not 3 / 5 in floating point
    assert (own(a) / own(b)).data == a * b**-1 != a / b
    assert (microgpt.engine().Value(a) / b).data == a / b
