"""The training step of each workload, as a user of each engine would write it.

`STEPS[engine](workload, width)` sets the engine up (compiling where it compiles) and returns
(step, setup seconds): step() does one full training step (forward, backward, SGD update) and
returns the loss. Workloads: "demo" (micrograd's demo: MLP(2, [16, 16, 1]) on 100 moons, hinge
loss plus L2, see workloads.py) and "spiral" (MLP(2, [width, width, 3]) on 300 spiral points,
3 classes, softmax cross-entropy). Every engine starts from the same weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import engines
import workloads
from workloads import LEARNING_RATE, MLP, SPIRAL_WIDTH, cross_entropy, moons, spiral, spiral_sizes

__all__ = ["NEEDS", "SPIRAL_WIDTH", "STEPS"]

Step = Callable[[], float]
Setup = Callable[[str, int], tuple[Step, float]]


def one_hot(label: int) -> list[float]:
    """A class label as one-hot target numbers."""
    return [float(label == k) for k in range(workloads.CLASSES)]


def timed(make: Callable[[], Step]) -> tuple[Step, float]:
    """The step make() sets up, and the CPU seconds it took."""
    start = time.process_time()
    step = make()
    return step, time.process_time() - start


def value_step(workload: str, width: int, number: Any, exp: Any = None,
               log: Any = None) -> tuple[Step, float]:
    """An engine whose scalars act like Values: a new graph of the whole batch every step."""
    if workload == "demo":
        return timed(lambda: engines.value_engine_step(number))
    xs, labels = spiral()
    model = MLP(number, spiral_sizes(width))
    targets = [one_hot(label) for label in labels]

    def step() -> float:
        """One training step; returns its loss."""
        losses = [cross_entropy(model.outputs([number(c) for c in x]), t, exp, log)
                  for x, t in zip(xs, targets, strict=True)]
        total = sum(losses[1:], losses[0]) * (1.0 / len(losses))
        for p in model.parameters():
            p.grad = 0.0
        total.backward()
        for p in model.parameters():
            p.data -= LEARNING_RATE * p.grad
        return float(total.data)

    return step, 0.0


def micrograd(workload: str, width: int) -> tuple[Step, float]:
    """micrograd 0.1.0 (no exp or log: the demo only)."""
    if workload != "demo":
        raise NotImplementedError("micrograd's Value has no exp or log")
    from micrograd.engine import Value

    return value_step(workload, width, Value)


def eager(workload: str, width: int) -> tuple[Step, float]:
    """chainrule's eager engine."""
    import autograd

    return value_step(workload, width, autograd.Value, autograd.exp, autograd.log)


def whole_batch(workload: str, width: int) -> tuple[Step, float]:
    """autograd.compile of the whole batch's loss, once (the demo only: the spiral's batch
    graph has a million nodes)."""
    if workload != "demo":
        raise NotImplementedError("the spiral's whole-batch graph is too large to compile")
    step = engines.compiled_step()
    return step, engines.compiled_step.seconds  # type: ignore[attr-defined]


def kernel(backend: str) -> Setup:
    """A per-sample kernel (autograd.compile with batch_inputs) of that backend."""

    def setup(workload: str, width: int) -> tuple[Step, float]:
        import autograd
        from autograd import Value

        x = [Value(0.0), Value(0.0)]
        if workload == "demo":
            xs, ys = moons()
            model = MLP(Value)
            target = [Value(0.0)]
            loss = (1 + -target[0] * model(x)).relu()
            rows = [[*row, y] for row, y in zip(xs, ys, strict=True)]
            l2 = workloads.L2
        else:
            xs, labels = spiral()
            model = MLP(Value, spiral_sizes(width))
            target = [Value(0.0) for _ in range(workloads.CLASSES)]
            loss = cross_entropy(model.outputs(x), target, autograd.exp, autograd.log)
            rows = [[*row, *one_hot(label)] for row, label in zip(xs, labels, strict=True)]
            l2 = 0.0
        params = model.parameters()
        start = time.process_time()
        step_kernel = autograd.compile(loss, params, batch_inputs=[*x, *target],
                                       backend=backend)
        seconds = time.process_time() - start
        start_values = [p.data for p in params]
        del model, params, loss, x, target
        return (native_sgd if backend == "native" else python_sgd)(
            step_kernel, start_values, rows, l2), seconds

    return setup


def python_sgd(step_kernel: Any, values: list[float], rows: list[list[float]],
               l2: float) -> Step:
    """SGD on lists of floats: the mean loss plus l2 Σp², the kernel's sums over the rows."""
    scale = 1.0 / len(rows)

    def step() -> float:
        nonlocal values
        total, grads = step_kernel(values, rows)
        loss = total * scale + l2 * sum(p * p for p in values)
        values = [p - LEARNING_RATE * (g * scale + 2.0 * l2 * p)
                  for p, g in zip(values, grads, strict=True)]
        return float(loss)

    return step


def native_sgd(step_kernel: Any, values: list[float], rows: list[list[float]],
               l2: float) -> Step:
    """SGD on numpy arrays, as a user of the native kernel would write it."""
    import numpy as np

    params, data = np.array(values), np.array(rows)
    scale = 1.0 / len(rows)

    def step() -> float:
        total, grads = step_kernel(params, data)
        loss = total * scale + l2 * float(params @ params)
        params[:] -= LEARNING_RATE * (grads * scale + 2.0 * l2 * params)
        return float(loss)

    return step


def torch_batched(workload: str, width: int) -> tuple[Step, float]:
    """PyTorch as one would use it instead: nn.Linear layers on the whole batch, float64, one
    thread, optim.SGD."""
    if workload == "demo":
        return timed(engines.torch_batched_step)
    import torch

    xs, labels = spiral()
    model = engines.torch_mlp(MLP(float, spiral_sizes(width)))
    x = torch.tensor(xs, dtype=torch.float64)
    y = torch.tensor(labels)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def step() -> float:
        loss: Any = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step, 0.0


STEPS: dict[str, Setup] = {
    "micrograd": micrograd,
    "chainrule eager": eager,
    "compiled whole batch": whole_batch,
    "python kernel": kernel("python"),
    "native kernel": kernel("native"),
    "torch batched": torch_batched,
}
NEEDS = {"micrograd": "micrograd", "torch batched": "torch", "native kernel": "llvmlite"}
