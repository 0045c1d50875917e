"""No test can fail because the machine is busy: no test reads the wall clock.

A bound on seconds is a benchmark (``make bench``), not a unit test: on a shared machine the same
test took 69 times longer than its small case and failed. Tests count operations instead (calls
seen by a profiler hook, nodes, steps), or, for a bound far above work of milliseconds, read the
CPU time of their own thread (``time.thread_time``), which other programs cannot stretch.

The support modules may read a clock to wait for something (a server that starts) or to record
how long a lesson ran, never to decide a test.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

# Wall clocks: what another program on the machine stretches.
WALL_CLOCK = re.compile(r"\btime\.(perf_counter|perf_counter_ns|time|time_ns|monotonic|monotonic_ns)\(|"
                        r"\bdatetime\.now\(|\.seconds\s*[<>]")


def test_no_test_module_reads_the_wall_clock() -> None:
    found = [
        f"{path.relative_to(TESTS)}:{n}: {line.strip()}"
        for path in sorted(TESTS.rglob("test_*.py")) if path.name != Path(__file__).name
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if WALL_CLOCK.search(line)
    ]
    assert not found, "a test that reads the wall clock can fail on a busy machine:\n" + "\n".join(found)


def test_the_check_sees_a_timed_assertion() -> None:
    assert WALL_CLOCK.search("t0 = time.perf_counter()") and WALL_CLOCK.search("assert done.seconds < 240")
    assert not WALL_CLOCK.search("t0 = time.thread_time()")
