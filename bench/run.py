"""chainrule against microgpt's Value, micrograd 0.1.0 and PyTorch, side by side: ``make bench``.

It installs micrograd 0.1.0 from PyPI into ``bench/.envs/micrograd`` (and into
``bench/.envs/micrograd-3.X`` for every other CPython the project supports that the
machine has), microgpt's engine (``strands-microgpt`` 0.1.0, no dependencies, into
``bench/.envs/microgpt``; only its standard-library ``engine.py`` is loaded), and an
earlier commit's ``autograd`` and ``nn`` (``git archive``, into
``bench/.envs/pinned-<commit>``; ``--pinned``, default 507c22a) so that the fused step
and the replay are measured at that commit in the same run, and a regression shows.
Then it runs the workloads of ``bench/workloads.py``, ``bench/floor.py``
and ``bench/scale.py``, each run in a fresh process, implementations alternating,
for several rounds. It prints the tables of medians and ratios (``bench/report.py``
writes them) and saves them, with the machine and the interpreter, to
``bench/RESULTS.md``; the raw numbers go to ``bench/.envs/results.json``.

Times are CPU seconds of the benchmark process (``time.process_time``), so other
programs on a shared machine count less against either side; wall-clock medians are
kept beside them. Every child process runs with one BLAS thread
(``OPENBLAS_NUM_THREADS=1``), as PyTorch runs with ``torch.set_num_threads(1)``.

PyTorch is optional: it is used when the project's Python can import it, when
``bench/.envs/torch`` has it, or when asked for with ``make bench TORCH=1``
(``--torch``), which installs ``torch==2.13.0`` into ``bench/.envs/torch``.

    python bench/run.py [--rounds 3] [--engine-rounds 7] [--quick] [--torch] [--pinned 507c22a]
                        [--no-write] [--report]

``--quick`` is one round with fewer steps (a smoke run, a couple of minutes);
``--report`` re-renders the tables from the last saved results without measuring.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from typing import Any

import report

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ENVS = os.path.join(HERE, ".envs")
RESULTS_JSON = os.path.join(ENVS, "results.json")
OURS = sys.executable
MICROGRAD_VERSION = "0.1.0"
TORCH_VERSION = "2.13.0"
MICROGPT_REQUIREMENT = "strands-microgpt==0.1.0"
PINNED_DEFAULT = "507c22a"  # before the open-core refactor: issue 22's reference for the fused step
# One BLAS thread in every child: PyTorch runs on one thread, and so does NumPy's matrix product.
CHILD_ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
SWEEP_WIDTHS = (16, 64, 256)
SWEEP_BATCHES = (100, 1000, 10000)

Job = tuple[str, str, str, list[str]]  # (key, python, script, arguments)


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- processes -------------------------------------------------------------------------


def run(py: str, script: str, *args: str) -> dict[str, Any]:
    """One workload in a fresh process: ``py bench/<script>.py args``; its last output line is JSON."""
    cmd = [py, os.path.join(HERE, f"{script}.py"), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=CHILD_ENV)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def alternate(jobs: list[Job], rounds: int, what: str) -> dict[str, list[dict[str, Any]]]:
    """Every job once per round, each in a fresh process; the order reversed every other round."""
    results: dict[str, list[dict[str, Any]]] = {key: [] for key, _, _, _ in jobs}
    for r in range(rounds):
        for key, py, script, args in jobs if r % 2 == 0 else jobs[::-1]:
            say(f"round {r + 1}/{rounds}: {what}, {key}")
            results[key].append(run(py, script, *args))
    return results


# --- environments ----------------------------------------------------------------------


def env_python(name: str, requirement: str, module: str, base: str = sys.executable) -> str | None:
    """The Python of ``bench/.envs/<name>`` (a venv of ``base``), created with ``requirement`` if missing."""
    py = os.path.join(ENVS, name, "bin", "python")
    if os.path.exists(py) and can_import(py, module):
        return py
    say(f"setting up bench/.envs/{name} with {requirement} ...")
    try:
        subprocess.run([base, "-m", "venv", "--clear", os.path.join(ENVS, name)], check=True)
        subprocess.run([py, "-m", "pip", "install", "--quiet", requirement], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        say(f"could not install {requirement}: {e}")
        return None
    return py


def microgpt_engine() -> str | None:
    """Install microgpt's engine (strands-microgpt, without its dependencies) into ``bench/.envs/microgpt``.

    None if it could not be installed (the microgpt rows are then skipped, saying why)."""
    import workloads

    if os.path.exists(workloads.MICROGPT_ENGINE):
        return workloads.MICROGPT_ENGINE
    say(f"installing {MICROGPT_REQUIREMENT} (no dependencies) into bench/.envs/microgpt ...")
    target = os.path.join(ENVS, "microgpt")
    try:
        subprocess.run([OURS, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target,
                        MICROGPT_REQUIREMENT], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        say(f"could not install {MICROGPT_REQUIREMENT}: {e}")
        return None
    return workloads.MICROGPT_ENGINE if os.path.exists(workloads.MICROGPT_ENGINE) else None


def pinned_source(commit: str) -> tuple[str, str] | str:
    """``autograd`` and ``nn`` of ``commit``, extracted into ``bench/.envs/pinned-<hash>``: (folder, hash).

    Made at run time from this checkout's history (``git archive``), never committed; a string
    says why not (no git, an unknown commit)."""
    try:
        out = subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
                             capture_output=True, text=True)
    except OSError as e:
        return f"git is not available ({e})"
    if out.returncode != 0:
        return f"commit {commit!r} is not in this checkout's history"
    full = out.stdout.strip()
    folder = os.path.join(ENVS, f"pinned-{full[:12]}")
    if not os.path.isdir(os.path.join(folder, "autograd")):
        say(f"extracting autograd and nn at {full[:12]} into {os.path.relpath(folder, ROOT)} ...")
        tar = subprocess.run(["git", "-C", ROOT, "archive", "--format=tar", full, "autograd", "nn"],
                             capture_output=True)
        if tar.returncode != 0:
            return f"git archive {full[:12]} failed: {tar.stderr.decode(errors='replace').strip()}"
        shutil.rmtree(folder, ignore_errors=True)
        with tarfile.open(fileobj=io.BytesIO(tar.stdout)) as t:
            t.extractall(folder, filter="data")
    return folder, full


def can_import(py: str, module: str) -> bool:
    return subprocess.run([py, "-c", f"import {module}"], capture_output=True, cwd=ROOT).returncode == 0


def supported_minors() -> list[str]:
    """The CPython versions the project says it supports (pyproject's classifiers): 3.11, 3.12..."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        classifiers = tomllib.load(f)["project"]["classifiers"]
    pattern = r"Programming Language :: Python :: (3\.\d+)"
    found = [m.group(1) for c in classifiers if (m := re.fullmatch(pattern, c))]
    return sorted(found, key=lambda v: int(v.split(".")[1]))


def find_python(minor: str) -> str | None:
    """An interpreter for Python ``minor`` (e.g. '3.12'): pyenv's newest patch release, else PATH."""
    pyenv = shutil.which("pyenv")
    if pyenv:
        out = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True)
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        patches = [v for v in out.stdout.split() if re.fullmatch(re.escape(minor) + r"\.\d+", v)]
        for v in sorted(patches, key=lambda v: int(v.rsplit(".", 1)[1]), reverse=True):
            py = os.path.join(root, "versions", v, "bin", "python")
            if os.path.exists(py):
                return py
    return shutil.which(f"python{minor}")


def interpreter(py: str) -> dict[str, str]:
    """Version, implementation and build of ``py`` (PGO and LTO change a pure-Python engine's speed)."""
    code = ("import json, platform, sysconfig; a = sysconfig.get_config_var('CONFIG_ARGS') or ''; "
            "print(json.dumps({'version': platform.python_version(), 'implementation': "
            "platform.python_implementation(), 'compiler': platform.python_compiler(), "
            "'pgo': '--enable-optimizations' in a, 'lto': '--with-lto' in a, "
            "'shared': '--enable-shared' in a}))")
    out = subprocess.run([py, "-c", code], capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else {"version": "?"}


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


# --- the measurements ------------------------------------------------------------------


def demo_jobs(mg: str, ours: str, quick: bool, short: bool = False) -> list[Job]:
    """The demo step for micrograd and chainrule's three scalar paths, collector on and off.

    ``short``: fewer steps (the lines for other Pythons)."""
    mg_steps = "1" if quick or short else "3"
    cr_steps = "5" if quick or short else "10"
    jobs: list[Job] = []
    for gc in ("on", "off"):
        jobs.append((f"micrograd/{gc}", mg, "workloads",
                     ["step", "--impl", "micrograd", "--gc", gc, "--warmup", "1",
                      "--steps", mg_steps if gc == "on" else cr_steps]))
        for impl in report.DEMO_IMPLS:
            jobs.append((f"{impl}/{gc}", ours, "workloads",
                         ["step", "--impl", impl, "--gc", gc, "--warmup", "1", "--steps", cr_steps]))
    return jobs


def measure_engines(a: argparse.Namespace, mg: str, has_trace: bool, microgpt: str | None,
                    pinned: str | None) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The comparisons with issue 22's targets, in one block of processes of their own, alternating,
    for ``--engine-rounds`` rounds (7: the machine is shared, and these ratios decide targets).

    microgpt's GPT step, its code unchanged, on its Value, on chainrule's and fused (``workloads.run_gpt``,
    1 warm-up and 8 timed steps, 3 with ``--quick``); micrograd's demo step as user code on micrograd,
    chainrule and microgpt's Value; ``nn.MLP`` and the replay here and at the pinned commit (``pinned:``
    keys, run from its folder with ``--src``); collector on and off (the replay: on). Returns the demo
    steps merged as :func:`measure_demo` does, and the GPT runs one record per process."""
    steps, gpt_steps = ("5", "3") if a.quick else ("10", "8")
    mg_steps = "1" if a.quick else "3"  # micrograd with the collector on: a second a step
    here_and_pinned = (None, pinned) if pinned else ()
    jobs: list[Job] = []

    def add(key: str, py: str, *args: str, src: str | None = None) -> None:
        where = ["--src", src] if src else []
        jobs.append((f"pinned:{key}" if src else key, py, "workloads", [*args, *where]))

    for gc in ("on", "off"):
        for impl in report.GPT_IMPLS if microgpt else ():
            add(f"gpt:{impl}/{gc}", OURS, "gpt", "--impl", impl, "--gc", gc, "--warmup", "1",
                "--steps", gpt_steps)
        add(f"micrograd/{gc}", mg, "step", "--impl", "micrograd", "--gc", gc, "--warmup", "1",
            "--steps", mg_steps if gc == "on" else steps)
        for impl in ("chainrule-micrograd-style", *(["microgpt-micrograd-style"] if microgpt else [])):
            add(f"{impl}/{gc}", OURS, "step", "--impl", impl, "--gc", gc, "--warmup", "1", "--steps", steps)
        for src in here_and_pinned:
            add(f"chainrule/{gc}", OURS, "step", "--impl", "chainrule", "--gc", gc, "--warmup", "1",
                "--steps", steps, src=src)
    # The replay, collector on only: it builds no graph a step, and with the collector off the
    # gc.collect() between its 0.3 ms steps (2-4 ms) leaves the caches cold, which is all that column
    # would measure.
    for src in here_and_pinned if has_trace else ():
        add("chainrule-trace/on", OURS, "step", "--impl", "chainrule-trace", "--warmup", "1", "--steps", "50",
            src=src)
    runs = alternate(jobs, a.engine_rounds, "engine against engine")
    return ({k: merged(v) for k, v in runs.items() if not k.startswith("gpt:")},
            {k.removeprefix("gpt:"): v for k, v in runs.items() if k.startswith("gpt:")})


def merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The runs of one job in one record: their step times joined, the rest from the last run."""
    out = dict(runs[-1])
    for k in ("cpu", "times", "collect_between_steps"):
        if k in out:
            out[k] = [x for r in runs for x in r[k]]
    return out


def measure_demo(a: argparse.Namespace, mg: str, torch_py: str | None, has_trace: bool) -> dict[str, Any]:
    jobs = demo_jobs(mg, OURS, a.quick)
    if has_trace:
        jobs.append(("chainrule-trace/on", OURS, "workloads",
                     ["step", "--impl", "chainrule-trace", "--warmup", "1", "--steps", "50"]))
    if torch_py:
        jobs += [("torch-scalar/on", torch_py, "workloads",
                  ["step", "--impl", "torch-scalar", "--warmup", "1", "--steps", "1" if a.quick else "3"]),
                 ("torch-batched/on", torch_py, "workloads",
                  ["step", "--impl", "torch-batched", "--warmup", "1", "--steps", "50"])]
    return {k: merged(v) for k, v in alternate(jobs, a.rounds, "demo step").items()}


def measure_pythons(a: argparse.Namespace) -> list[dict[str, Any]]:
    """The demo step ratios under every other supported CPython the machine has (or why not)."""
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    lines: list[dict[str, Any]] = []
    for minor in supported_minors():
        if minor == current:
            continue
        py = find_python(minor)
        if py is None:
            lines.append({"minor": minor, "skipped": f"no Python {minor} here (pyenv versions, PATH)"})
            continue
        mg = env_python(f"micrograd-{minor}", f"micrograd=={MICROGRAD_VERSION}", "micrograd", base=py)
        if mg is None:
            lines.append({"minor": minor, "skipped": f"micrograd {MICROGRAD_VERSION} could not be installed "
                                                     f"for {py}"})
            continue
        try:
            runs = alternate(demo_jobs(mg, py, a.quick, short=True), a.other_rounds, f"Python {minor}")
        except RuntimeError as e:
            lines.append({"minor": minor, "skipped": f"failed: {str(e).strip().splitlines()[-1]}"})
            continue
        lines.append({"minor": minor, "path": py, "interpreter": interpreter(py),
                      "demo": {k: merged(v) for k, v in runs.items()}})
    return lines


def loss_agreement(demo: dict[str, Any], steps: int) -> dict[str, list[float]]:
    """Each engine's losses over the first ``steps`` steps of its demo runs (of both blocks): the agreement.

    A demo run records the loss of every step, the untimed first one included, and every process
    starts from the same data and initial weights. micrograd's come from its collector-off runs,
    which have as many steps as chainrule's (its collector-on runs have fewer)."""
    keys = {"micrograd": "micrograd/off", **{impl: f"{impl}/on" for impl in report.DEMO_IMPLS},
            **{impl: f"{impl}/on" for impl in ("chainrule-trace", "microgpt-micrograd-style",
                                                "pinned:chainrule", "pinned:chainrule-trace")}}
    return {impl: demo[key]["losses"][:steps] for impl, key in keys.items() if key in demo}


def measure_engine(a: argparse.Namespace, mg: str, demo: dict[str, Any],
                   microgpt: str | None) -> dict[str, Any]:
    """Loss agreement (from the demo runs), memory, dropped graphs, depth, backward per node, cycles,
    profile, floor."""
    out: dict[str, Any] = {"agree": loss_agreement(demo, 4 if a.quick else 10)}
    say("memory per node")
    out["memory"] = {impl: run(py, "workloads", "memory", "--impl", impl, "-n", "100000")
                     for impl, py in (("micrograd", mg), ("chainrule", OURS), ("microgpt", OURS))
                     if impl != "microgpt" or microgpt}
    say("graphs dropped without backward()")
    out["drop"] = {f"{impl}/{gc}": run(py, "workloads", "drop", "--impl", impl, "--gc", gc,
                                       "--passes", passes)
                   for impl, py, gc, passes in (
                       ("chainrule", OURS, "on", "10,100,1000"), ("chainrule", OURS, "off", "10,100,1000"),
                       ("chainrule-micrograd-style", OURS, "on", "10,100,1000"),
                       ("chainrule-micrograd-style", OURS, "off", "10,100,1000"),
                       ("micrograd", mg, "on", "10,100" if a.quick else "10,100,1000"))}
    say("deepest graph")
    out["depth"] = {impl: run(py, "workloads", "depth", "--impl", impl, "-n", "1000000")
                    for impl, py in (("micrograd", mg), ("chainrule", OURS))}
    say("backward() per node, 10^4 and 10^6 nodes")
    out["chain"] = alternate([("10000", OURS, "workloads", ["chain", "--impl", "chainrule", "-n", "10000",
                                                             "--repeats", "5"]),
                              ("1000000", OURS, "workloads", ["chain", "--impl", "chainrule", "-n", "1000000",
                                                               "--repeats", "1"])], a.rounds, "chain")
    say("reference cycles")
    out["cycle"] = {impl: run(py, "workloads", "cycle", "--impl", impl)
                    for impl, py in (("micrograd", mg), ("chainrule", OURS))}
    out["profile"] = alternate([(impl, OURS, "workloads", ["profile", "--impl", impl, "--steps", "5"])
                                for impl in report.DEMO_IMPLS], a.rounds, "profile of a step")
    out["floor"] = alternate([("floor", OURS, "floor", ["--repeats", "3"])], a.rounds,
                             "per-node floor")["floor"]
    say("the demo graph's counts, bytes per node of plain layouts")
    out["floor"][0].update(run(OURS, "floor", "--graph"))  # the same in every process, so measured once
    return out


def measure_scale(a: argparse.Namespace, torch_py: str | None, has_trace: bool) -> dict[str, Any]:
    """The replay against batched PyTorch over batch sizes and widths, the digits, and profiles."""
    if not has_trace:
        return {"skipped": "autograd.replay is not available (NumPy missing?)"}
    if not torch_py:
        return {"skipped": "PyTorch not installed (make bench TORCH=1 installs it)"}
    out: dict[str, Any] = {}
    budget = "0.2" if a.quick else "0.6"
    batches = ",".join(map(str, SWEEP_BATCHES))
    jobs: list[Job] = [(f"{impl}/{w}", OURS if impl == "replay" else torch_py, "scale",
                        ["sweep", "--impl", impl, "--width", str(w), "--batches", batches,
                         "--budget", budget])
                       for w in SWEEP_WIDTHS for impl in ("replay", "torch")]
    out["sweep"] = alternate(jobs, a.rounds, "replay at scale")
    jobs = [(impl, OURS if impl == "chainrule" else torch_py, "scale", ["digits", "--impl", impl])
            for impl in ("chainrule", "torch")]
    out["digits"] = alternate(jobs, 1 if a.quick else min(a.rounds, 2), "digits")
    profiles = []
    for batch, width in report.sweep_to_profile(out["sweep"]):
        say(f"profile of the replay, batch {batch}, width {width}")
        profiles.append(run(OURS, "scale", "profile", "--what", "sweep", "--batch", str(batch),
                            "--width", str(width), "--steps", "3"))
    if report.digits_to_profile(out["digits"]):
        say("profile of nn.fit(vectorize=True) on the digits")
        profiles.append(run(OURS, "scale", "profile", "--what", "digits", "--steps", "10"))
    out["profiles"] = profiles
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description="chainrule vs micrograd 0.1.0 (and PyTorch) benchmark")
    ap.add_argument("--rounds", type=int, default=3, help="processes per implementation and workload")
    ap.add_argument("--other-rounds", type=int, default=2, help="rounds for the other Pythons' lines")
    ap.add_argument("--engine-rounds", type=int, default=7,
                    help="rounds for the comparisons with issue 22's targets (microgpt, the pinned commit)")
    ap.add_argument("--quick", action="store_true", help="one round, fewer steps (a smoke run)")
    ap.add_argument("--torch", action="store_true", default=os.environ.get("TORCH", "") not in ("", "0"),
                    help="install PyTorch into bench/.envs/torch and add its rows (TORCH=1)")
    ap.add_argument("--pinned", default=os.environ.get("PINNED") or PINNED_DEFAULT,
                    help="the earlier commit measured in the same run (PINNED=...; default %(default)s)")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    ap.add_argument("--report", action="store_true",
                    help="re-render the tables from bench/.envs/results.json, measuring nothing")
    a = ap.parse_args()
    if a.report:
        with open(RESULTS_JSON) as f:
            results = json.load(f)
    else:
        if a.quick:
            a.rounds, a.other_rounds, a.engine_rounds = 1, 1, 1
        results = measure_all(a)
        os.makedirs(ENVS, exist_ok=True)
        with open(RESULTS_JSON, "w") as f:
            json.dump(results, f)
    text = report.render(results)
    print(text)
    if not a.no_write:
        with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
            f.write(text)
        say("wrote bench/RESULTS.md")
    return 0


def measure_all(a: argparse.Namespace) -> dict[str, Any]:
    started = time.time()
    mg = env_python("micrograd", f"micrograd=={MICROGRAD_VERSION}", "micrograd")
    if mg is None:
        raise SystemExit("micrograd could not be installed: nothing to compare against")
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
    microgpt = microgpt_engine()
    pinned = pinned_source(a.pinned)
    pinned_dir = pinned[0] if isinstance(pinned, tuple) else None
    results: dict[str, Any] = {}
    results["engines"], results["gpt"] = measure_engines(a, mg, has_trace, microgpt, pinned_dir)
    for key, r in results["engines"].items():  # a pinned run from this checkout would compare it with itself
        if key.startswith("pinned:") and pinned_dir and not r["source"].startswith(pinned_dir):
            raise SystemExit(f"{key} imported chainrule from {r['source']}, not from {pinned_dir}")
    results["demo"] = measure_demo(a, mg, torch_py, has_trace)
    if microgpt:
        say("profile of microgpt's GPT step, on each Value")
        results["gpt_profile"] = {impl: run(OURS, "workloads", "gpt", "--impl", impl, "--warmup", "1",
                                            "--steps", "2", "--top", "10")
                                  for impl in ("chainrule", "microgpt")}
    results.update(measure_engine(a, mg, {**results["engines"], **results["demo"]}, microgpt))
    results["pythons"] = measure_pythons(a)
    results["scale"] = measure_scale(a, torch_py, has_trace)
    results["meta"] = {
        "machine": machine(), "interpreter": interpreter(OURS), "python_path": OURS,
        "micrograd": MICROGRAD_VERSION, "torch": torch_note if torch_py is None else TORCH_VERSION,
        "microgpt": MICROGPT_REQUIREMENT if microgpt else
                    f"skipped: {MICROGPT_REQUIREMENT} could not be installed",
        "pinned": ({"commit": pinned[1], "asked": a.pinned} if isinstance(pinned, tuple)
                   else {"asked": a.pinned, "skipped": pinned}),
        "has_trace": has_trace, "rounds": a.rounds, "other_rounds": a.other_rounds, "quick": a.quick,
        "engine_rounds": a.engine_rounds,
        "command": f"make bench{' TORCH=1' if a.torch else ''} (python bench/run.py"
                   f"{' --quick' if a.quick else ''}"
                   f"{'' if a.pinned == PINNED_DEFAULT else ' --pinned ' + a.pinned})",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": time.time() - started, "load": os.getloadavg(),
    }
    return results


if __name__ == "__main__":
    sys.exit(main())
