"""nn.optim: the update rules step by step, freezing, and clear errors (torch parity elsewhere)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import nn
from autograd import Value
from nn.optim import SGD, Adam, Optimizer


def with_grads(data: list[float], grads: list[float]) -> list[Value]:
    params = [Value(d) for d in data]
    for p, g in zip(params, grads, strict=True):
        p.grad = g
    return params


def test_sgd_moves_against_the_gradient() -> None:
    params = with_grads([1.0, -2.0], [0.5, -4.0])
    SGD(params, lr=0.1).step()
    assert [p.data for p in params] == [1.0 - 0.1 * 0.5, -2.0 + 0.1 * 4.0]


def test_sgd_weight_decay_adds_decay_times_p_to_the_gradient() -> None:
    (p,) = with_grads([2.0], [0.5])
    SGD([p], lr=0.1, weight_decay=0.25).step()
    assert p.data == 2.0 - 0.1 * (0.5 + 0.25 * 2.0)


def test_sgd_momentum_starts_with_the_gradient_then_accumulates() -> None:
    (p,) = with_grads([1.0], [1.0])
    optimizer = SGD([p], lr=0.1, momentum=0.9)
    optimizer.step()
    assert p.data == 1.0 - 0.1 * 1.0
    p.grad = 2.0
    optimizer.step()
    assert p.data == pytest.approx(0.9 - 0.1 * (0.9 * 1.0 + 2.0), rel=1e-15)
    nesterov = SGD([Value(0.0)], lr=0.1, momentum=0.5, nesterov=True)
    nesterov.params[0].grad = 1.0
    nesterov.step()
    assert nesterov.params[0].data == -0.1 * (1.0 + 0.5 * 1.0)


def test_adam_first_step_is_lr_times_the_sign_of_the_gradient() -> None:
    params = with_grads([1.0, 1.0, 1.0], [3.0, -1e-3, 0.0])
    Adam(params, lr=0.01, eps=0.0).step()
    assert [p.data for p in params][:2] == pytest.approx([0.99, 1.01], rel=1e-15)
    assert math.isnan(params[2].data)  # 0/0 without eps, as in torch.optim.Adam
    params = with_grads([1.0], [0.0])
    Adam(params, lr=0.01).step()
    assert params[0].data == 1.0


def test_adam_bias_correction_over_steps() -> None:
    (p,) = with_grads([0.0], [1.0])
    optimizer = Adam([p], lr=0.1, betas=(0.5, 0.75), eps=0.0)
    optimizer.step()
    p.grad = 3.0
    optimizer.step()
    m = 0.5 * 0.5 * 1.0 + 0.5 * 3.0
    v = 0.75 * 0.25 * 1.0 + 0.25 * 9.0
    expected = -0.1 - (0.1 / (1 - 0.5**2)) * m / (math.sqrt(v) / math.sqrt(1 - 0.75**2))
    assert p.data == pytest.approx(expected, rel=1e-15)
    assert optimizer.steps == 2


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.5, momentum=0.9),
                                  lambda ps: Adam(ps, lr=0.5)], ids=["SGD", "Adam"])
def test_only_the_given_parameters_move(make: Callable[[list[Value]], Optimizer]) -> None:
    model = nn.MLP(2, [2, 1], activation="tanh", seed=0)
    out = model([1.0, -1.0])
    assert isinstance(out, Value)
    out.backward()
    frozen, learning = model.layers[0].state_dict(), model.layers[1].state_dict()
    optimizer = make(model.layers[1].parameters())
    optimizer.step()
    assert model.layers[0].state_dict() == frozen
    after = model.layers[1].state_dict()
    assert all(after[name] != learning[name] for name in learning)
    optimizer.zero_grad()
    assert all(p.grad == 0.0 for p in model.layers[1].parameters())
    assert any(p.grad != 0.0 for p in model.layers[0].parameters())


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: SGD([], lr=0.1), ValueError, "no parameters"),
    (lambda: SGD([Value(1.0), 2.0], lr=0.1),  # type: ignore[list-item]
     TypeError, "params must be Values, got float"),
    (lambda: SGD(Value(1.0), lr=0.1),  # type: ignore[arg-type]
     TypeError, "an iterable of Values"),
    (lambda: SGD([v := Value(1.0), v], lr=0.1), ValueError, "appears twice"),
    (lambda: SGD([Value(1.0)], lr=-0.1), ValueError, "lr must be a number >= 0"),
    (lambda: SGD([Value(1.0)], lr=0.1, momentum=-1), ValueError, "momentum must be"),
    (lambda: SGD([Value(1.0)], lr=0.1, nesterov=True), ValueError, "Nesterov momentum needs"),
    (lambda: Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, r"betas must be two numbers"),
    (lambda: Adam([Value(1.0)], eps=-1e-8), ValueError, "eps must be a number >= 0"),
    (lambda: Adam([Value(1.0)], weight_decay=math.nan), ValueError, "weight_decay must be"),
])
def test_bad_arguments_are_clear_errors(make: Callable[[], object], error: type[Exception],
                                       message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_reprs_name_the_settings() -> None:
    assert repr(SGD([Value(1.0)], lr=0.1)) == (
        "SGD(1 parameters, lr=0.1, momentum=0.0, weight_decay=0.0)")
    assert repr(Adam([Value(1.0)])).startswith("Adam(1 parameters, lr=0.001, betas=(0.9, 0.999)")
