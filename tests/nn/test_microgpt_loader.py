"""``nn.microgpt.engine``: microgpt's own module, loaded with its class swapped, each copy apart."""

from __future__ import annotations

import importlib.util

import pytest

import autograd
from nn import microgpt


def test_each_copy_uses_the_class_it_was_given_and_leaves_the_others_alone() -> None:
    ours, theirs = microgpt.engine(), microgpt.engine(Value=None)
    assert ours.Value is autograd.Value
    assert theirs.Value is not autograd.Value and theirs.Value.__module__ == "microgpt_engine"
    assert microgpt.engine(Value=None).Value is not theirs.Value  # a fresh module per call


def test_its_model_runs_on_chainrule_with_the_class_swapped() -> None:
    gpt = microgpt.engine()
    tokenizer = gpt.Tokenizer.from_docs(["ab", "ba"])
    model = gpt.MicroGPT(vocab_size=tokenizer.vocab_size, n_embd=4, n_head=2, block_size=4, seed=1)
    losses = model.train_on_docs(["ab", "ba"], tokenizer, num_steps=2, log_every=100)
    assert len(losses) == 2 and all(isinstance(x, float) and x > 0 for x in losses)


def test_without_the_package_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(microgpt.MicrogptMissingError, match=r"pip install --no-deps strands-microgpt==0\.1"):
        microgpt.engine()
