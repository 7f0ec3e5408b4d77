"""Forward mode: jvp carries each number's directional derivative along with it; jacobian picks
forward or reverse mode by the shape of f.

A `Dual` holds a value and its tangent (the derivative along the chosen direction). An op of the
table applied to duals computes its value with its forward and its tangent from the same local
derivatives backward uses, d(out) = Σ d(out)/d(input) · d(input): no op's math is written a
second time. One forward pass gives f's derivative along one direction of its inputs, for every
output at once; one backward pass gives one output's derivative by every input. So for n inputs
and m outputs the Jacobian takes n forward passes, or one forward pass and m backward ones.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, Literal

from .functional import grad
from .ops import ABS, ADD, DIV, MUL, NEG, POW, POW_XY, SUB, Op, register_node_type, to_float
from .value import Value

Mode = Literal["auto", "forward", "reverse"]


def _operators(op: Op) -> tuple[Callable[[Dual, object], Dual], Callable[[Dual, object], Dual]]:
    """The methods for a binary operator: self op other, and other op self."""
    return (lambda self, other: _apply(op, self, other),
            lambda self, other: _apply(op, other, self))


class Dual:
    """A number with its tangent, its derivative along the direction jvp was given."""

    __slots__ = ("tangent", "value")

    def __init__(self, value: float, tangent: float | None) -> None:
        self.value = value
        self.tangent = tangent  # None: depends on no input the direction moves

    def __repr__(self) -> str:
        return f"Dual(value={self.value!r}, tangent={self.tangent!r})"

    def __getattr__(self, name: str) -> Any:  # only for names a Dual does not have
        raise AttributeError(f"a Dual (jvp's and jacobian's argument) has no attribute {name!r}:"
                             f" compute with autograd's functions, autograd.{name}(x), and "
                             "arithmetic") from None

    __add__, __radd__ = _operators(ADD)
    __sub__, __rsub__ = _operators(SUB)
    __mul__, __rmul__ = _operators(MUL)
    __truediv__, __rtruediv__ = _operators(DIV)

    def __pow__(self, other: object) -> Dual:
        if isinstance(other, numbers.Real):  # a number exponent: the pow op, as for a Value
            return _apply(POW.bind(exponent=to_float(other)), self)
        return _apply(POW_XY, self, other)

    def __rpow__(self, other: object) -> Dual:
        return _apply(POW_XY, other, self)

    def __neg__(self) -> Dual:
        return _apply(NEG, self)

    def __pos__(self) -> Dual:
        return self

    def __abs__(self) -> Dual:
        return _apply(ABS, self)

    # orders compare values, as Value's do: `if x > 0:` picks a branch
    def __lt__(self, other: object) -> bool:
        return self.value < _value(other)

    def __le__(self, other: object) -> bool:
        return self.value <= _value(other)

    def __gt__(self, other: object) -> bool:
        return self.value > _value(other)

    def __ge__(self, other: object) -> bool:
        return self.value >= _value(other)


def _value(x: object) -> float:
    if type(x) is Dual:
        return x.value
    if isinstance(x, numbers.Real):
        return to_float(x)
    raise TypeError(f"cannot compare a Dual with {type(x).__name__}")


def _apply(op: Op, *inputs: object) -> Dual:
    """op on duals (and numbers, as constants): its value, and its tangent by the chain rule."""
    values = [x.value if type(x) is Dual else _constant(x, op) for x in inputs]
    out = op.evaluate(*values)
    tangent: float | None = None
    for x, local in zip(inputs, op.local_derivatives(*values, out), strict=True):
        # An input the direction does not move adds no term (not 0 × inf = nan): reverse mode
        # has no path from it either. A tangent that computes to 0 adds its term, nan or not, as
        # reverse mode adds every gradient times local derivative on a path, from 0.0, as here.
        if type(x) is Dual and x.tangent is not None:
            tangent = (0.0 if tangent is None else tangent) + local * x.tangent
    return Dual(out, tangent)


def _constant(x: object, op: Op) -> float:
    if isinstance(x, numbers.Real):
        return to_float(x)
    raise TypeError(f"{op.name} got a Dual and a {type(x).__name__}: in forward mode a function "
                    "computes with its Dual arguments and numbers (autograd.exp, not Value.exp)")


register_node_type(Dual, _apply)


def jvp(f: Callable[..., Any], inputs: Sequence[float], tangents: Sequence[float]
        ) -> tuple[float, float]:
    """f(*inputs) and its derivative along tangents (Σ df/dx_i · t_i), in one forward pass.

    f takes one argument per input and computes with autograd's functions (autograd.exp, ...)
    and arithmetic, as gradcheck's f does.
    """
    xs = _numbers("jvp", "inputs", inputs)
    ts = _numbers("jvp", "tangents", tangents)
    if len(ts) != len(xs):
        raise ValueError(f"jvp() needs one tangent per input: {len(xs)} inputs, "
                         f"{len(ts)} tangents")
    out = _forward_pass(f, xs, ts)
    if isinstance(out, Sequence):
        raise TypeError("jvp() needs f to return one number; for a list, use jacobian()")
    [(value, tangent)] = _values_and_tangents([out])
    return value, tangent


def jacobian(f: Callable[..., Sequence[Any]], inputs: Sequence[float], mode: Mode = "auto"
             ) -> list[list[float]]:
    """The matrix d f_i / d x_j of f's outputs (rows) by its inputs (columns), as lists.

    f takes one argument per input and returns a list. "forward" makes one forward pass per
    input, "reverse" one forward pass and one backward pass per output; "auto" makes the first
    forward pass, which counts the outputs, and goes on in forward mode unless there are more
    inputs than outputs.
    """
    xs = _numbers("jacobian", "inputs", inputs)
    if not xs:
        raise ValueError("jacobian() needs at least one input")
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"mode must be 'auto', 'forward' or 'reverse', got {mode!r:.40}")
    if mode == "reverse":
        return _reverse_jacobian(f, xs, None)
    columns: list[list[float]] = []
    for j in range(len(xs)):
        outputs = _outputs(_forward_pass(f, xs, [float(i == j) for i in range(len(xs))]),
                           len(columns[0]) if columns else None)
        if mode == "auto" and len(xs) > len(outputs):
            return _reverse_jacobian(f, xs, len(outputs))
        columns.append([tangent for _, tangent in _values_and_tangents(outputs)])
    return [list(row) for row in zip(*columns, strict=True)]


def _reverse_jacobian(f: Callable[..., Sequence[Any]], xs: list[float], count: int | None
                      ) -> list[list[float]]:
    """One forward pass recording the graph, then one backward pass (grad) per output."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    outputs = _outputs(f(*leaves), count)
    rows = []
    for out in outputs:
        if isinstance(out, Value):
            rows.append(list(grad(out, leaves)))
        else:
            _constant_output(out)  # a number, of derivative 0; anything else raises
            rows.append([0.0] * len(xs))
    return rows


def _forward_pass(f: Callable[..., Any], xs: list[float], ts: list[float]) -> Any:
    """f on duals of tangents ts; an input of tangent 0 has none, as a constant."""
    if not callable(f):
        raise TypeError(f"f must be a function, got {type(f).__name__}")
    return f(*(Dual(x, t if t != 0.0 else None) for x, t in zip(xs, ts, strict=True)))


def _outputs(result: object, count: int | None) -> list[Any]:
    """f's outputs as a list, as many as count (the first pass's) if given."""
    if not isinstance(result, Sequence) or isinstance(result, str):
        raise TypeError(f"jacobian() needs f to return a list of outputs, got "
                        f"{type(result).__name__}")
    if count is not None and len(result) != count:
        raise ValueError(f"jacobian() needs f to return as many outputs on every pass: "
                         f"{count} on the first, {len(result)} on a later one")
    return list(result)


def _values_and_tangents(outputs: list[Any]) -> list[tuple[float, float]]:
    """Each output's value and tangent; a number output, or one the direction does not move,
    has tangent 0."""
    return [(out.value, 0.0 if out.tangent is None else out.tangent) if type(out) is Dual
            else (_constant_output(out), 0.0) for out in outputs]


def _constant_output(out: object) -> float:
    """A number f returned, a constant: anything else is a TypeError."""
    if isinstance(out, numbers.Real):
        return to_float(out)
    raise TypeError(f"f must return numbers computed from its arguments, got "
                    f"{type(out).__name__}")


def _numbers(who: str, what: str, xs: object) -> list[float]:
    if not isinstance(xs, Sequence) or isinstance(xs, str):
        raise TypeError(f"{who}() needs a list of {what} (numbers), got {type(xs).__name__}")
    for x in xs:
        if not isinstance(x, numbers.Real) or isinstance(x, bool | Value):
            raise TypeError(f"{who}() {what} must be numbers, got {type(x).__name__}")
    return [to_float(x) for x in xs]
