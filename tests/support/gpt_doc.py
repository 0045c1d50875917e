"""One document's loss on microgpt's own model (its code unchanged, its Value swapped for ours), for
the tests of the block view: ``document_loss`` is the loss microgpt's ``train_on_docs`` computes."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import nn.data
from autograd import Value
from nn import microgpt


def model_and_doc(doc_index: int = 0) -> tuple[ModuleType, Any, Any, str]:
    """microgpt's module, its model (vocabulary of the names data), its tokenizer and one name."""
    gpt = microgpt.engine()
    docs = nn.data.load_names()
    tokenizer = gpt.Tokenizer.from_docs(docs)
    return gpt, gpt.MicroGPT(vocab_size=tokenizer.vocab_size), tokenizer, docs[doc_index]


def document_loss(gpt: ModuleType, model: Any, tokenizer: Any, doc: str) -> Value:
    """The mean next-character loss over one document, as in microgpt's training loop."""
    tokens = [tokenizer.bos] + tokenizer.encode(doc) + [tokenizer.bos]
    n = min(model.block_size, len(tokens) - 1)
    keys: list[list[Any]] = [[] for _ in range(model.n_layer)]
    values: list[list[Any]] = [[] for _ in range(model.n_layer)]
    losses = []
    for pos_id in range(n):
        logits = model.forward(tokens[pos_id], pos_id, keys, values)
        probs = gpt._softmax(logits)
        losses.append(-probs[tokens[pos_id + 1]].log())
    return (1 / n) * sum(losses)
