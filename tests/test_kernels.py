"""Per-sample kernels: each row's value and gradients bit for bit as eager backward gives them."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.testing import Program, programs

BACKENDS = ["python", "native"]


def backend_or_skip(backend: str) -> str:
    """The backend, skipping (visibly) where the native one's packages are not installed."""
    if backend == "native":
        pytest.importorskip("llvmlite", reason="llvmlite is not installed (chainrule[native])")
        pytest.importorskip("numpy", reason="numpy is not installed (chainrule[native])")
    return backend


def same(a: float, b: float) -> bool:
    """Equal bit for bit (nan equal to nan)."""
    return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b)


def eager_row(program: Program, params: list[float], row: list[float]
              ) -> tuple[float, list[float]]:
    """One row's value and gradients by the eager engine."""
    leaves = [Value(x) for x in (*params, *row)]
    out = program.run(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves[:len(params)]]


@st.composite
def kernel_cases(draw: st.DrawFn) -> tuple[Program, int, list[list[float]]]:
    program = draw(programs(max_leaves=5, max_steps=10))
    n_params = draw(st.integers(0, len(program.leaves)))
    width = len(program.leaves) - n_params
    rows = draw(st.lists(st.lists(st.floats(-2.0, 2.0), min_size=width, max_size=width),
                         min_size=0, max_size=9))  # whole blocks of 4 rows, and a part
    return program, n_params, rows


def run_case(program: Program, n_params: int, rows: list[list[float]], backend: str) -> None:
    leaves = [Value(x) for x in program.leaves]
    root = program.run(*leaves)
    used = {id(node) for node in autograd.topological_order(root)}
    param_slots = [i for i in range(n_params) if id(leaves[i]) in used]
    batch_slots = [i for i in range(n_params, len(leaves)) if id(leaves[i]) in used]
    step = autograd.compile(root, [leaves[i] for i in param_slots],
                            batch_inputs=[leaves[i] for i in batch_slots], backend=backend)
    params = list(program.leaves[:n_params])
    expected_values, expected_grads = [], []
    for row in rows:
        value, grads = eager_row(program, params, row)
        expected_values.append(value)
        expected_grads.append([grads[i] for i in param_slots])
    kernel_rows = [[row[i - n_params] for i in batch_slots] for row in rows]
    kernel_params = [params[i] for i in param_slots]
    values, grads = step(kernel_params, kernel_rows, per_sample=True)
    assert len(values) == len(rows)
    for k in range(len(rows)):
        assert same(float(values[k]), expected_values[k])
        assert all(same(float(g), e) for g, e in zip(grads[k], expected_grads[k], strict=True))
    total, summed = step(kernel_params, kernel_rows)
    expected_total = 0.0
    expected_sums = [0.0] * len(param_slots)
    for value, row_grads in zip(expected_values, expected_grads, strict=True):
        expected_total += value
        expected_sums = [s + g for s, g in zip(expected_sums, row_grads, strict=True)]
    assert same(float(total), expected_total)
    assert all(same(float(g), e) for g, e in zip(summed, expected_sums, strict=True))


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=40, deadline=None)
@given(case=kernel_cases())
def test_each_row_and_the_sums_are_eager_backwards(
        backend: str, case: tuple[Program, int, list[list[float]]]) -> None:
    run_case(*case, backend=backend_or_skip(backend))


def demo_loss() -> tuple[Value, list[Value], list[Value]]:
    """A small MLP's hinge loss on one sample: w, b shared; x0, x1 and the target per row."""
    w = [Value(0.3), Value(-0.7), Value(0.5), Value(0.2)]
    b = Value(0.1)
    x0, x1, t = Value(0.0), Value(0.0), Value(1.0)
    hidden = (w[0] * x0 + w[1] * x1 + b).relu()
    score = w[2] * hidden + w[3] * (w[0] * x1).tanh()
    return (1.0 - t * score).relu(), [*w, b], [x0, x1, t]


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_kernel_serves_every_batch_size_and_arrays(backend: str) -> None:
    loss, params, batch = demo_loss()
    step = autograd.compile(loss, params, batch_inputs=batch, backend=backend_or_skip(backend))
    values = [p.data for p in params]
    rows = [[0.5, -1.0, 1.0], [1.5, 0.25, -1.0], [-0.3, 0.8, 1.0]]
    whole, whole_grads = step(values, rows)
    parts = [step(values, rows[:1]), step(values, rows[1:])]
    assert float(whole) == pytest.approx(float(parts[0][0]) + float(parts[1][0]), rel=1e-15)
    for k in range(len(params)):
        assert float(whole_grads[k]) == pytest.approx(
            float(parts[0][1][k]) + float(parts[1][1][k]), rel=1e-15, abs=1e-300)
    empty_total, empty_grads = step(values, [])
    assert float(empty_total) == 0.0 and [float(g) for g in empty_grads] == [0.0] * len(params)
    numpy = pytest.importorskip("numpy")
    total, grads = step(numpy.array(values), numpy.array(rows))
    assert float(total) == float(whole)
    assert [float(g) for g in grads] == [float(g) for g in whole_grads]


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_rows_and_values_are_refused_clearly(backend: str) -> None:
    loss, params, batch = demo_loss()
    step = autograd.compile(loss, params, batch_inputs=batch, backend=backend_or_skip(backend))
    values = [p.data for p in params]
    with pytest.raises(ValueError, match=r"each row must hold 3 numbers.*rows\[1\]"):
        step(values, [[0.0, 1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(TypeError, match=r"rows\[0\]\[2\] must be a real number, got str"):
        step(values, [[0.0, 1.0, "1"]])
    with pytest.raises(ValueError, match="this kernel takes 5 parameter values, got 4"):
        step(values[:4], [[0.0, 1.0, 1.0]])
    with pytest.raises(TypeError, match=r"param_values\[0\] must be a real number, got Value"):
        step([Value(1.0), *values[1:]], [[0.0, 1.0, 1.0]])  # type: ignore[list-item]


@pytest.mark.parametrize("backend", BACKENDS)
def test_iterators_of_rows_and_values_are_read_once_as_lists(backend: str) -> None:
    w, x = Value(0.5), Value(2.0)
    step = autograd.compile(w * x, [w], batch_inputs=[x], backend=backend_or_skip(backend))
    expected = (0.5 * 2.0 + 0.5 * -3.0, [2.0 + -3.0])
    for params, rows in [([0.5], iter([[2.0], [-3.0]])),
                         (iter([0.5]), [iter([2.0]), (v for v in [-3.0])]),
                         ((v for v in [0.5]), ([v] for v in [2.0, -3.0]))]:
        total, grads = step(params, rows)
        assert (float(total), [float(g) for g in grads]) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_int_beyond_a_float_is_infinite_as_in_eager_backward(backend: str) -> None:
    w, x = Value(0.5), Value(2.0)
    step = autograd.compile(w * x, [w], batch_inputs=[x], backend=backend_or_skip(backend))
    cases: list[tuple[list[float], list[float]]] = [
        ([10**400], [-2]), ([0.5], [-(10**400)]), ([3], [1])]
    for params, row in cases:
        leaf = Value(params[0])
        eager = leaf * Value(row[0])
        eager.backward()
        total, grads = step(params, [row])
        assert (float(total), float(grads[0])) == (eager.data, leaf.grad)
        values, gradients = step(params, [row], per_sample=True)
        assert (float(values[0]), float(gradients[0][0])) == (eager.data, leaf.grad)


@pytest.mark.parametrize("backend", BACKENDS)
def test_aux_values_are_each_rows(backend: str) -> None:
    w, b, x = Value(0.5), Value(-0.25), Value(0.0)
    pre = w * x + b
    out = pre.tanh()
    step = autograd.compile(out, [w, b], aux=[pre, out], batch_inputs=[x],
                            backend=backend_or_skip(backend))
    rows = [[k / 3.0 - 1.0] for k in range(9)]
    for per_sample in (False, True):
        aux = step.with_aux([0.5, -0.25], rows, per_sample)[2]
        expected = [(0.5 * r[0] - 0.25, math.tanh(0.5 * r[0] - 0.25)) for r in rows]
        assert [tuple(float(v) for v in a) for a in aux] == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unused_input_is_refused_or_with_allow_unused_gets_gradient_zero(backend: str) -> None:
    a, unused, x = Value(2.0), Value(5.0), Value(0.0)
    loss = a * a * x
    with pytest.raises(ValueError, match=r"inputs\[1\] .* is not in the graph of root"):
        autograd.compile(loss, [a, unused], batch_inputs=[x], backend=backend_or_skip(backend))
    step = autograd.compile(loss, [unused, a], batch_inputs=[x], backend=backend,
                            allow_unused=True)
    total, grads = step([7.0, 3.0], [[1.0], [-0.5]])
    assert (total, [float(g) for g in grads]) == (4.5, [0.0, 3.0])
    values, per_row = step([7.0, 3.0], [[1.0], [-0.5]], per_sample=True)
    assert [float(v) for v in values] == [9.0, -4.5]
    assert [[float(g) for g in row] for row in per_row] == [[0.0, 6.0], [0.0, -3.0]]
    whole = autograd.compile(loss, [x, unused, a], allow_unused=True)
    assert whole([1.0, 7.0, 3.0]) == (9.0, (9.0, 0.0, 6.0))


def test_compile_refuses_kernels_it_cannot_make() -> None:
    loss, params, batch = demo_loss()
    with pytest.raises(ValueError, match="cannot be both in inputs and in batch_inputs"):
        autograd.compile(loss, params, batch_inputs=[*batch, params[0]])
    with pytest.raises(ValueError, match=r"batch_inputs\[0\] .* is not in the graph of root"):
        autograd.compile(loss, params, batch_inputs=[Value(2.0)])
    with pytest.raises(ValueError, match="backend must be one of 'python', 'native'"):
        autograd.compile(loss, params, batch_inputs=batch, backend="fortran")
    with pytest.raises(ValueError, match="compiles per-sample kernels: give batch_inputs"):
        autograd.compile(loss, params, backend="native")
    with pytest.raises(TypeError, match=r"compile\(\) expects batch_inputs as a list"):
        autograd.compile(loss, params, batch_inputs=batch[0])  # type: ignore[call-overload]


def test_the_python_kernel_is_readable_source() -> None:
    loss, params, batch = demo_loss()
    step: Any = autograd.compile(loss, params, batch_inputs=batch)
    assert "def sum_over_rows(params, rows):" in step.source
    assert "def each_row(params, rows):" in step.source
    assert "in rows:" in step.source
    assert repr(step).startswith("<BatchStep (python):")
