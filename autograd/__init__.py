"""chainrule's autograd: a scalar reverse-mode autograd engine with an explicit graph."""

from .draw import Drawing, GraphTooLargeError, GraphvizNotFoundError, draw, render
from .explain import explain
from .graph import topological_order
from .modes import grad_enabled, no_grad, scope
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
from .stepper import stepper
from .value import Value

__all__ = [
    "OPS",
    "Drawing",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "Op",
    "Value",
    "cos",
    "div",
    "draw",
    "exp",
    "explain",
    "grad_enabled",
    "leaky_relu",
    "log",
    "no_grad",
    "power",
    "relu",
    "render",
    "scope",
    "sigmoid",
    "sign",
    "sin",
    "sqrt",
    "step",
    "stepper",
    "tanh",
    "topological_order",
]
