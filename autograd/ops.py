"""The op table: every primitive's forward on floats and its local derivatives, written once.

A derivative rule takes the op's inputs and output (floats, Values or symbols) and returns one
local derivative per input. Rules are written with the polymorphic functions below, which do
IEEE-safe float math on numbers and call the method of the same name on anything else, so one
rule serves plain gradients, differentiable gradient graphs and generated code alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Protocol, SupportsFloat, TypeVar, cast, overload

INF = math.inf
NAN = math.nan


# --- float math that answers as IEEE 754 (and PyTorch float64) does instead of raising ---


def to_float(x: SupportsFloat) -> float:
    """x as a float; a number too large for one rounds to ±inf, as IEEE 754 rounds overflow."""
    try:
        return float(x)
    except OverflowError:  # an int or a fraction beyond 1.8e308: ordered, so it has a sign
        return INF if cast(float, x) > 0 else -INF


def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def _is_odd_integer(x: float) -> bool:
    return x.is_integer() and x % 2.0 == 1.0


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return -INF if a < 0.0 and _is_odd_integer(b) else INF
    except ValueError:  # zero to a negative power, or a negative base to a fractional power
        if a == 0.0:
            negative_zero = math.copysign(1.0, a) < 0.0
            return -INF if negative_zero and _is_odd_integer(b) else INF
        return NAN


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _log(x: float) -> float:
    if x > 0.0:
        return math.log(x)
    return -INF if x == 0.0 else NAN


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else NAN


def _sin(x: float) -> float:
    return math.sin(x) if math.isfinite(x) else NAN


def _cos(x: float) -> float:
    return math.cos(x) if math.isfinite(x) else NAN


def _sigmoid(x: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-x))  # rounds as PyTorch's does, to the last bit
    except OverflowError:  # x < -709
        return 0.0


def _relu(x: float) -> float:
    return 0.0 if x <= 0.0 else x


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0.0 else x * slope


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else x


def _step(x: float, low: float, high: float) -> float:
    return high if x > 0.0 else low


def _keep(x: float, condition: float) -> float:
    return 0.0 if condition == 0.0 else x


# --- polymorphic functions: what derivative rules (and users) write ---

S = TypeVar("S", bound="Scalar")


class Scalar(Protocol):
    """What a derivative rule needs of a non-float operand: arithmetic and the op methods."""

    def __add__(self: S, other: Any) -> S: ...
    def __radd__(self: S, other: Any) -> S: ...
    def __sub__(self: S, other: Any) -> S: ...
    def __rsub__(self: S, other: Any) -> S: ...
    def __mul__(self: S, other: Any) -> S: ...
    def __rmul__(self: S, other: Any) -> S: ...
    def __truediv__(self: S, other: Any) -> S: ...
    def __rtruediv__(self: S, other: Any) -> S: ...
    def __pow__(self: S, other: Any) -> S: ...
    def __rpow__(self: S, other: Any) -> S: ...
    def __neg__(self: S) -> S: ...
    def __abs__(self: S) -> S: ...


Number = (int, float)


def _type_error(name: str, x: object) -> TypeError:
    return TypeError(f"{name}() expects a float or a Value, got {type(x).__name__}")


class Function:
    """A function of one scalar: safe float math on numbers, the same-named method otherwise."""

    def __init__(self, name: str, on_float: Callable[[float], float], doc: str) -> None:
        self.__name__ = name
        self.__doc__ = doc
        self._on_float = on_float

    @overload
    def __call__(self, x: float) -> float: ...
    @overload
    def __call__(self, x: S) -> S: ...
    def __call__(self, x: Any) -> Any:
        if type(x) is float:  # backward's path, first
            return self._on_float(x)
        if isinstance(x, Number):
            return self._on_float(to_float(x))
        method = getattr(x, self.__name__, None)
        if method is None:
            raise _type_error(self.__name__, x)
        return method()

    def __repr__(self) -> str:
        return f"<autograd function {self.__name__}>"


exp = Function("exp", _exp, "e to the power x.")
log = Function("log", _log, "Natural logarithm: -inf at 0, nan below.")
sqrt = Function("sqrt", _sqrt, "Square root: nan below 0.")
sin = Function("sin", _sin, "Sine.")
cos = Function("cos", _cos, "Cosine.")
tanh = Function("tanh", math.tanh, "Hyperbolic tangent.")
sigmoid = Function("sigmoid", _sigmoid, "Logistic sigmoid 1 / (1 + e^-x), stable for any x.")
relu = Function("relu", _relu, "max(x, 0).")
sign = Function("sign", _sign, "-1, 0 or 1 by the sign of x (nan stays nan).")


def _both_numbers(a: object, b: object) -> bool:
    return isinstance(a, Number) and isinstance(b, Number)


def div(a: Any, b: Any) -> Any:
    """a / b, with IEEE results (inf, nan) where Python's float division raises."""
    if _both_numbers(a, b):
        return _div(to_float(a), to_float(b))
    return a / b


def power(a: Any, b: Any) -> Any:
    """a ** b, with IEEE results where Python's float power raises or turns complex."""
    if _both_numbers(a, b):
        return _pow(to_float(a), to_float(b))
    return a**b


def leaky_relu(x: Any, slope: float = 0.01) -> Any:
    """x where x > 0, else slope * x."""
    if isinstance(x, Number):
        return _leaky_relu(to_float(x), slope)
    if not hasattr(x, "leaky_relu"):
        raise _type_error("leaky_relu", x)
    return x.leaky_relu(slope)


def keep(x: Any, condition: Any) -> Any:
    """x where condition is not 0, else exactly 0 (also where x is inf or nan): a mask."""
    if _both_numbers(x, condition):
        return _keep(to_float(x), to_float(condition))
    return KEEP(x, condition)


def step(x: Any, low: float = 0.0, high: float = 1.0) -> Any:
    """high where x > 0, else low: piecewise constant, so its derivative is 0."""
    if type(x) is float:  # backward's path (relu's rule), first
        return _step(x, low, high)
    if isinstance(x, Number):
        return _step(to_float(x), low, high)
    if not hasattr(x, "step"):
        raise _type_error("step", x)
    return x.step(low, high)


# --- the table ---


@dataclass(frozen=True)
class Domain:
    """Where an input is tested: [low, high], staying clear of the points in avoid."""

    low: float = -1e3
    high: float = 1e3
    avoid: tuple[float, ...] = ()


@dataclass(frozen=True)
class Op:
    """A primitive: forward on floats and local derivatives, with its name and drawing symbol.

    `forward(*inputs, **params)` returns a float; `derivatives(*inputs, out, **params)` returns
    one local derivative d(out)/d(input) per input. `symbol` may name params: "**{exponent:g}".
    """

    name: str
    symbol: str
    arity: int
    forward: Callable[..., float]
    derivatives: Callable[..., tuple[Any, ...]]
    domains: tuple[Domain, ...]
    params: tuple[tuple[str, float], ...] = ()
    param_domains: tuple[tuple[str, Domain], ...] = ()
    evaluate: Callable[..., float] = field(init=False, repr=False, compare=False)
    local_derivatives: Callable[..., tuple[Any, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for key, value in self.params:  # exactly these types, as generated code writes them
            _check_param_name(self.name, key)
            if type(value) is not float and type(value) is not int:
                raise TypeError(f"op {self.name!r}: param {key} must be a float or an int, "
                                f"got {type(value).__name__}")
        kwargs = dict(self.params)
        forward, derivatives = self.forward, self.derivatives
        if kwargs:
            forward, derivatives = partial(forward, **kwargs), partial(derivatives, **kwargs)
        object.__setattr__(self, "evaluate", forward)
        object.__setattr__(self, "local_derivatives", derivatives)

    def __call__(self, *inputs: Any) -> Any:
        """This op on numbers (a float), or on Values (a new node of their graph)."""
        if len(inputs) == 1 and type(inputs[0]) is float and self.arity == 1:
            return self.evaluate(inputs[0])
        if len(inputs) != self.arity:
            raise TypeError(f"{self.name} takes {self.arity} input(s), got {len(inputs)}")
        for x in inputs:
            if not isinstance(x, Number):
                return _node_builder(self.name, x)(self, *inputs)
        return self.evaluate(*(to_float(x) for x in inputs))

    @property
    def display(self) -> str:
        """The symbol a drawing shows, with the params filled in."""
        return self.symbol.format(**dict(self.params))

    def bind(self, **params: float) -> Op:
        """This op with its params set (cached, so a graph shares one op per setting)."""
        for key, value in params.items():
            _check_param_name(self.name, key)  # before the cache, which a lookalike would hit
            if not isinstance(value, Number):
                raise TypeError(f"{self.name}'s {key} must be a number, "
                                f"got {type(value).__name__}")
        return _bind(self, tuple(sorted((k, to_float(v)) for k, v in params.items())))


def _check_param_name(op: str, key: object) -> None:
    if type(key) is not str or not key.isidentifier():  # a str subclass may say anything
        raise TypeError(f"op {op!r}: a param's name must be a str that is an identifier, got "
                        f"{type(key).__name__} {key!r:.40}")


# How an op applies to operands that are not numbers, by their type (value.py adds Value's).
_node_builders: dict[type, Callable[..., Any]] = {}


def register_node_type(cls: type, build: Callable[..., Any]) -> None:
    """Let every op apply to instances of cls: build(op, *inputs) makes the result."""
    _node_builders[cls] = build


def _node_builder(name: str, x: object) -> Callable[..., Any]:
    for cls in type(x).__mro__:
        build = _node_builders.get(cls)
        if build is not None:
            return build
    raise _type_error(name, x)


_bound: dict[tuple[str, tuple[tuple[str, float], ...]], Op] = {}


def _bind(op: Op, params: tuple[tuple[str, float], ...]) -> Op:
    key = (op.name, params)
    bound = _bound.get(key)
    if bound is None:
        if len(_bound) > 4096:
            _bound.clear()
        bound = replace(op, params=params)
        _bound[key] = bound
    return bound


ANYWHERE = Domain()
POSITIVE = Domain(0.0, 1e3, avoid=(0.0,))
KINK_AT_ZERO = Domain(avoid=(0.0,))

OPS: dict[str, Op] = {}


def register(op: Op) -> Op:
    """Add an op to the table, refusing a second op of the same name."""
    if op.name in OPS:
        raise ValueError(f"an op named {op.name!r} is already in the table")
    OPS[op.name] = op
    return op


# Subtraction and division are primitives, not compositions: one node instead of two, and a
# correctly rounded quotient (a * b**-1 rounds twice).
ADD = register(Op("add", "+", 2, lambda a, b: a + b,
                  lambda a, b, out: (1.0, 1.0), (ANYWHERE, ANYWHERE)))
SUB = register(Op("sub", "−", 2, lambda a, b: a - b,
                  lambda a, b, out: (1.0, -1.0), (ANYWHERE, ANYWHERE)))
MUL = register(Op("mul", "×", 2, lambda a, b: a * b,
                  lambda a, b, out: (b, a), (ANYWHERE, ANYWHERE)))
# d(a/b)/db = -a/b^2 = -out/b
DIV = register(Op("div", "÷", 2, _div,
                  lambda a, b, out: (div(1.0, b), -div(out, b)),
                  (ANYWHERE, Domain(-1e3, 1e3, avoid=(0.0,)))))
NEG = register(Op("neg", "−", 1, lambda a: -a, lambda a, out: (-1.0,), (ANYWHERE,)))
# d x^c/dx = c x^(c-1); 0 when c = 0, as PyTorch gives (not 0 * inf at x = 0)
POW = register(Op("pow", "**{exponent:g}", 1, lambda a, exponent: _pow(a, exponent),
                  lambda a, out, exponent: (
                      0.0 if exponent == 0.0 else exponent * power(a, exponent - 1.0),),
                  (Domain(0.0, 10.0, avoid=(0.0,)),),
                  param_domains=(("exponent", Domain(-5.0, 5.0)),)))
# d keep(x, c)/dx = 1 where c is not 0, else 0; c only chooses, so its derivative is 0
KEEP = register(Op("keep", "keep", 2, _keep, lambda x, c, out: (keep(1.0, c), 0.0),
                   (ANYWHERE, Domain(avoid=(0.0,)))))


def _pow_xy_derivatives(a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    # d a^b/da = b a^(b-1), and 0 where b = 0 as in PyTorch: masked only where b = 0 makes it
    # 0 * inf or 0 * nan (a = 0, subnormal or nan), so that elsewhere its derivative by b is
    # the true 1/a (PyTorch's mask makes that 0)
    by_a = b * power(a, b - 1.0)
    finite = step(INF - abs(by_a))  # 1 where by_a is finite, else 0
    by_a = keep(by_a, abs(sign(b)) + finite)
    # d a^b/db = out log a, and 0 where a = 0 and b >= 0 as in PyTorch: there it is out * log 1,
    # not a masked out * log 0, whose own derivatives would be 0 * inf = nan; so d²(0^b)/db² is
    # the true 0 (docs/semantics.md lists every second derivative at a base of 0)
    base_zero = step(abs(sign(a)) + step(-b), low=1.0, high=0.0)  # 1 where a = 0 and b >= 0
    return by_a, out * log(a + base_zero)


POW_XY = register(Op("pow_xy", "**", 2, _pow, _pow_xy_derivatives,
                     (Domain(0.0, 10.0, avoid=(0.0,)), Domain(-5.0, 5.0))))
EXP = register(Op("exp", "exp", 1, _exp, lambda a, out: (out,), (Domain(-700.0, 700.0),)))
LOG = register(Op("log", "log", 1, _log, lambda a, out: (div(1.0, a),), (POSITIVE,)))
# d sqrt(x)/dx = 1 / (2 sqrt(x))
SQRT = register(Op("sqrt", "√", 1, _sqrt, lambda a, out: (div(0.5, out),), (POSITIVE,)))
SIN = register(Op("sin", "sin", 1, _sin, lambda a, out: (cos(a),), (ANYWHERE,)))
COS = register(Op("cos", "cos", 1, _cos, lambda a, out: (-sin(a),), (ANYWHERE,)))
# tanh and sigmoid take their derivatives from their outputs through ops of their own, as
# PyTorch's tanh_backward and sigmoid_backward do: a second derivative is then the one product
# -2t or 1 - 2s, not a sum of two terms that cancel where the second derivative nears 0.


def _dtanh(t: Any) -> Any:
    # 1 - t^2 as (1 - t)(1 + t): exact where t nears ±1
    return (1.0 - t) * (1.0 + t)


def _dsigmoid(s: Any) -> Any:
    return s * (1.0 - s)


def dtanh(t: Any) -> Any:
    """tanh's derivative from t = tanh(x): 1 - t^2."""
    return _dtanh(t) if type(t) is float else DTANH(t)


def dsigmoid(s: Any) -> Any:
    """sigmoid's derivative from s = sigmoid(x): s (1 - s)."""
    return _dsigmoid(s) if type(s) is float else DSIGMOID(s)


# Their forwards are plain arithmetic, so generated code writes them out instead of calling.
DTANH = register(Op("dtanh", "tanh′", 1, _dtanh, lambda t, out: (-2.0 * t,),
                    (Domain(-1.0, 1.0),)))
DSIGMOID = register(Op("dsigmoid", "σ′", 1, _dsigmoid, lambda s, out: (1.0 - 2.0 * s,),
                       (Domain(0.0, 1.0),)))
TANH = register(Op("tanh", "tanh", 1, math.tanh, lambda a, out: (dtanh(out),), (ANYWHERE,)))
SIGMOID = register(Op("sigmoid", "σ", 1, _sigmoid, lambda a, out: (dsigmoid(out),),
                      (ANYWHERE,)))
# NOTE: relu'(0) = 0, as in PyTorch.
RELU = register(Op("relu", "ReLU", 1, _relu, lambda a, out: (step(out),), (KINK_AT_ZERO,)))
LEAKY_RELU = register(Op("leaky_relu", "LeakyReLU({slope:g})", 1, _leaky_relu,
                         lambda a, out, slope: (step(a, slope, 1.0),), (KINK_AT_ZERO,),
                         params=(("slope", 0.01),),
                         param_domains=(("slope", Domain(0.0, 1.0)),)))
# NOTE: abs'(0) = sign(0) = 0, as in PyTorch.
ABS = register(Op("abs", "|·|", 1, abs, lambda a, out: (sign(a),), (KINK_AT_ZERO,)))
SIGN = register(Op("sign", "sign", 1, _sign, lambda a, out: (0.0,), (KINK_AT_ZERO,)))
STEP = register(Op("step", "step", 1, _step, lambda a, out, low, high: (0.0,), (KINK_AT_ZERO,),
                   params=(("high", 1.0), ("low", 0.0)),
                   param_domains=(("high", Domain(-5.0, 5.0)), ("low", Domain(-5.0, 5.0)))))
