"""Neuron, Layer, Dropout and MLP: modules whose parameters are Values, named by dotted paths."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from itertools import pairwise
from operator import mul
from typing import Any, Protocol, TypeVar

from autograd import Value, scope

from ._checks import positive_int, probability

Input = Sequence[Value | float]
Seed = int | random.Random | None
Output = TypeVar("Output", bound=Value | list[Value], covariant=True)


class _Runs(Protocol[Output]):
    """What Module.__call__ and forward need: a checked width and a _run giving Output."""

    nin: int

    def _run(self, x: Input, scoped: bool) -> Output: ...


def _identity(z: Value) -> Value:
    return z


ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "linear": _identity,
}


def activation_function(name: object) -> Callable[[Value], Value]:
    """The activation called name, or a ValueError listing the names there are."""
    function = ACTIVATIONS.get(name) if isinstance(name, str) else None
    if function is None:
        raise ValueError(f"unknown activation {name!r:.40}: expected one of "
                         f"{', '.join(ACTIVATIONS)}")
    return function


def random_generator(seed: Seed) -> random.Random:
    """A random.Random from an int seed, the generator itself, or a fresh one for None."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}")


M = TypeVar("M", bound="Module")


class Module:
    """A part of a model: its parameters, their names and gradients, and its state as a dict."""

    path = ""  # the dotted name of this module inside the root module ("" for the root)
    nin: int  # how many inputs calling the module takes
    training = True  # False after eval(): modules that differ in training (Dropout) then don't

    @classmethod
    def parameter_count(cls, config: Mapping[str, object]) -> int:
        """How many parameters the module built from config (as config() gives) has, without
        building it; a ValueError if a size in config is not a positive int."""
        raise NotImplementedError

    def children(self) -> Iterator[tuple[str, Module]]:
        """The modules directly inside this one, with their names."""
        return iter(())

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """This module (named "") and every module inside it, each with its dotted name."""
        yield "", self
        for child_name, child in self.children():
            for name, module in child.named_modules():
                yield (f"{child_name}.{name}" if name else child_name), module

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, in the order of named_modules()."""
        return (module for _, module in self.named_modules())

    def train(self: M, mode: bool = True) -> M:
        """Set `training` on this module and every module inside it; return the module."""
        if not isinstance(mode, bool):
            raise ValueError(f"mode must be True or False, got {mode!r}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self: M) -> M:
        """Evaluation mode (training False), as train(False): Dropout passes inputs through."""
        return self.train(False)

    def requires_grad_(self: M, requires_grad: bool = True) -> M:
        """Let every parameter learn, or (False) freeze them: optimizers then leave them be."""
        if not isinstance(requires_grad, bool):
            raise ValueError(f"requires_grad must be True or False, got {requires_grad!r}")
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def _own_parameters(self) -> Iterator[tuple[str, Value]]:
        return iter(())

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, such as `layers.0.neurons.1.w.0`."""
        named = list(self._own_parameters())
        for child_name, child in self.children():
            named += [(f"{child_name}.{name}", p) for name, p in child.named_parameters()]
        return named

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of named_parameters()."""
        own = [p for _, p in self._own_parameters()]
        return own + [p for _, child in self.children() for p in child.parameters()]

    def weights(self) -> list[Value]:
        """The weights, without the biases (what an L2 penalty sums over)."""
        return [w for _, child in self.children() for w in child.weights()]

    def zero_grad(self) -> None:
        """Set the grad of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by its dotted name."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set every parameter from a dict like state_dict()'s, which must name each exactly."""
        if not isinstance(state, Mapping):
            raise ValueError(f"a state dict must be a mapping, got {type(state).__name__}")
        named = self.named_parameters()
        names = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state]
        unexpected = [str(name) for name in state if name not in names]
        if missing or unexpected:
            raise ValueError(
                "the state does not fit this model: "
                + "; ".join(part for part in (_listing("missing", missing),
                                              _listing("unexpected", unexpected)) if part)
            )
        values = {}
        for name, _ in named:
            value = state[name]
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError(f"parameter {name} must be a number, got {value!r:.40}")
            try:
                values[name] = float(value)
            except OverflowError:
                raise ValueError(f"parameter {name} is too large for a float") from None
        for name, p in named:
            p.data = values[name]

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture."""
        raise NotImplementedError

    def _set_path(self, path: str) -> None:
        self.path = path
        for name, child in self.children():
            child._set_path(f"{path}.{name}" if path else name)

    # Typed by self so that each kind of module returns what its _run does: a Neuron a Value,
    # a Layer a list of Values, an MLP either.
    def __call__(self: _Runs[Output], x: Input) -> Output:
        """The output for input x; nodes made inside carry scopes named by module paths."""
        _check_input(x, self.nin, self)
        return self._run(x, scoped=True)

    def forward(self: _Runs[Output], x: Input) -> Output:
        """What calling the module gives, without scopes (cheaper when nobody draws)."""
        _check_input(x, self.nin, self)
        return self._run(x, scoped=False)

    def _run(self, x: Input, scoped: bool) -> Value | list[Value]:
        raise NotImplementedError

    def _scope(self, scoped: bool) -> AbstractContextManager[object]:
        """A scope named by this module's path, or no scope when unscoped or the root."""
        return scope(self.path) if scoped and self.path else nullcontext()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def _listing(what: str, names: list[str]) -> str:
    if not names:
        return ""
    shown = ", ".join(f"{name:.60}" for name in names[:5])
    shown += f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f"{what} {shown}"


def _biases(config: Mapping[str, object]) -> int:
    """1 if config's neurons have a bias (the default), else 0."""
    return int(_bias_flag(config.get("bias", True)))


def _bias_flag(bias: object) -> bool:
    """bias itself if it is True or False (not a string such as "no", which would be true)."""
    if not isinstance(bias, bool):
        raise ValueError(f"bias must be True or False, got {bias!r:.40}")
    return bias


def _layer_sizes(nouts: object) -> list[int]:
    """nouts, checked: a non-empty list of positive ints."""
    if isinstance(nouts, int | str) or not isinstance(nouts, Sequence) or not nouts:
        raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r:.40}")
    return [positive_int(n, "each layer size in nouts") for n in nouts]


def _check_input(x: Input, nin: int, who: object) -> None:
    if len(x) != nin:
        raise ValueError(f"{type(who).__name__} expects {nin} inputs, got {len(x)}")


class Neuron(Module):
    """One unit: activation(w · x + b), with weights `w` and bias `b` (None without bias)."""

    def __init__(self, nin: int, activation: str = "relu", bias: bool = True,
                 seed: Seed = None) -> None:
        self.nin = positive_int(nin, "nin")
        self.activation = activation
        self._activate = activation_function(activation)
        _bias_flag(bias)
        rng = random_generator(seed)
        self.w = [Value(rng.uniform(-1.0, 1.0), label=f"w.{i}") for i in range(nin)]
        self.b = Value(rng.uniform(-1.0, 1.0), label="b") if bias else None

    @classmethod
    def parameter_count(cls, config: Mapping[str, object]) -> int:
        """nin weights and a bias unless config's bias is False."""
        return positive_int(config.get("nin"), "nin") + _biases(config)

    def _own_parameters(self) -> Iterator[tuple[str, Value]]:
        yield from ((f"w.{i}", w) for i, w in enumerate(self.w))
        if self.b is not None:
            yield "b", self.b

    def weights(self) -> list[Value]:
        """The weights w, without the bias."""
        return list(self.w)

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture."""
        return {"nin": self.nin, "activation": self.activation, "bias": self.b is not None}

    def _run(self, x: Input, scoped: bool) -> Value:
        """activation(w · x + b) for nin numbers or Values, in a scope named by path."""
        with self._scope(scoped):
            terms = map(mul, self.w, x)
            z: Value = sum(terms, next(terms))
            if self.b is not None:
                z = z + self.b
            return self._activate(z)

    def __repr__(self) -> str:
        weights = ", ".join(f"{w.data:.4g}" for w in self.w)
        bias = "None" if self.b is None else f"{self.b.data:.4g}"
        return f"Neuron({self.nin}, activation={self.activation!r}, w=[{weights}], b={bias})"


class Layer(Module):
    """nout neurons that read the same nin inputs; calling it gives a list of nout Values."""

    def __init__(self, nin: int, nout: int, activation: str = "relu", bias: bool = True,
                 seed: Seed = None) -> None:
        rng = random_generator(seed)
        self.nin, self.nout = positive_int(nin, "nin"), positive_int(nout, "nout")
        self.activation = activation
        self.neurons = [Neuron(nin, activation, bias, rng) for _ in range(nout)]
        self._set_path(self.path)

    @classmethod
    def parameter_count(cls, config: Mapping[str, object]) -> int:
        """nout neurons' parameters."""
        return positive_int(config.get("nout"), "nout") * Neuron.parameter_count(config)

    def children(self) -> Iterator[tuple[str, Module]]:
        """The neurons, named neurons.0, neurons.1, ..."""
        return ((f"neurons.{i}", n) for i, n in enumerate(self.neurons))

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture."""
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation,
                "bias": self.neurons[0].b is not None}

    def _run(self, x: Input, scoped: bool) -> list[Value]:
        """Each neuron's output for nin numbers or Values, in scopes named by their paths."""
        with self._scope(scoped):
            return [n._run(x, scoped) for n in self.neurons]


class Dropout(Module):
    """While training, zero each input with probability p and scale the rest by 1/(1 − p).

    In eval mode, and for p = 0, the inputs pass through unchanged (the same Values). The draws
    come from `seed` (an int, a random.Random, or None for a fresh generator), never from global
    state. Calling it takes a list of Values of any length, as a layer gives.
    """

    def __init__(self, p: float = 0.5, seed: Seed = None) -> None:
        self.p = probability(p, "p")
        self._rng = random_generator(seed)

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module."""
        return {"p": self.p}

    def __call__(self, x: Sequence[Value]) -> list[Value]:  # type: ignore[override]
        """The inputs, some zeroed and the rest scaled while training; in a scope named by path."""
        return self._drop(x, scoped=True)

    def forward(self, x: Sequence[Value]) -> list[Value]:  # type: ignore[override]
        """What calling the module gives, without scopes."""
        return self._drop(x, scoped=False)

    def _drop(self, x: Sequence[Value], scoped: bool) -> list[Value]:
        if not self.training or self.p == 0.0:
            return list(x)
        # A dropped input is multiplied by 0 rather than replaced, so the graph still shows it.
        kept = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        draw, p = self._rng.random, self.p
        with self._scope(scoped):
            return [v * (0.0 if draw() < p else kept) for v in x]


class MLP(Module):
    """Layers of sizes nouts, each reading the one before; the last is linear by default.

    Calling it gives a Value when the last layer has one neuron, else a list of Values.
    Initial weights and biases are uniform in [-1, 1], from `seed` (see nn.init for others).
    With dropout p > 0, a Dropout module follows each hidden layer, drawing from the same seed.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 output_activation: str | None = None, bias: bool = True,
                 dropout: float = 0.0, seed: Seed = None) -> None:
        self.nouts = _layer_sizes(nouts)
        rng = random_generator(seed)
        self.nin = positive_int(nin, "nin")
        self.activation = activation
        self.output_activation = "linear" if output_activation is None else output_activation
        activation_function(activation)
        self.dropout = probability(dropout, "dropout")
        sizes = [self.nin, *self.nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], self._activation_of(i), bias, rng)
            for i in range(len(self.nouts))
        ]
        hidden = len(self.nouts) - 1
        self.dropouts = [Dropout(self.dropout, rng) for _ in range(hidden)] if dropout else []
        self._set_path(self.path)

    @classmethod
    def parameter_count(cls, config: Mapping[str, object]) -> int:
        """Each layer's parameters: one neuron's for each of its outputs."""
        sizes = [positive_int(config.get("nin"), "nin"), *_layer_sizes(config.get("nouts"))]
        return sum(n_out * (n_in + _biases(config)) for n_in, n_out in pairwise(sizes))

    def _activation_of(self, layer: int) -> str:
        return self.output_activation if layer == len(self.nouts) - 1 else self.activation

    def children(self) -> Iterator[tuple[str, Module]]:
        """The layers, named layers.0, layers.1, ..., each followed by its dropouts.i if any."""
        for i, layer in enumerate(self.layers):
            yield f"layers.{i}", layer
            if i < len(self.dropouts):
                yield f"dropouts.{i}", self.dropouts[i]

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture."""
        return {"nin": self.nin, "nouts": list(self.nouts), "activation": self.activation,
                "output_activation": self.output_activation,
                "bias": self.layers[0].neurons[0].b is not None, "dropout": self.dropout}

    def _run(self, x: Input, scoped: bool) -> Value | list[Value]:
        """The last layer's output (a Value for one neuron, else a list), made in scopes."""
        out = self.layers[0]._run(x, scoped)
        for i, layer in enumerate(self.layers[1:]):
            if self.dropouts:
                out = self.dropouts[i]._drop(out, scoped)
            out = layer._run(out, scoped)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        parts = "".join(f"\n  {module.path}: {module!r}" for _, module in self.children())
        return super().__repr__() + parts
