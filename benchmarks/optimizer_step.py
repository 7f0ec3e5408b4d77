"""An optimizer's step() on the micrograd demo's MLP(2, [16, 16, 1]) (337 parameters): with
nothing ever frozen, then with one neuron frozen, beside the bare loop p.data -= lr·p.grad.

Until a Value's requires_grad is first set to False, the optimizers walk their parameters as
they are; after it, they skip the frozen ones with one C-level filter over the flags. Best of
the runs of `time.perf_counter`, in µs a step.

    python benchmarks/optimizer_step.py [--runs N]
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable

import nn
from autograd import Value


def bare_loop(params: list[Value], lr: float) -> Callable[[], None]:
    """The update with no optimizer at all: the floor for a loop over Values."""

    def step() -> None:
        for p in params:
            p.data = p.data + -lr * p.grad

    return step


def microseconds(step: Callable[[], None], runs: int, number: int = 1000) -> float:
    return min(timeit.repeat(step, number=number, repeat=runs)) / number * 1e6


def main(runs: int = 7) -> dict[str, float]:
    """Print and return µs a step of each case."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    for p in params:
        p.grad = 0.01
    cases: dict[str, float] = {}
    for phase in ("nothing ever frozen", "one neuron frozen"):
        if phase == "one neuron frozen":
            model.layers[0].neurons[0].requires_grad_(False)
        sgd = nn.optim.SGD(params, lr=1e-9)
        momentum = nn.optim.SGD(params, lr=1e-9, momentum=0.9)
        adam = nn.optim.Adam(params, lr=1e-9)
        cases[f"bare loop ({phase})"] = microseconds(bare_loop(params, 1e-9), runs)
        for name, optimizer in (("SGD", sgd), ("SGD momentum", momentum), ("Adam", adam)):
            cases[f"{name} ({phase})"] = microseconds(optimizer.step, runs)
    for case, us in cases.items():
        print(f"{case:40} {us:8.1f} µs")
    return cases


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="timed runs of 1000 steps (7)")
    main(parser.parse_args().runs)
