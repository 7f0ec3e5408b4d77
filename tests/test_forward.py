"""Forward mode: jvp and jacobian from the op table's rules, against reverse mode and by counts."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import OPS, Value, grad, jacobian, jvp
from autograd.testing import Program, op_with_inputs, programs, values


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_jvp_of_an_op_is_its_local_derivative_along_the_tangents(
        name: str, data: st.DataObject) -> None:
    op, xs = data.draw(op_with_inputs(OPS[name]))
    tangents = data.draw(st.lists(st.floats(-3.0, 3.0), min_size=op.arity, max_size=op.arity))
    value, derivative = jvp(op, xs, tangents)
    out = op.evaluate(*xs)
    local = op.local_derivatives(*xs, out)
    assert value == out or (math.isnan(value) and math.isnan(out))
    expected = 0.0
    for d, t in zip(local, tangents, strict=True):
        if t != 0.0:
            expected += d * t
    assert derivative == expected or (math.isnan(derivative) and math.isnan(expected))


def close(a: float, b: float) -> bool:
    """Equal to 1e-12, relative or (the leaves lie in [-2, 2], terms of size 1) absolute: the
    two modes add the same products in different orders."""
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@given(programs(), st.data())
def test_jvp_is_the_gradient_dotted_with_the_tangents(program: Program,
                                                      data: st.DataObject) -> None:
    n = len(program.leaves)
    tangents = data.draw(st.lists(st.floats(-2.0, 2.0), min_size=n, max_size=n))
    value, derivative = jvp(program.run, program.leaves, tangents)
    leaves = values(program.leaves)
    out = program.run(*leaves)
    gradient = grad(out, leaves) if isinstance(out, Value) else (0.0,) * n
    assert value == (out.data if isinstance(out, Value) else out)
    products = [g * t for g, t in zip(gradient, tangents, strict=True)]
    assert close(derivative, sum(products)), (derivative, gradient, tangents)


def several(x: Any, y: Any) -> list[Any]:
    return [x * y, autograd.sin(x) + y, autograd.atan2(y, x), 2.0, autograd.exp(x - y) ** 2]


@pytest.mark.parametrize("point", [(0.5, -1.5), (2.0, 0.25), (-1.0, 3.0)])
def test_forward_and_reverse_jacobians_agree_and_match_finite_differences(
        point: tuple[float, float]) -> None:
    forward = jacobian(several, point, mode="forward")
    reverse = jacobian(several, point, mode="reverse")
    assert len(forward) == 5 and all(len(row) == 2 for row in forward)
    assert all(close(f, r) for fs, rs in zip(forward, reverse, strict=True)
               for f, r in zip(fs, rs, strict=True))
    assert forward[3] == [0.0, 0.0]  # a constant output
    h = 1e-6
    for j in range(2):
        up, down = list(point), list(point)
        up[j] += h
        down[j] -= h
        for i, (a, b) in enumerate(zip(several(*up), several(*down), strict=True)):
            assert math.isclose(forward[i][j], (a - b) / (2 * h), rel_tol=1e-5, abs_tol=1e-6)


def counting(f: Callable[..., Any]) -> tuple[Callable[..., Any], list[str]]:
    """f, and the list of the kinds of argument of each call made to it (Dual or Value)."""
    calls: list[str] = []

    def counted(*xs: Any) -> Any:
        calls.append(type(xs[0]).__name__)
        return f(*xs)

    return counted, calls


def test_auto_takes_forward_mode_for_fewer_inputs_than_outputs_else_reverse() -> None:
    wide, calls = counting(lambda t: [autograd.sin(k * t) for k in range(1, 6)])
    assert jacobian(wide, [0.5]) == [[k * math.cos(k * 0.5)] for k in range(1, 6)]
    assert calls == ["Dual"]  # one forward pass for all five outputs
    tall, calls = counting(lambda *xs: [sum(x * x for x in xs)])
    assert jacobian(tall, [1.0, 2.0, 3.0]) == [[2.0, 4.0, 6.0]]
    assert calls == ["Dual", "Value"]  # the first pass counts the outputs, then reverse mode
    square, calls = counting(lambda x, y: [x * y, x + y])
    assert jacobian(square, [2.0, 3.0]) == [[3.0, 2.0], [1.0, 1.0]]
    assert calls == ["Dual", "Dual"]


def test_a_direction_that_leaves_an_input_still_takes_nothing_from_it() -> None:
    # sqrt'(0) is inf: a tangent of 0 adds nothing rather than 0 * inf = nan, as reverse mode
    value, derivative = jvp(lambda x, y: x * autograd.sqrt(y) + x, [3.0, 0.0], [1.0, 0.0])
    assert (value, derivative) == (3.0, 1.0)
    x = Value(3.0)
    assert jacobian(lambda x, y: [x * autograd.sqrt(y) + x], [3.0, 0.0], mode="forward")[0][0] \
        == grad(x * autograd.sqrt(Value(0.0)) + x, [x])[0] == 1.0


@pytest.mark.parametrize(("f", "inputs", "expected"), [
    (lambda a, c: [a**2 * c], [0.0, math.inf], [[math.nan, 0.0]]),  # 2a · c = 0 · inf
    (lambda a, c: [a * a * c, c], [0.0, math.inf], [[math.nan, 0.0], [0.0, 1.0]]),
    (lambda a, b: [autograd.sqrt(a - b) + b], [1.0, 1.0], [[math.inf, -math.inf]]),
    (lambda a, b: [autograd.sqrt(a * 0.0) * b], [2.0, 1.0], [[math.nan, 0.0]]),
])
def test_a_tangent_that_computes_to_0_adds_its_term_as_reverse_mode_does(
        f: Callable[..., list[Any]], inputs: list[float], expected: list[list[float]]) -> None:
    # compared as text, so that nan equals nan and 0.0 differs from -0.0
    assert str(jacobian(f, inputs, mode="forward")) == str(expected) \
        == str(jacobian(f, inputs, mode="reverse"))


def test_a_branch_on_a_dual_follows_its_value() -> None:
    def piecewise(x: Any) -> Any:
        return x * x if x > 0 else -x

    assert jvp(piecewise, [2.0], [1.0]) == (4.0, 4.0)
    assert jvp(piecewise, [-2.0], [1.0]) == (2.0, -1.0)
    assert jvp(lambda x: x**3 + 2**x - abs(x) / 2 - 1, [1.0], [1.0]) == pytest.approx(
        (1.5, 3.0 + 2.0 * math.log(2.0) - 0.5), rel=1e-15)


def growing() -> Callable[..., list[Any]]:
    """A function of two inputs that returns one more output on each call."""
    calls: list[None] = []

    def f(x: Any, y: Any) -> list[Any]:
        calls.append(None)
        return [x * y] * len(calls)

    return f


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: jvp(lambda x: x, [1.0], [1.0, 2.0]), ValueError, "one tangent per input: 1 inputs"),
    (lambda: jvp(lambda x: x, ["1"], [1.0]), TypeError,  # type: ignore[list-item]
     r"jvp\(\) inputs must be numbers, got str"),
    (lambda: jvp(lambda x: x, 1.0, [1.0]), TypeError,  # type: ignore[arg-type]
     "needs a list of inputs"),
    (lambda: jvp(lambda x: [x], [1.0], [1.0]), TypeError, "for a list, use jacobian"),
    (lambda: jvp(lambda x: x.exp(), [1.0], [1.0]), AttributeError,
     r"has no attribute 'exp': compute with autograd's functions, autograd.exp\(x\)"),
    (lambda: jvp(lambda x: x * Value(2.0), [1.0], [1.0]), TypeError,
     "mul got a Dual and a Value: in forward mode"),
    (lambda: jvp(3.0, [1.0], [1.0]), TypeError,  # type: ignore[arg-type]
     "f must be a function, got float"),
    (lambda: jacobian(lambda x: x, [1.0]), TypeError, "needs f to return a list of outputs"),
    (lambda: jacobian(lambda x: [x], [1.0], mode="sideways"), ValueError,  # type: ignore[arg-type]
     "mode must be 'auto', 'forward' or 'reverse'"),
    (lambda: jacobian(lambda: [1.0], []), ValueError, "at least one input"),
    *[(lambda mode=mode: jacobian(lambda x: [x, "s"], [2.0], mode=mode), TypeError,
       "f must return numbers computed from its arguments, got str")
      for mode in ("forward", "reverse")],
    *[(lambda mode=mode: jacobian(growing(), [1.0, 2.0], mode=mode), ValueError,
       "as many outputs on every pass: 1 on the first, 2 on a later one")
      for mode in ("forward", "auto")],
])
def test_bad_arguments_are_clear_errors(call: Callable[[], object], error: type[Exception],
                                        message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_jvp_sees_every_op_of_the_table_through_the_functions() -> None:
    functions: Sequence[Callable[[Any], Any]] = [
        autograd.softplus, autograd.log1p, autograd.tanh, lambda x: autograd.clamp(x, 0.0, 1.0),
        lambda x: autograd.maximum(x, 0.3), lambda x: autograd.leaky_relu(x, 0.2)]
    for f in functions:
        x = Value(0.5)
        (expected,) = grad(f(x), [x])
        assert jvp(f, [0.5], [1.0]) == (f(0.5), expected)
