"""Each engine as a user would run the workloads: set up once, then one call a step.

`DEMO[name]()` sets up the demo step and returns the function doing one step (it returns the
loss); `GRAPH[name](nodes)` sets up what one step does with a mixed graph of that size, and
`MEMORY[name](nodes)` measures the bytes held per node. Each engine is imported only by the
process that runs it.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import workloads
from workloads import MLP, demo_loss, mixed_choices, mixed_graph, moons

Step = Callable[[], float]


# --- engines whose scalars act like Values: micrograd and chainrule's eager engine ---


def value_engine_step(number: Any) -> Step:
    """The demo step as micrograd's demo writes it: a new graph every step."""
    xs, ys = moons()
    model = MLP(number)

    def step() -> float:
        """One training step; returns its loss."""
        inputs = [[number(c) for c in row] for row in xs]
        total = demo_loss(model, inputs, ys)
        for p in model.parameters():
            p.grad = 0.0
        total.backward()
        for p in model.parameters():
            p.data -= workloads.LEARNING_RATE * p.grad
        return float(total.data)

    return step


def micrograd_step() -> Step:
    """micrograd 0.1.0's Value."""
    from micrograd.engine import Value

    sys.setrecursionlimit(100_000)  # its backward sorts the graph recursively
    return value_engine_step(Value)


def eager_step() -> Step:
    """chainrule's eager engine."""
    from autograd import Value

    return value_engine_step(Value)


def compiled_step() -> Step:
    """chainrule's compiled step: the graph built and compiled once, then floats only."""
    import autograd

    xs, ys = moons()
    model = MLP(autograd.Value)
    inputs = [[autograd.Value(c) for c in row] for row in xs]
    params = model.parameters()
    data = [x for row in inputs for x in row]
    start = time.process_time()
    compiled = autograd.compile(demo_loss(model, inputs, ys), params + data)
    compiled_step.seconds = time.process_time() - start  # type: ignore[attr-defined]
    weights = [p.data for p in params]
    numbers = [x.data for x in data]
    del model, inputs, params, data

    def step() -> float:
        """One training step; returns its loss."""
        nonlocal weights
        loss, grads = compiled(weights + numbers)
        weights = [w - workloads.LEARNING_RATE * g for w, g in zip(weights, grads, strict=False)]
        return loss

    return step


def handwritten_step() -> Step:
    """The step by hand in plain Python floats."""
    xs, ys = moons()
    layers: list[tuple[list[list[float]], list[float]]] = [
        ([w for w, _ in layer], [b for _, b in layer]) for layer in MLP(float).layers
    ]
    return lambda: workloads.handwritten_step(layers, xs, ys)


def torch_scalar_step() -> Step:
    """PyTorch with a 0-d float64 tensor for every scalar: micrograd's code, torch numbers."""
    import torch

    torch.set_num_threads(1)
    xs, ys = moons()
    model = MLP(lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True))

    def step() -> float:
        """One training step; returns its loss."""
        inputs = [[torch.tensor(c, dtype=torch.float64) for c in row] for row in xs]
        total = demo_loss(model, inputs, ys)
        for p in model.parameters():
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= workloads.LEARNING_RATE * p.grad
        return float(total.item())

    return step


def torch_mlp(model: MLP) -> Any:
    """The float MLP as float64 nn.Linear layers with ReLU between, the same weights (PyTorch
    set to one thread)."""
    import torch

    torch.set_num_threads(1)
    modules: list[Any] = []
    for layer in model.layers:
        linear = torch.nn.Linear(len(layer[0][0]), len(layer), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([w for w, _ in layer], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([b for _, b in layer], dtype=torch.float64))
        modules += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*modules[:-1])


def torch_batched_step() -> Step:
    """PyTorch as one would use it instead: nn.Linear layers on the whole batch, optim.SGD."""
    import torch

    xs, ys = moons()
    model = torch_mlp(MLP(float))
    x = torch.tensor(xs, dtype=torch.float64)
    y = torch.tensor(ys, dtype=torch.float64)
    optimizer = torch.optim.SGD(model.parameters(), lr=workloads.LEARNING_RATE)

    def step() -> float:
        """One training step; returns its loss."""
        scores = model(x).squeeze(1)
        data_loss = torch.relu(1 - y * scores).mean()
        reg_loss = workloads.L2 * sum((p * p).sum() for p in model.parameters())
        total: Any = data_loss + reg_loss
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        return float(total.item())

    return step


# the package each engine needs besides chainrule
REQUIRES = {"micrograd": "micrograd", "torch scalars": "torch", "torch batched": "torch"}


def available(engine: str) -> bool:
    """Whether the package the engine needs is installed."""
    needed = REQUIRES.get(engine)
    return needed is None or importlib.util.find_spec(needed) is not None


DEMO: dict[str, Callable[[], Step]] = {
    "micrograd": micrograd_step,
    "torch scalars": torch_scalar_step,
    "torch batched": torch_batched_step,
    "hand-written": handwritten_step,
    "chainrule eager": eager_step,
    "chainrule compiled": compiled_step,
}


# --- the mixed graph: a step builds it and runs backward (the compiled step: one call) ---


def value_graph(number: Any) -> Callable[[int], Callable[[], None]]:
    """Build and backward, for an engine whose scalars act like Values."""
    def setup(nodes: int) -> Callable[[], None]:
        """The graph workload for this many nodes."""
        picks = mixed_choices(nodes)
        return lambda: mixed_graph(number, picks)[0].backward()

    return setup


def micrograd_graph(nodes: int) -> Callable[[], None]:
    """micrograd 0.1.0."""
    from micrograd.engine import Value

    sys.setrecursionlimit(100_000)
    return value_graph(Value)(nodes)


def eager_graph(nodes: int) -> Callable[[], None]:
    """chainrule's eager engine."""
    from autograd import Value

    return value_graph(Value)(nodes)


def eager_chain(nodes: int) -> tuple[Any, Any]:
    """A chain of nodes additions x = x + w in chainrule's eager engine: (root, w)."""
    from autograd import Value

    w = Value(0.5)
    x = w
    for _ in range(nodes):
        x = x + w
    return x, w


def torch_number() -> Callable[[float], Any]:
    """A float as a 0-d float64 tensor that needs its gradient."""
    import torch

    torch.set_num_threads(1)
    return lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True)


def torch_scalar_graph(nodes: int) -> Callable[[], None]:
    """PyTorch 0-d tensors."""
    return value_graph(torch_number())(nodes)


def compiled_graph(nodes: int) -> Callable[[], None]:
    """chainrule compiled: built and compiled once (timed apart), then one call a step."""
    import autograd

    root, leaves = mixed_graph(autograd.Value, mixed_choices(nodes))
    start = time.process_time()
    compiled = autograd.compile(root, leaves)
    compiled_graph.seconds = time.process_time() - start  # type: ignore[attr-defined]
    numbers = [x.data for x in leaves]
    del root, leaves
    return lambda: compiled(numbers)  # type: ignore[return-value]


GRAPH: dict[str, Callable[[int], Callable[[], None]]] = {
    "micrograd": micrograd_graph,
    "torch scalars": torch_scalar_graph,
    "chainrule eager": eager_graph,
    "chainrule compiled": compiled_graph,
}


# --- memory held per node: the graph after backward (the compiled step: the step itself) ---


def traced_bytes(build: Callable[[], Any]) -> int:
    """The bytes of Python memory that what build() returns holds."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = build()
        used: int = tracemalloc.get_traced_memory()[0] - before
        del made
        return used
    finally:
        tracemalloc.stop()


def resident_bytes() -> int:
    """This process's resident memory (for memory that tracemalloc cannot see)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def graph_held(number: Any, nodes: int) -> tuple[Any, Any]:
    """A mixed graph after backward, with its leaves."""
    root, leaves = mixed_graph(number, mixed_choices(nodes))
    root.backward()
    return root, leaves


def micrograd_bytes(nodes: int) -> float:
    """micrograd 0.1.0."""
    from micrograd.engine import Value

    sys.setrecursionlimit(100_000)
    return traced_bytes(lambda: graph_held(Value, nodes)) / nodes


def eager_bytes(nodes: int) -> float:
    """chainrule's eager engine."""
    from autograd import Value

    return traced_bytes(lambda: graph_held(Value, nodes)) / nodes


def torch_scalar_bytes(nodes: int) -> float:
    """PyTorch 0-d tensors, by resident size (tracemalloc cannot see torch's allocations)."""
    number = torch_number()
    before = resident_bytes()
    held = graph_held(number, nodes)
    used = resident_bytes() - before
    del held
    return used / nodes


def compiled_bytes(nodes: int) -> float:
    """chainrule compiled: the compiled step (its source and code), the graph dropped."""
    import autograd

    root, leaves = mixed_graph(autograd.Value, mixed_choices(nodes))
    return traced_bytes(lambda: autograd.compile(root, leaves)) / nodes


MEMORY: dict[str, Callable[[int], float]] = {
    "micrograd": micrograd_bytes,
    "torch scalars": torch_scalar_bytes,
    "chainrule eager": eager_bytes,
    "chainrule compiled": compiled_bytes,
}
