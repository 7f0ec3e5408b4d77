"""autograd.grad's float sweep against backward() and the sweep over backward_steps' dict.

On the micrograd demo step's loss (some 65,800 nodes) and a mixed random graph of 10^5 nodes
(`workloads.py`): backward() (the fused walk that adds to every node's grad), autograd.grad
on every parameter or leaf, and the same gradients summed from graph.backward_steps (a dict of
pending gradients, as autograd.grad summed them before it walked the nodes' slots itself).
Median CPU time (`time.process_time`) of the runs, the three alternating, the GC on.

    python benchmarks/grad_walk.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Collection

import workloads

import autograd
from autograd import Value
from autograd.engine import graph


def gradients_from_steps(root: Value, targets: Collection[Value]) -> dict[Value, float]:
    """d(root)/d(target) for each target, summed from backward_steps."""
    wanted = set(targets)
    return {node: g for node, g, _ in graph.backward_steps(root) if node in wanted}


def sweeps(root: Value, leaves: list[Value]) -> dict[str, Callable[[], object]]:
    return {
        "backward()": root.backward,
        "autograd.grad": lambda: autograd.grad(root, leaves),
        "backward_steps' dict": lambda: gradients_from_steps(root, leaves),
    }


def demo_graph() -> tuple[Value, list[Value]]:
    model = workloads.MLP(Value)
    xs, ys = workloads.moons()
    return workloads.demo_loss(model, [[Value(v) for v in x] for x in xs], ys), model.parameters()


def mixed(nodes: int) -> tuple[Value, list[Value]]:
    root, leaves = workloads.mixed_graph(Value, workloads.mixed_choices(nodes))
    return root, list(leaves)


def measure(root: Value, leaves: list[Value], runs: int) -> dict[str, float]:
    """Median CPU seconds of each sweep, the sweeps alternating run by run."""
    timed = sweeps(root, leaves)
    expected = autograd.grad(root, leaves)
    assert tuple(gradients_from_steps(root, leaves).get(x, 0.0) for x in leaves) == expected
    times: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(runs):
        for name, sweep in timed.items():
            start = time.process_time()
            sweep()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for name, (root, leaves) in (("demo step loss", demo_graph()),
                                 ("mixed graph", mixed(100_000))):
        count = len(autograd.topological_order(root))
        medians = measure(root, leaves, args.runs)
        base = medians["backward()"]
        print(f"{name}, {count:,} nodes, {len(leaves)} inputs, median of {args.runs}:")
        for sweep, seconds in medians.items():
            print(f"  {sweep:22} {seconds * 1e3:7.1f} ms  {seconds / count * 1e9:6.0f} ns/node  "
                  f"{seconds / base:5.2f}x backward()")


if __name__ == "__main__":
    main()
