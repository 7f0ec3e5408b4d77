"""chainrule's autograd: a scalar reverse-mode autograd engine with an explicit graph."""

from ._checks import GraphTooLargeError
from ._version import __version__ as __version__
from .anomaly import skip_frames_from
from .checking import GradcheckError, gradcheck, numeric_grad
from .compiler import CompiledStep, compile
from .custom import define_op
from .draw import (
    Drawing,
    GraphvizNotFoundError,
    draw,
    gradient_colour,
    gradient_strength,
    render,
    render_drawing,
)
from .explain import Explained, explain
from .files import write_atomically
from .functional import grad, hessian, hvp
from .graph import topological_order
from .modes import (
    detect_anomaly,
    enable_grad,
    grad_enabled,
    no_grad,
    numbers_refused,
    scope,
    set_grad_enabled,
)
from .notation import format_number
from .ops import (
    OPS,
    Domain,
    Op,
    cos,
    div,
    exp,
    keep,
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
from .stepper import StepperPage, stepper
from .value import Value, enumerate_requiring_grad

__all__ = [
    "OPS",
    "CompiledStep",
    "Domain",
    "Drawing",
    "Explained",
    "GradcheckError",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "Op",
    "StepperPage",
    "Value",
    "compile",
    "cos",
    "define_op",
    "detect_anomaly",
    "div",
    "draw",
    "enable_grad",
    "enumerate_requiring_grad",
    "exp",
    "explain",
    "format_number",
    "grad",
    "grad_enabled",
    "gradcheck",
    "gradient_colour",
    "gradient_strength",
    "hessian",
    "hvp",
    "keep",
    "leaky_relu",
    "log",
    "no_grad",
    "numbers_refused",
    "numeric_grad",
    "power",
    "relu",
    "render",
    "render_drawing",
    "scope",
    "set_grad_enabled",
    "sigmoid",
    "sign",
    "sin",
    "skip_frames_from",
    "sqrt",
    "step",
    "stepper",
    "tanh",
    "topological_order",
    "write_atomically",
]
