"""The micrograd demo step, timed for micrograd 0.1.0 and for chainrule in one fresh process.

MLP(2, [16, 16, 1]) with ReLU hidden layers, 100 two-moons points, SVM hinge loss
mean(relu(1 - y * score)) + 1e-4 * sum(p^2), full backward, SGD update: the same code for
both engines. Each engine runs in a fresh process of its own that imports nothing heavy (so no
engine pays for another's garbage: the cyclic GC's cost grows with every object alive), and the
driver alternates between them step by step and reports medians, with the cyclic GC on (as
users run it) and off. Also bytes per graph node (tracemalloc) and how a chain's backward cost
grows with its length.

    python benchmarks/demo_step.py [--steps N]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import micrograd.engine

import autograd

Engine = Callable[[float], Any]
ENGINES: dict[str, Engine] = {"micrograd": micrograd.engine.Value, "chainrule": autograd.Value}


def moons(n: int, noise: float, seed: int) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles, labels -1 and +1, as in micrograd's demo."""
    rng = random.Random(seed)
    xs: list[list[float]] = []
    ys: list[float] = []
    for i in range(n):
        upper = i % 2 == 0
        t = math.pi * rng.random()
        x, y = (math.cos(t), math.sin(t)) if upper else (1 - math.cos(t), 0.5 - math.sin(t))
        xs.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        ys.append(-1.0 if upper else 1.0)
    return xs, ys


class MLP:
    """An MLP of plain Values of one engine: lists of weights, ReLU hidden layers."""

    def __init__(self, value: Engine, sizes: Sequence[int], seed: int) -> None:
        rng = random.Random(seed)
        self.layers = [
            [([value(rng.uniform(-1, 1)) for _ in range(nin)], value(0.0)) for _ in range(nout)]
            for nin, nout in itertools.pairwise(sizes)
        ]

    def parameters(self) -> list[Any]:
        return [p for layer in self.layers for w, b in layer for p in (*w, b)]

    def __call__(self, x: list[Any]) -> Any:
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            acts = [sum((wi * xi for wi, xi in zip(w, x, strict=True)), b) for w, b in layer]
            x = acts if last else [a.relu() for a in acts]
        return x[0]


def demo_step(value: Engine, model: MLP, xs: list[list[float]], ys: list[float]) -> float:
    """One full-batch step: forward, hinge + L2 loss, backward, SGD; returns the loss."""
    inputs = [[value(c) for c in row] for row in xs]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    for p in model.parameters():
        p.grad = 0.0
    total.backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad
    return float(total.data)


def worker(engine: str, gc_on: bool) -> None:
    """Answer each line on stdin with one timed step: seconds and loss."""
    value = ENGINES[engine]
    xs, ys = moons(100, 0.1, seed=1)
    model = MLP(value, [2, 16, 16, 1], seed=2)
    if not gc_on:
        gc.disable()
    for _ in sys.stdin:
        start = time.perf_counter()
        loss = demo_step(value, model, xs, ys)
        print(time.perf_counter() - start, repr(loss), flush=True)


def time_steps(steps: int, gc_on: bool) -> dict[str, float]:
    """Median seconds per step for each engine, each in its own process, alternating."""
    workers = {
        name: subprocess.Popen(
            [sys.executable, __file__, "--worker", name, "--gc", "on" if gc_on else "off"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        for name in ENGINES
    }
    times: dict[str, list[float]] = {name: [] for name in ENGINES}
    losses: dict[str, list[float]] = {name: [] for name in ENGINES}
    try:
        for _ in range(steps):
            for name, proc in workers.items():
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write("step\n")
                proc.stdin.flush()
                seconds, loss = proc.stdout.readline().split()
                times[name].append(float(seconds))
                losses[name].append(float(loss))
    finally:
        for proc in workers.values():
            proc.kill()
    mine, theirs = losses["chainrule"], losses["micrograd"]
    if not all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(mine, theirs, strict=True)):
        sys.exit(f"the engines disagree on the losses: {mine} vs {theirs}")
    return {name: statistics.median(t) for name, t in times.items()}


def bytes_per_node(value: Engine, n: int = 100_000) -> float:
    """Memory held per node of an n-node graph after backward: products summed as a tree."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    w = value(0.9)
    level = [(value(0.001 * i) * w).relu() for i in range(n // 4)]
    while len(level) > 1:  # shallow, so that micrograd's recursive backward copes
        pairs = zip(level[0::2], level[1::2], strict=False)  # an odd one out waits a round
        level = [a + b for a, b in pairs] + level[len(level) // 2 * 2 :]
    level[0].backward()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / n


def chain_ns_per_node(n: int) -> float:
    """Nanoseconds per node of chainrule's backward over an n-node chain."""
    x = autograd.Value(0.5)
    y = x
    for _ in range(n):
        y = y + x
    start = time.perf_counter()
    y.backward()
    return (time.perf_counter() - start) / n * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=15, help="steps per engine and GC mode")
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--gc", choices=("on", "off"), default="on", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.gc == "on")
        return
    print(f"demo step: MLP(2, [16, 16, 1]), 100 moons points, median of {args.steps} steps")
    print(f"{'GC':<5}{'micrograd':>12}{'chainrule':>12}{'speed-up':>10}")
    for gc_on in (True, False):
        t = time_steps(args.steps, gc_on)
        ratio = t["micrograd"] / t["chainrule"]
        label = "on" if gc_on else "off"
        print(f"{label:<5}{t['micrograd'] * 1e3:>10.1f}ms{t['chainrule'] * 1e3:>10.1f}ms"
              f"{ratio:>9.1f}x")
    print("bytes per graph node (10^5 nodes, after backward):")
    for name, value in ENGINES.items():
        print(f"  {name:<10}{bytes_per_node(value):>8.0f}")
    small, large = chain_ns_per_node(10**4), chain_ns_per_node(10**6)
    print(f"chain backward: {small:.0f} ns/node at 10^4, {large:.0f} ns/node at 10^6 "
          f"({large / small:.2f}x)")


if __name__ == "__main__":
    main()
