"""grad (to any order), hessian and hvp against closed forms, finite differences and backward."""

from __future__ import annotations

import gc
import itertools
import math
from collections.abc import Callable

import pytest
from finite_differences import central_difference, close_to_difference
from hypothesis import given
from hypothesis import strategies as st
from liveness import live_values

import autograd
from autograd import Value, grad, hessian, hvp
from autograd.testing import Program, programs, values


def derivatives_of(f: Value, x: Value, count: int) -> list[float]:
    """f's first `count` derivatives by x, each by grad of the one before."""
    found = []
    for _ in range(count):
        (f,) = grad(f, [x], create_graph=True)
        found.append(f.data)
    return found


def test_the_cube_to_the_fourth_derivative() -> None:
    x = Value(2.0)
    (dx,) = grad(x**3, [x], create_graph=True)
    assert isinstance(dx, Value) and dx.data == 12.0
    (dxx,) = grad(dx, [x])
    assert dxx == 12.0
    assert derivatives_of(x**3, x, 4) == [12.0, 12.0, 6.0, 0.0]


def test_sine_derivatives_cycle() -> None:
    x = Value(0.7)
    s, c = math.sin(0.7), math.cos(0.7)
    assert derivatives_of(x.sin(), x, 4) == pytest.approx([c, -s, -c, s], rel=1e-15)


def test_composition_against_its_closed_form() -> None:
    x = Value(0.4)
    s, c, e = math.sin(0.4), math.cos(0.4), math.exp(math.sin(0.4))
    first, second = derivatives_of(x.sin().exp(), x, 2)
    assert first == pytest.approx(c * e, rel=1e-15)
    assert second == pytest.approx((c * c - s) * e, rel=1e-15)


def test_tanh_and_sigmoid_to_the_third_derivative() -> None:
    x = Value(0.3)
    t, s = math.tanh(0.3), 1.0 / (1.0 + math.exp(-0.3))
    tanh_closed = [1 - t * t, -2 * t * (1 - t * t), (6 * t * t - 2) * (1 - t * t)]
    sigmoid_closed = [s * (1 - s), s * (1 - s) * (1 - 2 * s),
                      s * (1 - s) * (1 - 6 * s + 6 * s * s)]
    assert derivatives_of(x.tanh(), x, 3) == pytest.approx(tanh_closed, rel=1e-14)
    assert derivatives_of(x.sigmoid(), x, 3) == pytest.approx(sigmoid_closed, rel=1e-14)


def test_hessian_of_x_squared_y_plus_y_cubed() -> None:
    x, y = Value(1.5), Value(-0.7)
    f = x * x * y + y**3
    (fxx, fxy), (fyx, fyy) = hessian(f, [x, y])
    assert (fxx, fxy, fyx, fyy) == pytest.approx((2 * -0.7, 2 * 1.5, 2 * 1.5, 6 * -0.7),
                                                 rel=1e-15)


@pytest.mark.parametrize("y", [0.25, 0.5, 1.0, 2.0, 3.7])
def test_the_second_derivative_of_zero_to_the_y_is_zero(y: float) -> None:
    exponent = Value(y)
    (first,) = grad(0.0**exponent, [exponent], create_graph=True)  # 0^y is 0 for every y > 0
    assert (first.data, grad(first, [exponent])) == (0.0, (0.0,))


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        # x^y at x = 0: d²/dx² = y (y - 1) x^(y-2) and d²/dy² = x^y log² x, which tends to 0;
        # d²/dx dy = x^(y-1) (1 + y log x) tends to 0 for y > 1, to -inf (None: unchecked) else
        (0.5, [[-math.inf, None], [None, 0.0]]),
        (1.0, [[0.0, None], [None, 0.0]]),
        (1.5, [[math.inf, 0.0], [0.0, 0.0]]),
        (2.0, [[2.0, 0.0], [0.0, 0.0]]),
        (3.0, [[0.0, 0.0], [0.0, 0.0]]),
    ],
)
def test_the_hessian_of_a_power_at_base_zero_is_the_true_one(
        y: float, expected: list[list[float | None]]) -> None:
    x, exponent = Value(0.0), Value(y)
    found = hessian(x**exponent, [x, exponent])
    for found_row, expected_row in zip(found, expected, strict=True):
        for h, truth in zip(found_row, expected_row, strict=True):
            assert truth is None or h == truth, (found, expected)


NAN, INF = math.nan, math.inf
# The Hessian of x ** y at x = 0, rows d/dx and d/dy of (df/dx, df/dy), for y of 1 and below
# (above 1 see the test before): the engine's, PyTorch float64's, and the limit as x -> 0+ of
# the second derivatives for x > 0, y (y - 1) x^(y-2), x^(y-1) (1 + y log x) (both mixed
# ones), x^y log² x. docs/semantics.md lists which of the engine's are true, which PyTorch's.
POWER_AT_BASE_ZERO: dict[float, tuple[list[list[float]], list[list[float]], list[list[float]]]] = {
    #      engine                     PyTorch                     limit
    -2.5: ([[INF, INF], [NAN, NAN]], [[INF, INF], [INF, INF]], [[INF, INF], [INF, INF]]),
    -1.0: ([[INF, INF], [NAN, NAN]], [[INF, INF], [INF, INF]], [[INF, INF], [INF, INF]]),
    0.0: ([[NAN, NAN], [1.0, 0.0]], [[NAN, NAN], [NAN, NAN]], [[0.0, INF], [INF, INF]]),
    0.25: ([[-INF, NAN], [NAN, 0.0]], [[-INF, NAN], [NAN, NAN]], [[-INF, -INF], [-INF, 0.0]]),
    0.75: ([[-INF, NAN], [NAN, 0.0]], [[-INF, NAN], [NAN, NAN]], [[-INF, -INF], [-INF, 0.0]]),
    1.0: ([[0.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [NAN, NAN]], [[0.0, -INF], [-INF, 0.0]]),
}


def same_floats(these: list[list[float]], those: list[list[float]]) -> bool:
    """Whether two matrices hold the same floats, nan matching nan."""
    return all(a == b or (math.isnan(a) and math.isnan(b))
               for row, other in zip(these, those, strict=True)
               for a, b in zip(row, other, strict=True))


@pytest.mark.parametrize("y", sorted(POWER_AT_BASE_ZERO))
def test_the_hessian_of_a_power_at_base_zero_for_an_exponent_up_to_1_is_pinned(y: float) -> None:
    engine, _, _ = POWER_AT_BASE_ZERO[y]
    x, exponent = Value(0.0), Value(y)
    found = hessian(x**exponent, [x, exponent])
    assert same_floats(found, engine), found


@pytest.mark.parametrize("y", sorted(POWER_AT_BASE_ZERO))
def test_the_limits_pinned_for_a_power_at_base_zero_are_the_limits(y: float) -> None:
    def second_derivatives(x: float) -> list[list[float]]:
        mixed = x ** (y - 1.0) * (1.0 + y * math.log(x))
        return [[y * (y - 1.0) * x ** (y - 2.0), mixed], [mixed, x**y * math.log(x) ** 2]]

    _, _, limit = POWER_AT_BASE_ZERO[y]
    near, nearer = second_derivatives(1e-10), second_derivatives(1e-40)
    for i, j in itertools.product(range(2), range(2)):
        if limit[i][j] == 0.0:  # it shrinks to 0 (or is 0)
            assert abs(nearer[i][j]) <= 0.5 * abs(near[i][j]), (i, j, near, nearer)
        else:  # it grows without bound, with the limit's sign
            assert math.copysign(1.0, nearer[i][j]) == math.copysign(1.0, limit[i][j])
            assert abs(nearer[i][j]) > 2.0 * abs(near[i][j]) > 0.0, (i, j, near, nearer)


def test_the_hessian_of_a_power_at_exponent_zero_is_symmetric() -> None:
    x, y = Value(2.0), Value(0.0)
    # d²/dx² = y (y - 1) x^(y-2) = 0, d²/dx dy = x^(y-1) (1 + y log x) = 1/x, d²/dy² = log² x
    (fxx, fxy), (fyx, fyy) = hessian(x**y, [x, y])
    assert (fxx, fxy, fyx, fyy) == pytest.approx((0.0, 0.5, 0.5, math.log(2.0) ** 2),
                                                 rel=1e-15)


def test_third_mixed_derivatives() -> None:
    x, y = Value(1.25), Value(-2.0)
    f = x**3 * y**2
    (fx,) = grad(f, [x], create_graph=True)
    (fxx,) = grad(fx, [x], create_graph=True)
    fxxx, fxxy = grad(fxx, [x, y])
    assert (fxxx, fxxy) == pytest.approx((6 * 4.0, 12 * 1.25 * -2.0), rel=1e-15)


def test_hessian_vector_product_equals_the_hessian_times_the_vector() -> None:
    x, y, z = Value(0.3), Value(-1.1), Value(2.0)
    f = (x * y).tanh() * z + (y / z).exp() * x
    h = hessian(f, [x, y, z])
    v = [0.5, -2.0, 1.5]
    expected = [sum(h[i][j] * v[j] for j in range(3)) for i in range(3)]
    assert hvp(f, [x, y, z], v) == pytest.approx(expected, rel=1e-14)


def test_grad_leaves_every_grad_untouched() -> None:
    x, y = Value(1.5, label="x"), Value(-0.5, label="y")
    out = (x * y).tanh() * x + y
    out.backward()
    before = {id(n): n.grad for n in autograd.topological_order(out)}
    grad(out, [x, y])
    (dx, _) = grad(out, [x, y], create_graph=True)
    grad(dx, [x, y])
    assert {id(n): n.grad for n in autograd.topological_order(out)} == before


@given(programs())
def test_grad_agrees_exactly_with_backward_with_or_without_a_graph(program: Program) -> None:
    leaves = values(program.leaves)
    root = program.run(*leaves)
    root.backward()
    as_floats = grad(root, leaves)
    as_values = grad(root, leaves, create_graph=True)
    for leaf, g, v in zip(leaves, as_floats, as_values, strict=True):
        assert same(g, leaf.grad) and same(v.data, leaf.grad)


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def gradient_entry(program: Program, i: int) -> Callable[..., float]:
    """The engine's d(program)/d(leaf i), as a function of the leaves' values."""

    def entry(*xs: float) -> float:
        fresh = values(xs)
        return grad(program.run(*fresh), fresh)[i]

    return entry


@given(programs(max_leaves=3, max_steps=8))
def test_random_hessians_match_finite_differences_of_the_gradient(program: Program) -> None:
    leaves = values(program.leaves)
    h = hessian(program.run(*leaves), leaves)
    for i in range(len(leaves)):
        for j in range(len(leaves)):
            numeric = central_difference(gradient_entry(program, i), program.leaves, j)
            assert close_to_difference(h[i][j], numeric), (i, j, h[i][j], numeric)


def test_an_input_the_output_does_not_reach_gets_zero() -> None:
    x, unused = Value(2.0), Value(5.0)
    assert grad(x * x, [x, unused]) == (4.0, 0.0)
    dx, du = grad(x * x, [x, unused], create_graph=True)
    assert (dx.data, du.data, du.parents) == (4.0, 0.0, ())
    assert hessian(x * 3.0, [x, unused]) == [[0.0, 0.0], [0.0, 0.0]]


def test_gradient_by_an_interior_node_and_by_the_output_itself() -> None:
    x = Value(3.0)
    h = x * x
    out = h.exp()
    (dh,) = grad(out, [h])
    assert dh == math.exp(9.0)
    assert grad(out, [out]) == (1.0,)
    assert grad(out, out) == (1.0,)  # a single input needs no list


def test_gradient_graph_reuses_the_forward_nodes_and_can_be_drawn() -> None:
    x = Value(0.5, label="x")
    t = x.tanh()
    (dt,) = grad(t, [x], create_graph=True)
    assert dt.op == "dtanh" and dt.parents == (t,)
    source = autograd.draw(dt).source
    assert "tanh′" in source and "tanh" in source


def test_deep_chain_second_derivative_without_recursion() -> None:
    x = Value(0.001)
    y = x
    for _ in range(20_000):  # far deeper than Python's recursion limit
        y = y * 1.0 + x
    (dx,) = grad(y * y, [x], create_graph=True)
    assert grad(dx, [x]) == (2.0 * 20_001.0**2,)


def test_gradient_graphs_are_freed_without_the_cyclic_gc() -> None:
    gc.collect()
    gc.disable()
    try:
        before = live_values()
        x = Value(0.3)
        y = (x * x).tanh().exp()
        (dx,) = grad(y, [x], create_graph=True)
        grad(dx, [x])
        assert live_values() > before
        del x, y, dx
        assert live_values() == before
    finally:
        gc.enable()


def test_bad_arguments_say_what_was_expected() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="output, got float"):
        grad(3.0, [x])  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"inputs must be Values .*got \[1.0\]"):
        grad(x * 2, [1.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"inputs must be Values .*got 3"):
        grad(x * 2, 3)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="hvp\\(\\) needs a vector of numbers, got \\['a'\\]"):
        hvp(x * x, [x], ["a"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="one vector entry per input: 1 inputs, 2 entries"):
        hvp(x * x, [x], [1.0, 2.0])


@given(x=st.floats(-3.0, 3.0))
def test_third_derivative_matches_finite_differences_of_the_second(x: float) -> None:
    def nth_derivative(n: int, at: float) -> float:
        v = Value(at)
        return derivatives_of((v.sin() * v).exp(), v, n)[n - 1]

    numeric = central_difference(lambda at: nth_derivative(2, at), [x], 0)
    assert close_to_difference(nth_derivative(3, x), numeric)
