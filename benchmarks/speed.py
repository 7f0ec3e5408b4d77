"""Training steps as users run them: six engines on the demo, four on a wider spiral network,
and the hidden width where PyTorch batched overtakes the native kernel.

Each engine runs in a fresh process of its own (kernel_engines.py says what each does). The
driver asks the processes in turn for a round of back-to-back steps (each round at least
--round-ms long, CPU time), so the engines alternate round by round; it reports each engine's
median time a step and the ratios of the medians. Setting up (compiling) is timed apart, once,
and labelled cold start; the native kernel's compile is timed with an empty cache and again,
in a new process, from the cache. Every engine starts from the same weights, and the driver
stops if their first losses differ (relative 1e-9).

    python benchmarks/speed.py [--rounds N] [--round-ms MS] [--widths 8,16,...]
                               [--crossover-only] [--plot docs/pictures/crossover.png]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from kernel_engines import NEEDS, SPIRAL_WIDTH, STEPS

DEMO_ENGINES = list(STEPS)
SPIRAL_ENGINES = ["chainrule eager", "python kernel", "native kernel", "torch batched"]
WIDTHS = [8, 16, 24, 32, 48, 64, 96, 128, 192, 256]


# --- a worker: one engine, one workload, answering the driver ---


def worker(workload: str, engine: str, width: int, round_ms: float) -> None:
    """Set up, say the setup time and the first loss, then time a round per line read."""
    step, setup = STEPS[engine](workload, width)
    first = step()
    steps = 0
    start = time.process_time()
    while time.process_time() - start < round_ms / 1000.0:  # how many steps fill a round
        step()
        steps += 1
    print(json.dumps({"setup": setup, "loss": first, "steps": steps}), flush=True)
    for _ in sys.stdin:
        start = time.process_time()
        for _ in range(steps):
            step()
        print(json.dumps({"step": (time.process_time() - start) / steps}), flush=True)


def spawn(workload: str, engine: str, width: int, round_ms: float,
          cache: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "XDG_CACHE_HOME": cache}
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", workload, engine, str(width), str(round_ms)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment)


def answer(proc: subprocess.Popen[str]) -> dict[str, float]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        sys.exit(f"a benchmark process stopped with code {proc.wait()}: {proc.args!r}")
    result: dict[str, float] = json.loads(line)
    return result


def measure(workload: str, names: list[str], width: int, rounds: int, round_ms: float,
            cache: str) -> dict[str, dict[str, Any]]:
    """Each engine's setup time, first loss and median step time, rounds alternating."""
    procs = {name: spawn(workload, name, width, round_ms, cache) for name in names}
    results: dict[str, dict[str, Any]] = {}
    try:
        for name, proc in procs.items():
            results[name] = {**answer(proc), "steps_timed": []}
        losses = {name: r["loss"] for name, r in results.items()}
        reference = next(iter(losses.values()))
        for name, loss in losses.items():
            if not math.isclose(loss, reference, rel_tol=1e-9):
                sys.exit(f"{workload}: {name}'s first loss {loss!r} is not {reference!r}")
        for _ in range(rounds):
            for name, proc in procs.items():
                assert proc.stdin is not None
                proc.stdin.write("round\n")
                proc.stdin.flush()
                results[name]["steps_timed"].append(answer(proc)["step"])
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()
    for result in results.values():
        result["median"] = statistics.median(result["steps_timed"])
    return results


def available(name: str) -> bool:
    import importlib.util

    needed = NEEDS.get(name)
    return needed is None or importlib.util.find_spec(needed) is not None


# --- the report ---


def duration(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def step_table(results: dict[str, dict[str, Any]], versus: list[str]) -> list[str]:
    head = "| engine | a step (median) | " + " | ".join(f"vs {v}" for v in versus) + " |"
    lines = [head, "| --- | ---: |" + " ---: |" * len(versus)]
    for name, result in results.items():
        ratios = [f"{results[v]['median'] / result['median']:.3g}×" if v in results else "—"
                  for v in versus]
        lines.append(f"| {name} | {duration(result['median'])} | " + " | ".join(ratios) + " |")
    return lines


def compile_times(workload: str, width: int, cache: str) -> dict[str, float]:
    """Cold-start setup times: the native kernel's with an empty cache, then from the cache in a
    new process; the python kernel's; the whole batch's (the demo's)."""
    names = ["native kernel", "native kernel", "python kernel"]
    if workload == "demo":
        names.append("compiled whole batch")
    times: dict[str, float] = {}
    for k, name in enumerate(names):
        if not available(name):
            continue
        proc = spawn(workload, name, width, 1.0, cache)
        try:
            key = name + (" (from the cache, new process)" if k == 1 else "")
            times[key] = answer(proc)["setup"]
        finally:
            proc.kill()
            proc.wait()
    return times


def crossover(widths: list[int], rounds: int, round_ms: float,
              cache: str) -> dict[int, dict[str, float]]:
    """The native kernel's and PyTorch batched's step on the spiral at each hidden width."""
    sweep = {}
    for width in widths:
        results = measure("spiral", ["native kernel", "torch batched"], width, rounds,
                          round_ms, cache)
        sweep[width] = {name: r["median"] for name, r in results.items()}
        sweep[width]["compile"] = results["native kernel"]["setup"]
        print(f"  width {width}: native {duration(sweep[width]['native kernel'])}, torch "
              f"{duration(sweep[width]['torch batched'])} (native compile "
              f"{sweep[width]['compile']:.1f} s)", flush=True)
    return sweep


def plot(sweep: dict[int, dict[str, float]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    widths = sorted(sweep)
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for name, style in (("native kernel", "o-"), ("torch batched", "s--")):
        axes.plot(widths, [sweep[w][name] * 1e3 for w in widths], style, label=name)
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    axes.set_xticks(widths, [str(w) for w in widths])
    axes.set_xlabel("hidden width h: MLP(2, [h, h, 3]), 300 spiral points")
    axes.set_ylabel("ms a training step (median)")
    axes.set_title("chainrule's native per-sample kernel against PyTorch batched (float64)")
    axes.title.set_fontsize(10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def tables(rounds: int, round_ms: float,
           cache: str) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    """Print the demo's and the spiral's tables and the cold starts; the demo's results."""
    compiles = compile_times("demo", 0, cache)
    demo = measure("demo", [n for n in DEMO_ENGINES if available(n)], 0, rounds, round_ms, cache)
    print("The demo: MLP(2, [16, 16, 1]), 100 moons, hinge + L2, SGD\n")
    print("\n".join(step_table(demo, ["micrograd", "chainrule eager", "torch batched"])))
    print("\nCold start (setup once, before the first step):\n")
    for name, seconds in compiles.items():
        print(f"- {name}: {seconds:.3f} s")
    width = SPIRAL_WIDTH
    spiral = measure("spiral", [n for n in SPIRAL_ENGINES if available(n)], width,
                     max(3, rounds // 3), round_ms, cache)
    print(f"\nThe spiral: MLP(2, [{width}, {width}, 3]), 300 points, 3 classes, softmax "
          "cross-entropy, SGD\n")
    print("\n".join(step_table(spiral, ["chainrule eager", "torch batched"])))
    return demo, compiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--round-ms", type=float, default=50.0)
    parser.add_argument("--widths", default=",".join(map(str, WIDTHS)),
                        help="hidden widths of the crossover sweep")
    parser.add_argument("--crossover-only", action="store_true",
                        help="run the crossover sweep alone (its native compile times too)")
    parser.add_argument("--plot", default=None, help="write the crossover picture here (PNG)")
    arguments = parser.parse_args()
    rounds, round_ms = arguments.rounds, arguments.round_ms
    widths = [int(w) for w in arguments.widths.split(",")]
    with tempfile.TemporaryDirectory() as cache:
        print(f"Python {platform.python_version()} on {platform.machine()} {platform.system()}, "
              f"{os.cpu_count()} CPUs; medians of {rounds} rounds of >= {round_ms:g} ms each "
              "(CPU time), engines alternating round by round, each in its own process\n")
        if not arguments.crossover_only:
            demo, compiles = tables(rounds, round_ms, cache)
        print("\nThe crossover (spiral, MLP(2, [h, h, 3])):")
        sweep = crossover(widths, max(3, rounds // 2), round_ms, cache)
    over = [w for w in widths if sweep[w]["torch batched"] < sweep[w]["native kernel"]]
    print(f"PyTorch batched overtakes the native kernel at hidden width "
          f"{over[0] if over else f'> {widths[-1]}'}")
    if arguments.plot:
        plot(sweep, arguments.plot)
        print(f"(picture: {arguments.plot})")
    if not arguments.crossover_only:
        targets(demo, compiles)


def targets(demo: dict[str, dict[str, Any]], compiles: dict[str, float]) -> None:
    def median(name: str) -> float:
        return float(demo[name]["median"])

    rows: list[tuple[str, float, str, Callable[[float], bool], str]] = [
        ("native demo step vs PyTorch batched", median("torch batched") / median("native kernel"),
         ">= 10×", lambda x: x >= 10.0, "×"),
        ("native compile of the demo's sample graph (cold)", compiles["native kernel"],
         "<= 2 s", lambda x: x <= 2.0, " s"),
        ("native compile from the cache, new process",
         compiles["native kernel (from the cache, new process)"], "<= 0.2 s",
         lambda x: x <= 0.2, " s"),
        ("python kernel compile", compiles["python kernel"], "<= 0.1 s", lambda x: x <= 0.1,
         " s"),
        ("python kernel step / whole-batch compiled step",
         median("python kernel") / median("compiled whole batch"), "<= 1.25",
         lambda x: x <= 1.25, ""),
    ]
    print("\n| target | measured | wanted |\n| --- | ---: | --- |")
    for label, value, wanted, met, unit in rows:
        print(f"| {label} | {value:.3g}{unit} | {wanted}: {'met' if met(value) else 'MISSED'} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    else:
        main()
