"""gradcheck: passes on the table's ops, and names the input and both numbers when it fails;
numeric_grad: central differences, as gradcheck estimates them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import OPS, GradcheckError, Value, define_op, gradcheck, numeric_grad, power
from autograd.engine.value import apply
from autograd.testing import op_with_inputs


def test_the_examples_pass() -> None:
    assert gradcheck(lambda a, b: (a * b).tanh(), [0.3, -1.2], order=2)
    assert gradcheck(lambda a, b: (a / b).exp() * a.sin(), [0.7, 1.9], order=3)
    assert gradcheck(lambda x: x**3, [Value(2.0)])


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_every_op_passes_to_the_second_order(name: str, data: st.DataObject) -> None:
    op, xs = data.draw(op_with_inputs(OPS[name]))
    assert gradcheck(lambda *inputs: apply(op, *inputs), xs, order=2)


def test_a_wrong_derivative_is_named_with_both_numbers(table: None) -> None:
    wrong = define_op("wrong_square", lambda x: x * x, lambda x, out: (2.1 * x,))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: a + wrong(b), [1.0, 3.0])
    error = caught.value
    assert error.index == (1,)
    assert error.analytic == pytest.approx(6.3)
    assert error.numeric == pytest.approx(6.0)
    message = str(error)
    for text in ("d f / d x1 at x = [1.0, 3.0]", "engine gives 6.3,",
                 "central differences give 6.000000001", "difference 0.3"):
        assert text in message


def detached(x: Any) -> Any:
    """x cut from its graph where it is a Value: a rule that does so is wrong at order 2."""
    return x.detach() if isinstance(x, Value) else x


def test_order_two_catches_a_rule_right_only_on_floats(table: None) -> None:
    cube = define_op("cube", lambda x: x**3, lambda x, out: (3.0 * power(detached(x), 2),))
    assert gradcheck(cube, [0.8])
    with pytest.raises(GradcheckError, match=r"d\^2 f / d x0 d x0 at x = \[0.8\]"):
        gradcheck(cube, [0.8], order=2)


def test_nan_fails() -> None:
    with pytest.raises(GradcheckError, match="nan"):
        gradcheck(lambda x: x.sqrt(), [-1.0])


def test_numeric_grad_is_the_central_difference_not_the_derivative() -> None:
    # ((1 + h)³ − (1 − h)³) / 2h = 3 + h²: the estimate, where the derivative is 3
    (slope,) = numeric_grad(lambda x: x**3, [1.0], eps=0.1)
    assert slope == pytest.approx(3.01, rel=1e-12)
    assert numeric_grad(lambda x: x**3, [Value(1.0)]) == [pytest.approx(3.0, abs=1e-8)]


def test_numeric_grad_gives_one_slope_per_input_as_floats() -> None:
    slopes = numeric_grad(lambda a, b: a * b + a.sin(), [0.3, -1.2])
    assert [type(s) for s in slopes] == [float, float]
    assert slopes == pytest.approx([-1.2 + math.cos(0.3), 0.3], abs=1e-8)


@given(st.floats(-3.0, 3.0), st.floats(-3.0, 3.0))
def test_numeric_grad_agrees_with_gradcheck_and_the_engine(a: float, b: float) -> None:
    def f(x: Value, y: Value) -> Value:
        return (x * y).tanh() + x.exp()

    x, y = Value(a), Value(b)
    f(x, y).backward()
    assert numeric_grad(f, [a, b]) == pytest.approx([x.grad, y.grad], rel=1e-6, abs=1e-8)
    assert gradcheck(f, [a, b])


@pytest.mark.parametrize(
    ("f", "inputs", "options", "error", "message"),
    [
        (3.0, [1.0], {}, TypeError, "needs a function f, got float"),
        (lambda x: x, 1.0, {}, TypeError, "list of input numbers, got float"),
        (lambda x: x, ["a"], {}, TypeError, "inputs must be numbers, got str"),
        (lambda x: 2.0, [1.0], {}, TypeError, "f to return a Value, got float"),
        (lambda x: x, [1.0], {"eps": 0.0}, ValueError, "eps must be a positive number"),
        (lambda x: x, [1.0], {"atol": -1.0}, ValueError, "atol and rtol must be numbers >= 0"),
        (lambda x: x, [1.0], {"order": 0}, ValueError, "order must be an int >= 1, got 0"),
    ],
)
def test_bad_arguments_say_what_is_expected(f: Callable[..., Any], inputs: Any,
                                            options: dict[str, Any], error: type[Exception],
                                            message: str) -> None:
    with pytest.raises(error, match=message):
        gradcheck(f, inputs, **options)
    if "atol" not in options and "order" not in options:
        with pytest.raises(error, match=message):
            numeric_grad(f, inputs, **options)
