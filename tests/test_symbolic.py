"""Symbols: the op table's rules written out as Python source, which computes what they do."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import OPS
from autograd.codegen.symbolic import BranchOnSymbolError, Namespace, Symbol, code_of
from autograd.testing import op_with_inputs


def symbols(*names: str) -> tuple[Symbol, ...]:
    ns = Namespace()
    return tuple(ns.symbol(name) for name in names)


def test_brackets_keep_the_order_of_float_operations() -> None:
    a, b, c = symbols("a", "b", "c")
    assert (a - (b - c)).code == "a - (b - c)"
    assert ((a - b) - c).code == "a - b - c"
    assert (a + (b + c)).code == "a + (b + c)"  # float + is not associative
    assert (a * (b + c)).code == "a * (b + c)"
    assert ((a + b) * c).code == "(a + b) * c"
    assert (-(a * b)).code == "-(a * b)"
    assert a.__neg__().__neg__().code == "-(-a)"
    assert (a * -2.0).code == "a * -2.0"
    assert (2.0 - a * b).code == "2.0 - a * b"


def test_exact_identities_only() -> None:
    (a,) = symbols("a")
    assert (a * 1.0) is a
    assert (1.0 * a) is a
    assert (-1.0 * a).code == "-a"
    assert (a * 0.0).code == "a * 0.0"  # not 0: inf * 0 is nan
    assert (a + 0.0).code == "a + 0.0"  # not a: -0.0 + 0.0 is 0.0


def test_numbers_that_are_not_literals_are_bound_names() -> None:
    ns = Namespace()
    a = ns.symbol("a")
    code = code_of(a * math.inf + -math.inf) + " + " + code_of(math.nan)
    assert code == "a * inf + -inf + nan"
    assert math.isnan(eval(code, ns.globals, {"a": 1.0}))


def test_division_and_powers_call_the_safe_float_functions() -> None:
    ns = Namespace()
    a, b = ns.symbol("a"), ns.symbol("b")
    assert (a / b).code == "div(a, b)"
    assert (2.0 ** a).code == "pow_xy(2.0, a)"
    assert eval((a / b).code, ns.globals, {"a": 1.0, "b": 0.0}) == math.inf


def test_a_branch_on_a_symbol_is_an_error() -> None:
    (a,) = symbols("a")
    with pytest.raises(BranchOnSymbolError):
        bool(a)
    with pytest.raises(BranchOnSymbolError):
        _ = a < 0.0
    with pytest.raises(TypeError):
        math.exp(a)  # type: ignore[arg-type]


def test_names_are_unique_identifiers() -> None:
    ns = Namespace(reserved=("values",))
    first, second = (lambda x: x), (lambda x: -x)
    assert ns.name(first, "values") == "values_2"
    assert ns.name(first, "other") == "values_2"  # one name a function
    assert ns.name(second, "v12") == "op_v12"  # never a local's name
    assert ns.name(abs, "2 + 2") == "op_2___2"


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_every_rule_written_out_computes_the_rule(name: str, data: st.DataObject) -> None:
    op, xs = data.draw(op_with_inputs(OPS[name]))
    ns = Namespace()
    args = tuple(ns.symbol(f"x{i}") for i in range(len(xs)))
    env = {f"x{i}": x for i, x in enumerate(xs)}
    forward = ns.apply(op, *args)
    out = eval(code_of(forward), ns.globals, env)  # our own generated source
    assert out == op.evaluate(*xs)
    env["out"] = out
    rules = op.local_derivatives(*args, ns.symbol("out"))
    expected = op.local_derivatives(*xs, out)
    for rule, value in zip(rules, expected, strict=True):
        got = eval(code_of(rule), ns.globals, env)
        assert got == value or (math.isnan(got) and math.isnan(value))


def test_a_forward_written_with_ops_is_expanded() -> None:
    ns = Namespace()
    (a,) = (ns.symbol("a"),)
    assert code_of(autograd.log(1.0 + autograd.exp(a))) == "log(1.0 + exp(a))"
