"""To PyTorch and back: a model as a torch.nn.Sequential of Linear and activation modules.

torch is imported here only, when one of these functions runs: nothing else in nn needs it.
"""

from __future__ import annotations

import itertools
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from autograd import Value

from . import init
from .module import MLP, Layer, Module, Neuron, Seed

if TYPE_CHECKING:
    import torch

# nn's activation names and the torch.nn modules that compute the same function ("linear": none)
TORCH_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU",
                     "leaky_relu": "LeakyReLU"}
LEAKY_SLOPE = 0.01  # Value.leaky_relu's slope, and torch.nn.LeakyReLU's default


def to_torch(model: Module) -> torch.nn.Sequential:
    """A torch.nn.Sequential computing what model does, with its weights in float64.

    Each layer becomes a Linear followed by its activation module (none for "linear"), and an
    MLP's dropout a torch.nn.Dropout after each hidden activation; the training mode carries
    over, and so does freezing: torch freezes whole tensors, so a layer's weights must be all
    frozen or all learning, and so must its biases (else a ValueError).
    """
    _require_torch()
    import torch

    modules: list[torch.nn.Module] = []
    layers = _layers(model)
    dropout = model.dropout if isinstance(model, MLP) else 0.0
    for i, (layer, activation) in enumerate(layers):
        modules.append(_linear(layer))
        if activation != "linear":
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[activation])())
        if dropout and i < len(layers) - 1:
            modules.append(torch.nn.Dropout(dropout))
    return torch.nn.Sequential(*modules).train(model.training)


def from_torch(module: torch.nn.Module, seed: Seed = None) -> MLP:
    """The MLP computing what a Sequential like to_torch's does, with the same weights.

    It takes Linear layers, each followed by at most one activation (Sigmoid, Tanh, ReLU,
    LeakyReLU with slope 0.01) and, after a hidden layer, a Dropout: the hidden layers share one
    activation, one dropout probability, and bias or no bias. Anything else is a ValueError
    saying what did not fit. `seed` feeds the dropout's draws; the training mode carries over.
    """
    _require_torch()
    import torch

    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch() takes a torch.nn.Sequential, got {type(module).__name__}")
    linears, activations, dropouts = _read_sequential(module)
    biases = {linear.bias is not None for linear in linears}
    if len(biases) > 1:
        raise ValueError("either every Linear has a bias or none has: an MLP has one bias flag")
    _check_same("activation", activations[:-1])
    _check_same("Dropout probability", dropouts)
    for before, after in itertools.pairwise(linears):
        if after.in_features != before.out_features:
            raise ValueError(f"a Linear with {before.out_features} outputs is followed by one "
                             f"with {after.in_features} inputs")
    model = MLP(linears[0].in_features, [linear.out_features for linear in linears],
                activation=activations[0] if len(linears) > 1 else "linear",
                output_activation=activations[-1], bias=biases.pop(),
                dropout=dropouts[0] if dropouts else 0.0, seed=seed)
    weights = [_numbers(linear.weight) for linear in linears]
    biases_of = [_numbers(linear.bias) for linear in linears if linear.bias is not None]
    init.set_weights(model, weights, biases_of or None)
    for layer, linear in zip(model.layers, linears, strict=True):
        for neuron in layer.neurons:
            for w in neuron.w:
                w.requires_grad = linear.weight.requires_grad
            if neuron.b is not None:
                neuron.b.requires_grad = linear.bias.requires_grad
    return model.train(module.training)


def _require_torch() -> None:
    if find_spec("torch") is None:
        raise ModuleNotFoundError("nn.to_torch and nn.from_torch need PyTorch: pip install torch")


def _layers(model: Module) -> list[tuple[Layer | Neuron, str]]:
    """Each layer of model (a Neuron is a layer of one), with its activation's name."""
    if isinstance(model, MLP):
        return [(layer, layer.activation) for layer in model.layers]
    if isinstance(model, Layer | Neuron):
        return [(model, model.activation)]
    raise TypeError(f"to_torch() takes a Neuron, Layer or MLP, got {type(model).__name__}")


def _linear(layer: Layer | Neuron) -> torch.nn.Linear:
    """A float64 torch.nn.Linear holding layer's weights and biases (not drawn at random)."""
    import torch

    neurons = layer.neurons if isinstance(layer, Layer) else [layer]
    bias = neurons[0].b is not None
    linear = torch.nn.Linear(layer.nin, len(neurons), bias=bias, device="meta",
                             dtype=torch.float64).to_empty(device="cpu")
    weights = [w for n in neurons for w in n.w]
    biases = [n.b for n in neurons if n.b is not None]
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([w.data for w in weights], dtype=torch.float64).view(
            len(neurons), layer.nin))
        linear.weight.requires_grad_(_learns(weights, "weights", layer))
        if linear.bias is not None:
            linear.bias.copy_(torch.tensor([b.data for b in biases], dtype=torch.float64))
            linear.bias.requires_grad_(_learns(biases, "biases", layer))
    return linear


def _learns(params: list[Value], what: str, layer: Layer | Neuron) -> bool:
    """Whether params all learn (True) or are all frozen (False), as one torch tensor must."""
    flags = {p.requires_grad for p in params}
    if len(flags) > 1:
        where = f"{type(layer).__name__} {layer.path}".rstrip()
        raise ValueError(f"the {what} of {where} are partly frozen: torch freezes a layer's "
                         f"{what} all together")
    return flags.pop()


def _read_sequential(sequential: torch.nn.Sequential
                     ) -> tuple[list[torch.nn.Linear], list[str], list[float]]:
    """The Linear layers, each one's activation name, and the Dropout probabilities."""
    import torch

    activation_of = {getattr(torch.nn, torch_name): name
                     for name, torch_name in TORCH_ACTIVATIONS.items()}
    linears: list[torch.nn.Linear] = []
    activations: list[str] = []
    dropouts: dict[int, float] = {}  # by the index of the Linear each follows
    for position, part in enumerate(sequential):
        after_linear = bool(linears) and activations[-1] == "linear" and (
            len(linears) - 1 not in dropouts)
        if isinstance(part, torch.nn.Linear):
            linears.append(part)
            activations.append("linear")
        elif type(part) in activation_of and after_linear:
            activations[-1] = _activation_name(part, activation_of[type(part)])
        elif type(part) is torch.nn.Dropout and linears and len(linears) - 1 not in dropouts:
            dropouts[len(linears) - 1] = float(part.p)
        else:
            raise ValueError(
                f"cannot read {type(part).__name__} at position {position}: from_torch() "
                "takes Linear layers, each followed by at most one of Sigmoid, Tanh, ReLU, "
                "LeakyReLU(0.01), then by at most one Dropout")
    if not linears:
        raise ValueError("the Sequential holds no Linear layer")
    if dropouts and list(dropouts) != list(range(len(linears) - 1)):
        raise ValueError("a Dropout must follow every hidden layer, and only those, or none")
    return linears, activations, list(dropouts.values())


def _activation_name(part: Any, name: str) -> str:
    if name == "leaky_relu" and part.negative_slope != LEAKY_SLOPE:
        raise ValueError(f"LeakyReLU's negative_slope must be {LEAKY_SLOPE}, as nn's "
                         f"leaky_relu, got {part.negative_slope}")
    return name


def _check_same(what: str, values: list[Any]) -> None:
    if len(set(values)) > 1:
        raise ValueError(f"the hidden layers must share one {what} (an MLP has one), got "
                         + ", ".join(map(str, values)))


def _numbers(tensor: torch.Tensor) -> Any:
    """The tensor's numbers as nested lists of Python floats."""
    import torch

    if not tensor.dtype.is_floating_point:
        raise ValueError(f"the weights must be floating point, got {tensor.dtype}")
    return tensor.detach().to(torch.float64).tolist()
