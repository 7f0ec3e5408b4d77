"""Gradients as return values: grad (differentiable to any order), hessian, hvp."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Literal, overload

from . import anomaly, graph, modes
from .value import Value


@overload
def grad(output: Value, inputs: Value | Sequence[Value],
         create_graph: Literal[False] = False) -> tuple[float, ...]: ...
@overload
def grad(output: Value, inputs: Value | Sequence[Value],
         create_graph: Literal[True]) -> tuple[Value, ...]: ...
@overload
def grad(output: Value, inputs: Value | Sequence[Value],
         create_graph: bool) -> tuple[float, ...] | tuple[Value, ...]: ...
def grad(output: Value, inputs: Value | Sequence[Value],
         create_graph: bool = False) -> tuple[float, ...] | tuple[Value, ...]:
    """d(output)/d(input) for each input, leaving every `grad` as it is.

    Floats by default; with create_graph, Values in a new graph built from the same op rules,
    which can be differentiated again. An input output does not depend on gets 0.
    """
    nodes = _inputs(inputs)
    if not isinstance(output, Value):
        raise TypeError(f"grad() expects a Value as output, got {type(output).__name__}")
    if create_graph:
        found = graph.gradient_graph(output, nodes)
        return tuple(_as_value(found.get(x, 0.0)) for x in nodes)
    check = anomaly.check_gradients if modes.open_contexts and modes.anomaly_enabled() else None
    floats = graph.gradients(output, 1.0, nodes, check)
    return tuple(floats.get(x, 0.0) for x in nodes)


def hessian(output: Value, inputs: Sequence[Value]) -> list[list[float]]:
    """The matrix of second derivatives d²(output)/d(inputs[i]) d(inputs[j]), as lists."""
    nodes = _inputs(inputs)
    first = grad(output, nodes, create_graph=True)
    return [list(grad(g, nodes)) for g in first]


def hvp(output: Value, inputs: Sequence[Value], vector: Sequence[float]) -> tuple[float, ...]:
    """The Hessian of output times vector, with two sweeps and no Hessian built."""
    nodes = _inputs(inputs)
    if len(vector) != len(nodes):
        raise ValueError(f"hvp() needs one vector entry per input: {len(nodes)} inputs, "
                         f"{len(vector)} entries")
    if not all(isinstance(v, numbers.Real) for v in vector):
        raise TypeError(f"hvp() needs a vector of numbers, got {list(vector)!r:.80}")
    first = grad(output, nodes, create_graph=True)
    directional = sum((g * float(v) for g, v in zip(first, vector, strict=True)), Value(0.0))
    return grad(directional, nodes)


def _inputs(inputs: Value | Sequence[Value]) -> list[Value]:
    """inputs as a list of Values, or a TypeError saying what was passed instead."""
    nodes = [inputs] if isinstance(inputs, Value) else inputs
    if not isinstance(nodes, Sequence) or not all(isinstance(x, Value) for x in nodes):
        raise TypeError("inputs must be Values (the nodes to differentiate by), or a list of "
                        f"them; got {inputs!r:.80}")
    return list(nodes)


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)
