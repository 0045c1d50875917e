"""What ``autograd.track_blocks()`` costs: microgpt's forward over one document, with and without it.

Builds the loss of one document of the names data on microgpt's own model (its code unchanged, its
Value swapped for chainrule's; the document is chosen to give the issue's ~60,000 nodes), alternating
untracked and tracked rounds in one process, and prints the median CPU seconds of each, their
ratio, the backward pass after each (tracking adds nothing there), and the time to plan the block
view of the whole graph and of one layer. Needs strands-microgpt (``make setup-test`` installs it).

    python bench/blocks_cost.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from autograd import topological_order, track_blocks  # noqa: E402
from autograd.see.blocks import block_view  # noqa: E402
from tests.support.gpt_doc import document_loss, model_and_doc  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import nn.data
    docs = nn.data.load_names()
    index = next(i for i, d in enumerate(docs) if len(d) == 7)  # 8 positions: about 60,000 nodes
    gpt, model, tokenizer, doc = model_and_doc(index)
    names = ("build", "build tracked", "backward", "backward tracked")
    rounds: dict[str, list[float]] = {k: [] for k in names}
    gc.disable()
    for _ in range(args.repeats):
        for tracked in (False, True):
            t = time.process_time()
            if tracked:
                with track_blocks():
                    loss = document_loss(gpt, model, tokenizer, doc)
            else:
                loss = document_loss(gpt, model, tokenizer, doc)
            built = time.process_time() - t
            t = time.process_time()
            loss.backward()
            back = time.process_time() - t
            suffix = " tracked" if tracked else ""
            rounds["build" + suffix].append(built)
            rounds["backward" + suffix].append(back)
            if tracked:
                last = loss
            del loss
            gc.collect()
    gc.enable()
    med = {k: statistics.median(v) for k, v in rounds.items()}
    print(f"microgpt, one document ({doc!r}, {len(topological_order(last)):,} nodes), "
          f"median CPU seconds of {args.repeats} rounds:")
    for k, v in med.items():
        print(f"  {k:18s} {v:.3f} s")
    print(f"  tracking costs {med['build tracked'] / med['build']:.1f}x the forward pass "
          f"(+{(med['build tracked'] - med['build']) * 1e6 / len(topological_order(last)):.1f} µs a node)")
    for path in (None, "document_loss > pos_id=3 > forward > li=0"):
        t = time.process_time()
        block_view(last, path)
        print(f"  block view of {path or 'the whole graph'}: {time.process_time() - t:.3f} s")


if __name__ == "__main__":
    main()
