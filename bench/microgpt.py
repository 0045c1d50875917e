"""microgpt on chainrule, measured: its training step on both classes, and every tool on its graph.

    python bench/microgpt.py steps [--rounds 5]   # 8 training steps, microgpt's Value against
                                                  # autograd.Value, collector on and off
    python bench/microgpt.py tools [--repeats 3]  # each tool on one document's loss (59,521 nodes)

``steps`` starts ``workloads.py gpt`` in fresh processes (1 untimed step, then 8), the implementations
alternating round by round, and prints the median over the processes of the 8 steps' CPU time.
``tools`` builds microgpt's default model (its code, class swapped, parameters named with
``autograd.name_parameters``) and one six-letter name's loss, as ``tests/nn/test_microgpt_tools.py``
does, then times each tool's call (CPU, median of ``--repeats``): the ones that work, and the ones
that refuse (how soon they say so). The README's section "microgpt on chainrule" quotes both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPLS = ("microgpt", "chainrule", "chainrule-fused")


def steps(rounds: int) -> None:
    times: dict[tuple[str, str], list[float]] = {}
    for r in range(rounds):
        for gc in ("on", "off"):
            for impl in IMPLS if r % 2 == 0 else IMPLS[::-1]:
                out = subprocess.run(
                    [sys.executable, os.path.join(ROOT, "bench", "workloads.py"), "gpt", "--impl", impl,
                     "--steps", "8", "--warmup", "1", "--gc", gc], capture_output=True, text=True, check=True)
                times.setdefault((impl, gc), []).append(sum(json.loads(out.stdout.splitlines()[-1])["cpu"]))
    print(f"8 training steps of microgpt's GPT (CPU s, median of {rounds} fresh processes each)")
    for gc in ("on", "off"):
        own = statistics.median(times["microgpt", gc])
        for impl in IMPLS:
            t = statistics.median(times[impl, gc])
            print(f"  collector {gc:3}  {impl:16} {t:6.2f} s   ({own / t:.1f}x microgpt's Value)")


def tools(repeats: int) -> None:
    sys.path.insert(0, ROOT)
    from tests.nn.test_microgpt_tools import REFUSES, WORKS, microgpt_graph

    made = time.process_time()
    g = microgpt_graph()
    spent = time.process_time() - made
    print(f"one document's loss: {g.nodes} nodes, built with backward() in {spent:.2f} s CPU")
    rows: list[tuple[str, Callable[[Any], Any], bool]] = [(k, f, True) for k, f in WORKS.items()]
    rows += [(k, f, False) for k, (f, _) in REFUSES.items()]
    for name, call, works in rows:
        spent = []
        for _ in range(repeats):
            start = time.process_time()
            try:
                call(g)
            except ValueError:
                assert not works
            spent.append(time.process_time() - start)
        print(f"  {name:28} {'works' if works else 'refuses'} in {statistics.median(spent):5.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["steps", "tools"])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    steps(args.rounds) if args.what == "steps" else tools(args.repeats)


if __name__ == "__main__":
    main()
