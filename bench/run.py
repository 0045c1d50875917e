"""chainrule against micrograd 0.1.0, side by side: ``make bench`` (or ``python bench/run.py``).

It installs micrograd 0.1.0 from PyPI into ``bench/.envs/micrograd``, then runs
each workload of ``bench/workloads.py`` for micrograd and for chainrule in
alternation, each run in a fresh process, for several rounds. It prints one
table of medians and ratios and writes it, with the machine and the Python
version, to ``bench/RESULTS.md``.

Times are CPU seconds of the benchmark process (``time.process_time``), so
other programs on a shared machine do not count against either side; wall
clock medians are recorded beside them. Everything, micrograd included, runs
with Python's garbage collector as the user has it: enabled.

PyTorch is optional: it is used when the project's Python can import it, when
``bench/.envs/torch`` has it, or when asked for with ``make bench TORCH=1``
(``--torch``), which installs ``torch==2.13.0`` into ``bench/.envs/torch``.

    python bench/run.py [--rounds 3] [--quick] [--torch] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ENVS = os.path.join(HERE, ".envs")
WORKLOADS = os.path.join(HERE, "workloads.py")
OURS = sys.executable
MICROGRAD_VERSION = "0.1.0"
TORCH_VERSION = "2.13.0"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def env_python(name: str, requirement: str, module: str) -> str | None:
    """The Python of ``bench/.envs/<name>``, created with ``requirement`` installed if missing."""
    py = os.path.join(ENVS, name, "bin", "python")
    if os.path.exists(py) and subprocess.run([py, "-c", f"import {module}"],
                                             capture_output=True).returncode == 0:
        return py
    say(f"setting up bench/.envs/{name} with {requirement} ...")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", os.path.join(ENVS, name)], check=True)
        subprocess.run([py, "-m", "pip", "install", "--quiet", requirement], check=True)
    except subprocess.CalledProcessError as e:
        say(f"could not install {requirement}: {e}")
        return None
    return py


def can_import(py: str, module: str) -> bool:
    return subprocess.run([py, "-c", f"import {module}"], capture_output=True, cwd=ROOT).returncode == 0


def run(py: str, *args: str) -> dict[str, Any]:
    """One workload in a fresh process; its last output line is a JSON object."""
    cmd = [py, WORKLOADS, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def ms(x: float) -> str:
    if x != x:
        return "n/a"
    return f"{x * 1e3:.3f} ms" if x < 0.01 else f"{x * 1e3:.1f} ms" if x < 10 else f"{x:.2f} s"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def main() -> int:
    ap = argparse.ArgumentParser(description="chainrule vs micrograd 0.1.0 benchmark")
    ap.add_argument("--rounds", type=int, default=3, help="processes per implementation and workload")
    ap.add_argument("--quick", action="store_true", help="one round, fewer steps (a smoke run)")
    ap.add_argument("--torch", action="store_true", default=os.environ.get("TORCH", "") not in ("", "0"),
                    help="install PyTorch into bench/.envs/torch and add its columns (TORCH=1)")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    a = ap.parse_args()
    rounds = 1 if a.quick else a.rounds
    started = time.time()

    mg = env_python("micrograd", f"micrograd=={MICROGRAD_VERSION}", "micrograd")
    if mg is None:
        say("micrograd could not be installed: nothing to compare against")
        return 1
    torch_py: str | None = None
    torch_note = "skipped: PyTorch not installed (make bench TORCH=1 installs it)"
    torch_env = os.path.join(ENVS, "torch", "bin", "python")
    if can_import(OURS, "torch"):
        torch_py = OURS
    elif os.path.exists(torch_env) and can_import(torch_env, "torch"):  # installed by an earlier TORCH=1
        torch_py = torch_env
    elif a.torch:
        torch_py = env_python("torch", f"torch=={TORCH_VERSION}", "torch")
        if torch_py is None:
            torch_note = f"skipped: torch=={TORCH_VERSION} could not be installed"
    has_trace = can_import(OURS, "autograd.replay")

    # --- demo step: every implementation, alternating, a fresh process each round --------
    impls: list[tuple[str, str, int]] = [  # (name, python, timed steps per process)
        ("micrograd", mg, 2 if a.quick else 3),
        ("chainrule", OURS, 10),
        ("chainrule-elementary", OURS, 10),
        ("chainrule-paused", OURS, 10),
        ("chainrule-elementary-paused", OURS, 10),
    ]
    if has_trace:
        impls.append(("chainrule-trace", OURS, 50))
    if torch_py:
        impls += [("torch-scalar", torch_py, 2 if a.quick else 3), ("torch-batched", torch_py, 50)]
    steps: dict[str, dict[str, Any]] = {name: {"cpu": [], "wall": [], "losses": []} for name, _, _ in impls}
    for r in range(rounds):
        order = impls if r % 2 == 0 else impls[::-1]
        for name, py, n in order:
            say(f"round {r + 1}/{rounds}: demo step, {name}")
            res = run(py, "step", "--impl", name, "--steps", str(n), "--warmup", "1")
            steps[name]["cpu"] += res["cpu"]
            steps[name]["wall"] += res["times"]
            steps[name]["losses"].append(res["losses"])
            steps[name]["how"] = res["how"]

    # --- the same losses: a longer run from the same weights --------------------------------
    n_agree = 4 if a.quick else 10
    say(f"loss agreement over {n_agree} steps")
    agree = {name: run(py, "step", "--impl", name, "--steps", str(n_agree))["losses"]
             for name, py in (("micrograd", mg), ("chainrule-elementary", OURS), ("chainrule", OURS))}
    if has_trace:
        agree["chainrule-trace"] = run(OURS, "step", "--impl", "chainrule-trace",
                                       "--steps", str(n_agree))["losses"]

    def max_diff(name: str) -> float:
        return max(abs(x - y) for x, y in zip(agree[name], agree["micrograd"]))

    # --- memory, depth, cycles ---------------------------------------------------------------
    say("memory per node")
    mem = {name: run(py, "memory", "--impl", name, "-n", "100000")
           for name, py in (("micrograd", mg), ("chainrule", OURS))}
    say("deepest graph")
    depth = {"micrograd": run(mg, "depth", "--impl", "micrograd", "-n", "1000000"),
             "chainrule": run(OURS, "depth", "--impl", "chainrule", "-n", "1000000")}
    say("time per node, 10^4 and 10^6 additions")
    chain_small = [run(OURS, "chain", "--impl", "chainrule", "-n", "10000", "--repeats", "5")
                   for _ in range(rounds)]
    chain_big = [run(OURS, "chain", "--impl", "chainrule", "-n", "1000000", "--repeats", "1")
                 for _ in range(rounds)]
    per_node_small = median([c["backward_per_node"] for c in chain_small])
    per_node_big = median([c["backward_per_node"] for c in chain_big])
    build_small = median([c["build_per_node"] for c in chain_small])
    build_big = median([c["build_per_node"] for c in chain_big])
    say("profile of a chainrule step")
    profile: dict[str, dict[str, list[float]]] = {}
    for name in ("chainrule", "chainrule-elementary"):
        for _ in range(rounds):
            res = run(OURS, "profile", "--impl", name, "--steps", "5")
            for phase, t in res["ms"].items():
                profile.setdefault(name, {}).setdefault(phase, []).append(t)
    say("reference cycles")
    cyc = {name: run(py, "cycle", "--impl", name) for name, py in (("micrograd", mg), ("chainrule", OURS))}

    # --- the table ---------------------------------------------------------------------------
    mg_cpu, mg_wall = median(steps["micrograd"]["cpu"]), median(steps["micrograd"]["wall"])
    rows: list[tuple[str, str, str, str, str, str]] = []

    def step_row(label: str, name: str, target: float | None) -> None:
        cpu, wall = median(steps[name]["cpu"]), median(steps[name]["wall"])
        ratio, wratio = mg_cpu / cpu, mg_wall / wall
        met = "" if target is None else ("yes" if ratio >= target else f"no ({ratio / target:.2f} of it)")
        rows.append((label, ms(mg_cpu), ms(cpu), f"{ratio:.1f}x (wall {wratio:.1f}x)",
                     "" if target is None else f">= {target:g}x", met))

    step_row(f"demo step, {steps['chainrule']['how']}", "chainrule", 100)
    step_row(f"demo step, elementary graph ({steps['chainrule-elementary']['how']})",
             "chainrule-elementary", 20)
    for name in ("chainrule-paused", "chainrule-elementary-paused"):
        step_row(f"(for comparison) demo step, {steps[name]['how']}, the whole step inside "
                 "`with gc_paused():`", name, None)
    if has_trace:
        step_row("demo step, batch replay (autograd.trace)", "chainrule-trace", 1000)
    if torch_py:
        for name, label in (("torch-scalar", "PyTorch, 0-d tensors"),
                            ("torch-batched", "PyTorch, batched MLP")):
            step_row(f"demo step, {label}", name, None)
        if has_trace:
            tb, tr = median(steps["torch-batched"]["cpu"]), median(steps["chainrule-trace"]["cpu"])
            rows.append(("batch replay vs batched PyTorch", ms(tb) + " (torch)", ms(tr),
                         f"{tr / tb:.2f}x torch's time", "<= 5x", "yes" if tr <= 5 * tb else "no"))
    m_mg, m_us = mem["micrograd"], mem["chainrule"]
    rows.append(("bytes per node (chain of 100,000 additions, constants are nodes)",
                 f"{m_mg['bytes_per_node']:.0f}", f"{m_us['bytes_per_node']:.0f}",
                 f"{m_mg['bytes_per_node'] / m_us['bytes_per_node']:.1f}x less", "<= 150",
                 "yes" if m_us["bytes_per_node"] <= 150 else "no"))
    rows.append(("bytes per addition (2 nodes: the sum and its constant)",
                 f"{m_mg['bytes_per_addition']:.0f}", f"{m_us['bytes_per_addition']:.0f}", "", "", ""))
    d_mg, d_us = depth["micrograd"], depth["chainrule"]
    rows.append(("deepest chain of additions backward() handles",
                 f"{d_mg['deepest']:,} (RecursionError beyond; limit {d_mg['recursionlimit']})",
                 f"{'>= ' if d_us['bound'] else ''}{d_us['deepest']:,} (all tried)", "", ">= 1,000,000",
                 "yes" if d_us["deepest"] >= 1_000_000 else "no"))
    growth = per_node_big / per_node_small
    rows.append(("backward() time per node, 10^6 vs 10^4 additions", "n/a",
                 f"{per_node_big * 1e9:.0f} ns vs {per_node_small * 1e9:.0f} ns", f"{growth:.2f}x",
                 "<= 1.5x", "yes" if growth <= 1.5 else "no"))
    rows.append(("building that chain, time per node, 10^6 vs 10^4", "n/a",
                 f"{build_big * 1e9:.0f} ns vs {build_small * 1e9:.0f} ns", f"{build_big / build_small:.2f}x",
                 "", ""))
    worst = max_diff("chainrule-elementary")
    rows.append((f"largest loss difference from micrograd over {n_agree} steps, elementary graph", "",
                 f"{worst:.1e}", "", "<= 1e-9", "yes" if worst <= 1e-9 else "no"))
    rows.append(("same, fused dot (a different summation order)", "", f"{max_diff('chainrule'):.1e}",
                 "", "", ""))
    if has_trace:
        rows.append(("same, batch replay", "", f"{max_diff('chainrule-trace'):.1e}", "", "", ""))
    c_mg, c_us = cyc["micrograd"], cyc["chainrule"]
    rows.append(("one dropped step with gc off: objects left for the cyclic collector",
                 f"{c_mg['unreachable_found_by_gc']:,}", f"{c_us['unreachable_found_by_gc']:,}", "", "0",
                 "yes" if c_us["unreachable_found_by_gc"] == 0 else "no"))
    rows.append(("nodes in one step's graph, elementary (node for node the same)",
                 f"{c_mg['nodes']:,}", f"{c_us['nodes']:,}", "", "", ""))
    rows.append(("bytes per node of that graph after backward() (gradients included)",
                 f"{c_mg['graph_bytes'] / c_mg['nodes']:.0f}", f"{c_us['graph_bytes'] / c_us['nodes']:.0f}",
                 f"{c_mg['graph_bytes'] / c_us['graph_bytes']:.1f}x less", "", ""))
    rows.append(("same: memory still held after the drop (tracemalloc)",
                 f"{c_mg['bytes_left_after_drop'] / 1e6:.1f} MB of {c_mg['graph_bytes'] / 1e6:.1f}",
                 f"{c_us['bytes_left_after_drop'] / 1e6:.2f} MB of {c_us['graph_bytes'] / 1e6:.1f}",
                 "", "", ""))

    head = ("workload", "micrograd 0.1.0", "chainrule", "ratio", "target", "met")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    table = "\n".join(lines)
    notes = [
        f"- Demo step: micrograd's demo (two moons, n = 100, MLP(2, [16, 16, 1]), hinge + 1e-4 L2, "
        f"forward + backward + SGD update), same data and initial weights everywhere. Medians of "
        f"{len(steps['micrograd']['cpu'])} micrograd steps and {len(steps['chainrule']['cpu'])} chainrule "
        f"steps over {rounds} round(s) of fresh processes, alternating; the first step of each process "
        f"is not timed. CPU time of the process; wall-clock ratio in brackets.",
        "- The garbage collector is enabled for every implementation, as a user has it.",
        f"- micrograd: {steps['micrograd']['how']}; chainrule rows: {steps['chainrule']['how']} and "
        f"{steps['chainrule-elementary']['how']}.",
        "- bytes per node: tracemalloc over building `x = x + 1.0` 100,000 times; every Value counts as "
        "a node, the wrapped constants included (2n + 1 nodes), as micrograd builds them.",
        f"- PyTorch: {'torch ' + TORCH_VERSION + ', one thread, float64' if torch_py else torch_note}.",
    ]
    if not has_trace:
        notes.append("- batch replay: skipped (autograd.replay not available)")
    for name, label in (("chainrule", "fused"), ("chainrule-elementary", "elementary")):
        split = ", ".join(f"{phase} {median(ts):.1f}" for phase, ts in profile[name].items())
        notes.append(f"- Where a chainrule step's CPU time goes ({label}, ms, medians): {split}. "
                     "`gc` is the cyclic collector's share, counted inside the phase it interrupted.")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (f"Machine: {machine()}  \n"
              f"Python {platform.python_version()} ({platform.python_implementation()}), "
              f"micrograd {MICROGRAD_VERSION} from PyPI  \nDate: {stamp}  \n"
              f"Command: `make bench{' TORCH=1' if a.torch else ''}` "
              f"(`python bench/run.py{' --quick' if a.quick else ''}`), {time.time() - started:.0f} s")
    print(table)
    print()
    print("\n".join(notes))
    if not a.no_write:
        with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
            f.write("# Benchmark: chainrule vs micrograd 0.1.0\n\n" + header + "\n\n" + table + "\n\n"
                    + "\n".join(notes) + "\n")
        say("wrote bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
