"""Initial weights: uniform in [-ε, ε], zeros, Xavier/Glorot, He/Kaiming, or given numbers.

Each function sets a module's parameters in place and returns the module. Random ones draw from
`seed` (an int, a random.Random, or None for a fresh generator), never from global state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from autograd import Value

from .module import MLP, Layer, Module, Neuron, Seed, random_generator

M = TypeVar("M", bound=Module)


def uniform(module: M, epsilon: float = 1.0, seed: Seed = None) -> M:
    """Every weight and bias uniform in [-epsilon, epsilon]: the lectures' symmetry breaking."""
    if not epsilon >= 0.0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon!r}")
    rng = random_generator(seed)
    for p in module.parameters():
        p.data = rng.uniform(-epsilon, epsilon)
    return module


def constant(module: M, value: float) -> M:
    """Every weight and bias set to value."""
    value = float(value)
    for p in module.parameters():
        p.data = value
    return module


def zeros(module: M) -> M:
    """Every weight and bias 0: the units of a layer then stay identical, so it cannot learn."""
    return constant(module, 0.0)


def xavier_uniform(module: M, seed: Seed = None, gain: float = 1.0) -> M:
    """Weights uniform in ±gain·√(6 / (fan_in + fan_out)) (Glorot & Bengio), biases 0."""
    return _fan_uniform(module, seed, lambda fan_in, fan_out: gain * math.sqrt(
        6.0 / (fan_in + fan_out)))


def he_uniform(module: M, seed: Seed = None) -> M:
    """Weights uniform in ±√(6 / fan_in) (He et al., for ReLU units), biases 0."""
    return _fan_uniform(module, seed, lambda fan_in, fan_out: math.sqrt(6.0 / fan_in))


def _fan_uniform(module: M, seed: Seed, bound: Callable[[int, int], float]) -> M:
    rng = random_generator(seed)
    for neuron, fan_in, fan_out in _neurons(module):
        limit = bound(fan_in, fan_out)
        for w in neuron.w:
            w.data = rng.uniform(-limit, limit)
        if neuron.b is not None:
            neuron.b.data = 0.0
    return module


def _neurons(module: Module) -> Iterator[tuple[Neuron, int, int]]:
    """Each neuron with its fan-in (inputs) and fan-out (units in its layer)."""
    if isinstance(module, Neuron):
        yield module, module.nin, 1
    elif isinstance(module, Layer):
        for neuron in module.neurons:
            yield neuron, module.nin, module.nout
    elif isinstance(module, MLP):
        for layer in module.layers:
            yield from _neurons(layer)
    else:
        _parts(module)  # raises for any other module


def set_weights(module: M, weights: Sequence[object], biases: object = None) -> M:
    """Set weights (and biases) from nested lists shaped like the module.

    A Neuron takes a list of nin weights and one bias; a Layer a list of nout such lists and a
    list of nout biases; an MLP a list of those, one per layer. Biases None leaves them as
    they are. Nothing changes unless every shape and number is right.
    """
    assignments: list[tuple[Value, float]] = []
    for neuron, row, bias in _zip_neurons(module, weights, biases):
        if len(row) != neuron.nin:
            raise ValueError(f"{_where(neuron)} has {neuron.nin} weights, got {len(row)}: {row!r}")
        assignments += [(w, _number(x, _where(neuron))) for w, x in zip(neuron.w, row, strict=True)]
        if bias is not None:
            if neuron.b is None:
                raise ValueError(f"{_where(neuron)} has no bias, got {bias!r}")
            assignments.append((neuron.b, _number(bias, _where(neuron))))
    for p, value in assignments:
        p.data = value
    return module


def _zip_neurons(module: Module, weights: object,
                 biases: object) -> Iterator[tuple[Neuron, Sequence[object], object]]:
    """Each neuron of module with its list of weights and its bias, shapes checked."""
    if isinstance(module, Neuron):
        yield module, _sequence(weights, f"the weights of {_where(module)}"), biases
        return
    parts = _parts(module)
    rows = _sequence(weights, f"the weights of {_where(module)}")
    cols = [None] * len(parts) if biases is None else _sequence(
        biases, f"the biases of {_where(module)}")
    for given, name in ((rows, "weight lists"), (cols, "biases")):
        if len(given) != len(parts):
            raise ValueError(f"{_where(module)} needs {len(parts)} {name}, got {len(given)}")
    for part, row, bias in zip(parts, rows, cols, strict=True):
        yield from _zip_neurons(part, row, bias)


def _parts(module: Module) -> list[Module]:
    if isinstance(module, Layer):
        return list(module.neurons)
    if isinstance(module, MLP):
        return list(module.layers)
    raise TypeError(f"expected a Neuron, Layer or MLP, got {type(module).__name__}")


def _where(module: Module) -> str:
    return f"{type(module).__name__} {module.path}" if module.path else type(module).__name__


def _sequence(value: object, what: str) -> Sequence[object]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{what} must be a list, got {value!r:.60}")
    return value


def _number(value: object, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{where}: expected a number, got {value!r:.40}")
    return float(value)
