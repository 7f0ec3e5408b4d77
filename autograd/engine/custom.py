"""define_op: a user's primitive, checked at definition and added to the op table."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from .._text import check_printable
from .modes import numbers_refused
from .ops import OPS, Domain, Op
from .value import Value

_defined: set[str] = set()  # names define_op added (and may replace); the rest are built in


def define_op(name: str, forward: Callable[..., float], derivatives: Callable[..., Any],
              symbol: str | None = None,
              domains: Domain | Sequence[Domain] | None = None) -> Op:
    """A new op row of 1 or 2 inputs, callable on floats and Values, added to the table.

    forward takes the inputs as floats and returns a float; derivatives takes the inputs and
    the output (floats or Values) and returns one local derivative per input, written with
    the engine's functions (exp, sigmoid, ...) so that create_graph can differentiate them.
    domains say where tests draw each input (everywhere in [-1000, 1000] by default).
    Defining a name again replaces the op defined before; a built-in op's name is refused.
    """
    _check_name(name)
    arity = _arity("forward", forward, name)
    if not 1 <= arity <= 2:
        raise ValueError(f"define_op({name!r}): forward takes {arity} inputs, but an op takes "
                         "1 or 2: write wider functions as compositions of ops")
    rule_arity = _arity("derivatives", derivatives, name)
    if rule_arity != arity + 1:
        inputs = "x, out" if arity == 1 else "a, b, out"
        raise ValueError(f"define_op({name!r}): derivatives takes {rule_arity} argument(s); "
                         f"it must take the {arity} input(s) and the output: ({inputs})")
    if symbol is not None:
        if not (isinstance(symbol, str) and symbol):
            raise TypeError(f"define_op({name!r}): symbol must be a non-empty str, got {symbol!r}")
        check_printable(symbol, f"define_op({name!r}): the symbol")
    shown = (symbol or name).replace("{", "{{").replace("}", "}}")
    op = Op(name, shown, arity, _checked_forward(name, forward),
            _checked_derivatives(name, arity, derivatives), _domains(name, arity, domains))
    _try_out(op)
    OPS.pop(name, None)
    _defined.add(name)
    OPS[name] = op
    return op


def _check_name(name: object) -> None:
    if type(name) is not str or not name.isidentifier():  # a subclass may lie
        raise ValueError(f"an op's name must be an identifier such as 'softplus', got {name!r}")
    if name in OPS and name not in _defined:
        raise ValueError(f"{name!r} is a built-in op: give yours another name")


def _arity(what: str, fn: object, name: str) -> int:
    """How many positional arguments fn requires, refusing *args (an op's inputs are named)."""
    if not callable(fn):
        raise TypeError(f"define_op({name!r}): {what} must be a function, got "
                        f"{type(fn).__name__}")
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(f"define_op({name!r}): cannot read the arguments of {what}: "
                        "wrap it in a def or lambda") from None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        raise ValueError(f"define_op({name!r}): {what} must name its arguments, not take *args")
    return sum(p.kind in positional and p.default is inspect.Parameter.empty for p in parameters)


def _checked_forward(name: str, forward: Callable[..., float]) -> Callable[..., float]:
    """forward, returning a float, and saying which op raised (ops give inf or nan instead)."""

    def evaluate(*inputs: float) -> float:
        try:
            result = forward(*inputs)
        except (ArithmeticError, ValueError) as error:
            raise type(error)(
                f"the forward of op {name!r} raised {type(error).__name__} ({error}) at "
                f"{inputs}: an op's forward must return inf or nan instead, as "
                "autograd.exp, autograd.log and the other functions do"
            ) from None
        if not isinstance(result, numbers.Real):
            raise TypeError(f"the forward of op {name!r} returned {type(result).__name__}; "
                            "it must return a float")
        return float(result)

    evaluate.__wrapped__ = forward  # type: ignore[attr-defined]  # what native code runs
    return evaluate


def _checked_derivatives(name: str, arity: int,
                         derivatives: Callable[..., Any]) -> Callable[..., tuple[Any, ...]]:
    """derivatives, returning a tuple of one local derivative per input, or a clear error."""

    def local_derivatives(*inputs_and_out: Any) -> tuple[Any, ...]:
        result = derivatives(*inputs_and_out)
        if not isinstance(result, tuple | list) or len(result) != arity:
            raise TypeError(f"the derivatives of op {name!r} returned {result!r}; they must "
                            f"return a tuple of {arity} local derivative(s), one per input")
        return tuple(result)

    return local_derivatives


def _domains(name: str, arity: int, domains: Domain | Sequence[Domain] | None
             ) -> tuple[Domain, ...]:
    if domains is None:
        return (Domain(),) * arity
    result = (domains,) * arity if isinstance(domains, Domain) else tuple(domains)
    if len(result) != arity or not all(isinstance(d, Domain) for d in result):
        raise ValueError(f"define_op({name!r}): domains must be a Domain or {arity} Domains, "
                         f"one per input, got {domains!r}")
    for d in result:
        if not d.low < d.high:
            raise ValueError(f"define_op({name!r}): a domain needs low < high, got {d}")
    return result


def _try_out(op: Op) -> None:
    """Run forward and derivatives once inside the domains, the derivatives on floats and on
    Values, so that a broken rule fails here rather than in some later backward."""
    xs = tuple(_inside(d) for d in op.domains)
    try:
        out = op.evaluate(*xs)
        op.local_derivatives(*xs, out)
    except Exception as error:
        raise ValueError(f"define_op({op.name!r}): trying the op at {xs} failed: {error}") from None
    try:
        with numbers_refused("a rule must compute with the Values it is given"):
            op.local_derivatives(*(Value(x) for x in xs), Value(out))
    except FloatingPointError:
        pass  # detect_anomaly() is on and the rule gave inf or nan there: it does take Values
    except Exception as error:
        raise ValueError(
            f"define_op({op.name!r}): the derivatives work on floats but not on Values "
            f"({type(error).__name__}: {error}): write them with autograd's functions (exp, log, "
            "sqrt, sin, cos, tanh, sigmoid, relu, div, power, ...) rather than math's, so that "
            "grad(..., create_graph=True) can differentiate them") from None


def _inside(domain: Domain) -> float:
    """A point of the domain clear of the points it avoids."""
    span = domain.high - domain.low
    for fraction in (0.5, 0.55, 0.45, 0.7, 0.3, 0.9, 0.1):
        x = domain.low + fraction * span
        if all(abs(x - p) > 1e-3 * span for p in domain.avoid):
            return x
    return domain.low + 0.123 * span
