"""Every op in the table against central finite differences over its whole domain."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from finite_differences import central_difference, close_to_difference
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import OPS, Domain, Op, Value
from autograd.engine.value import apply
from autograd.testing import op_with_inputs, values

ALL_OPS = sorted(OPS)


@pytest.mark.parametrize("name", ALL_OPS)
@given(data=st.data())
def test_derivatives_match_finite_differences(name: str, data: st.DataObject) -> None:
    op, xs = data.draw(op_with_inputs(OPS[name]))
    inputs = values(xs)
    out = apply(op, *inputs)
    assert out.data == op.evaluate(*xs) or math.isnan(out.data)
    out.backward()
    for i, x in enumerate(inputs):
        numeric = central_difference(op.evaluate, xs, i)
        assert close_to_difference(x.grad, numeric), (op.name, xs, i, x.grad, numeric)


@pytest.mark.parametrize("name", ALL_OPS)
def test_every_op_declares_a_domain_per_input(name: str) -> None:
    op = OPS[name]
    assert len(op.domains) == op.arity
    assert all(d.low < d.high for d in op.domains)


METHODS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp, "log": Value.log, "sqrt": Value.sqrt, "sin": Value.sin,
    "cos": Value.cos, "tanh": Value.tanh, "sigmoid": Value.sigmoid, "relu": Value.relu,
    "leaky_relu": Value.leaky_relu, "sign": Value.sign, "step": Value.step, "abs": abs,
    "neg": lambda v: -v,
}


@pytest.mark.parametrize("name", sorted(METHODS))
@given(x=st.floats(0.1, 50.0))
def test_method_function_and_table_agree(name: str, x: float) -> None:
    by_method = METHODS[name](Value(x))
    assert by_method.op == name
    assert by_method.data == OPS[name].evaluate(x)
    function = getattr(autograd, name, None)
    if function is not None:
        assert function(x) == by_method.data  # floats in, float out
        assert function(Value(x)).data == by_method.data


def test_binary_operators_build_their_ops() -> None:
    a, b = Value(3.0), Value(4.0)
    cases = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b, "pow_xy": a**b}
    for name, node in cases.items():
        assert node.op == name
        assert node.parents == (a, b)
        assert node.data == OPS[name].evaluate(3.0, 4.0)
    square = a**2
    assert square.op_info is not None
    assert (square.op, square.op_info.display, square.data) == ("pow", "**2", 9.0)


@pytest.mark.parametrize(
    ("expression", "expected", "parent_grads"),
    [
        (lambda x: 2 - x, -2.0, [-1.0]),
        (lambda x: 2 / x, 0.5, [-0.125]),
        (lambda x: 2**x, 16.0, [16.0 * math.log(2.0)]),
        (lambda x: 3 + x, 7.0, [1.0]),
        (lambda x: 3 * x, 12.0, [3.0]),
        (lambda x: x - 1, 3.0, [1.0]),
        (lambda x: x / 8, 0.5, [0.125]),
        (lambda x: -x, -4.0, [-1.0]),
        (lambda x: +x, 4.0, [1.0]),
    ],
)
def test_numbers_on_either_side(
    expression: Callable[[Value], Value], expected: float, parent_grads: list[float]
) -> None:
    x = Value(4.0)
    y = expression(x)
    y.backward()
    assert y.data == pytest.approx(expected)
    assert x.grad == pytest.approx(parent_grads[0])


def test_leaky_relu_slope_is_a_param() -> None:
    x = Value(-2.0)
    y = x.leaky_relu(0.2)
    y.backward()
    assert (y.data, x.grad) == pytest.approx((-0.4, 0.2))
    assert y.op_info is not None and y.op_info.display == "LeakyReLU(0.2)"
    assert autograd.leaky_relu(-2.0) == -0.02


def test_sum_of_values() -> None:
    xs = [Value(float(i)) for i in range(5)]
    total = sum(xs)
    assert isinstance(total, Value)
    total.backward()
    assert total.data == 10.0
    assert [x.grad for x in xs] == [1.0] * 5


def test_bound_ops_are_shared() -> None:
    a, b = Value(2.0) ** 3, Value(5.0) ** 3
    assert a.op_info is b.op_info


def test_op_table_refuses_a_second_op_of_a_name() -> None:
    with pytest.raises(ValueError, match="already"):
        autograd.engine.ops.register(OPS["exp"])


def test_apply_checks_arity_and_types() -> None:
    with pytest.raises(TypeError, match="takes 2 input"):
        apply(OPS["add"], Value(1.0))
    with pytest.raises(TypeError, match="Value and str"):
        apply(OPS["exp"], "x")  # type: ignore[arg-type]


class SaysIdentifier(str):
    """A str that claims to be an identifier, whatever it holds."""

    def isidentifier(self) -> bool:
        return True


class Half(float):
    """A float subclass, whose repr() could be anything."""


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (((SaysIdentifier("k) or x"), 1.0),), "name must be a str that is an identifier, got "
                                               "SaysIdentifier"),
        ((("two words", 1.0),), "name must be a str that is an identifier, got str"),
        (((3, 1.0),), "name must be a str that is an identifier, got int"),
        ((("k", Half(0.5)),), "param k must be a float or an int, got Half"),
        ((("k", True),), "param k must be a float or an int, got bool"),
        ((("k", "1.0"),), "param k must be a float or an int, got str"),
    ],
)
def test_an_op_takes_params_named_by_exact_identifiers_with_exact_numbers(
        params: tuple[tuple[Any, Any], ...], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Op("scaled", "s", 1, lambda a, k: a * k, lambda a, out, k: (k,), (Domain(),),
           params=params)


def test_bind_refuses_a_param_name_that_is_not_exactly_a_str() -> None:
    with pytest.raises(TypeError, match="got SaysIdentifier"):
        OPS["leaky_relu"].bind(**{SaysIdentifier("slope"): 0.5})
    # numbers are made floats: a float subclass or a bool is then only its value
    for bound in (OPS["leaky_relu"].bind(slope=Half(0.5)), OPS["step"].bind(low=True, high=2)):
        assert all(type(value) is float for _, value in bound.params)


UNARY_FUNCTIONS = ["acos", "asin", "atan", "cos", "cosh", "exp", "expm1", "log", "log10", "log1p",
                   "log2", "relu", "sigmoid", "sign", "sin", "sinh", "softplus", "sqrt", "tan",
                   "tanh"]
BINARY_FUNCTIONS = ["atan2", "hypot", "maximum", "minimum"]


@pytest.mark.parametrize("name", UNARY_FUNCTIONS)
def test_a_function_is_its_ops_forward_on_numbers_and_its_node_on_values(name: str) -> None:
    function, op = getattr(autograd, name), OPS[name]
    assert function(0.5) == op.evaluate(0.5)
    assert function(1) == op.evaluate(1.0)
    x = Value(0.5)
    node = function(x)
    assert (node.op, node.parents, node.data) == (name, (x,), op.evaluate(0.5))
    assert function.__doc__
    with pytest.raises(TypeError, match=rf"{name}\(\) expects a float or a Value, got str"):
        function("0.5")


@pytest.mark.parametrize("name", BINARY_FUNCTIONS)
def test_a_function_of_two_takes_numbers_and_values_on_either_side(name: str) -> None:
    function, op = getattr(autograd, name), OPS[name]
    assert function(3.0, 4) == op.evaluate(3.0, 4.0)
    a, b = Value(3.0), Value(4.0)
    for node, parents in [(function(a, b), (a, b)), (function(a, 4.0), (a,)),
                          (function(3, b), (b,))]:
        assert (node.op, node.data) == (name, op.evaluate(3.0, 4.0))
        assert [p for p in node.parents if p.requires_grad] == list(parents)
    with pytest.raises(TypeError, match=f"unsupported operand type for {name}: Value and str"):
        function(a, "4")


def test_maximum_and_minimum_split_a_tie_in_halves_as_pytorch() -> None:
    a, b = Value(2.0), Value(2.0)
    autograd.maximum(a, b).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)
    top, low = Value(3.0), Value(1.0)
    (autograd.maximum(top, low) + autograd.minimum(top, low) * 10.0).backward()
    assert (top.grad, low.grad) == (1.0, 10.0)


@pytest.mark.parametrize(("x", "value", "derivative"), [
    (-3.0, -1.0, 0.0), (-1.0, -1.0, 0.0), (0.5, 0.5, 1.0), (2.0, 2.0, 0.0), (5.0, 2.0, 0.0),
    (math.nan, math.nan, 0.0)])
def test_clamp_passes_the_gradient_strictly_between_its_bounds(
        x: float, value: float, derivative: float) -> None:
    v = Value(x)
    out = autograd.clamp(v, -1.0, 2.0)
    out.backward()
    assert out.data == value or (math.isnan(value) and math.isnan(out.data))
    assert v.grad == derivative
    assert out.op_info is not None and out.op_info.display == "clamp[-1, 2]"
    assert autograd.clamp(x, -1.0, 2) == out.data or math.isnan(value)


@pytest.mark.parametrize(("bounds", "x", "derivative"), [
    ({"min": 0.0}, 0.0, 0.0), ({"min": 0.0}, math.inf, 1.0), ({"min": 0.0}, 1e308, 1.0),
    ({"max": 0.0}, 0.0, 0.0), ({"max": 0.0}, -math.inf, 1.0), ({"min": 0.0}, math.nan, 0.0),
    ({"min": -math.inf}, math.nan, 0.0), ({"min": -math.inf}, math.inf, 1.0)])
def test_a_clamp_with_one_bound_has_none_on_the_other_side(
        bounds: dict[str, float], x: float, derivative: float) -> None:
    v = Value(x)
    autograd.clamp(v, **bounds).backward()
    assert v.grad == derivative
    relu = Value(x)
    autograd.relu(relu).backward()
    if bounds == {"min": 0.0} and not math.isnan(x):  # clamp(x, min=0) is relu, kink and all
        assert relu.grad == derivative


def test_clamp_takes_one_bound_or_both_and_min_above_max_gives_max() -> None:
    assert autograd.clamp(-5.0, min=0.0) == 0.0 and autograd.clamp(5.0, max=1.0) == 1.0
    assert autograd.clamp(Value(5.0), max=1.0).data == 1.0
    assert autograd.clamp(0.5, 2.0, 1.0) == 1.0
    with pytest.raises(TypeError, match=r"clamp\(\) needs min or max"):
        autograd.clamp(1.0)
    with pytest.raises(TypeError, match="clamp's min must be a number, got str"):
        autograd.clamp(1.0, "0")  # type: ignore[arg-type]


def test_softplus_is_x_itself_above_20_as_pytorch() -> None:
    assert autograd.softplus(20.5) == 20.5
    assert autograd.softplus(20.0) == math.log1p(math.exp(20.0))
    assert autograd.softplus(-math.inf) == 0.0 and autograd.softplus(math.inf) == math.inf
