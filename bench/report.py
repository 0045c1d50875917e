"""The tables of ``bench/RESULTS.md``, made from the raw results ``bench/run.py`` collects.

:func:`render` takes the results (what ``run.py`` saves in ``bench/.envs/results.json``)
and returns the whole page: the header (machine, interpreter, command), the targets of
issue 22 (chainrule against microgpt's ``Value`` and against a pinned earlier commit, with
whether the numbers agree), the targets of issue 17 with both collector columns, memory and
graphs, the per-node floor, the other Pythons, the replay at real scale against batched
PyTorch, and the notes (what each row measures, where the time goes).
``python bench/run.py --report`` re-renders it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

# The three scalar paths of chainrule's demo step: label, targets (collector on, off), graph of the floor.
DEMO_IMPLS = ("chainrule", "chainrule-elementary", "chainrule-micrograd-style")
DEMO_ROWS = {
    "chainrule": ("`nn.MLP`: one `dot` node per neuron", 130, 14, "chainrule"),
    "chainrule-elementary": ("`nn.MLP(fused=False)`: micrograd's graph node for node", 35, 4.5,
                             "chainrule-elementary"),
    "chainrule-micrograd-style": ("micrograd-style user code through the operators (micrograd's `nn.py` "
                                  "on `autograd.Value`)", 25, 3.5, "chainrule-elementary"),
}
BYTES_PER_NODE = 120  # y = y + x, one new node per step
BACKWARD_GROWTH = 1.3  # backward time per node, 10^6 nodes against 10^4
REPLAY_VS_TORCH = 1.5  # the replay's time over batched PyTorch's, at every size and per digits epoch
DIGITS_ACCURACY = 0.95
LOSS_AGREEMENT = 1e-9
REPLAY_GOAL = f"<= {REPLAY_VS_TORCH:g}x"

# Issue 22: chainrule against microgpt's Value (ratios > 1: chainrule faster), collector on / off.
GPT_IMPLS = ("microgpt", "chainrule", "chainrule-fused")  # workloads.GPT_IMPLS, in the order they run
GPT_TARGET = (2.0, 1.5)  # microgpt's code, its class swapped
GPT_FUSED_TARGET = (6.0, 4.0)  # microgpt's code with its linear layers fused, against the original
USER_CODE_TARGET = (2.5, 2.0)  # micrograd's demo step as user code
PINNED_TARGET = 1.0  # at least as fast as at the pinned commit (its time over ours)
BYTES_PER_NODE_22 = 130

Row = list[str]


# --- numbers ---------------------------------------------------------------------------


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def ms(x: float) -> str:
    """Seconds as ms with three significant-ish digits (s beyond 10 s)."""
    if x != x:
        return "n/a"
    return f"{x * 1e3:.3f} ms" if x < 0.01 else f"{x * 1e3:.1f} ms" if x < 10 else f"{x:.2f} s"


def times(r: float) -> str:
    return f"{r:,.0f}x" if r >= 100 else f"{r:.1f}x" if r >= 1 else f"{r:.2f}x"


def goal(value: float, target: float, at_least: bool, shown: str) -> str:
    """``>= 130x: met``, or ``>= 130x: missed (0.40 of it)``; ``shown`` is the target as written."""
    if value != value:
        return f"{shown}: not measured"
    ok = value >= target if at_least else value <= target
    if ok:
        return f"{shown}: met"
    part = value / target if at_least else target / value
    return f"{shown}: missed ({part:.2f} of it)"


def para(text: str) -> str:
    """A paragraph written across source lines, as one line (a Markdown list item keeps its dash)."""
    return " ".join(text.split())


def kb(x: float) -> str:
    return f"{x / 1024:,.1f} KB"


def table(head: Row, rows: list[Row]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


# --- the demo step ---------------------------------------------------------------------


def step_cpu(demo: dict[str, Any], key: str) -> float:
    return median(demo[key]["cpu"]) if key in demo else float("nan")


def floor_ns(results: dict[str, Any]) -> dict[str, float]:
    """Each floor measurement's median over the floor processes, in ns per node or edge."""
    runs = results["floor"]
    return {k: median([r["ns"][k] for r in runs]) for k in runs[0]["ns"]}


def chain_per_node(results: dict[str, Any], what: str) -> tuple[float, float]:
    """The median seconds per node of ``what`` (``backward_per_node``, ``build_per_node``) on the
    chain of 10^4 nodes and on the chain of 10^6."""
    chain = results["chain"]
    return median([c[what] for c in chain["10000"]]), median([c[what] for c in chain["1000000"]])


def floor_step(ns: dict[str, float], counts: dict[str, int], gc: str) -> float:
    """Seconds a demo step's graph costs at the plain-Python floor, from its counts: every node
    but a dot is a multiply node plus a two-edge chain-rule step, a dot node an object plus its
    edges' dot forward and backward, every new leaf an object; no walk (creation order needs none)."""
    node = ns[f"floor mul gc {gc}"] + ns["floor chain step"]
    obj = ns[f"floor object gc {gc}"]
    new_leaves = counts["leaves"] - counts["parameters"]
    return 1e-9 * (counts["other_nodes"] * node + (counts["dot_nodes"] + new_leaves) * obj
                   + counts["dot_edges"] * (ns["floor dot forward"] + ns["floor dot backward"]))


def demo_table(results: dict[str, Any]) -> str:
    demo = results["demo"]
    ns, counts = floor_ns(results), results["floor"][0]["demo_graph"]
    mg_on, mg_off = step_cpu(demo, "micrograd/on"), step_cpu(demo, "micrograd/off")
    rows = []
    for impl in DEMO_IMPLS:
        label, t_on, t_off, graph = DEMO_ROWS[impl]
        on, off = step_cpu(demo, f"{impl}/on"), step_cpu(demo, f"{impl}/off")
        f_on, f_off = floor_step(ns, counts[graph], "on"), floor_step(ns, counts[graph], "off")
        rows.append([label, ms(mg_on), ms(on), times(mg_on / on),
                     goal(mg_on / on, t_on, True, f">= {t_on:g}x"),
                     f"{mg_on / f_on:.0f}x to {mg_on / f_off:.0f}x",
                     ms(mg_off), ms(off), times(mg_off / off),
                     goal(mg_off / off, t_off, True, f">= {t_off:g}x"), f"{mg_off / f_off:.0f}x"])
    extra = [("chainrule-trace/on", "batch replay: `autograd.trace` of `nn.MLP`, replayed on the 100 points"),
             ("torch-scalar/on", "PyTorch, one 0-d tensor per scalar (micrograd's `nn.py` code)"),
             ("torch-batched/on", "PyTorch, batched MLP, one thread, float64")]
    for key, label in extra:
        if key in demo:
            t = step_cpu(demo, key)
            rows.append([label, ms(mg_on), ms(t), times(mg_on / t), "", "", "", "", "", "", ""])
    if "chainrule-trace/on" in demo and "torch-batched/on" in demo:
        tr, tb = step_cpu(demo, "chainrule-trace/on"), step_cpu(demo, "torch-batched/on")
        rows.append(["batch replay against batched PyTorch (their times)", ms(tb) + " (torch)", ms(tr),
                     f"{tr / tb:.2f}x torch's", goal(tr / tb, REPLAY_VS_TORCH, False, REPLAY_GOAL),
                     "", "", "", "", "", ""])
    head = ["demo step (CPU per step, medians)", "micrograd 0.1.0", "chainrule", "ratio", "target",
            "plain-Python floor", "micrograd, collector off", "chainrule, collector off", "ratio", "target",
            "floor"]
    return table(head, rows)


# --- issue 22: engine against engine ----------------------------------------------------


def gpt_cpu(results: dict[str, Any], key: str) -> float:
    """Median over the processes of the CPU seconds of their timed GPT steps together (8 in a full run)."""
    runs = results.get("gpt", {}).get(key)
    return median([sum(r["cpu"]) for r in runs]) if runs else float("nan")


def _pair_row(label: str, against: str, base: tuple[float, float], ours: tuple[float, float],
              targets: tuple[float, float] | None) -> Row:
    """One row of the issue 22 table: each collector column's two times, their ratio (base / ours,
    > 1: chainrule faster) and the target met or missed."""
    row = [label, against]
    for b, o, t in zip(base, ours, targets or (None, None)):
        if b != b and o != o:  # a column not measured (the replay's collector off): say so once
            row += ["not measured", "", "", ""]
            continue
        r = b / o
        row += [ms(b), ms(o), times(r) if r == r else "n/a",
                goal(r, t, True, f">= {t:g}x") if t is not None else ""]
    return row


def issue22_table(results: dict[str, Any]) -> str:
    demo, gpt, meta = results.get("engines") or results["demo"], results.get("gpt", {}), results["meta"]
    steps = len(next(iter(gpt.values()))[0]["cpu"]) if gpt else 0

    def g(impl: str) -> tuple[float, float]:  # a GPT implementation, collector on and off
        return gpt_cpu(results, f"{impl}/on"), gpt_cpu(results, f"{impl}/off")

    def d(impl: str) -> tuple[float, float]:  # a demo-step implementation, collector on and off
        return step_cpu(demo, f"{impl}/on"), step_cpu(demo, f"{impl}/off")

    def note(label: str, against: str, text: str) -> Row:
        return [label, against, text, "", "", "", "", "", "", ""]

    mgpt, mg, user = "microgpt's `Value`", "micrograd 0.1.0", "chainrule-micrograd-style"
    rows: list[Row] = []
    if gpt:
        rows.append(_pair_row(f"microgpt's GPT training step, its code unchanged, class swapped "
                              f"({steps} steps)", mgpt, g("microgpt"), g("chainrule"), GPT_TARGET))
        rows.append(note("same, against micrograd 0.1.0", mg,
                         "n/a: its `Value` has no `exp` or `log`, which microgpt's code calls"))
    else:
        rows.append(note("microgpt's GPT training step", mgpt, f"skipped: {meta.get('microgpt')}"))
    has_mgpt = "microgpt-micrograd-style/on" in demo
    if has_mgpt:
        rows.append(_pair_row("micrograd's demo step as user code (`sum(w*x ...)`, hinge loss, SGD)", mgpt,
                              d("microgpt-micrograd-style"), d(user), USER_CODE_TARGET))
    rows.append(_pair_row("same, against micrograd 0.1.0 (for scale)", mg, d("micrograd"), d(user), None))
    if has_mgpt:
        rows.append(_pair_row("same, microgpt's `Value` against micrograd 0.1.0 (for scale: its "
                              "\"chainrule\" columns are microgpt's)", mg, d("micrograd"),
                              d("microgpt-micrograd-style"), None))
    if gpt:
        rows.append(_pair_row(f"the same GPT with chainrule's fused paths (its `linear` one `autograd.dots` "
                              f"call) against microgpt's original ({steps} steps)", mgpt, g("microgpt"),
                              g("chainrule-fused"), GPT_FUSED_TARGET))
    pinned = meta.get("pinned", {})
    at = f"commit {pinned['commit'][:7]}" if "commit" in pinned else "pinned commit"
    for impl, label in (("chainrule", "fused `nn.MLP` on the demo step"),
                        ("chainrule-trace", "the replayed demo step (`trace`, then the update per "
                                            "parameter)")):
        if f"pinned:{impl}/on" in demo:
            rows.append(_pair_row(f"{label}, against {at} in the same run", at, d(f"pinned:{impl}"), d(impl),
                                  (PINNED_TARGET, PINNED_TARGET)))
        else:
            rows.append(note(label, at, f"skipped: {pinned.get('skipped', 'not measured')}"))
    memory = results["memory"]
    ours = memory["chainrule"]["sum_bytes_per_node"]
    base = memory["microgpt"]["sum_bytes_per_node"] if "microgpt" in memory else float("nan")
    rows.append(["bytes per node, `y = y + x` (tracemalloc, 100,000 nodes; the same with either collector)",
                 mgpt, f"{base:.0f}", f"{ours:.0f}", "",
                 goal(ours, BYTES_PER_NODE_22, False, f"<= {BYTES_PER_NODE_22}"), "", "", "", ""])
    head = ["workload (CPU time, medians of alternating fresh processes)", "against", "collector on: theirs",
            "chainrule", "ratio (> 1: chainrule faster)", "target", "collector off: theirs", "chainrule",
            "ratio", "target"]
    return table(head, rows)


def _differ(a: list[float], b: list[float]) -> str:
    """How two loss sequences compare: bit for bit, or the largest difference, relative to the loss."""
    n = min(len(a), len(b))
    same = sum(x == y for x, y in zip(a, b))
    if same == n:
        return f"identical bit for bit ({n} of {n} steps)"
    worst = max(abs(x - y) / max(abs(x), 1e-300) for x, y in zip(a, b))
    return f"{same} of {n} steps identical; the others within {worst:.1e} (relative)"


def issue22_numbers(results: dict[str, Any]) -> str:
    """The losses step by step of the implementations the issue 22 table compares."""
    gpt, agree, rows = results.get("gpt", {}), results["agree"], []
    if gpt:
        ref = gpt["microgpt/on"][0]["losses"]
        rows.append(["microgpt's GPT: `autograd.Value` against microgpt's `Value` (the same code)",
                     _differ(gpt["chainrule/on"][0]["losses"], ref),
                     "microgpt divides as `a * b**-1` (two roundings), chainrule's `/` is one division "
                     "(with microgpt's `/` made one division, its losses equal chainrule's bit for bit: "
                     "checked by hand on 2026-12-07); every other op is the same arithmetic in the same "
                     "order"])
        rows.append(["microgpt's GPT fused (`dots`) against the same code unfused on `autograd.Value`",
                     _differ(gpt["chainrule-fused/on"][0]["losses"], gpt["chainrule/on"][0]["losses"]),
                     "a fused dot sums its products left to right from 0.0, as `sum()` does"])
        rows.append(["microgpt's GPT fused against microgpt's original",
                     _differ(gpt["chainrule-fused/on"][0]["losses"], ref), "the division, as above"])
        for key, runs in gpt.items():  # every process of an implementation starts alike: it must end alike
            if any(r["losses"] != runs[0]["losses"] for r in runs):
                rows.append([f"{key}: its processes disagree", "differ", "a bug: the same code and data"])
    if "microgpt-micrograd-style" in agree:
        rows.append(["demo step as user code: `autograd.Value` against microgpt's `Value`",
                     _differ(agree["chainrule-micrograd-style"], agree["microgpt-micrograd-style"]),
                     "the same graph and the same operations"])
        rows.append(["same, microgpt's `Value` against micrograd 0.1.0",
                     _differ(agree["microgpt-micrograd-style"], agree["micrograd"]),
                     "micrograd keeps parents in a set, so its gradients add up in another order"])
    for impl, label in (("chainrule", "fused `nn.MLP`"), ("chainrule-trace", "the replay")):
        if f"pinned:{impl}" in agree:
            rows.append([f"{label}: this checkout against the pinned commit",
                         _differ(agree[impl], agree[f"pinned:{impl}"]), ""])
    return table(["losses step by step", "agreement", "why"], rows)


def gpt_profile_table(results: dict[str, Any]) -> list[str]:
    """cProfile of microgpt's GPT step on chainrule's Value and on its own, side by side."""
    prof = results.get("gpt_profile")
    if not prof:
        return []
    ours, theirs = prof["chainrule"], prof["microgpt"]

    def cells(t: dict[str, Any] | None) -> Row:
        return [f"`{t['function']}`", f"{t['ms']:.1f}", f"{t['calls']:,.0f}"] if t else ["", "", ""]

    n = max(len(ours["top"]), len(theirs["top"]))
    rows = [cells(ours["top"][i] if i < len(ours["top"]) else None)
            + cells(theirs["top"][i] if i < len(theirs["top"]) else None) for i in range(n)]
    head = ["chainrule's `Value`: function", "ms per step", "calls per step", "microgpt's `Value`: function",
            "ms per step", "calls per step"]
    return ["### Where microgpt's GPT step spends its time", para(f"""
        cProfile over {ours['steps']} steps after a warm-up, collector on: {ours['total_ms']:.0f} ms a step
        on chainrule's `Value`, {theirs['total_ms']:.0f} ms on microgpt's (both larger under the profiler
        than without it); the functions by their own time."""), table(head, rows)]


# --- memory, graphs, backward ----------------------------------------------------------


def _held(r: dict[str, Any]) -> str:
    return " / ".join(f"{v / 1024:+,.1f}" for v in r["held"].values()) + " KB"


def _drop_row(results: dict[str, Any], impl: str, gc: str, label: str) -> Row:
    """Memory after 10 / 100 / 1000 dropped passes; flat: less than one graph more over the last 900.

    A graph kept alive per pass would add 900 graphs between the last two readings; a cache or a
    free list that fills up once (the first passes) does not count against it."""
    r = results["drop"][f"{impl}/{gc}"]
    held = list(r["held"].values())
    growth = held[-1] - held[-2] if len(held) > 1 else float("nan")
    mg = results["drop"].get(f"micrograd/{gc}")
    marks = list(r["held"])
    return [f"{label}: memory held after {' / '.join(marks)} dropped forward passes "
            f"(one graph: {kb(r['graph_bytes'])})", _held(mg) if mg else "", _held(r),
            f"{growth / 1024:+,.1f} KB from {marks[-2]} to {marks[-1]}",
            "flat: less than one graph more", "yes" if growth < r["graph_bytes"] else "no"]


def engine_table(results: dict[str, Any]) -> str:
    rows: list[Row] = []
    m_mg, m_us = results["memory"]["micrograd"], results["memory"]["chainrule"]
    b_mg, b_us = m_mg["sum_bytes_per_node"], m_us["sum_bytes_per_node"]
    rows.append(["bytes per node, `y = y + x` repeated (one new node per step, no constants; 100,000 steps)",
                 f"{b_mg:.0f}", f"{b_us:.0f}", f"{b_mg / b_us:.1f}x less",
                 f"<= {BYTES_PER_NODE}", "yes" if b_us <= BYTES_PER_NODE else "no"])
    rows.append(["bytes per node, `x = x + 1.0` repeated (every Value a node, the constants included)",
                 f"{m_mg['constant_bytes_per_node']:.0f}", f"{m_us['constant_bytes_per_node']:.0f}",
                 f"{m_mg['constant_bytes_per_node'] / m_us['constant_bytes_per_node']:.1f}x less", "", ""])
    for impl, gc, label in (
            ("chainrule", "on", "graphs dropped without `backward()`, `nn.MLP`, collector on"),
            ("chainrule", "off", "same, collector off (freed by reference counting alone)"),
            ("chainrule-micrograd-style", "on", "same, micrograd-style user code, collector on"),
            ("chainrule-micrograd-style", "off", "same, micrograd-style, collector off")):
        rows.append(_drop_row(results, impl, gc, label))
    small, big = chain_per_node(results, "backward_per_node")
    rows.append(["`backward()` time per node, 10^6 vs 10^4 nodes (`y = y + x`)", "n/a (RecursionError)",
                 f"{big * 1e9:.0f} ns vs {small * 1e9:.0f} ns", f"{big / small:.2f}x",
                 f"<= {BACKWARD_GROWTH:g}x", "yes" if big / small <= BACKWARD_GROWTH else "no"])
    bsmall, bbig = chain_per_node(results, "build_per_node")
    rows.append(["building that chain, time per node, 10^6 vs 10^4", "n/a",
                 f"{bbig * 1e9:.0f} ns vs {bsmall * 1e9:.0f} ns", f"{bbig / bsmall:.2f}x", "", ""])
    d_mg, d_us = results["depth"]["micrograd"], results["depth"]["chainrule"]
    rows.append(["deepest chain of additions `backward()` handles",
                 f"{d_mg['deepest']:,} (RecursionError beyond; limit {d_mg['recursionlimit']})",
                 f"{'>= ' if d_us['bound'] else ''}{d_us['deepest']:,} (all tried)", "", ">= 1,000,000",
                 "yes" if d_us["deepest"] >= 1_000_000 else "no"])
    agree = results["agree"]

    def diff(impl: str) -> float:
        return max(abs(x - y) for x, y in zip(agree[impl], agree["micrograd"]))

    n = len(agree["micrograd"])
    for impl, label in (("chainrule-elementary", f"largest loss difference from micrograd over {n} steps, "
                                                 "`nn.MLP(fused=False)`"),
                        ("chainrule-micrograd-style", "same, micrograd-style user code")):
        rows.append([label, "", f"{diff(impl):.1e}", "", f"<= {LOSS_AGREEMENT:g}",
                     "yes" if diff(impl) <= LOSS_AGREEMENT else "no"])
    rows.append(["same, `nn.MLP` (fused dot: a different summation order)", "", f"{diff('chainrule'):.1e}",
                 "", "", ""])
    if "chainrule-trace" in agree:
        rows.append(["same, batch replay", "", f"{diff('chainrule-trace'):.1e}", "", "", ""])
    c_mg, c_us = results["cycle"]["micrograd"], results["cycle"]["chainrule"]
    rows.append(["one dropped step with the collector off: objects left for the cyclic collector",
                 f"{c_mg['unreachable_found_by_gc']:,}", f"{c_us['unreachable_found_by_gc']:,}", "", "0",
                 "yes" if c_us["unreachable_found_by_gc"] == 0 else "no"])
    rows.append(["nodes in one step's graph, elementary (node for node the same)",
                 f"{c_mg['nodes']:,}", f"{c_us['nodes']:,}", "", "", ""])
    rows.append(["bytes per node of that graph after `backward()` (gradients included)",
                 f"{c_mg['graph_bytes'] / c_mg['nodes']:.0f}", f"{c_us['graph_bytes'] / c_us['nodes']:.0f}",
                 f"{c_mg['graph_bytes'] / c_us['graph_bytes']:.1f}x less", "", ""])
    rows.append(["same: memory still held after the drop (tracemalloc)",
                 f"{c_mg['bytes_left_after_drop'] / 1e6:.1f} MB of {c_mg['graph_bytes'] / 1e6:.1f}",
                 f"{c_us['bytes_left_after_drop'] / 1e6:.2f} MB of {c_us['graph_bytes'] / 1e6:.1f}",
                 "", "", ""])
    return table(["workload", "micrograd 0.1.0", "chainrule", "ratio", "target", "met"], rows)


# --- the floor -------------------------------------------------------------------------


def floor_table(results: dict[str, Any]) -> str:
    ns = floor_ns(results)
    rows: list[Row] = []

    def row(label: str, ours: float, floor: float, floor_text: str | None = None) -> None:
        rows.append([label, f"{ours:.0f} ns", floor_text or f"{floor:.0f} ns", f"{ours / floor:.2f}x"])

    for gc in ("on", "off"):
        row(f"a leaf: `Value(1.0)` against a 5-field slotted object, collector {gc}",
            ns[f"engine leaf gc {gc}"], ns[f"floor object gc {gc}"])
    for gc in ("on", "off"):
        row(f"elementary forward: `y = y * x`, a multiply node and its parents tuple, collector {gc}",
            ns[f"engine mul gc {gc}"], ns[f"floor mul gc {gc}"])
    walk, step = ns["floor walk"], ns["floor chain step"]
    row("backward per node of that chain: `y.backward()` against a set-based walk + a two-edge chain-rule "
        "step", ns["engine backward"], walk + step, f"{walk + step:.0f} ns ({walk:.0f} + {step:.0f})")
    row("same, against the chain-rule step alone (nodes recorded in creation order need no walk)",
        ns["engine backward"], step)
    row("fused forward: `dot(ws, xs, b)` of 1,000 edges, per edge", ns["engine dot forward"],
        ns["floor dot forward"])
    row("fused backward: that dot's `backward()`, per edge", ns["engine dot backward"],
        ns["floor dot backward"])
    demo, counts = results["demo"], results["floor"][0]["demo_graph"]
    for impl, graph, what in (("chainrule-elementary", "chainrule-elementary", "`nn.MLP(fused=False)`"),
                              ("chainrule", "chainrule", "`nn.MLP`")):
        c = counts[graph]
        for gc in ("on", "off"):
            ours, floor = step_cpu(demo, f"{impl}/{gc}"), floor_step(ns, c, gc)
            rows.append([f"a whole demo step, {what}, collector {gc} ({c['nodes']:,} nodes, "
                         f"{c['dot_edges']:,} dot edges), from the counts", ms(ours), ms(floor),
                         f"{ours / floor:.2f}x"])
    return table(["per node (per edge for a dot)", "chainrule", "plain-Python floor", "chainrule / floor"],
                 rows)


# --- the other Pythons -----------------------------------------------------------------


def _ratios(demo: dict[str, Any], impl: str) -> str:
    on = step_cpu(demo, "micrograd/on") / step_cpu(demo, f"{impl}/on")
    off = step_cpu(demo, "micrograd/off") / step_cpu(demo, f"{impl}/off")
    return f"{times(on)} / {times(off)}"


def pythons_table(results: dict[str, Any]) -> str:
    head = ["Python", "micrograd step, collector on / off", "`nn.MLP`", "`nn.MLP(fused=False)`",
            "micrograd-style user code"]
    version = results["meta"]["interpreter"]["version"]
    lines = [(f"{version} (this run's, above)", results["demo"])]
    skipped = []
    for p in results["pythons"]:
        if "skipped" in p:
            skipped.append(f"- Python {p['minor']}: skipped: {p['skipped']}.")
        else:
            lines.append((p["interpreter"]["version"], p["demo"]))
    rows = []
    for label, demo in lines:
        rows.append([label, f"{ms(step_cpu(demo, 'micrograd/on'))} / {ms(step_cpu(demo, 'micrograd/off'))}",
                     *[_ratios(demo, impl) for impl in DEMO_IMPLS]])
    return table(head, rows) + ("\n\n" + "\n".join(skipped) if skipped else "")


# --- the replay at scale ---------------------------------------------------------------


def sweep_medians(sweep: dict[str, Any]) -> dict[tuple[int, int], dict[str, float]]:
    """(batch, width) -> the replay's and PyTorch's median step, their ratio, the largest loss difference."""
    out: dict[tuple[int, int], dict[str, float]] = {}
    widths = sorted({int(k.split("/")[1]) for k in sweep})
    for w in widths:
        rep, tor = sweep[f"replay/{w}"], sweep[f"torch/{w}"]
        for b in rep[0]["sizes"]:
            tr = median([x for r in rep for x in r["sizes"][b]["cpu"]])
            tt = median([x for r in tor for x in r["sizes"][b]["cpu"]])
            la, lb = rep[0]["sizes"][b]["losses"], tor[0]["sizes"][b]["losses"]
            diff = max(abs(x - y) / max(abs(x), 1.0) for x, y in zip(la, lb))  # relative to the loss
            out[(int(b), w)] = {"replay": tr, "torch": tt, "ratio": tr / tt, "loss_diff": diff}
    return out


def sweep_to_profile(sweep: dict[str, Any]) -> list[tuple[int, int]]:
    """Which sizes to profile: the worst ratio and the largest size, where they miss the target."""
    m = sweep_medians(sweep)
    missed = [k for k, v in m.items() if v["ratio"] > REPLAY_VS_TORCH]
    if not missed:
        return []
    worst = max(missed, key=lambda k: m[k]["ratio"])
    largest = max(m)
    return [worst] + ([largest] if largest in missed and largest != worst else [])


def _digits_runs(digits: dict[str, Any]) -> tuple[list[dict], list[dict]] | str:
    ours, torch = digits["chainrule"], digits["torch"]
    for r in ours + torch:
        if "skipped" in r:
            return r["skipped"]
    return ours, torch


def _per_epoch(runs: list[dict]) -> float:
    return median([x for r in runs for x in r["epoch_cpu"][2:]])  # epochs 0 and 1 trace the model and loss


def _epochs(runs: tuple[list[dict], list[dict]] | str) -> tuple[float, float]:
    """The median CPU seconds of a digits epoch, chainrule's and PyTorch's (NaN when skipped)."""
    return (float("nan"),) * 2 if isinstance(runs, str) else (_per_epoch(runs[0]), _per_epoch(runs[1]))


def digits_to_profile(digits: dict[str, Any]) -> bool:
    ours, torch = _epochs(_digits_runs(digits))
    return ours / torch > REPLAY_VS_TORCH  # False when NaN


@dataclass(frozen=True)
class Scale:
    """The replay at real scale, its medians computed once per page (:func:`scale_summary`)."""

    sizes: dict[tuple[int, int], dict[str, float]]  # the sweep's, by (batch, width): sweep_medians
    digits: tuple[list[dict], list[dict]] | str  # the digits' runs (chainrule's, PyTorch's), or why skipped
    epoch: tuple[float, float]  # the median CPU seconds of a digits epoch, chainrule's and PyTorch's
    digits_ratio: float  # chainrule's epoch over PyTorch's (NaN when the digits were skipped)


def scale_summary(scale: dict[str, Any]) -> Scale | None:
    """The medians of the replay at scale; None when the whole measurement was skipped."""
    if "skipped" in scale:
        return None
    runs = _digits_runs(scale["digits"])
    epoch = _epochs(runs)
    return Scale(sweep_medians(scale["sweep"]), runs, epoch, epoch[0] / epoch[1])


def scale_table(results: dict[str, Any], scale: Scale | None) -> str:
    if scale is None:
        return f"Skipped: {results['scale']['skipped']}."
    rows: list[Row] = []
    for (b, w), v in sorted(scale.sizes.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        demo = " (the demo's size)" if (b, w) == (100, 16) else ""
        rows.append([f"`nn.MLP(2, [{w}, {w}, 1])`, batch {b:,}{demo}", ms(v["torch"]), ms(v["replay"]),
                     f"{v['ratio']:.2f}x", goal(v["ratio"], REPLAY_VS_TORCH, False, REPLAY_GOAL)])
    if isinstance(scale.digits, str):
        rows.append(["digits: `nn.MLP(64, [64, 10])`, cross-entropy, per epoch", "", "",
                     "", f"skipped: {scale.digits}"])
    else:
        ours, torch = scale.digits
        (po, pt), ratio = scale.epoch, scale.digits_ratio
        r0 = ours[0]
        epochs = len(r0["epoch_cpu"])
        rows.append([f"digits: `nn.MLP(64, [64, 10])`, cross-entropy, Adam, full batch of {r0['n_train']:,} "
                     "images, per epoch (`nn.fit(..., vectorize=True)`)", ms(pt), ms(po), f"{ratio:.2f}x",
                     goal(ratio, REPLAY_VS_TORCH, False, REPLAY_GOAL)])
        acc_o, acc_t = median([r["test_accuracy"] for r in ours]), median([r["test_accuracy"] for r in torch])
        rows.append([f"digits: test accuracy after {epochs} epochs ({r0['n_test']} unseen images)",
                     f"{acc_t:.1%}", f"{acc_o:.1%}", "", goal(acc_o, DIGITS_ACCURACY, True,
                                                               f">= {DIGITS_ACCURACY:.0%}")])
        whole_o = median([sum(r["epoch_cpu"]) for r in ours])
        whole_t = median([sum(r["epoch_cpu"]) for r in torch])
        rows.append([f"digits: the whole `nn.fit` of {epochs} epochs (tracing included)", ms(whole_t),
                     ms(whole_o), f"{whole_o / whole_t:.2f}x",
                     "a few seconds: " + ("yes" if whole_o < 10 else "no")])
    return table(["replay against batched PyTorch (CPU per training step)", "PyTorch", "chainrule replay",
                  "replay / PyTorch", "target"], rows)


def profile_tables(results: dict[str, Any]) -> list[str]:
    scale = results["scale"]
    out = []
    for p in scale.get("profiles", []):
        if p["what"] == "sweep":
            w = p["width"]
            title = (f"Profile of a replay step that misses the target: `nn.MLP(2, [{w}, {w}, 1])`, "
                     f"batch {p['batch']:,}")
            unit = "step"
        else:
            title = "Profile of a digits epoch through `nn.fit(..., vectorize=True)`"
            unit = "epoch"
        rows = [[f"`{t['function']}`", f"{t['ms']:.2f}", f"{t['calls']:,.0f}"] for t in p["top"]]
        out.append(f"{title} (cProfile over {p['steps']} {unit}s, {p['total_ms']:.1f} ms per {unit} under "
                   "the profiler; the functions by their own time):\n\n"
                   + table(["function", f"ms per {unit}", f"calls per {unit}"], rows))
    return out


def _phases(results: dict[str, Any], impl: str) -> dict[str, float]:
    """The median ms of each phase of a step (forward, walk, chain rule, gc...), from the profile runs."""
    phases: dict[str, list[float]] = {}
    for r in results["profile"].get(impl, []):
        for phase, t in r["ms"].items():
            phases.setdefault(phase, []).append(t)
    return {k: median(v) for k, v in phases.items()}


def why_missed(results: dict[str, Any], scale: Scale | None) -> list[str]:
    """One paragraph per missed target: how far the floor lets it go, and where the rest of the time
    goes, from this run's own numbers."""
    demo, ns, out = results["demo"], floor_ns(results), []
    counts = results["floor"][0]["demo_graph"]
    mg_on, mg_off = step_cpu(demo, "micrograd/on"), step_cpu(demo, "micrograd/off")
    for impl, (label, on_goal, off_goal, graph) in DEMO_ROWS.items():
        on, off = mg_on / step_cpu(demo, f"{impl}/on"), mg_off / step_cpu(demo, f"{impl}/off")
        if on >= on_goal and off >= off_goal:
            continue
        best_on = mg_on / floor_step(ns, counts[graph], "off")
        best_off = mg_off / floor_step(ns, counts[graph], "off")
        ph = _phases(results, impl)
        split = ", ".join(f"{k} {v:.1f} ms" for k, v in ph.items() if k != "step")
        out.append(para(f"""
            - {label}: {on:.1f}x / {off:.1f}x against targets of {on_goal:g}x / {off_goal:g}x. The
            plain-Python floor of this graph (its counts times the per-node floors above, no walk, the
            collector paused) would be {best_on:.0f}x / {best_off:.1f}x. Phases: {split}."""))
    if out:
        out.append(para("""
            - What separates these steps from the floor: the walk (the topological order), which only
            recording nodes in creation order avoids, and that keeps every graph alive until a
            backward() (rejected: graphs dropped without backward() must be freed at once); `gc`, the
            cyclic collector re-scanning the graph as it grows (one tracked object per node, its
            parents in two slots; `backward()` and `nn.MLP` pause it, user code runs with it unless
            wrapped in `gc_paused()`); and what a node is beyond the floor's bare object (its `__dict__`
            slot for free attributes and labels, the `recording` switch read per node, the op's
            `forward` called instead of the operator)."""))
    b = results["floor"][0].get("bytes")
    ours = results["memory"]["chainrule"]["sum_bytes_per_node"]
    if b and ours > BYTES_PER_NODE:
        out.append(para(f"""
            - Bytes per node: {ours:.0f} against a target of {BYTES_PER_NODE}. The same chain built in
            one process from Values and from plain slotted objects: a Value measures
            {b['autograd.Value']:.0f} B there, a slotted object {b['slots + parents tuple']:.0f} B with a
            parents tuple, {b['slots + __dict__ + parents tuple']:.0f} B with the `__dict__` slot a Value
            has (free attributes, `v.name = 'w'`, as the micrograd lecture's code sets them), and
            {b['slots, two parent slots']:.0f} B with the parents in two slots and no `__dict__`. Only
            the last is under the target, and it gives up both the free attributes and the `_prev`
            tuple."""))
    small, big = chain_per_node(results, "backward_per_node")
    bsmall, bbig = chain_per_node(results, "build_per_node")
    if big / small > BACKWARD_GROWTH:
        out.append(para(f"""
            - `backward()` per node grows {big / small:.2f}x from 10^4 to 10^6 nodes (target
            {BACKWARD_GROWTH:g}x); building the same chain grows {bbig / bsmall:.2f}x, with no walk and
            no chain rule in it. Both are linear in the nodes: what grows is the cost of each memory
            access once the graph (about {ours * 1e6 / 2**20:.0f} MB at 10^6 nodes) no longer fits in
            the processor's caches."""))
    if scale is not None:
        missed = {k: v for k, v in scale.sizes.items() if v["ratio"] > REPLAY_VS_TORCH}
        if missed:
            worst = max(missed, key=lambda k: missed[k]["ratio"])
            out.append(para(f"""
                - Replay against PyTorch: {len(missed)} of {len(scale.sizes)} sizes miss {REPLAY_GOAL},
                worst at batch {worst[0]:,}, width {worst[1]} ({missed[worst]['ratio']:.1f}x). A replay step
                runs NumPy for the forward and backward, then reads and writes every parameter as a Value
                in Python (clearing its gradient, the update): per parameter, not per example, so it
                dominates where the network is wide and the batch small, and fades at batch 10,000
                (the profile above). PyTorch keeps its parameters in matrices."""))
        if scale.digits_ratio > REPLAY_VS_TORCH:  # False when NaN: the digits skipped
            out.append(para(f"""
                - Digits epoch: {scale.digits_ratio:.1f}x PyTorch's. As the profile above shows, the tape's
                NumPy work is a small part of an epoch; the rest is `nn.fit`'s Python work per parameter
                (4,810 Values through Adam's checks and update) and per example (the accuracy of 1,348
                lists of 10 scores), which batched PyTorch does as array operations."""))
    return out


# --- the page --------------------------------------------------------------------------


def issue22_notes(results: dict[str, Any]) -> list[str]:
    gpt, pinned = results.get("gpt", {}), results["meta"].get("pinned", {})
    rounds = results["meta"].get("engine_rounds", results["meta"]["rounds"])
    out = [para(f"""
        - Engine against engine: the rows with issue 22's targets come from a block of processes of their
        own, run first: every implementation they compare, {rounds} fresh process(es) each, alternating (the
        order reversed every other round), the collector on and off. Demo steps: medians of every timed
        step of those processes; GPT steps: the median over the processes of their timed steps' CPU time
        together. The machine is shared: look at the load in the header before reading a ratio near its
        target.""")]
    if gpt:
        first = gpt["microgpt/on"][0]
        out.append(para(f"""
            - microgpt's GPT step: microgpt's code as the PyPI package strands-microgpt 0.1.0 ships it
            (`strands_microgpt/engine.py`, MIT; installed with `pip install --no-deps` into
            `bench/.envs/microgpt` and loaded alone, since the package's `__init__` imports the Strands
            SDK), never copied into this repository. Its training loop (`MicroGPT.train_on_docs`) runs
            unchanged; "class swapped" replaces the module's `Value` by `autograd.Value` before the model
            is built (every helper looks the class up when it runs), "fused" also replaces its `linear`
            by one `autograd.dots(w, x)` call, one node per output (the swap the design note measured;
            lesson 11's model, issue 23, is not written yet). Model: microgpt's defaults, 1 layer, 16
            embedding dimensions, 4 heads, block size 16, {first['params']:,} parameters, seed 42.
            Data: {first['docs']} made-up names of 3 to 9 letters drawn from a-z by the bench itself
            (`workloads.gpt_names`; the vocabulary of 27 tokens that makemore's names.txt gives): only the
            time of a step counts, and every implementation trains on the same list. Each process runs 1
            untimed step and then {len(first['cpu'])}; the table gives the median over the processes of
            those steps' CPU time together."""))
        out.append(para("""
            - Is strands' refactor microgpt? Compared with Karpathy's gist (8627fe00): its `Value` has the
            same slots, operations, local derivatives, recursive topological sort and `zip` loop (only
            `grad` starts as `0.0`, not `0`, which adds up to the same bits); the model has the same shapes,
            initialisation (std 0.08), rmsnorm, attention, ReLU MLP and separate `lm_head`; a step is the
            same forward pass, loss `(1 / n) * sum(losses)`, `backward()` and Adam (0.85, 0.99, 1e-8, learning
            rate decaying linearly to 0, `p.grad = 0`). It differs outside the graph: the tokenizer looks
            characters up in a dict (the gist: `uchars.index`), the documents are shuffled when the loop
            starts, it prints every `log_every` steps (0 here) where the gist prints every step, and the
            learning rate decays over the steps asked for (9 here, 1,000 in the gist): other numbers for the
            update to write, the same work. So the step timed is microgpt's step."""))
    if "commit" in pinned:
        out.append(para(f"""
            - Pinned commit {pinned['commit'][:12]} (`--pinned`, `PINNED=` for make; default 507c22a, the
            commit before the open-core refactor): `git archive` of its `autograd` and `nn` into
            `bench/.envs/pinned-{pinned['commit'][:12]}` at run time, run by the same `workloads.py` with
            `--src` (each of those processes reports where it imported chainrule from, and the run stops if
            it was not there), its processes alternating with this checkout's in the demo block. Target:
            its time over ours >= 1, at least as fast."""))
    return out


def header(results: dict[str, Any]) -> str:
    meta = results["meta"]
    it = meta["interpreter"]
    build = ", ".join([("with" if it.get("pgo") else "without") + " PGO (--enable-optimizations)",
                       ("with" if it.get("lto") else "without") + " LTO",
                       "shared libpython" if it.get("shared") else "static libpython"])
    torch = meta["torch"]
    torch_line = f"PyTorch {torch}, one thread, float64" if torch[:1].isdigit() else f"PyTorch: {torch}"
    load = ", ".join(f"{x:.2f}" for x in meta["load"])
    p = meta.get("pinned", {})
    pinned = (f"{p['commit'][:12]} (asked: {p['asked']}), its `autograd` and `nn` from `git archive`"
              if "commit" in p else f"skipped ({p.get('skipped', 'not measured')})")
    return (f"Machine: {meta['machine']}  \n"
            f"Interpreter: {it['implementation']} {it['version']} ({it.get('compiler', '')}; {build}), "
            f"`{meta['python_path']}`  \n"
            f"micrograd {meta['micrograd']} from PyPI; {torch_line}; NumPy with one BLAS thread  \n"
            f"microgpt's `Value`: {meta.get('microgpt', 'not measured')} (its `engine.py` alone); "
            f"pinned commit: {pinned}  \n"
            f"Date: {meta['date']}; load average at the end {load} (the machine is shared: CPU times, "
            "medians)  \n"
            f"Command: `{meta['command']}`, {meta['seconds']:.0f} s, {meta['rounds']} round(s) of fresh "
            f"processes (issue 22's block: {meta.get('engine_rounds', meta['rounds'])}; other Pythons: "
            f"{meta['other_rounds']})")


def notes(results: dict[str, Any], scale: Scale | None) -> list[str]:
    demo = results["demo"]
    mg_collect = median(demo["micrograd/off"]["collect_between_steps"])
    n_mg, n_us = len(demo["micrograd/on"]["cpu"]), len(demo["chainrule/on"]["cpu"])
    out = issue22_notes(results) + [para(f"""
        - Demo step: micrograd's demo (two moons, n = 100, MLP(2, [16, 16, 1]), hinge + 1e-4 L2, forward +
        backward + SGD update), written once (`workloads.demo_step`) and run by every scalar engine from
        the same data and initial weights. Medians of {n_mg} micrograd steps and {n_us} chainrule steps
        (`nn.MLP`, collector on) over the rounds of fresh processes, every implementation alternating; the
        first step of each process is not timed. CPU time of the process."""), para(f"""
        - Collector on: as a user has it (`nn.MLP` and `backward()` pause it inside themselves; user code
        does not). Collector off: `gc.disable()` for the whole process in both engines; between steps,
        outside the timing, one `gc.collect()` frees what only the collector can (micrograd's graph,
        {ms(mg_collect)} a step; chainrule leaves nothing to collect), so memory stays bounded."""), para("""
        - Micrograd-style user code: micrograd's own `nn.py` (Neuron, Layer, MLP) line for line on
        `autograd.Value` (`workloads.MicrogradStyleMLP`): `sum((wi*xi for wi, xi in zip(self.w, x)),
        self.b)` and `.relu()` per neuron. It builds the same graph as `nn.MLP(fused=False)`, through the
        operators."""), para("""
        - Plain-Python floor of a demo step: the per-node floors (the floor table) times the graph's counts:
        each node a multiply node with its parents tuple plus a two-edge chain-rule step, each dot edge a
        dot forward and backward, each new leaf a slotted object; no graph walk (nodes recorded in creation
        order are already in a topological order). The collector-on column gives the range from the floor
        with the collector on to the floor with it off (an engine may pause it inside its own calls); the
        collector-off column uses the floor with it off. It counts every non-dot node as a multiply (a relu
        has one edge, not two), so it is a floor only to within ten percent or so."""), para("""
        - Graphs dropped without `backward()`: each pass is one example's loss (the model's forward, the
        hinge term, the L2 penalty) built and dropped; tracemalloc's current size after 10, 100 and 1,000
        passes, relative to before the first. micrograd, collector on: its graphs wait for the
        collector.""")]
    ns, fl = floor_ns(results), results["floor"][0]
    out.append(para(f"""
        - Floor measured in {len(results['floor'])} fresh process(es) of this run's interpreter,
        {fl['repeats']} repeats each over {fl['n']:,} nodes, floor and chainrule alternating
        (`bench/floor.py`). The collector on adds {ns['floor mul gc on'] - ns['floor mul gc off']:.0f} ns to
        each plain multiply node."""))
    for impl, ts in results["profile"].items():
        split = ", ".join(f"{phase} {t:.1f}" for phase, t in _phases(results, impl).items())
        out.append(f"- Where a chainrule step's CPU time goes ({ts[0]['how']}, collector on, ms, medians): "
                   f"{split}. `gc` is the cyclic collector's share, counted inside the phase it interrupted.")
    if scale is not None:
        out.append(para(f"""
            - Replay at scale: `scale.py sweep`; `nn.MLP(2, [w, w, 1])` on b two-moons points, weights
            U(-1, 1)/sqrt(fan-in), hinge + 1e-4 L2, one SGD step: the tape's forward and backward, the loss
            and its gradient in NumPy, then every parameter (a Value) updated in Python; PyTorch does the
            same network as float64 matrices on one thread. Their losses agree within
            {max(v['loss_diff'] for v in scale.sizes.values()):.0e} (relative) at every size."""))
        if not isinstance(scale.digits, str):
            ours, torch = scale.digits
            diff = max(abs(a - b) for a, b in zip(ours[0]["losses"], torch[0]["losses"]))
            out.append(para(f"""
                - Digits: `nn.data.load_digits()`, `nn.MLP(64, [64, 10], init='he', seed=0)`, Adam (lr
                0.01), full batch, trained by `nn.fit(..., loss='cross_entropy', vectorize=True)`; PyTorch
                trains `nn.to_torch` of the same model with `torch.optim.Adam`. Per-epoch medians leave out
                epochs 0 and 1 (where the model and the loss are traced). Their epoch losses agree within
                {diff:.0e}."""))
    return out


def render(results: dict[str, Any]) -> str:
    scale = scale_summary(results["scale"])  # the sweep's and the digits' medians, for three sections
    why = why_missed(results, scale)
    parts = [
        "# Benchmark: chainrule vs microgpt's Value, micrograd 0.1.0 and PyTorch", header(results),
        "## Engine against engine (the targets of issue 22)", issue22_table(results),
        "### The same numbers?", issue22_numbers(results),
        *gpt_profile_table(results),
        "## The demo step (the targets of issue 17)", demo_table(results),
        "## Memory, graphs, backward", engine_table(results),
        "## The per-node floor (plain Python, this interpreter, this run)", floor_table(results),
        "## Other Pythons (demo step ratios, collector on / off)", pythons_table(results),
        "## The replay at real scale", scale_table(results, scale),
        *profile_tables(results),
        *(["## Why the missed targets are missed", "\n".join(why)] if why else []),
        "## Notes", "\n".join(notes(results, scale)),
    ]
    return "\n\n".join(parts) + "\n"
