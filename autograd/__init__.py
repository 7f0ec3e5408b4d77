"""chainrule's autograd: a scalar reverse-mode autograd engine with an explicit graph."""

from .compiler import CompiledStep, compile
from .draw import GraphvizNotFoundError, draw, render
from .graph import topological_order
from .modes import grad_enabled, no_grad
from .ops import (
    OPS,
    Op,
    cos,
    div,
    exp,
    leaky_relu,
    log,
    power,
    relu,
    sigmoid,
    sign,
    sin,
    sqrt,
    step,
    tanh,
)
from .value import Value

__all__ = [
    "OPS",
    "CompiledStep",
    "GraphvizNotFoundError",
    "Op",
    "Value",
    "compile",
    "cos",
    "div",
    "draw",
    "exp",
    "grad_enabled",
    "leaky_relu",
    "log",
    "no_grad",
    "power",
    "relu",
    "render",
    "sigmoid",
    "sign",
    "sin",
    "sqrt",
    "step",
    "tanh",
    "topological_order",
]
