"""Neuron, Layer and MLP: outputs, parameter names, state dicts, scopes, errors and repr."""

from __future__ import annotations

import math
import random

import pytest
from finite_differences import central_difference, close_to_difference
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value, topological_order


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_neuron_computes_activation_of_weighted_sum_plus_bias() -> None:
    neuron = nn.init.set_weights(nn.Neuron(2, activation="sigmoid"), [0.15, 0.20], 0.35)
    out = neuron([0.05, 0.10])
    assert out.data == pytest.approx(sigmoid(0.15 * 0.05 + 0.20 * 0.10 + 0.35), rel=1e-15)


@pytest.mark.parametrize(("name", "z", "expected"), [
    ("sigmoid", -0.7, sigmoid(-0.7)), ("tanh", -0.7, math.tanh(-0.7)), ("relu", -0.7, 0.0),
    ("relu", 0.7, 0.7), ("leaky_relu", -0.7, -0.007), ("linear", -0.7, -0.7)])
def test_every_activation_by_name(name: str, z: float, expected: float) -> None:
    neuron = nn.init.set_weights(nn.Neuron(1, activation=name), [1.0], 0.0)
    assert neuron([z]).data == pytest.approx(expected, rel=1e-15)


def test_neuron_without_bias_has_no_b() -> None:
    neuron = nn.Neuron(3, bias=False, seed=0)
    assert neuron.b is None
    assert [name for name, _ in neuron.named_parameters()] == ["w.0", "w.1", "w.2"]
    nn.init.set_weights(neuron, [1.0, 2.0, 3.0])
    assert neuron([1.0, 1.0, 1.0]).data == 6.0  # relu(6), with nothing added


def test_mlp_named_parameters_are_stable_dotted_paths() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == len(set(names)) == 3 * 3 + 4
    assert [p for _, p in model.named_parameters()] == model.parameters()
    assert len(model.weights()) == 3 * 2 + 3


def test_mlp_output_is_a_value_for_one_neuron_else_a_list() -> None:
    assert isinstance(nn.MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    outputs = nn.MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(outputs, list)
    assert len(outputs) == 3


def test_a_one_neuron_hidden_layer_works() -> None:
    model = nn.MLP(2, [1, 2], activation="tanh", seed=1)
    hidden = model.layers[0]([0.3, -0.2])
    out = model([0.3, -0.2])
    assert isinstance(out, list)
    assert [o.data for o in out] == [o.data for o in model.layers[1](hidden)]


def test_mlp_default_output_is_linear() -> None:
    model = nn.MLP(2, [2, 1], activation="sigmoid", seed=0)
    assert model.output_activation == "linear"
    assert model.layers[0].activation == "sigmoid"
    assert model.layers[1].activation == "linear"


@given(st.lists(st.floats(-3, 3), min_size=2, max_size=2), st.integers(0, 10**6),
       st.sampled_from(["sigmoid", "tanh", "leaky_relu"]))
def test_parameter_gradients_match_finite_differences(x: list[float], seed: int,
                                                      activation: str) -> None:
    model = nn.MLP(2, [3, 2], activation=activation, seed=seed)
    called, forwarded = model(x), model.forward(x)
    assert isinstance(called, list)
    assert isinstance(forwarded, list)
    assert [v.data for v in called] == [v.data for v in forwarded]
    (called[0] * called[1]).backward()
    params = model.parameters()
    values = [p.data for p in params]

    def f(*new: float) -> float:
        clone = nn.MLP(2, [3, 2], activation=activation, seed=0)
        for p, v in zip(clone.parameters(), new, strict=True):
            p.data = v
        a, b = clone.forward(x)  # type: ignore[misc]
        return float(a.data * b.data)

    for i, p in enumerate(params):
        assert close_to_difference(p.grad, central_difference(f, values, i)), (i, p.grad)


def test_zero_grad_clears_every_parameter() -> None:
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    out = model([1.0, -1.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_round_trip() -> None:
    source, target = nn.MLP(2, [3, 2], seed=1), nn.MLP(2, [3, 2], seed=2)
    assert source.state_dict() != target.state_dict()
    target.load_state_dict(source.state_dict())
    assert target.state_dict() == source.state_dict()
    assert list(source.state_dict()) == [name for name, _ in source.named_parameters()]


@pytest.mark.parametrize("model", [
    nn.Neuron(3, seed=0), nn.Neuron(3, bias=False, seed=0), nn.Layer(2, 4, seed=0),
    nn.Layer(2, 4, bias=False, seed=0), nn.MLP(3, [4, 2, 1], seed=0),
    nn.MLP(3, [4, 2], bias=False, seed=0),
], ids=["Neuron", "Neuron-no-bias", "Layer", "Layer-no-bias", "MLP", "MLP-no-bias"])
def test_the_parameter_count_from_a_config_is_the_built_models(model: nn.Module) -> None:
    assert type(model).parameter_count(model.config()) == len(model.parameters())


@pytest.mark.parametrize(("module", "config", "message"), [
    (nn.Neuron, {}, "nin must be a positive int, got None"),
    (nn.Layer, {"nin": 2}, "nout must be a positive int, got None"),
    (nn.MLP, {"nin": 2, "nouts": 3}, "nouts must be a non-empty list of layer sizes, got 3"),
    (nn.MLP, {"nin": 2, "nouts": [2, 0]}, "each layer size in nouts must be a positive int"),
])
def test_a_parameter_count_checks_the_sizes(module: type[nn.Module], config: dict[str, object],
                                            message: str) -> None:
    with pytest.raises(ValueError, match=message):
        module.parameter_count(config)


def test_load_state_dict_names_missing_and_unexpected_parameters() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    del state["layers.1.neurons.0.b"]
    state["layers.2.neurons.0.b"] = 1.0
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"missing layers\.1\.neurons\.0\.b.*"
                                         r"unexpected layers\.2\.neurons\.0\.b"):
        model.load_state_dict(state)
    assert model.state_dict() == before


@pytest.mark.parametrize("bad", ["1.0", None, True, [1.0]])
def test_load_state_dict_rejects_values_that_are_not_numbers(bad: object) -> None:
    model = nn.Neuron(1, seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"w\.0 must be a number"):
        model.load_state_dict({"w.0": bad, "b": 0.0})
    assert model.state_dict() == before


def test_same_seed_same_weights_and_random_generators_are_accepted() -> None:
    assert nn.MLP(2, [3, 1], seed=7).state_dict() == nn.MLP(2, [3, 1], seed=7).state_dict()
    assert nn.MLP(2, [3, 1], seed=7).state_dict() != nn.MLP(2, [3, 1], seed=8).state_dict()
    rng = random.Random(7)
    assert nn.MLP(2, [3, 1], seed=rng).state_dict() == nn.MLP(2, [3, 1], seed=7).state_dict()
    assert all(-1.0 <= v <= 1.0 for v in nn.MLP(2, [3, 1], seed=7).state_dict().values())


def test_unknown_activation_is_a_value_error_listing_the_names() -> None:
    with pytest.raises(ValueError, match="unknown activation 'softplus': expected one of "
                                         "sigmoid, tanh, relu, leaky_relu, linear"):
        nn.MLP(2, [2, 1], activation="softplus")
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP(2, [2, 1], output_activation="soft")
    with pytest.raises(ValueError, match="unknown activation"):
        nn.Neuron(2, activation=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("module", [nn.Neuron(2, seed=0), nn.Layer(2, 3, seed=0),
                                    nn.MLP(2, [3, 1], seed=0)], ids=["Neuron", "Layer", "MLP"])
def test_wrong_input_length_is_a_value_error_saying_what_is_expected(
        module: nn.Module) -> None:
    with pytest.raises(ValueError, match=f"{type(module).__name__} expects 2 inputs, got 3"):
        module([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expects 2 inputs, got 1"):
        module.forward([1.0])


@pytest.mark.parametrize(("args", "message"), [
    ((0, [2]), "nin must be a positive int, got 0"),
    ((2, []), "nouts must be a non-empty list"),
    ((2, 3), "nouts must be a non-empty list"),
    ((2, [2, 0]), "each layer size in nouts must be a positive int, got 0"),
    ((2.5, [2]), "nin must be a positive int, got 2.5"),
])
def test_bad_sizes_are_value_errors(args: tuple[object, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nn.MLP(*args)  # type: ignore[arg-type]


def test_bad_seed_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"seed must be an int, a random\.Random or None"):
        nn.Neuron(2, seed="0")  # type: ignore[arg-type]


def test_repr_shows_the_architecture_and_small_weights() -> None:
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    assert repr(model) == (
        "MLP(nin=2, nouts=[3, 1], activation='tanh', output_activation='linear', bias=True, "
        "dropout=0.0)\n"
        "  layers.0: Layer(nin=2, nout=3, activation='tanh', bias=True)\n"
        "  layers.1: Layer(nin=3, nout=1, activation='linear', bias=True)")
    neuron = nn.init.set_weights(nn.Neuron(2, activation="sigmoid"), [0.15, 0.2], 0.35)
    assert repr(neuron) == "Neuron(2, activation='sigmoid', w=[0.15, 0.2], b=0.35)"
    assert "b=None" in repr(nn.Neuron(1, bias=False, seed=0))


# --- scopes: what a drawing clusters by ---


def test_nodes_made_in_a_neuron_carry_its_path_innermost() -> None:
    model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    out = model([0.5, -0.5])
    assert isinstance(out, Value)
    assert out.scopes == ("layers.1", "layers.1.neurons.0")
    weighted_sum = out.parents[0]  # (w0·h0 + w1·h1) + b
    assert weighted_sum.scopes == out.scopes
    h1 = weighted_sum.parents[0].parents[1].parents[1]  # w1 * h1
    assert h1.op == "sigmoid"
    assert h1.scopes == ("layers.0", "layers.0.neurons.1")


def test_scope_names_match_named_parameter_prefixes() -> None:
    model = nn.MLP(2, [2, 2], seed=0)
    outputs = model([1.0, 2.0])
    assert isinstance(outputs, list)
    prefixes = {name.rsplit(".w.", 1)[0].removesuffix(".b")
                for name, _ in model.named_parameters()}
    scopes = {node.scopes[-1] for out in outputs for node in topological_order(out) if node.op}
    assert scopes == prefixes
    assert all(s.startswith("layers.") for s in scopes)


def test_a_layer_or_neuron_on_its_own_names_its_parts() -> None:
    layer = nn.Layer(2, 2, seed=0)
    assert [out.scopes for out in layer([1.0, 2.0])] == [("neurons.0",), ("neurons.1",)]
    assert nn.Neuron(2, seed=0)([1.0, 2.0]).scopes == ()


def test_forward_makes_no_scopes_and_inputs_keep_theirs() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    out = model.forward([1.0, 2.0])
    assert isinstance(out, Value)
    assert all(node.scopes == () for node in topological_order(out))
    x = Value(1.0)
    model([x, 2.0])
    assert x.scopes == ()
    assert all(p.scopes == () for p in model.parameters())


# --- modules, training and eval modes, dropout ---


def test_named_modules_lists_each_module_once_by_its_dotted_name_outermost_first() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    names = [name for name, _ in model.named_modules()]
    assert names == ["", "layers.0", "layers.0.neurons.0", "layers.0.neurons.1", "layers.1",
                     "layers.1.neurons.0"]
    assert list(model.modules()) == [module for _, module in model.named_modules()]
    assert all(module.path == name for name, module in model.named_modules())
    layer = model.layers[0]
    assert [name for name, _ in layer.named_modules()] == ["", "neurons.0", "neurons.1"]
    assert list(layer.modules())[1] is layer.neurons[0]


def test_train_and_eval_set_the_flag_on_every_module_and_return_the_module() -> None:
    model = nn.MLP(2, [3, 3, 1], dropout=0.5, seed=0)
    assert all(module.training for module in model.modules())
    assert model.eval() is model
    assert not any(module.training for module in model.modules())
    assert model.layers[1].train() is model.layers[1]
    assert [name for name, m in model.named_modules() if m.training][:2] == [
        "layers.1", "layers.1.neurons.0"]
    model.train()
    assert all(module.training for module in model.modules())
    model.train(False)
    assert not model.dropouts[0].training
    with pytest.raises(ValueError, match="mode must be True or False, got 'yes'"):
        model.train("yes")  # type: ignore[arg-type]


def test_dropout_in_eval_mode_passes_the_same_values_through() -> None:
    x = [Value(1.0), Value(-2.0)]
    dropout = nn.Dropout(0.5, seed=0).eval()
    assert all(a is b for a, b in zip(dropout(x), x, strict=True))
    assert all(a is b for a, b in zip(nn.Dropout(0.0).train()(x), x, strict=True))


def test_dropout_while_training_zeroes_about_p_and_scales_the_rest_by_one_over_one_minus_p(
        ) -> None:
    x = [Value(float(i % 7) + 1.0) for i in range(4000)]
    out = nn.Dropout(0.25, seed=1)(x)
    dropped = [o.data == 0.0 for o in out]
    assert 0.22 < sum(dropped) / len(x) < 0.28  # 1000 ± 5 standard deviations of 27
    assert all(o.data == v.data * (1 / 0.75) for o, v, d in zip(out, x, dropped, strict=True)
               if not d)
    total = out[0]
    for o in out[1:]:
        total = total + o
    total.backward()
    assert {v.grad for v in x} == {0.0, 1 / 0.75}
    assert all(o.parents[0] is v for o, v in zip(out, x, strict=True))  # dropped ones too
    everything = nn.Dropout(1.0, seed=0)(x[:5])
    assert [o.data for o in everything] == [0.0] * 5


def test_dropout_draws_only_from_its_seed() -> None:
    x = [Value(1.0)] * 64

    def mask(seed: int) -> list[bool]:
        return [o.data == 0.0 for o in nn.Dropout(0.5, seed=seed)(x)]

    random.seed(1)
    first = mask(3)
    random.seed(2)
    assert mask(3) == first
    assert mask(4) != first
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


def test_an_mlp_with_dropout_has_a_dropout_after_each_hidden_layer() -> None:
    model = nn.MLP(2, [4, 4, 1], activation="tanh", dropout=0.5, seed=0)
    assert [name for name, _ in model.children()] == [
        "layers.0", "dropouts.0", "layers.1", "dropouts.1", "layers.2"]
    assert model.state_dict() == nn.MLP(2, [4, 4, 1], activation="tanh", seed=0).state_dict()
    assert model.config()["dropout"] == 0.5
    x = [0.3, -0.7]
    plain = nn.MLP(2, [4, 4, 1], activation="tanh", seed=0)
    assert model.eval()(x).data == plain(x).data  # type: ignore[union-attr]
    out = model.train()(x)
    assert isinstance(out, Value)
    dropped = [node.op for node in topological_order(out)
               if node.op and node.scopes == ("dropouts.0",)]
    assert dropped == ["mul"] * 4
    assert nn.MLP(2, [1], dropout=0.5).dropouts == []  # no hidden layer, nothing to drop
    with pytest.raises(ValueError, match=r"dropout must be a probability in \[0, 1\]"):
        nn.MLP(2, [2, 1], dropout=-0.1)
