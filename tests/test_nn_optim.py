"""nn.optim: the update rules step by step, freezing, and clear errors (torch parity elsewhere)."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from liveness import live_values

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
    assert optimizer.steps == [2]  # per parameter, as torch counts them


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


# --- frozen parameters ---

OPTIMIZERS: dict[str, Callable[[list[Value]], Optimizer]] = {
    "SGD": lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "Adam": lambda ps: Adam(ps, lr=0.1, weight_decay=0.01),
}


def backward_once(model: nn.MLP) -> None:
    model.zero_grad()
    out = model([1.0, -1.0])
    assert isinstance(out, Value)
    out.backward()


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_a_frozen_parameter_is_not_updated_nor_is_its_state(kind: str) -> None:
    model = nn.MLP(2, [2, 1], activation="tanh", seed=0)
    optimizer = OPTIMIZERS[kind](model.parameters())
    assert model.layers[0].requires_grad_(False) is model.layers[0]
    frozen, learning = model.layers[0].state_dict(), model.layers[1].state_dict()
    for _ in range(3):
        backward_once(model)
        optimizer.step()
    assert model.layers[0].state_dict() == frozen
    assert all(v != learning[k] for k, v in model.layers[1].state_dict().items())
    hidden = len(model.layers[0].parameters())
    state = optimizer.state_dict()["state"]
    if kind == "SGD":
        assert state["buffers"][:hidden] == [None] * hidden
    else:
        assert state["steps"] == [0] * hidden + [3] * (len(state["steps"]) - hidden)
        assert state["m"][:hidden] == state["v"][:hidden] == [0.0] * hidden


def test_an_unfrozen_parameter_starts_its_own_adam_count_as_torch_does() -> None:
    p, q = Value(1.0), Value(1.0)
    neuron = nn.Neuron(1, seed=0)
    optimizer = Adam([p, *neuron.parameters()], lr=0.01)
    neuron.requires_grad_(False)
    for _ in range(5):
        p.grad = 2.0
        optimizer.step()
    neuron.requires_grad_()
    for w in neuron.parameters():
        w.grad = -3.0
    before = [w.data for w in neuron.parameters()]
    optimizer.step()
    fresh = Adam([q], lr=0.01)
    q.grad = -3.0
    fresh.step()
    assert [w.data - b for w, b in zip(neuron.parameters(), before, strict=True)] == [
        q.data - 1.0] * 2  # its first step: lr times the sign, not a sixth step's size
    assert optimizer.steps == [6, 1, 1]


STEPPERS: dict[str, Callable[[list[Value]], Optimizer]] = {
    **OPTIMIZERS,
    "SGD nesterov": lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "SGD dampened": lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.3),
    "Adam eps 0": lambda ps: Adam(ps, lr=0.1, betas=(0.6, 0.9), eps=0.0),
}


@pytest.mark.parametrize("kind", sorted(STEPPERS))
def test_step_numbers_moves_numbers_as_step_moves_values(kind: str) -> None:
    start = [0.5, -1.0, 2.0, 0.0]
    values, twins = [Value(x) for x in start], [Value(x) for x in start]
    by_values, by_numbers = STEPPERS[kind](values), STEPPERS[kind](twins)
    numbers = list(start)
    values[1].requires_grad = twins[1].requires_grad = False  # its number is kept, and state
    for step in range(4):
        grads = [0.3 * step - 0.2, 1.0, -0.5 * step, 0.0]
        for p, g in zip(values, grads, strict=True):
            p.grad = g
        by_values.step()
        numbers = by_numbers.step_numbers(numbers, grads)
        assert repr(numbers) == repr([p.data for p in values])  # bit for bit; nan is nan
        if step == 1:
            values[1].requires_grad = twins[1].requires_grad = True
    assert by_numbers.state_dict() == by_values.state_dict()
    assert [p.data for p in twins] == start  # the Values are neither read nor moved


def test_step_numbers_takes_one_number_and_gradient_a_parameter() -> None:
    optimizer = SGD([Value(1.0), Value(2.0)], lr=0.1)
    with pytest.raises(ValueError, match="step_numbers takes 2 numbers and as many gradients, "
                                         "one a parameter; got 2 and 1"):
        optimizer.step_numbers([1.0, 2.0], [0.5])


def test_freezing_is_the_parameters_own_flag_so_a_deep_copy_keeps_it_and_nothing_holds_it(
) -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[1].requires_grad_(False)
    twin = copy.deepcopy(model)
    assert [p.requires_grad for p in twin.parameters()] == [
        p.requires_grad for p in model.parameters()] == [True] * 3 + [False] * 3 + [True] * 3
    twin.layers[0].requires_grad_()
    assert not model.layers[0].neurons[1].b.requires_grad  # type: ignore[union-attr]
    before = live_values()
    del model, twin
    assert live_values() == before - 2 * 9  # no table of frozen Values keeps any alive


def test_requires_grad_takes_only_a_bool() -> None:
    with pytest.raises(ValueError, match="requires_grad must be True or False, got 0"):
        nn.Neuron(1).requires_grad_(0)  # type: ignore[arg-type]


# --- state dicts: checkpoints that resume the same training ---

GRADS = [[0.5, -1.5, 2.0], [1.0, 0.25, -0.75], [-2.0, 0.5, 0.125], [0.3, 0.3, -0.3],
         [1.5, -0.5, 0.0], [-1.0, 2.0, 1.0]]
MAKERS: dict[str, Callable[[list[Value]], Optimizer]] = {
    "SGD": lambda ps: SGD(ps, lr=0.1),
    "SGD momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "SGD Nesterov": lambda ps: SGD(ps, lr=0.1, momentum=0.5, nesterov=True),
    "Adam": lambda ps: Adam(ps, lr=0.05, betas=(0.8, 0.9), weight_decay=0.01),
}


def steps(optimizer: Optimizer, grads: list[list[float]]) -> list[list[float]]:
    history = []
    for row in grads:
        for p, g in zip(optimizer.params, row, strict=True):
            p.grad = g
        optimizer.step()
        history.append([p.data for p in optimizer.params])
    return history


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_an_optimizer_loaded_from_a_json_checkpoint_goes_on_exactly_as_the_original(
        kind: str) -> None:
    params = [Value(0.5), Value(-1.0), Value(2.0)]
    optimizer = MAKERS[kind](params)
    steps(optimizer, GRADS[:3])
    checkpoint = json.loads(json.dumps(optimizer.state_dict()))
    resumed_params = [Value(p.data) for p in params]
    resumed = MAKERS[kind](resumed_params)
    resumed.lr = 123.0  # the checkpoint's settings win
    resumed.load_state_dict(checkpoint)
    assert resumed.state_dict() == optimizer.state_dict()
    assert steps(resumed, GRADS[3:]) == steps(optimizer, GRADS[3:])


def test_a_state_dict_holds_the_settings_and_copies_of_the_state() -> None:
    optimizer = Adam([Value(1.0)], lr=0.01)
    state = optimizer.state_dict()
    assert state == {"optimizer": "Adam",
                     "settings": {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8,
                                  "weight_decay": 0.0},
                     "state": {"steps": [0], "m": [0.0], "v": [0.0]}}
    state["state"]["m"][0] = 5.0
    assert optimizer.m == [0.0]
    assert SGD([Value(1.0)], lr=0.5, momentum=0.9).state_dict()["settings"] == {
        "lr": 0.5, "momentum": 0.9, "weight_decay": 0.0, "dampening": 0.0, "nesterov": False}


def with_change(state: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    changed: dict[str, Any] = json.loads(json.dumps(state))
    target = changed
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


DELETE = object()
BAD_STATES: dict[str, tuple[tuple[str, ...], object, str]] = {
    "another optimizer": (("optimizer",), "SGD", "the state of 'SGD' cannot be loaded into Adam"),
    "no settings": (("settings",), DELETE, "the keys optimizer, settings and state"),
    "an unknown setting": (("settings", "momentum"), 0.9, "the settings do not fit Adam"),
    "a bad setting": (("settings", "lr"), -1.0, "lr must be a number >= 0"),
    "too few entries": (("state", "m"), [0.0], "the state's m must be a list of 2 entries"),
    "a missing list": (("state", "v"), DELETE, "the keys steps, m, v"),
    "a step that is not an int": (("state", "steps"), [1, 1.5], r"steps\[1\] must be an int"),
    "a negative moment": (("state", "v"), [0.1, -0.1], r"v\[1\] must be a finite number >= 0"),
    "a string moment": (("state", "m"), ["0", 0.0], r"m\[0\] must be a finite number"),
}


@pytest.mark.parametrize("name", sorted(BAD_STATES))
def test_a_state_that_does_not_fit_is_refused_and_changes_nothing(name: str) -> None:
    optimizer = Adam([Value(1.0), Value(2.0)], lr=0.01)
    steps(optimizer, [[1.0, -1.0]])
    before = optimizer.state_dict()
    path, value, message = BAD_STATES[name]
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(with_change(before, path, value))
    assert optimizer.state_dict() == before
    with pytest.raises(ValueError, match="the keys optimizer, settings and state"):
        optimizer.load_state_dict([1, 2])  # type: ignore[arg-type]


def test_a_momentum_buffer_may_be_none_but_not_a_string() -> None:
    optimizer = SGD([Value(1.0), Value(2.0)], lr=0.1, momentum=0.9)
    state = optimizer.state_dict()
    assert state["state"] == {"buffers": [None, None]}
    state["state"]["buffers"] = [None, "x"]
    with pytest.raises(ValueError, match=r"buffers\[1\] must be a number or None"):
        optimizer.load_state_dict(state)
