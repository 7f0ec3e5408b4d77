"""Every op and every edge case against PyTorch in float64 (skipped, saying so, without torch)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import Program, op_with_inputs, programs, values
from test_value import EDGE_CASES, EDGE_IDS

from autograd import OPS, Value
from autograd.value import apply

torch = pytest.importorskip("torch", reason="PyTorch is not installed: parity tests not run")

F64 = torch.float64
TorchFn = Callable[..., Any]
TORCH_OPS: dict[str, Callable[[dict[str, float]], TorchFn]] = {
    "add": lambda p: torch.add,
    "sub": lambda p: torch.sub,
    "mul": lambda p: torch.mul,
    "div": lambda p: torch.div,
    "neg": lambda p: torch.neg,
    "pow": lambda p: lambda x: torch.pow(x, p["exponent"]),
    "pow_xy": lambda p: torch.pow,
    "exp": lambda p: torch.exp,
    "log": lambda p: torch.log,
    "sqrt": lambda p: torch.sqrt,
    "sin": lambda p: torch.sin,
    "cos": lambda p: torch.cos,
    "tanh": lambda p: torch.tanh,
    "sigmoid": lambda p: torch.sigmoid,
    "relu": lambda p: torch.relu,
    "leaky_relu": lambda p: lambda x: torch.nn.functional.leaky_relu(x, p["slope"]),
    "abs": lambda p: torch.abs,
    "sign": lambda p: torch.sign,
    "step": lambda p: lambda x: torch.where(
        x > 0, torch.tensor(p["high"], dtype=F64), torch.tensor(p["low"], dtype=F64)
    ) + 0.0 * x,
}


def torch_value_and_grads(fn: TorchFn, xs: tuple[float, ...]) -> tuple[float, list[float]]:
    inputs = [torch.tensor(x, dtype=F64, requires_grad=True) for x in xs]
    out = fn(*inputs)
    out.backward()
    return out.item(), [0.0 if t.grad is None else t.grad.item() for t in inputs]


def agree(mine: float, theirs: float) -> bool:
    if math.isnan(theirs):
        return math.isnan(mine)
    return math.isclose(mine, theirs, rel_tol=1e-12, abs_tol=1e-300)


def test_every_op_has_a_torch_counterpart() -> None:
    assert sorted(TORCH_OPS) == sorted(OPS)


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_op_matches_torch(name: str, data: st.DataObject) -> None:
    op, xs = data.draw(op_with_inputs(OPS[name]))
    inputs = values(xs)
    out = apply(op, *inputs)
    out.backward()
    value, grads = torch_value_and_grads(TORCH_OPS[name](dict(op.params)), xs)
    assert agree(out.data, value), (xs, out.data, value)
    for x, g in zip(inputs, grads, strict=True):
        assert agree(x.grad, g), (xs, x.grad, g)


@pytest.mark.parametrize(("name", "fn", "x", "derivative"), EDGE_CASES, ids=EDGE_IDS)
def test_edge_case_matches_torch(name: str, fn: Callable[[Any], Any], x: float,
                                 derivative: float) -> None:
    v = Value(x)
    out = fn(v)
    out.backward()
    value, (grad,) = torch_value_and_grads(fn, (x,))
    assert agree(out.data, value), (name, out.data, value)
    assert agree(v.grad, grad), (name, v.grad, grad)


@given(programs())
def test_random_dags_match_torch(program: Program) -> None:
    leaves = values(program.leaves)
    root = program.run(*leaves)
    root.backward()
    value, grads = torch_value_and_grads(program.run, program.leaves)
    assert math.isclose(root.data, value, rel_tol=1e-12, abs_tol=1e-12)
    for leaf, g in zip(leaves, grads, strict=True):
        assert math.isclose(leaf.grad, g, rel_tol=1e-9, abs_tol=1e-12), (leaf.grad, g)
