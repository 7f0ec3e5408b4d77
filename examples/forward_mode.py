"""Forward or reverse mode: which is cheaper depends on the shape of the function.

A loss takes many inputs to one output: one backward pass gives every derivative (reverse
mode), where forward mode needs a pass per input. A curve takes one input to many outputs: one
forward pass carries the derivative to every output, where reverse mode needs a backward pass
per output. autograd.jacobian(mode="auto") picks the cheaper by the shape.

    python examples/forward_mode.py [--n N]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

from arguments import parser

import autograd


def loss(*ws: Any) -> list[Any]:
    """n inputs, 1 output: a chain of couplings, as a loss couples its parameters."""
    return [sum((autograd.tanh(a * b) for a, b in pairwise(ws)), 0.0)]


def trajectory(rate: Any, n: int) -> list[Any]:
    """1 input, n outputs: a pendulum's angle after each of n small steps, for a rate; each
    state is built on all the earlier ones, so a backward pass from step k walks k steps."""
    angle, speed, states = 1.0, 0.0, []
    for _ in range(n):
        speed = speed - 0.05 * rate * autograd.sin(angle)
        angle = angle + 0.05 * speed
        states.append(angle)
    return states


def passes_and_seconds(f: Callable[..., list[Any]], inputs: Sequence[float], mode: str,
                       repeat: int) -> tuple[int, int, float]:
    """The forward passes (calls of f), the backward passes (one per output in reverse mode)
    and the best time of jacobian(f, inputs, mode) over repeat runs."""
    calls = [0]

    def counted(*xs: Any) -> list[Any]:
        calls[0] += 1
        return f(*xs)

    best = float("inf")
    for _ in range(repeat):
        calls[0] = 0
        start = time.perf_counter()
        rows = autograd.jacobian(counted, inputs, mode=mode)  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - start)
    backward = len(rows) if mode == "reverse" else 0
    return calls[0], backward, best


def main(n: int = 200, repeat: int = 3) -> dict[str, dict[str, tuple[int, int, float]]]:
    """Print the passes and times of both modes on both shapes; return them by shape and mode."""
    shapes: dict[str, tuple[Callable[..., list[Any]], list[float]]] = {
        f"{n} inputs -> 1 output": (loss, [0.01 * k for k in range(n)]),
        f"1 input -> {n} outputs": (lambda rate: trajectory(rate, n), [9.8]),
    }
    results: dict[str, dict[str, tuple[int, int, float]]] = {}
    print(f"{'':24}{'forward mode':>28}{'reverse mode':>28}")
    for shape, (f, inputs) in shapes.items():
        results[shape] = {mode: passes_and_seconds(f, inputs, mode, repeat)
                          for mode in ("forward", "reverse")}
        cells = [f"{fwd} + {bwd} passes, {seconds * 1e3:7.2f} ms"
                 for fwd, bwd, seconds in results[shape].values()]
        print(f"{shape:24}{cells[0]:>28}{cells[1]:>28}")
    print("(forward passes + backward passes; a forward pass in reverse mode records the graph)")
    return results


if __name__ == "__main__":
    arguments = parser(__doc__, output_dir=False)
    arguments.add_argument("--n", type=int, default=200, help="the wide side's size (200)")
    main(arguments.parse_args().n)
