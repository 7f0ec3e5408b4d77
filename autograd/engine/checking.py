"""gradcheck: the engine's derivatives of a function against central differences, any order;
numeric_grad: the central differences themselves."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

from .functional import grad
from .value import Value

Index = tuple[int, ...]


class GradcheckError(AssertionError):
    """A derivative the engine computed differs from its central-difference estimate."""

    def __init__(self, index: Index, analytic: float, numeric: float, inputs: Sequence[float]):
        self.index, self.analytic, self.numeric = index, analytic, numeric
        order = len(index)
        what = "d f" if order == 1 else f"d^{order} f"
        by = " ".join(f"d x{i}" for i in index)
        super().__init__(
            f"{what} / {by} at x = {list(inputs)}: the engine gives {analytic:.10g}, central "
            f"differences give {numeric:.10g} (difference {abs(analytic - numeric):.3g})"
        )


def gradcheck(f: Callable[..., Value], inputs: Sequence[float | Value], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, order: int = 1) -> bool:
    """True if f's derivatives up to order match central differences, else GradcheckError.

    f takes one Value per input and returns a Value. Each derivative of order k is compared
    with (D(x + eps) - D(x - eps)) / 2 eps of the engine's derivative D of order k - 1, and
    passes when |engine - estimate| <= atol + rtol * |estimate|.
    """
    xs = _check_arguments("gradcheck", f, inputs, eps)
    _check_tolerances(atol, rtol, order)
    for k in range(1, order + 1):
        shifted = _shifted(partial(_derivatives, f, order=k - 1), xs, eps)
        for index, analytic in _derivatives(f, xs, k).items():
            *lower, j = index
            up, down = shifted[j]
            numeric = _central_difference(up[tuple(lower)], down[tuple(lower)], eps)
            if not abs(analytic - numeric) <= atol + rtol * abs(numeric):  # nan fails too
                raise GradcheckError(index, analytic, numeric, xs)
    return True


def numeric_grad(f: Callable[..., Value], values: Sequence[float | Value],
                 eps: float = 1e-6) -> list[float]:
    """(f(x + eps) - f(x - eps)) / 2 eps along each input: the slope by nudging, no backward.

    f takes one Value per input and returns a Value, as gradcheck's does; only its data is read.
    """
    xs = _check_arguments("numeric_grad", f, values, eps)
    shifted = _shifted(lambda moved: _output(f, _leaves(moved), "numeric_grad").data, xs, eps)
    return [_central_difference(up, down, eps) for up, down in shifted]


T = TypeVar("T")


def _shifted(evaluate: Callable[[list[float]], T], xs: Sequence[float],
             eps: float) -> list[tuple[T, T]]:
    """evaluate at xs moved by +eps and by -eps along each input in turn."""
    return [(evaluate(_moved(xs, j, eps)), evaluate(_moved(xs, j, -eps)))
            for j in range(len(xs))]


def _central_difference(up: float, down: float, eps: float) -> float:
    return (up - down) / (2 * eps)


def _derivatives(f: Callable[..., Value], xs: Sequence[float], order: int) -> dict[Index, float]:
    """Every derivative of f of the given order at xs, by index (i, j, ...) of the inputs."""
    leaves = _leaves(xs)
    level: dict[Index, Value] = {(): _output(f, leaves, "gradcheck")}
    for _ in range(order - 1):  # the gradients of all but the last order as graphs
        level = {(*index, j): g for index, node in level.items()
                 for j, g in enumerate(grad(node, leaves, create_graph=True))}
    if order == 0:
        return {(): level[()].data}
    return {(*index, j): g for index, node in level.items()
            for j, g in enumerate(grad(node, leaves))}


def _moved(xs: Sequence[float], j: int, step: float) -> list[float]:
    moved = list(xs)
    moved[j] += step
    return moved


def _leaves(xs: Sequence[float]) -> list[Value]:
    return [Value(x, label=f"x{i}") for i, x in enumerate(xs)]


def _output(f: Callable[..., Value], leaves: list[Value], who: str) -> Value:
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"{who}() needs f to return a Value, got {type(out).__name__}")
    return out


def _check_arguments(who: str, f: object, inputs: Sequence[float | Value],
                     eps: float) -> list[float]:
    """The inputs as floats, after checking f, the inputs and eps (a clear error for a bad one)."""
    if not callable(f):
        raise TypeError(f"{who}() needs a function f, got {type(f).__name__}")
    if isinstance(inputs, Value | numbers.Real) or not isinstance(inputs, Sequence):
        raise TypeError(f"{who}() needs a list of input numbers, got {type(inputs).__name__}")
    xs = [x.data if isinstance(x, Value) else x for x in inputs]
    for x in xs:
        if not isinstance(x, numbers.Real):
            raise TypeError(f"{who}() inputs must be numbers, got {type(x).__name__}")
    if not (isinstance(eps, numbers.Real) and eps > 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    return [float(x) for x in xs]


def _check_tolerances(atol: float, rtol: float, order: int) -> None:
    if not (isinstance(atol, numbers.Real) and atol >= 0 and isinstance(rtol, numbers.Real)
            and rtol >= 0):
        raise ValueError(f"atol and rtol must be numbers >= 0, got {atol!r} and {rtol!r}")
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be an int >= 1, got {order!r}")
