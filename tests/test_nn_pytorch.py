"""nn.to_torch and nn.from_torch: the same weights, outputs, gradients and training."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value

torch = pytest.importorskip("torch", reason="PyTorch is not installed: parity tests not run")

F64 = torch.float64
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]


def torch_parameters(sequential: Any) -> list[Any]:
    """The torch parameters in nn's order: each unit's weights, then its bias."""
    return [p for linear in sequential if isinstance(linear, torch.nn.Linear) for p in (
        linear.weight, linear.bias) if p is not None]


def flat_like_nn(tensors: list[Any], bias: bool) -> list[float]:
    """Tensors of Linear layers (weight, bias, weight, bias, ...) in named_parameters' order."""
    step = 2 if bias else 1
    flat: list[float] = []
    for k in range(0, len(tensors), step):
        rows = tensors[k].tolist()
        biases = tensors[k + 1].tolist() if bias else [None] * len(rows)
        for row, b in zip(rows, biases, strict=True):
            flat += row + ([b] if bias else [])
    return flat


models = st.builds(
    lambda nin, nouts, activation, output, bias, seed: nn.MLP(
        nin, nouts, activation=activation, output_activation=output, bias=bias, seed=seed),
    st.integers(1, 3), st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.sampled_from(ACTIVATIONS), st.sampled_from(ACTIVATIONS), st.booleans(),
    st.integers(0, 2**32))
rows = st.lists(st.floats(-3.0, 3.0), min_size=3, max_size=3)


@settings(max_examples=40)
@given(models, st.lists(rows, min_size=1, max_size=4))
def test_the_torch_model_gives_the_same_outputs_and_gradients(model: nn.MLP,
                                                              X: list[list[float]]) -> None:
    X = [x[:model.nin] for x in X]
    sequential = nn.to_torch(model)
    assert all(p.dtype == F64 for p in sequential.parameters())
    theirs = sequential(torch.tensor(X, dtype=F64))
    (theirs * theirs).sum().backward()
    ours = [o if isinstance(o, list) else [o] for o in nn.predict(model, X)]
    assert theirs.flatten().tolist() == pytest.approx(
        [o for row in ours for o in row], rel=1e-12, abs=1e-12)
    model.zero_grad()
    for x in X:
        out = model(x)
        for o in out if isinstance(out, list) else [out]:
            (o * o).backward()
    bias = model.config()["bias"]
    grads = flat_like_nn([p.grad for p in torch_parameters(sequential)], bias)
    assert [p.grad for p in model.parameters()] == pytest.approx(grads, rel=1e-12, abs=1e-12)


@given(models)
def test_a_round_trip_keeps_the_architecture_and_every_weight(model: nn.MLP) -> None:
    back = nn.from_torch(nn.to_torch(model), seed=0)
    config = model.config()
    if len(model.layers) == 1:  # no hidden layer, so its activation is never applied
        config["activation"] = "linear"
    assert back.config() == config
    assert back.state_dict() == model.state_dict()


def test_a_layer_and_a_neuron_go_to_torch_too() -> None:
    layer = nn.Layer(3, 2, activation="tanh", seed=0)
    sequential = nn.to_torch(layer)
    assert [type(m).__name__ for m in sequential] == ["Linear", "Tanh"]
    x = [0.5, -1.0, 2.0]
    assert sequential(torch.tensor(x, dtype=F64)).tolist() == pytest.approx(
        [v.data for v in layer(x)], rel=1e-12)
    neuron = nn.Neuron(2, activation="sigmoid", bias=False, seed=0)
    sequential = nn.to_torch(neuron)
    assert sequential[0].bias is None
    assert sequential(torch.tensor([0.5, -1.0], dtype=F64)).item() == pytest.approx(
        neuron([0.5, -1.0]).data, rel=1e-12)
    assert nn.from_torch(sequential).state_dict() == {
        f"layers.0.neurons.0.{name}": value for name, value in neuron.state_dict().items()}


def test_making_the_torch_model_draws_nothing_from_torchs_generator() -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    nn.to_torch(nn.MLP(2, [8, 1], seed=0))
    assert torch.equal(torch.rand(3), expected)


def test_dropout_and_the_training_mode_carry_over() -> None:
    model = nn.MLP(2, [4, 4, 1], activation="relu", dropout=0.25, seed=0).eval()
    sequential = nn.to_torch(model)
    assert [type(m).__name__ for m in sequential] == [
        "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert sequential[2].p == 0.25
    assert not sequential.training
    assert sequential(torch.tensor([0.5, -1.0], dtype=F64)).item() == pytest.approx(
        nn.predict(model, [[0.5, -1.0]])[0], rel=1e-12)
    back = nn.from_torch(sequential.train())
    assert back.training
    assert back.dropout == 0.25
    assert back.config() == model.config()


def test_freezing_crosses_a_whole_tensor_at_a_time() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    model.layers[0].requires_grad_(False)
    sequential = nn.to_torch(model)
    assert [p.requires_grad for p in sequential.parameters()] == [False, False, True, True]
    sequential[2].bias.requires_grad_(False)
    back = nn.from_torch(sequential)
    assert [p.requires_grad for p in back.parameters()] == [False] * 9 + [True] * 3 + [False]
    model.layers[0].neurons[1].requires_grad_()
    with pytest.raises(ValueError, match=r"the weights of Layer layers\.0 are partly frozen"):
        nn.to_torch(model)

def test_float32_weights_come_back_as_the_same_numbers() -> None:
    sequential = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    model = nn.from_torch(sequential)
    assert model.config() == {"nin": 2, "nouts": [3, 1], "activation": "tanh",
                              "output_activation": "linear", "bias": True, "dropout": 0.0}
    weights = [w.data for w in model.layers[0].neurons[1].w]
    assert weights == sequential[0].weight[1].tolist()
    x = torch.tensor([[0.25, -0.5]])
    assert sequential(x).item() == pytest.approx(nn.predict(model, x.tolist())[0], rel=1e-6)


def linear(nin: int, nout: int, bias: bool = True) -> Any:
    return torch.nn.Linear(nin, nout, bias=bias, dtype=F64)


@pytest.mark.parametrize(("parts", "message"), [
    (lambda: [], "holds no Linear layer"),
    (lambda: [torch.nn.ReLU(), linear(2, 1)], "cannot read ReLU at position 0"),
    (lambda: [linear(2, 3), torch.nn.ReLU(), torch.nn.Tanh(), linear(3, 1)],
     "cannot read Tanh at position 2"),
    (lambda: [linear(2, 3), torch.nn.Conv1d(1, 1, 1)], "cannot read Conv1d at position 1"),
    (lambda: [linear(2, 3), torch.nn.GELU(), linear(3, 1)], "cannot read GELU"),
    (lambda: [linear(2, 3), torch.nn.Dropout(0.1), torch.nn.ReLU(), linear(3, 1)],
     "cannot read ReLU at position 2"),
    (lambda: [linear(2, 3), linear(2, 1)], "3 outputs is followed by one with 2 inputs"),
    (lambda: [linear(2, 3), linear(3, 1, bias=False)], "every Linear has a bias or none"),
    (lambda: [linear(2, 3), torch.nn.ReLU(), linear(3, 3), torch.nn.Tanh(), linear(3, 1)],
     "share one activation (an MLP has one), got relu, tanh"),
    (lambda: [linear(2, 3), torch.nn.LeakyReLU(0.2), linear(3, 1)],
     "negative_slope must be 0.01"),
    (lambda: [linear(2, 3), linear(3, 1), torch.nn.Dropout(0.5)],
     "a Dropout must follow every hidden layer"),
    (lambda: [linear(2, 3), torch.nn.Dropout(0.1), linear(3, 3), linear(3, 1)],
     "a Dropout must follow every hidden layer"),
    (lambda: [linear(2, 3), torch.nn.Dropout(0.1), linear(3, 3), torch.nn.Dropout(0.2),
              linear(3, 1)], "share one Dropout probability"),
    (lambda: [torch.nn.Linear(2, 1, dtype=torch.complex64)], "must be floating point"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_what_from_torch_cannot_read_is_a_value_error_saying_what(parts: Any,
                                                                  message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        nn.from_torch(torch.nn.Sequential(*parts()))


def test_only_sequentials_and_nn_models_cross() -> None:
    with pytest.raises(TypeError, match=r"takes a torch\.nn\.Sequential, got Linear"):
        nn.from_torch(linear(2, 1))
    with pytest.raises(TypeError, match="takes a Neuron, Layer or MLP, got Dropout"):
        nn.to_torch(nn.Dropout(0.5))


# --- training side by side ---

EPOCHS = 50


def torch_fit(sequential: Any, X: list[list[float]], y: list[Any], loss: str,
              optimizer: Any, batch_size: int, seed: int) -> list[float]:
    """The loop nn.fit runs, written in torch: the same batches, each loss's mean, a step."""
    rng = random.Random(seed)
    history = []
    for _ in range(EPOCHS):
        total = 0.0
        for xb, yb in nn.data.batches(X, y, batch_size, True, rng):
            optimizer.zero_grad()
            out = sequential(torch.tensor(xb, dtype=F64))
            if loss == "mse":
                batch_loss = torch.nn.functional.mse_loss(
                    out.squeeze(1), torch.tensor(yb, dtype=F64))
            else:
                batch_loss = torch.nn.functional.cross_entropy(out, torch.tensor(yb))
            batch_loss.backward()
            optimizer.step()
            total += batch_loss.item() * len(xb)
        history.append(total / len(X))
    return history


CASES: dict[str, tuple[str, Callable[[list[Value]], nn.optim.Optimizer], Callable[[Any], Any]]] = {
    "SGD with momentum, mse": ("mse", lambda ps: nn.optim.SGD(ps, lr=0.05, momentum=0.9),
                               lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    "Adam, cross entropy": ("cross_entropy", lambda ps: nn.optim.Adam(ps, lr=0.01),
                            lambda ps: torch.optim.Adam(ps, lr=0.01)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fifty_epochs_of_fit_give_torchs_losses(case: str) -> None:
    loss, ours, theirs = CASES[case]
    X, labels = nn.data.moons(40, noise=0.2, seed=1)
    y: list[Any] = labels if loss == "mse" else [int(t > 0) for t in labels]
    model = nn.MLP(2, [8, 8, 1 if loss == "mse" else 2], activation="tanh", seed=0)
    sequential = nn.to_torch(model)
    history = nn.fit(model, X, y, loss=loss, optimizer=ours(model.parameters()),
                     epochs=EPOCHS, batch_size=8, seed=3, progress=False)
    reference = torch_fit(sequential, X, y, loss, theirs(sequential.parameters()), 8, 3)
    assert history["loss"][-1] < 0.5 * history["loss"][0]  # it learns, so the test means something
    assert history["loss"] == pytest.approx(reference, rel=1e-9, abs=1e-12)
    assert nn.from_torch(sequential).state_dict() == pytest.approx(model.state_dict(), rel=1e-8)


def test_gradients_agree_at_an_exact_zero_of_relu() -> None:
    model = nn.MLP(1, [1, 1], activation="relu", seed=0)
    nn.init.set_weights(model, [[[1.0]], [[2.0]]], biases=[[0.0], [0.5]])
    sequential = nn.to_torch(model)
    out = model([0.0])
    assert isinstance(out, Value)
    out.backward()
    sequential(torch.zeros(1, dtype=F64)).sum().backward()
    grads = flat_like_nn([p.grad for p in torch_parameters(sequential)], bias=True)
    assert [p.grad for p in model.parameters()] == grads == [0.0, 0.0, 0.0, 1.0]

