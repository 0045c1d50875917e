"""Wall-clock time of each tool on chains of 10,000 and 100,000 additions: ``python bench/linear.py``.

A benchmark, not a test: the times move with the machine and its load. The unit test
``tests/cross/test_linear_cost.py`` checks the same property by counting function calls.
A ratio near 10 is linear; near 100, quadratic.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.cross.test_linear_cost import TOOLS, chain  # noqa: E402  (the same tools, the same chains)


def seconds(f: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    chains = {n: chain(n) for n in (10_000, 100_000)}
    print(f"{'tool':32} {'10,000 nodes':>13} {'100,000 nodes':>14} {'ratio':>6}")
    for name, make in TOOLS.items():
        small = seconds(make(*chains[10_000]), 3)
        large = seconds(make(*chains[100_000]), 1)
        print(f"{name:32} {small:12.3f}s {large:13.3f}s {large / max(small, 1e-6):6.1f}")


if __name__ == "__main__":
    main()
