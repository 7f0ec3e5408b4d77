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


def _tan(x: float) -> float:
    return math.tan(x) if math.isfinite(x) else NAN


def _asin(x: float) -> float:
    return math.asin(x) if -1.0 <= x <= 1.0 else NAN


def _acos(x: float) -> float:
    return math.acos(x) if -1.0 <= x <= 1.0 else NAN


def _sinh(x: float) -> float:
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(INF, x)


def _cosh(x: float) -> float:
    try:
        return math.cosh(x)
    except OverflowError:
        return INF


def _expm1(x: float) -> float:
    try:
        return math.expm1(x)
    except OverflowError:
        return INF


def _log2(x: float) -> float:
    return math.log2(x) if x > 0.0 else -INF if x == 0.0 else NAN


def _log10(x: float) -> float:
    return math.log10(x) if x > 0.0 else -INF if x == 0.0 else NAN


def _log1p(x: float) -> float:
    return math.log1p(x) if x > -1.0 else -INF if x == -1.0 else NAN


def _maximum(a: float, b: float) -> float:
    # nan if either is, else the larger; a at a tie (so maximum(-0.0, 0.0) is -0.0), as PyTorch
    return NAN if a != a or b != b else a if a >= b else b


def _minimum(a: float, b: float) -> float:
    return NAN if a != a or b != b else a if a <= b else b


def _max_share(a: float, b: float) -> float:
    return 1.0 if a > b else 0.5 if a == b else 0.0 if a < b else 1.0  # unordered: nan


def _clamp(x: float, min: float, max: float) -> float:
    # max(x, min) then min(., max), as PyTorch: nan stays nan, and min > max gives max
    raised = min if x < min else x
    return max if raised > max else raised


def _within(x: float, low: float, high: float) -> float:
    # strictly inside: an infinite bound is no bound, so x = ±inf passes on that side (nan not)
    if x != x:
        return 0.0
    return 1.0 if (low < x or low == -INF) and (x < high or high == INF) else 0.0


def _softplus(x: float) -> float:
    # PyTorch's beta = 1, threshold = 20: x itself above 20
    return x if x > 20.0 else math.log1p(_exp(x))


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
    return _node_builder("leaky_relu", x)(LEAKY_RELU.bind(slope=slope), x)


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
    return _node_builder("step", x)(STEP.bind(low=low, high=high), x)


def max_share(a: Any, b: Any) -> Any:
    """The share of maximum(a, b)'s gradient that goes to a: 1 where a > b, 1/2 where a == b,
    0 where a < b, and 1 where either is nan (PyTorch's sub-gradient; piecewise constant)."""
    if _both_numbers(a, b):
        return _max_share(to_float(a), to_float(b))
    return MAX_SHARE(a, b)


def within(x: Any, low: float, high: float) -> Any:
    """1 where low < x < high (an infinite bound: none), else 0 (nan: 0): where clamp passes
    its gradient on."""
    if isinstance(x, Number):
        return _within(to_float(x), low, high)
    return WITHIN.bind(low=low, high=high)(x)


# --- the table ---


@dataclass(frozen=True)
class Domain:
    """Where an input is tested: [low, high], at least clearance (or the tests' margin, if
    more) away from each point in avoid."""

    low: float = -1e3
    high: float = 1e3
    avoid: tuple[float, ...] = ()
    clearance: float = 0.0


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


def _registered_builder(x: object) -> Callable[..., Any] | None:
    for cls in type(x).__mro__:
        build = _node_builders.get(cls)
        if build is not None:
            return build
    return None


def _node_builder(name: str, x: object) -> Callable[..., Any]:
    build = _registered_builder(x)
    if build is None:
        raise _type_error(name, x)
    return build


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


# --- arithmetic ---

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
# --- powers (and keep, the mask their rules use) ---

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
# --- exponential, logarithm, root, sine and cosine ---

EXP = register(Op("exp", "exp", 1, _exp, lambda a, out: (out,), (Domain(-700.0, 700.0),)))
LOG = register(Op("log", "log", 1, _log, lambda a, out: (div(1.0, a),), (POSITIVE,)))
# d sqrt(x)/dx = 1 / (2 sqrt(x))
SQRT = register(Op("sqrt", "√", 1, _sqrt, lambda a, out: (div(0.5, out),), (POSITIVE,)))
SIN = register(Op("sin", "sin", 1, _sin, lambda a, out: (cos(a),), (ANYWHERE,)))
COS = register(Op("cos", "cos", 1, _cos, lambda a, out: (-sin(a),), (ANYWHERE,)))
# --- activations ---

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
# --- kinks and steps ---

# NOTE: abs'(0) = sign(0) = 0, as in PyTorch.
ABS = register(Op("abs", "|·|", 1, abs, lambda a, out: (sign(a),), (KINK_AT_ZERO,)))
SIGN = register(Op("sign", "sign", 1, _sign, lambda a, out: (0.0,), (KINK_AT_ZERO,)))
STEP = register(Op("step", "step", 1, _step, lambda a, out, low, high: (0.0,), (KINK_AT_ZERO,),
                   params=(("high", 1.0), ("low", 0.0)),
                   param_domains=(("high", Domain(-5.0, 5.0)), ("low", Domain(-5.0, 5.0)))))



# --- trigonometric and hyperbolic (derivatives as PyTorch's backward writes them) ---

ATAN = register(Op(name="atan", symbol="atan", arity=1, forward=math.atan,
                   derivatives=lambda a, out: (div(1.0, 1.0 + a * a),),
                   domains=(ANYWHERE,)))
ASIN = register(Op(name="asin", symbol="asin", arity=1, forward=_asin,
                   derivatives=lambda a, out: (div(1.0, sqrt(1.0 - a * a)),),
                   domains=(Domain(-1.0, 1.0, avoid=(-1.0, 1.0)),)))
ACOS = register(Op(name="acos", symbol="acos", arity=1, forward=_acos,
                   derivatives=lambda a, out: (-div(1.0, sqrt(1.0 - a * a)),),
                   domains=(Domain(-1.0, 1.0, avoid=(-1.0, 1.0)),)))


def _atan2_derivatives(y: Any, x: Any, out: Any) -> tuple[Any, Any]:
    # d atan2(y, x) = (x dy - y dx) / (x² + y²); PyTorch takes 1 / (x² + y²) as 0 where the
    # sum is 0 (at the origin, or where it underflows), so both derivatives are 0 there
    squares = y * y + x * x
    reciprocal = keep(div(1.0, squares), squares)
    return x * reciprocal, -y * reciprocal


# Near the origin the curvature of atan2 and hypot grows as a power of 1 / |(a, b)|, and central
# differences of their second derivatives with it: tested from 0.1 away, where they hold to 1e-6
_CLEAR_OF_THE_ORIGIN = Domain(avoid=(0.0,), clearance=0.1)
ATAN2 = register(Op(name="atan2", symbol="atan2", arity=2, forward=math.atan2,
                    derivatives=_atan2_derivatives,
                    domains=(_CLEAR_OF_THE_ORIGIN, _CLEAR_OF_THE_ORIGIN)))
TAN = register(Op(name="tan", symbol="tan", arity=1, forward=_tan,
                  derivatives=lambda a, out: (1.0 + out * out,),
                  domains=(Domain(-1.5, 1.5),)))
SINH = register(Op(name="sinh", symbol="sinh", arity=1, forward=_sinh,
                   derivatives=lambda a, out: (cosh(a),),
                   domains=(Domain(-700.0, 700.0),)))
COSH = register(Op(name="cosh", symbol="cosh", arity=1, forward=_cosh,
                   derivatives=lambda a, out: (sinh(a),),
                   domains=(Domain(-700.0, 700.0),)))

# --- logarithms and exponentials near their edges ---

LOG1P = register(Op(name="log1p", symbol="log1p", arity=1, forward=_log1p,
                    derivatives=lambda a, out: (div(1.0, a + 1.0),),
                    domains=(Domain(-1.0, 1e3, avoid=(-1.0,)),)))
EXPM1 = register(Op(name="expm1", symbol="expm1", arity=1, forward=_expm1,
                    derivatives=lambda a, out: (out + 1.0,),
                    domains=(Domain(-700.0, 700.0),)))
LOG2 = register(Op(name="log2", symbol="log₂", arity=1, forward=_log2,
                   derivatives=lambda a, out: (div(1.0, a * 0.6931471805599453),),  # ln 2
                   domains=(POSITIVE,)))
LOG10 = register(Op(name="log10", symbol="log₁₀", arity=1, forward=_log10,
                    derivatives=lambda a, out: (div(1.0, a * 2.302585092994046),),  # ln 10
                    domains=(POSITIVE,)))
# d hypot(a, b) = (a da + b db) / hypot(a, b): nan at the origin, as PyTorch
HYPOT = register(Op(name="hypot", symbol="hypot", arity=2, forward=math.hypot,
                    derivatives=lambda a, b, out: (div(a, out), div(b, out)),
                    domains=(_CLEAR_OF_THE_ORIGIN, _CLEAR_OF_THE_ORIGIN)))


def _dsoftplus(x: float) -> float:
    z = _exp(x)
    return 1.0 if x > 20.0 else z / (z + 1.0)  # PyTorch's softplus_backward, to the last bit


# NOTE: log(1 + e^x) with PyTorch's beta = 1 and threshold = 20: x itself where x > 20. Its
# derivative has an op of its own, as tanh's does, whose derivative is PyTorch's double
# backward: σ'(x) where x < 20, else 0 (so 0 at x = 20 exactly, where the first is σ(20)).
DSOFTPLUS = register(Op(name="dsoftplus", symbol="softplus′", arity=1, forward=_dsoftplus,
                        derivatives=lambda a, out: (dsigmoid(sigmoid(a)) * step(20.0 - a),),
                        domains=(Domain(avoid=(20.0,)),)))
SOFTPLUS = register(Op(name="softplus", symbol="softplus", arity=1, forward=_softplus,
                       derivatives=lambda a, out: (DSOFTPLUS(a),),
                       domains=(Domain(avoid=(20.0,)),)))

# --- piecewise: PyTorch's sub-gradients at the kinks ---

_NEAR_0 = Domain(-0.005, 0.005)  # with KINK_AT_ZERO for a: b on either side, never a tie
# NOTE: where a == b, maximum and minimum send half the gradient to each input, as PyTorch.
MAXIMUM = register(Op(name="maximum", symbol="max", arity=2, forward=_maximum,
                      derivatives=lambda a, b, out: (max_share(a, b), max_share(b, a)),
                      domains=(KINK_AT_ZERO, _NEAR_0)))
MINIMUM = register(Op(name="minimum", symbol="min", arity=2, forward=_minimum,
                      derivatives=lambda a, b, out: (max_share(b, a), max_share(a, b)),
                      domains=(KINK_AT_ZERO, _NEAR_0)))
MAX_SHARE = register(Op(name="max_share", symbol="share", arity=2, forward=_max_share,
                        derivatives=lambda a, b, out: (0.0, 0.0),
                        domains=(KINK_AT_ZERO, _NEAR_0)))
# Bounds are tested near ±2 and inputs kept away from there, so no test straddles a kink.
_NEAR_2, _NEAR_MINUS_2 = Domain(1.995, 2.005), Domain(-2.005, -1.995)
_AWAY_FROM_BOUNDS = Domain(-5.0, 5.0, avoid=(-2.0, 2.0))
# NOTE: clamp passes the gradient on where min < x < max, as PyTorch since 2.14 (1 at the
# bounds before): at a bound 0, the sub-gradient of least size, as relu's at 0.
CLAMP = register(Op(name="clamp", symbol="clamp[{min:g}, {max:g}]", arity=1, forward=_clamp,
                    derivatives=lambda a, out, min, max: (within(a, min, max),),
                    domains=(_AWAY_FROM_BOUNDS,), params=(("max", 1.0), ("min", -1.0)),
                    param_domains=(("max", _NEAR_2), ("min", _NEAR_MINUS_2))))
WITHIN = register(Op(name="within", symbol="within[{low:g}, {high:g}]", arity=1,
                     forward=_within, derivatives=lambda a, out, low, high: (0.0,),
                     domains=(_AWAY_FROM_BOUNDS,), params=(("high", 1.0), ("low", -1.0)),
                     param_domains=(("high", _NEAR_2), ("low", _NEAR_MINUS_2))))


# --- polymorphic functions of the table's ops: float math on numbers, a node on Values ---


class Function:
    """A function of one scalar: its op's float forward on numbers, the op's node otherwise."""

    def __init__(self, op: Op, doc: str) -> None:
        self.__name__ = op.name
        self.__doc__ = doc
        self._op = op
        self._on_float = op.evaluate

    @overload
    def __call__(self, x: float) -> float: ...
    @overload
    def __call__(self, x: S) -> S: ...
    def __call__(self, x: Any) -> Any:
        if type(x) is float:  # backward's path, first
            return self._on_float(x)
        build = _node_builders.get(type(x))  # a Value or a Symbol: create_graph's path
        if build is not None:
            return build(self._op, x)
        if isinstance(x, Number):
            return self._on_float(to_float(x))
        build = _registered_builder(x)
        if build is not None:
            return build(self._op, x)
        method = getattr(x, self.__name__, None)  # another library's scalar: torch.Tensor.exp
        if method is None:
            raise _type_error(self.__name__, x)
        return method()

    def __repr__(self) -> str:
        return f"<autograd function {self.__name__}>"


class Function2(Function):
    """A function of two scalars: float math on two numbers, a node if either is not one."""

    @overload  # type: ignore[override]
    def __call__(self, a: float, b: float) -> float: ...
    @overload
    def __call__(self, a: S, b: Any) -> S: ...
    @overload
    def __call__(self, a: Any, b: S) -> S: ...
    def __call__(self, a: Any, b: Any) -> Any:
        return self._op(a, b)


exp: Function = Function(EXP, "e to the power x.")
log: Function = Function(LOG, "Natural logarithm: -inf at 0, nan below.")
sqrt: Function = Function(SQRT, "Square root: nan below 0.")
sin: Function = Function(SIN, "Sine.")
cos: Function = Function(COS, "Cosine.")
tan: Function = Function(TAN, "Tangent.")
atan: Function = Function(ATAN, "Arctangent, in (-π/2, π/2).")
asin: Function = Function(ASIN, "Arcsine, in [-π/2, π/2]: nan outside [-1, 1].")
acos: Function = Function(ACOS, "Arccosine, in [0, π]: nan outside [-1, 1].")
sinh: Function = Function(SINH, "Hyperbolic sine.")
cosh: Function = Function(COSH, "Hyperbolic cosine.")
tanh: Function = Function(TANH, "Hyperbolic tangent.")
log1p: Function = Function(LOG1P, "log(1 + x), exact near 0: -inf at -1, nan below.")
expm1: Function = Function(EXPM1, "e^x - 1, exact near 0.")
log2: Function = Function(LOG2, "Base-2 logarithm: -inf at 0, nan below.")
log10: Function = Function(LOG10, "Base-10 logarithm: -inf at 0, nan below.")
sigmoid: Function = Function(SIGMOID, "Logistic sigmoid 1 / (1 + e^-x), stable for any x.")
softplus: Function = Function(SOFTPLUS, "log(1 + e^x); x itself above 20, as PyTorch's.")
relu: Function = Function(RELU, "max(x, 0).")
sign: Function = Function(SIGN, "-1, 0 or 1 by the sign of x (nan stays nan).")
atan2: Function2 = Function2(ATAN2, "The angle of the point (x, y): atan2(y, x), in [-π, π].")
hypot: Function2 = Function2(HYPOT, "sqrt(a² + b²), without overflow or underflow on the way.")
maximum: Function2 = Function2(MAXIMUM, "The larger of a and b, nan if either is; a tie "
                                        "splits the gradient in halves.")
minimum: Function2 = Function2(MINIMUM, "The smaller of a and b, nan if either is; a tie "
                                        "splits the gradient in halves.")


def clamp(x: Any, min: float | None = None, max: float | None = None) -> Any:
    """x limited to [min, max] (None: no limit), as torch.clamp: nan stays nan, and min > max
    gives max; the gradient passes where min < x < max, 0 at a bound, as relu's at 0."""
    if min is None and max is None:
        raise TypeError("clamp() needs min or max (or both)")
    op = CLAMP.bind(min=-INF if min is None else min, max=INF if max is None else max)
    if isinstance(x, Number):
        return op.evaluate(to_float(x))
    return _node_builder("clamp", x)(op, x)
