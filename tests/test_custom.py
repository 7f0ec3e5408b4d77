"""define_op: a user's op is a row of the table that every part of the engine reads."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_ops import SaysIdentifier

import autograd
from autograd import OPS, Domain, Op, Value, define_op, grad, gradcheck, sigmoid
from autograd.testing import BLOCKS, Program, op_with_inputs, programs, values


def softplus_forward(x: float) -> float:
    """log(1 + e^x), without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def define_softplus() -> Op:
    return define_op("smooth_relu", softplus_forward, lambda x, out: (sigmoid(x),),
                     symbol="softplus")


def define_hypot() -> Op:
    return define_op("norm", lambda a, b: math.hypot(a, b),
                     lambda a, b, out: (a / out, b / out), symbol="‖·‖", domains=Domain(0.5, 5.0))


def test_a_defined_op_is_a_row_of_the_table(table: None) -> None:
    softplus = define_softplus()
    assert OPS["smooth_relu"] is softplus
    assert (softplus.name, softplus.arity, softplus.domains) == ("smooth_relu", 1, (Domain(),))


def test_callable_on_floats_and_values(table: None) -> None:
    softplus = define_softplus()
    assert softplus(2.0) == softplus_forward(2.0)
    assert softplus(2) == softplus_forward(2.0)
    x = Value(2.0)
    y = softplus(x)
    assert (y.data, y.op, y.parents) == (softplus_forward(2.0), "smooth_relu", (x,))
    with pytest.raises(TypeError, match="smooth_relu\\(\\) expects a float or a Value, got str"):
        softplus("2")


def test_backward_and_higher_orders(table: None) -> None:
    softplus = define_softplus()
    x = Value(0.5)
    y = softplus(x * 2.0)
    y.backward()
    s = 1.0 / (1.0 + math.exp(-1.0))
    assert x.grad == pytest.approx(2.0 * s, rel=1e-15)
    (dx,) = grad(y, [x], create_graph=True)
    assert grad(dx, [x]) == pytest.approx((4.0 * s * (1.0 - s),), rel=1e-15)


def test_a_two_input_op_with_constants_on_either_side(table: None) -> None:
    hypot = define_hypot()
    a, b = Value(3.0), Value(4.0)
    c = hypot(a, b)
    c.backward()
    assert (c.data, a.grad, b.grad) == (5.0, 0.6, 0.8)
    assert hypot(3.0, b).data == hypot(a, 4.0).data == 5.0
    with pytest.raises(TypeError, match="norm takes 2 input"):
        hypot(a)


def test_gradcheck_to_the_third_order(table: None) -> None:
    softplus, hypot = define_softplus(), define_hypot()
    assert gradcheck(lambda a, b: softplus(hypot(a, b) * a), [0.9, -1.3], order=3)


@given(data=st.data())
def test_strategies_draw_inside_a_defined_ops_domains(data: st.DataObject) -> None:
    before = dict(OPS)
    try:
        hypot = define_hypot()
        op, (a, b) = data.draw(op_with_inputs(hypot))
        assert op is hypot and 0.5 <= a <= 5.0 and 0.5 <= b <= 5.0
        assert gradcheck(hypot, [a, b], order=2)
    finally:
        OPS.clear()
        OPS.update(before)


@given(data=st.data())
def test_random_graphs_built_with_a_defined_op(data: st.DataObject) -> None:
    before = dict(OPS)
    try:
        softplus = define_softplus()
        program: Program = data.draw(programs(blocks={**BLOCKS, "softplus": (1, softplus)}))
        leaves = values(program.leaves)
        root = program.run(*leaves)
        root.backward()
        assert [leaf.grad for leaf in leaves] == list(grad(root, leaves))
    finally:
        OPS.clear()
        OPS.update(before)


def test_drawn_with_its_symbol(table: None) -> None:
    hypot = define_hypot()
    assert 'label="‖·‖"' in autograd.draw(hypot(Value(3.0), 4.0)).source
    braces = define_op("braces", lambda x: x, lambda x, out: (1.0,), symbol="{x}")
    assert braces.display == "{x}"


def test_defining_a_name_again_replaces_the_op(table: None) -> None:
    first = define_op("twice", lambda x: 2.0 * x, lambda x, out: (2.0,))
    y = first(Value(1.0))
    second = define_op("twice", lambda x: 2.0 * x + 0.0, lambda x, out: (2.0,))
    assert OPS["twice"] is second and y.op_info is first


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"name": "tanh"}, ValueError, "'tanh' is a built-in op: give yours another name"),
        ({"name": "two words"}, ValueError, "must be an identifier"),
        ({"name": SaysIdentifier("two words")}, ValueError, "must be an identifier"),
        ({"name": 3}, ValueError, "must be an identifier"),
        ({"forward": lambda: 1.0}, ValueError, "forward takes 0 inputs, but an op takes 1 or 2"),
        ({"forward": lambda a, b, c: a}, ValueError, "forward takes 3 inputs"),
        ({"forward": lambda *xs: 1.0}, ValueError, "forward must name its arguments"),
        ({"forward": 2.0}, TypeError, "forward must be a function, got float"),
        ({"forward": math.hypot}, TypeError, "cannot read the arguments of forward: wrap it"),
        ({"derivatives": lambda x: (1.0,)}, ValueError,
         r"derivatives takes 1 argument\(s\); it must take the 1 input\(s\) and the output: "
         r"\(x, out\)"),
        ({"derivatives": lambda x, out: (1.0, 1.0)}, ValueError,
         r"returned \(1.0, 1.0\); they must return a tuple of 1 local derivative"),
        ({"derivatives": lambda x, out: 1.0}, ValueError, "returned 1.0; they must return a tuple"),
        ({"symbol": ""}, TypeError, "symbol must be a non-empty str"),
        ({"symbol": "a\x00b"}, ValueError,
         r"define_op\('mine'\): the symbol must not hold control characters such as '\\x00'"),
        ({"symbol": "two\nlines"}, ValueError, "the symbol must not hold control characters"),
        ({"domains": [Domain(), Domain()]}, ValueError, "domains must be a Domain or 1 Domains"),
        ({"domains": Domain(1.0, -1.0)}, ValueError, "a domain needs low < high"),
        ({"forward": lambda x: "x"}, ValueError, "forward of op 'mine' returned str"),
    ],
)
def test_a_wrong_definition_is_a_clear_error_at_once(table: None, arguments: dict[str, Any],
                                                    error: type[Exception], message: str) -> None:
    definition: dict[str, Any] = {"name": "mine", "forward": lambda x: x,
                                  "derivatives": lambda x, out: (1.0,)}
    with pytest.raises(error, match=message):
        define_op(**(definition | arguments))
    assert "mine" not in OPS


def test_a_rule_written_with_math_is_refused_at_once(table: None) -> None:
    with pytest.raises(ValueError, match=r"define_op\('plain_exp'\): the derivatives work on "
                                         r"floats but not on Values \(TypeError: cannot read the "
                                         r"number of Value\(.*\): a rule must compute with "
                                         r"the Values it is given\): write them with autograd's "
                                         r"functions \(exp, log, .*\) rather than math's"):
        define_op("plain_exp", lambda x: math.exp(min(x, 700.0)),
                  lambda x, out: (math.exp(x),))
    assert "plain_exp" not in OPS


def test_a_rule_that_overflows_on_values_in_anomaly_mode_is_still_accepted(table: None) -> None:
    with autograd.detect_anomaly():  # trying the rule on Values raises FloatingPointError
        grow = define_op("grow", autograd.exp, lambda x, out: (out * 1.0,),
                         domains=Domain(750.0, 800.0))
    assert OPS["grow"] is grow


def test_a_forward_that_raises_is_named(table: None) -> None:
    exp_op = define_op("plain_exp", math.exp, lambda x, out: (out,))
    with pytest.raises(OverflowError, match="the forward of op 'plain_exp' raised OverflowError"
                                            r".*at \(1000.0,\): an op's forward must return inf"):
        exp_op(Value(1000.0))
