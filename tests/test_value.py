"""Value semantics: the seed example, accumulation, types, grad modes, detach, requires_grad,
number habits (float, comparisons) and edge cases."""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from liveness import live_values

import autograd
from autograd import Value, no_grad


def test_lecture_graph_f_equals_x_plus_y_times_z() -> None:
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    f.backward()
    assert (f.data, x.grad, y.grad, z.grad) == (-12.0, -4.0, -4.0, 3.0)


def test_reused_node_accumulates() -> None:
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert (a.grad, b.grad, c.grad) == (4.0, 2.0, 1.0)


def test_square_by_multiplication() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_backward_twice_doubles_every_gradient() -> None:
    x, y = Value(1.5), Value(-0.5)
    h = (x * y).tanh()
    out = h * x + y
    out.backward()
    once = [v.grad for v in (x, y, h, out)]
    out.backward()
    assert [v.grad for v in (x, y, h, out)] == [2 * g for g in once]


def test_backward_with_a_seed_gradient() -> None:
    x = Value(2.0)
    y = x * 3.0
    y.backward(0.5)
    assert (y.grad, x.grad) == (0.5, 1.5)
    with pytest.raises(TypeError, match="str"):
        y.backward("1")  # type: ignore[arg-type]


def test_zero_grad_clears_the_whole_graph() -> None:
    x = Value(2.0)
    y = x.exp() * x
    y.backward()
    y.zero_grad()
    assert all(node.grad == 0.0 for node in autograd.topological_order(y))


def test_dropped_graph_is_freed_without_the_cyclic_gc() -> None:
    import gc

    gc.collect()
    gc.disable()
    try:
        before = live_values()
        x = Value(1.0)
        y = x
        for _ in range(1000):
            y = (y * 1.01).tanh() + x
        y.backward()
        assert live_values() > before + 1000
        del x, y
        assert live_values() == before
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_no_grad_records_nothing() -> None:
    x = Value(2.0)
    with no_grad():
        assert not autograd.grad_enabled()
        y = x * 3.0 + 1.0
    assert autograd.grad_enabled()
    assert (y.data, y.parents, y.op) == (7.0, (), None)
    z = x * 3.0
    assert z.parents[0] is x


def test_enable_grad_records_again_inside_no_grad_and_restores_it() -> None:
    x = Value(2.0)
    with no_grad():
        with autograd.enable_grad():
            assert autograd.grad_enabled()
            y = x * 3.0
            with no_grad():
                assert (x * 3.0).parents == ()
            assert autograd.grad_enabled()
        assert not autograd.grad_enabled()
        assert (x * 3.0).parents == ()
    assert y.parents[0] is x


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_records_by_its_flag(mode: bool) -> None:
    x = Value(2.0)
    with no_grad(), autograd.set_grad_enabled(mode):
        assert autograd.grad_enabled() is mode
        y = x * 3.0
    assert len(y.parents) == (2 if mode else 0)


def test_a_mode_decorates_a_function_with_a_new_context_for_every_call() -> None:
    x = Value(2.0)

    @no_grad()
    def untracked(depth: int) -> Value:
        assert not autograd.grad_enabled()
        return x * 3.0 if depth == 0 else untracked(depth - 1)

    assert untracked.__name__ == "untracked"
    assert untracked(0).parents == () and untracked(2).parents == ()  # again, and nested
    assert autograd.grad_enabled() and (x * 3.0).parents[0] is x

    @autograd.scope("layer")
    def scoped() -> Value:
        return x * 3.0

    @autograd.detect_anomaly()
    def dividing(y: Value) -> Value:
        return y / 0.0

    assert scoped().scopes == scoped().scopes == ("layer",)
    with pytest.raises(FloatingPointError):
        dividing(x)
    assert dividing.__wrapped__(x).data == math.inf  # type: ignore[attr-defined]


def test_a_mode_refuses_to_decorate_what_would_run_after_the_call() -> None:
    def generator() -> Iterator[Value]:
        yield Value(1.0) * 2.0

    with pytest.raises(TypeError, match=r"set_grad_enabled\(False\) decorates a plain function: "
                                        "generator would run after the call returns"):
        no_grad()(generator)
    with pytest.raises(TypeError, match=r"scope\('a'\) decorates a function, got str"):
        autograd.scope("a")("b")  # type: ignore[arg-type]


def test_set_grad_enabled_takes_only_a_bool() -> None:
    with (pytest.raises(TypeError, match=r"set_grad_enabled\(\) expects True or False, got 1"),
          autograd.set_grad_enabled(1)):  # type: ignore[arg-type]
        pass


def test_no_grad_is_per_thread() -> None:
    inside = threading.Event()
    done = threading.Event()
    recorded: list[tuple[Value, ...]] = []

    def other_thread() -> None:
        inside.wait()
        recorded.append((Value(1.0) * 2.0).parents)
        done.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with no_grad():
        inside.set()
        done.wait()
        mine = (Value(1.0) * 2.0).parents
    worker.join()
    assert mine == ()
    assert len(recorded[0]) == 2


def test_detach_cuts_the_graph() -> None:
    x = Value(2.0, label="x")
    y = (x * x).detach()
    z = y * x
    z.backward()
    assert (y.parents, y.op, y.label, y.data) == ((), None, "", 4.0)
    assert x.grad == 4.0


@pytest.mark.parametrize("bad", ["3", None, [1.0], 1j])
def test_value_of_a_non_number_names_the_type(bad: object) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_arithmetic_with_a_non_number_names_the_type(op: str) -> None:
    x = Value(1.0)
    import operator

    fn = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "**": operator.pow}[op]
    with pytest.raises(TypeError, match="Value and str"):
        fn(x, "a")
    with pytest.raises(TypeError, match="Value"):  # Python words this one ("a" * x repeats)
        fn("a", x)


def test_functions_reject_non_numbers() -> None:
    with pytest.raises(TypeError, match="exp\\(\\) expects a float or a Value, got str"):
        autograd.exp("1")  # type: ignore[call-overload]


def test_numbers_from_other_real_types() -> None:
    from fractions import Fraction

    assert Value(Fraction(1, 4)).data == 0.25  # type: ignore[arg-type]
    assert Value(True).data == 1.0
    assert (Value(1.0) + Fraction(1, 2)).data == 1.5


def test_repr_shows_data_grad_label_and_op() -> None:
    x = Value(2.0, label="x")
    assert repr(x) == "Value(data=2.0, grad=0.0, label='x')"
    assert repr(x * 2) == "Value(data=4.0, grad=0.0, op='mul')"


# --- edge cases, as PyTorch float64 gives them (test_torch_parity checks the same list) ---

EDGE_CASES: list[tuple[str, Callable[[Any], Any], float, float]] = [
    # (description, function of one Value, value, derivative)
    ("log(0)", lambda x: x.log(), 0.0, math.inf),
    ("log(-1)", lambda x: x.log(), -1.0, -1.0),  # 1/x, as PyTorch: only the value is nan
    ("1/0", lambda x: 1.0 / x, 0.0, -math.inf),
    ("exp(1000)", lambda x: x.exp(), 1000.0, math.inf),
    ("0 ** -1", lambda x: x**-1, 0.0, -math.inf),
    ("(-8) ** (1/3)", lambda x: x ** (1 / 3), -8.0, math.nan),
    ("relu'(0)", lambda x: x.relu(), 0.0, 0.0),
    ("abs'(0)", lambda x: abs(x), 0.0, 0.0),
    ("sqrt(0)", lambda x: x.sqrt(), 0.0, math.inf),
    ("sqrt(-1)", lambda x: x.sqrt(), -1.0, math.nan),
    ("sigmoid(1000)", lambda x: x.sigmoid(), 1000.0, 0.0),
    ("sigmoid(-1000)", lambda x: x.sigmoid(), -1000.0, 0.0),
    ("tanh(1000)", lambda x: x.tanh(), 1000.0, 0.0),
    ("tanh(-1000)", lambda x: x.tanh(), -1000.0, 0.0),
    ("x ** 0 at 0", lambda x: x**0, 0.0, 0.0),
    ("sin(inf)", lambda x: x.sin(), math.inf, math.nan),
    ("(-2) ** 3", lambda x: x**3, -2.0, 12.0),
    ("10 ** 400", lambda x: x**400, 10.0, math.inf),
    ("(-10) ** 401", lambda x: x**401, -10.0, math.inf),
    ("0 ** y at 2", lambda y: 0.0**y, 2.0, 0.0),  # out · log 0, masked to 0 as PyTorch does
    ("x ** x at 0", lambda x: x**x, 0.0, 0.0),  # both masked: exponent 0, base 0
]
EDGE_IDS = [case[0] for case in EDGE_CASES]
EDGE_VALUES = {
    "log(0)": -math.inf, "log(-1)": math.nan, "1/0": math.inf, "exp(1000)": math.inf,
    "0 ** -1": math.inf, "(-8) ** (1/3)": math.nan, "relu'(0)": 0.0, "abs'(0)": 0.0,
    "sqrt(0)": 0.0, "sqrt(-1)": math.nan, "sigmoid(1000)": 1.0, "sigmoid(-1000)": 0.0,
    "tanh(1000)": 1.0, "tanh(-1000)": -1.0, "x ** 0 at 0": 1.0, "sin(inf)": math.nan,
    "(-2) ** 3": -8.0, "10 ** 400": math.inf, "(-10) ** 401": -math.inf,
    "0 ** y at 2": 0.0, "x ** x at 0": 1.0,
}


def same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize(("name", "fn", "x", "derivative"), EDGE_CASES, ids=EDGE_IDS)
def test_edge_cases(name: str, fn: Callable[[Value], Value], x: float, derivative: float) -> None:
    v = Value(x)
    out = fn(v)
    out.backward()
    assert same_float(out.data, EDGE_VALUES[name]), out.data
    assert same_float(v.grad, derivative), v.grad


def test_division_by_zero_keeps_signs() -> None:
    assert (Value(-1.0) / 0.0).data == -math.inf
    assert (Value(1.0) / -0.0).data == -math.inf
    assert math.isnan((Value(0.0) / 0.0).data)
    assert (Value(-0.0) ** -1).data == -math.inf


def test_no_python_arithmetic_error_escapes() -> None:
    specials = [0.0, -0.0, 1.0, -1.0, 1e308, -1e308, 1000.0, -1000.0, math.inf, -math.inf,
                math.nan, 0.5, -8.0]
    for a in specials:
        for b in specials:
            x, y = Value(a), Value(b)
            outs = [x + y, x - y, x * y, x / y, x**y, x**b, a**y, a / y]
            outs += [f(x) for f in (Value.exp, Value.log, Value.sqrt, Value.sin, Value.cos,
                                    Value.tanh, Value.sigmoid, Value.relu, abs)]
            for out in outs:
                out.backward()


def test_a_scope_object_cannot_be_open_twice() -> None:
    import autograd

    s = autograd.scope("a")
    with s, pytest.raises(RuntimeError, match="already open"), s:
        pass
    with autograd.scope("b"):
        assert (Value(1.0) * 2.0).scopes == ("b",)


def test_ints_too_large_for_a_float_round_to_infinity() -> None:
    huge = 10**400
    assert Value(huge).data == math.inf
    assert Value(-huge).data == -math.inf
    assert (Value(1.0) + huge).data == math.inf
    assert (Value(2.0) ** -huge).data == 0.0
    import autograd

    assert autograd.exp(huge) == math.inf
    with pytest.raises(TypeError, match="low must be a number, got str"):
        Value(1.0).step(low="a")  # type: ignore[arg-type]


def test_a_value_reads_as_its_number_where_python_wants_one() -> None:
    v = Value(2.675) * 1.0
    assert float(v) == v.item() == 2.675
    assert type(float(v)) is float
    assert round(v) == 3 and type(round(v)) is int
    assert round(v, 2) == round(2.675, 2)
    assert math.isclose(v, 2.675000001)
    assert math.sqrt(Value(4.0)) == 2.0


def test_orders_compare_data_and_answer_a_bool() -> None:
    v, w = Value(1.0), Value(2.0)
    assert (v < w, v <= w, v > w, v >= w) == (True, True, False, False)
    assert (v < 3, v <= 1.0, v > 0, v >= 2) == (True, True, True, False)
    assert (0 < v, 3 > v) == (True, True)  # noqa: SIM300  # a number on the left
    assert type(v < w) is bool
    assert max([w, v, Value(-1.0)]) is w and sorted([w, v]) == [v, w]
    assert not (Value(math.nan) < 1.0 or Value(math.nan) >= 1.0)
    with pytest.raises(TypeError, match="'<' not supported between instances of 'Value' and 'str'"):
        v < "1"  # noqa: B015


def test_equality_stays_identity_so_values_are_keys_and_members() -> None:
    v, w = Value(1.0), Value(1.0)
    assert v != w and v == v
    assert len({v, w}) == 2 and {v: 1, w: 2}[v] == 1


def test_float_of_a_value_is_refused_inside_numbers_refused() -> None:
    v = Value(1.0)
    with autograd.numbers_refused("trace with Values"):
        with pytest.raises(TypeError, match=r"cannot read the number of Value\(.*\): trace"):
            float(v)
        with pytest.raises(TypeError, match="trace with Values"):
            v.item()
        assert v.data == 1.0 and v < 2.0  # data and orders stay readable
    assert float(v) == 1.0


def test_an_input_that_does_not_require_grad_gets_no_edge() -> None:
    w, x = Value(3.0, "w"), Value(2.0, "x", requires_grad=False)
    y = w * x
    y.backward()
    assert (w.grad, x.grad) == (2.0, 0.0)
    (copy,) = [p for p in y.parents if p is not w]
    assert (copy.data, copy.label, copy.requires_grad, copy.parents) == (2.0, "x", False, ())
    assert y.requires_grad


def test_a_result_of_inputs_that_do_not_require_grad_is_a_leaf_that_does_not_either() -> None:
    a, b = Value(3.0), Value(2.0)
    a.requires_grad = b.requires_grad = False
    y = (a * b).exp() + 1.0
    assert (y.data, y.parents, y.op, y.requires_grad) == (math.exp(6.0) + 1.0, (), None, False)
    a.requires_grad = True
    z = a * b
    z.backward()
    assert (a.grad, b.grad, z.requires_grad) == (2.0, 0.0, True)
    assert "requires_grad=False" in repr(b) and "requires_grad" not in repr(a)


def test_requires_grad_takes_only_a_bool_and_survives_a_deepcopy() -> None:
    v = Value(1.0)
    with pytest.raises(TypeError, match="requires_grad must be True or False, got 0"):
        v.requires_grad = 0  # type: ignore[assignment]
    with pytest.raises(TypeError, match="requires_grad must be True or False, got None"):
        Value(1.0, requires_grad=None)  # type: ignore[arg-type]
    v.requires_grad = False
    assert copy.deepcopy(v).requires_grad is False


def test_indices_requiring_grad_skips_the_frozen() -> None:
    nodes = [Value(float(i)) for i in range(4)]
    assert list(autograd.indices_requiring_grad(nodes)) == [0, 1, 2, 3]
    nodes[1].requires_grad = nodes[3].requires_grad = False
    assert list(autograd.indices_requiring_grad(nodes)) == [0, 2]
