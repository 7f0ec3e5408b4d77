"""nn.init: uniform, zeros, constant, Xavier, He, and weights set by hand."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn


@given(st.floats(0.0, 10.0), st.integers(0, 2**32))
def test_uniform_stays_in_minus_epsilon_epsilon_and_repeats_with_its_seed(
        epsilon: float, seed: int) -> None:
    model = nn.init.uniform(nn.MLP(3, [4, 2], seed=99), epsilon, seed=seed)
    values = list(model.state_dict().values())
    assert all(-epsilon <= v <= epsilon for v in values)
    again = nn.init.uniform(nn.MLP(3, [4, 2], seed=5), epsilon, seed=seed)
    assert again.state_dict() == model.state_dict()


def test_uniform_draws_from_its_own_generator_not_global_state() -> None:
    random.seed(1)
    first = nn.init.uniform(nn.MLP(2, [2, 1], seed=0), 0.5, seed=3).state_dict()
    random.seed(2)
    second = nn.init.uniform(nn.MLP(2, [2, 1], seed=0), 0.5, seed=3).state_dict()
    assert first == second
    assert len(set(first.values())) == len(first)  # every parameter different: symmetry broken


def test_zeros_and_constant() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    assert set(nn.init.zeros(model).state_dict().values()) == {0.0}
    assert set(nn.init.constant(model, 1.0).state_dict().values()) == {1.0}


@pytest.mark.parametrize(("init", "bound"), [
    (nn.init.xavier_uniform, lambda fan_in, fan_out: math.sqrt(6 / (fan_in + fan_out))),
    (nn.init.he_uniform, lambda fan_in, fan_out: math.sqrt(6 / fan_in)),
])
def test_fan_scaled_inits_use_each_layers_fans_and_zero_biases(
        init: Callable[..., nn.MLP], bound: Callable[[int, int], float]) -> None:
    model = init(nn.MLP(50, [20, 5], seed=0), seed=1)
    for layer, (fan_in, fan_out) in zip(model.layers, [(50, 20), (20, 5)], strict=True):
        weights = [w.data for n in layer.neurons for w in n.w]
        limit = bound(fan_in, fan_out)
        assert all(-limit <= w <= limit for w in weights)
        assert max(abs(w) for w in weights) > 0.9 * limit  # spread over the whole range
        assert all(n.b is not None and n.b.data == 0.0 for n in layer.neurons)
    assert init(nn.MLP(50, [20, 5], seed=3), seed=1).state_dict() == model.state_dict()


def test_xavier_on_a_single_neuron_takes_fan_out_one() -> None:
    neuron = nn.init.xavier_uniform(nn.Neuron(5, seed=0), seed=0, gain=2.0)
    assert all(abs(w.data) <= 2.0 * math.sqrt(6 / 6) for w in neuron.w)


def test_set_weights_follows_the_module_shape() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    nn.init.set_weights(model, [[[0.1, 0.8], [0.4, 0.6]], [[0.3, 0.9]]], [[1.0, 2.0], [3.0]])
    assert model.state_dict() == {
        "layers.0.neurons.0.w.0": 0.1, "layers.0.neurons.0.w.1": 0.8,
        "layers.0.neurons.0.b": 1.0,
        "layers.0.neurons.1.w.0": 0.4, "layers.0.neurons.1.w.1": 0.6,
        "layers.0.neurons.1.b": 2.0,
        "layers.1.neurons.0.w.0": 0.3, "layers.1.neurons.0.w.1": 0.9,
        "layers.1.neurons.0.b": 3.0}
    layer = nn.init.set_weights(nn.Layer(1, 2, seed=0), [[5.0], [6]])
    assert [n.w[0].data for n in layer.neurons] == [5.0, 6.0]


@pytest.mark.parametrize(("weights", "biases", "message"), [
    ([[[0.1, 0.8]], [[0.3, 0.9]]], None, "Layer layers.0 needs 2 weight lists, got 1"),
    ([[[0.1, 0.8], [0.4, 0.6]]], None, "MLP needs 2 weight lists, got 1"),
    ([[[0.1], [0.4, 0.6]], [[0.3, 0.9]]], None, "Neuron layers.0.neurons.0 has 2 weights, got 1"),
    ([[[0.1, "a"], [0.4, 0.6]], [[0.3, 0.9]]], None, "layers.0.neurons.0: expected a number"),
    ([[[0.1, 0.8], [0.4, 0.6]], [[0.3, 0.9]]], [[1.0, 2.0]], "MLP needs 2 biases, got 1"),
    ([[[0.1, 0.8], [0.4, 0.6]], 0.5], None, "the weights of Layer layers.1 must be a list"),
])
def test_set_weights_rejects_wrong_shapes_and_changes_nothing(
        weights: list[object], biases: object, message: str) -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        nn.init.set_weights(model, weights, biases)
    assert model.state_dict() == before


def test_set_weights_refuses_a_bias_for_a_neuron_without_one() -> None:
    with pytest.raises(ValueError, match="has no bias"):
        nn.init.set_weights(nn.Neuron(2, bias=False, seed=0), [1.0, 2.0], 0.5)


def test_negative_epsilon_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="epsilon must be >= 0"):
        nn.init.uniform(nn.Neuron(1, seed=0), -1.0)
