"""The micrograd demo step timed for six engines, and how each engine's cost grows with size.

The workloads are in benchmarks/workloads.py, the engines in benchmarks/engines.py, and
benchmarks/README.md says what is timed and how. Each engine runs in a fresh process of its own,
with the GC on and off; this driver alternates between them step by step, checks that they agree
on every loss, and reports median CPU times and the ratios the engines are held to.

    python benchmarks/demo_step.py [--steps N] [--max-nodes N] [--write benchmarks/README.md]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import engines

GC_MODES = ("on", "off")
REFERENCE = "chainrule eager"  # every engine's losses must agree with this one's


# --- the processes: each runs one engine and answers the driver ---


def demo_worker(engine: str, gc_on: bool) -> None:
    """Set up, say ready (with the compile time, if any), then answer each line with a step."""
    start = time.perf_counter()
    step = engines.DEMO[engine]()
    setup = time.perf_counter() - start
    if not gc_on:
        gc.disable()
    print(json.dumps({"setup": setup,
                      "compile": getattr(engines.compiled_step, "seconds", None)}), flush=True)
    for _ in sys.stdin:
        start = time.process_time()
        loss = step()
        print(json.dumps({"seconds": time.process_time() - start, "loss": loss}), flush=True)


def graph_worker(engine: str, nodes: int, repeats: int) -> None:
    """Print the median ns per node of what a step does with a mixed graph of nodes nodes."""
    run = engines.GRAPH[engine](nodes)
    seconds = []
    for _ in range(repeats):
        start = time.process_time()
        run()
        seconds.append(time.process_time() - start)
    compile_seconds = getattr(engines.compiled_graph, "seconds", None)
    print(json.dumps({
        "ns": statistics.median(seconds) / nodes * 1e9,
        "compile_ns": None if compile_seconds is None else compile_seconds / nodes * 1e9,
    }))


def chain_worker(nodes: int, repeats: int) -> None:
    """Print the median ns per node of the eager engine's backward over an n-node chain."""
    root, _ = engines.eager_chain(nodes)
    seconds = []
    for _ in range(repeats):
        start = time.process_time()
        root.backward()
        seconds.append(time.process_time() - start)
    print(json.dumps({"ns": statistics.median(seconds) / nodes * 1e9}))


def memory_worker(engine: str, nodes: int) -> None:
    """Print the bytes held per node."""
    print(json.dumps({"bytes": engines.MEMORY[engine](nodes)}))


def spawn(*args: str) -> subprocess.Popen[str]:
    """A worker process running this script with args."""
    return subprocess.Popen([sys.executable, __file__, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def answer(proc: subprocess.Popen[str]) -> dict[str, float]:
    """The worker's next JSON line, or exit saying the worker stopped."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        sys.exit(f"a benchmark process ({' '.join(map(str, proc.args))}) stopped "  # type: ignore[arg-type]
                 f"with code {proc.wait()}")
    result: dict[str, float] = json.loads(line)
    return result


def run_once(*args: str) -> dict[str, float]:
    """Start a worker, read its one answer, end it."""
    proc = spawn(*args)
    try:
        return answer(proc)
    finally:
        proc.kill()
        proc.wait()


# --- the driver ---


Key = tuple[str, str]  # (engine, GC mode)


@dataclass
class DemoTimes:
    """Median CPU seconds a step per (engine, GC mode), and the demo graph's compile time."""

    seconds: dict[Key, float] = field(default_factory=dict)
    compile_seconds: float = math.nan

    def ratio(self, slower: Key, faster: Key) -> float | None:
        """How many times faster `faster` ran than `slower` (None: one was not run)."""
        if slower not in self.seconds or faster not in self.seconds:
            return None
        return self.seconds[slower] / self.seconds[faster]


def time_demo(names: list[str], steps: int) -> DemoTimes:
    """The engines in both GC modes, one process each, alternating step by step."""
    keys = [(engine, mode) for engine in names for mode in GC_MODES]
    procs: dict[Key, subprocess.Popen[str]] = {}
    times: dict[Key, list[float]] = {key: [] for key in keys}
    losses: dict[Key, list[float]] = {key: [] for key in keys}
    result = DemoTimes()
    try:
        for key in keys:  # one at a time, so that no set-up (or compile) shares the CPU
            procs[key] = spawn("--demo", key[0], "--gc", key[1])
            ready = answer(procs[key])
            if ready["compile"] is not None:
                result.compile_seconds = ready["compile"]
        for round_ in range(steps + 1):  # the first round warms up
            for key, proc in procs.items():
                assert proc.stdin is not None
                proc.stdin.write("step\n")
                proc.stdin.flush()
                reply = answer(proc)
                losses[key].append(reply["loss"])
                if round_:
                    times[key].append(reply["seconds"])
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()
    check_losses(losses)
    result.seconds = {key: statistics.median(t) for key, t in times.items()}
    return result


def check_losses(losses: dict[Key, list[float]]) -> None:
    """Every engine must have trained the same model: the same losses, step by step."""
    reference = losses[REFERENCE, "on"]
    for key, mine in losses.items():
        if not all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(mine, reference, strict=True)):
            sys.exit(f"{key[0]} (GC {key[1]}) disagrees on the losses: {mine} vs {reference}")


Graphs = dict[tuple[str, int], dict[str, float]]


def time_graphs(names: list[str], sizes: list[int], compiled_max: int) -> Graphs:
    """ns per node for each engine and size, each in a fresh process."""
    results = {}
    for nodes in sizes:
        repeats = 5 if nodes <= 10**4 else 3 if nodes <= 10**5 else 1
        for engine in names:
            if engine == "chainrule compiled" and nodes > compiled_max:
                continue
            results[engine, nodes] = run_once("--graph", engine, "--nodes", str(nodes),
                                              "--repeats", str(repeats))
    return results


CHAIN_SIZES = (10**4, 10**6)
CHAIN_GROWTH = 1.5  # a backward's cost per node may grow at most this much with the chain


def time_chains() -> dict[int, float]:
    """ns per node of the eager engine's backward over chains of CHAIN_SIZES nodes."""
    return {n: run_once("--chain", str(n), "--repeats", "5" if n <= 10**4 else "3")["ns"]
            for n in CHAIN_SIZES}


def chain_line(chains: dict[int, float]) -> str:
    """The report's sentence on the chain backward's growth, with its verdict."""
    small, large = (chains[n] for n in CHAIN_SIZES)
    growth = large / small
    verdict = "met" if growth <= CHAIN_GROWTH else "**missed**"
    return (f"The eager engine's backward over a chain (x = x + w, GC on): {small:,.0f} ns per "
            f"node at 10^4 nodes, {large:,.0f} at 10^6: {growth:.2f}× "
            f"(≤ {CHAIN_GROWTH:g}×: {verdict}). The traversal is iterative, so depth costs "
            "nothing of its own.")


def measure_memory(names: list[str], nodes: int) -> dict[str, float]:
    """Bytes held per node for each engine, each in a fresh process."""
    return {engine: run_once("--memory", engine, "--nodes", str(nodes))["bytes"]
            for engine in names}


# --- the report ---


@dataclass
class Target:
    """A ratio the engines are held to: slower's time over faster's, at least at_least."""

    text: str
    slower: Key
    faster: Key
    at_least: float | None = None


RATIOS = [
    Target("compiled vs micrograd (GC on, as users run it)",
           ("micrograd", "on"), ("chainrule compiled", "on"), 150.0),
    Target("compiled vs the hand-written step (GC on; within 5× is ≥ 0.2×)",
           ("hand-written", "on"), ("chainrule compiled", "on"), 0.2),
    Target("eager vs micrograd, GC on", ("micrograd", "on"), ("chainrule eager", "on"), 10.0),
    Target("eager vs micrograd, GC off in both",
           ("micrograd", "off"), ("chainrule eager", "off"), 2.0),
    Target("eager vs PyTorch 0-d scalars (GC on)",
           ("torch scalars", "on"), ("chainrule eager", "on"), 5.0),
    Target("compiled vs eager (GC on)", ("chainrule eager", "on"), ("chainrule compiled", "on")),
    Target("compiled vs PyTorch batched (GC on)",
           ("torch batched", "on"), ("chainrule compiled", "on")),
]


def demo_table(t: DemoTimes, names: list[str]) -> list[str]:
    """The demo step's times for each engine, as a Markdown table."""
    lines = ["| engine | GC on | GC off | vs micrograd (GC on) |", "| --- | ---: | ---: | ---: |"]
    for engine in names:
        vs = t.ratio(("micrograd", "on"), (engine, "on"))
        lines.append(f"| {engine} | {duration(t.seconds[engine, 'on'])} | "
                     f"{duration(t.seconds[engine, 'off'])} | "
                     f"{'—' if vs is None else f'{vs:.1f}×'} |")
    return lines


def duration(seconds: float) -> str:
    """seconds in ms or µs, to three figures."""
    if seconds >= 0.1:
        return f"{seconds * 1e3:,.0f} ms"
    return f"{seconds * 1e3:.3g} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.3g} µs"


def ratio_table(t: DemoTimes) -> list[str]:
    """The ratios the engines are held to, measured, with verdicts."""
    lines = ["| how many times faster | measured | target |", "| --- | ---: | --- |"]
    for target in RATIOS:
        r = t.ratio(target.slower, target.faster)
        if r is None:
            measured, verdict = "not run", ""
        else:
            measured = f"{r:.2f}×"
            verdict = "" if target.at_least is None else (
                f"≥ {target.at_least:g}×: " + ("met" if r >= target.at_least else "**missed**"))
        lines.append(f"| {target.text} | {measured} | {verdict} |")
    return lines


def size_table(results: Graphs, names: list[str], sizes: list[int], memory: dict[str, float],
               memory_nodes: int) -> list[str]:
    """ns per node of the mixed graphs by size, and bytes per node."""
    head = " | ".join(f"10^{round(math.log10(n))} nodes" for n in sizes)
    lines = [f"| ns per node | {head} | growth | bytes per node (10^"
             f"{round(math.log10(memory_nodes))}) |",
             "| --- |" + " ---: |" * (len(sizes) + 2)]
    rows = [(engine, "ns", engine) for engine in names]
    if "chainrule compiled" in names:
        rows.append(("chainrule compile (once)", "compile_ns", "chainrule compiled"))
    for label, measure, engine in rows:
        ns = [results[engine, n][measure] for n in sizes if (engine, n) in results]
        held = memory.get(engine) if measure == "ns" else None
        cells = [f"{x:,.0f}" for x in ns] + ["—"] * (len(sizes) - len(ns))
        lines.append(f"| {label} | {' | '.join(cells)} | {ns[-1] / ns[0]:.2f}× | "
                     f"{'' if held is None else f'{held:,.0f}'} |")
    return lines


INTRO = """\
# Benchmarks

`python benchmarks/demo_step.py` runs them (`make bench` runs speed.py, docs/compile.md);
`--write benchmarks/README.md` writes this file. What is timed:

- **The micrograd demo step**: MLP(2, [16, 16, 1]) with ReLU hidden layers on 100 two-moons
  points, hinge loss mean(relu(1 − y·score)) + 1e-4·Σp², full backward, SGD with rate 0.05
  (`workloads.py`), some 65,800 graph nodes a step. Engines (`engines.py`): micrograd 0.1.0 with
  micrograd's own demo code, PyTorch with a 0-d float64 tensor for every scalar (the same code),
  PyTorch batched (`nn.Linear`, `optim.SGD`: what one would pick instead), a hand-written
  pure-Python step (plain floats, forward and backward by hand: the floor for Python code),
  chainrule's eager engine (the same code as micrograd's) and its compiled step (the loss
  compiled once with the weights and the data as inputs, then one call a step and an SGD
  update on floats). Every engine trains the same model from the same weights, and the driver
  stops if any disagrees with the others on a loss (relative 1e-9).
- Each engine runs in a fresh process of its own, with Python's cyclic GC on (as users run it)
  and off: the GC's cost grows with every object alive, so no engine pays for another's. The
  driver alternates between all the processes step by step and reports medians: cold-start
  figures, each step beginning with the caches another process left (`make bench`,
  benchmarks/speed.py, times warm rounds of back-to-back steps instead). Times are CPU
  time of the process (`time.process_time`): the machine may be shared, and these steps run on
  one thread (PyTorch is set to one), where CPU time equals wall time on an idle machine.
- **A mixed random graph** of 10^4 to 10^6 nodes (`workloads.mixed_graph`: 1 − 2(a·b)²,
  (a + b)·0.5 and relu(a − b) − 1 on earlier nodes picked at random): ns per node of what a
  training step does with it, building and backward (for the compiled step: one call; its
  one-off compile time is a row of its own), each engine and size in a fresh process with the GC
  on. The cost per node grows with the size where the graph outgrows the CPU's caches, and, for
  engines whose nodes are objects the cyclic GC tracks, with the GC's full collections, which
  visit every node alive. Bytes per node: the Python memory the graph holds after backward
  (tracemalloc); for PyTorch, whose tensors tracemalloc cannot see, the growth of the resident
  size; for the compiled step, the step itself (its source and code), the graph it came from
  dropped.

On a shared machine the times move by up to a fifth from run to run, the ratios (engines
alternating within one run) somewhat less.
"""


def report(t: DemoTimes, names: list[str], steps: int, graphs: Graphs, sizes: list[int],
           memory: dict[str, float], compiled_max: int, chains: dict[int, float]) -> str:
    """The whole report, as benchmarks/README.md holds it."""
    machine = (f"Python {platform.python_version()} on {platform.machine()} "
               f"{platform.system()}, {os.cpu_count()} CPUs")
    missing = [engine for engine in engines.DEMO if engine not in names]
    skipped = [f"Not run (its package is not installed): {', '.join(missing)}.", ""] * bool(
        missing)
    compiled_note = (f"The compiled step's mixed graphs stop at {compiled_max:,} nodes (raise "
                     "`--compiled-max-nodes`): CPython compiles a 10^6-node step, some 2 million "
                     "lines, in about a minute and several GB.")
    command = " ".join(["python benchmarks/demo_step.py", *sys.argv[1:]])
    return "\n".join([
        INTRO,
        f"## Results ({machine})",
        "",
        f"`{command}`",
        "",
        *skipped,
        f"The demo step, median CPU time of {steps} steps:",
        "",
        *demo_table(t, names),
        "",
        f"Compiling the demo graph once took {t.compile_seconds:.2f} s (CPU).",
        "",
        *ratio_table(t),
        "",
        *(["The mixed random graph:", "",
           *size_table(graphs, [e for e in names if e in engines.GRAPH], sizes, memory,
                       min(10**5, sizes[-1])),
           ""] if sizes else []),
        *([compiled_note, ""] if sizes and compiled_max < sizes[-1] else []),
        chain_line(chains),
        "",
    ])


def main() -> None:
    """Run the workers this process is asked to be, or drive them all and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=9, help="timed steps per engine and GC mode")
    parser.add_argument("--max-nodes", type=int, default=10**6,
                        help="largest mixed graph (sizes go up tenfold from 10^4; 0: none)")
    parser.add_argument("--compiled-max-nodes", type=int, default=10**5,
                        help="largest mixed graph to compile (10^6 nodes: a minute, GBs)")
    parser.add_argument("--write", metavar="PATH", help="also write the report to this file")
    parser.add_argument("--demo", choices=engines.DEMO, help=argparse.SUPPRESS)
    parser.add_argument("--gc", choices=GC_MODES, default="on", help=argparse.SUPPRESS)
    parser.add_argument("--graph", choices=engines.GRAPH, help=argparse.SUPPRESS)
    parser.add_argument("--memory", choices=engines.MEMORY, help=argparse.SUPPRESS)
    parser.add_argument("--chain", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--nodes", type=int, default=10**5, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.demo:
        return demo_worker(args.demo, args.gc == "on")
    if args.graph:
        return graph_worker(args.graph, args.nodes, args.repeats)
    if args.memory:
        return memory_worker(args.memory, args.nodes)
    if args.chain:
        return chain_worker(args.chain, args.repeats)

    names = [engine for engine in engines.DEMO if engines.available(engine)]
    for engine in engines.DEMO:
        if engine not in names:
            print(f"{engine}: not run, {engines.REQUIRES[engine]} is not installed")
    print(f"the demo step: {len(names)} engines, GC on and off, {args.steps} steps each",
          flush=True)
    demo = time_demo(names, args.steps)
    print("\n".join([*demo_table(demo, names), "", *ratio_table(demo)]), flush=True)
    sizes = [n for n in (10**4, 10**5, 10**6, 10**7) if n <= args.max_nodes]
    graph_names = [engine for engine in names if engine in engines.GRAPH]
    graphs: Graphs = {}
    memory: dict[str, float] = {}
    if sizes:
        print(f"\nmixed graphs of {', '.join(f'{n:,}' for n in sizes)} nodes", flush=True)
        graphs = time_graphs(graph_names, sizes, args.compiled_max_nodes)
        memory = measure_memory(graph_names, min(10**5, sizes[-1]))
    chains = time_chains()
    print(chain_line(chains), flush=True)
    text = report(demo, names, args.steps, graphs, sizes, memory, args.compiled_max_nodes,
                  chains)
    print("\n" + text)
    if args.write:
        with open(args.write, "w") as out:
            out.write(text)


if __name__ == "__main__":
    main()
