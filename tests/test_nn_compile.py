"""nn.fit(compile=True): the eager history to 1e-9, one compile for every batch size, the same
errors."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import autograd
import nn
from autograd import Value
from nn import _compiled, losses
from nn.optim import SGD, Adam, Optimizer

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
X, LABELS = nn.data.moons(13, noise=0.2, seed=1)  # 13 rows: batches of 5 leave a ragged 3
ZERO_ONE = [(t + 1.0) / 2.0 for t in LABELS]
CLASSES = [int(x0 > 0.5) + int(x1 > 0.2) for x0, x1 in X]  # 0, 1 or 2
PAIRS = [[x0 * x1, x0 - 0.5 * x1] for x0, x1 in X]

# loss: (the model's layer sizes after the input, output activation, targets)
CASES: dict[str, tuple[list[int], str, Sequence[object]]] = {
    "hinge": ([4, 1], "linear", LABELS),
    "mse": ([4, 1], "tanh", LABELS),
    "quadratic": ([4, 2], "linear", PAIRS),
    "cross_entropy": ([4, 3], "linear", CLASSES),
    "binary_cross_entropy_with_logits": ([4, 1], "linear", ZERO_ONE),
    "binary_cross_entropy": ([4, 1], "sigmoid", ZERO_ONE),
}
History = dict[str, list[float]]
OPTIMIZERS: dict[str, Callable[[list[Value]], Optimizer]] = {
    "sgd_momentum": lambda params: SGD(params, lr=0.1, momentum=0.9),
    "adam": lambda params: Adam(params, lr=0.05),
}


def model_for(loss: str, seed: int = 3) -> nn.MLP:
    sizes, output, _ = CASES[loss]
    return nn.MLP(2, sizes, activation="relu", output_activation=output, seed=seed)


def train(loss: str, optimizer: str, batch_size: int | None, compile: bool | str,
          **options: Any) -> tuple[History, dict[str, float]]:
    model = model_for(loss)
    y = CASES[loss][2]
    history = nn.fit(model, X, y, loss=loss, optimizer=OPTIMIZERS[optimizer](model.parameters()),
                     epochs=3, batch_size=batch_size, seed=0, progress=False, compile=compile,
                     **options)
    return history, with_grads(model)


def with_grads(model: nn.MLP) -> dict[str, float]:
    """The model's state and each parameter's grad (the last batch's gradient)."""
    grads = {f"grad {i}": p.grad for i, p in enumerate(model.parameters())}
    return {**model.state_dict(), **grads}


def assert_same_training(eager: tuple[History, dict[str, float]],
                         compiled: tuple[History, dict[str, float]]) -> None:
    (eager_history, eager_state), (compiled_history, compiled_state) = eager, compiled
    assert compiled_history.keys() == eager_history.keys()
    for key, values in eager_history.items():
        assert compiled_history[key] == pytest.approx(values, rel=0.0, abs=1e-9), key
    assert compiled_history.get("accuracy") == eager_history.get("accuracy")
    assert compiled_state.keys() == eager_state.keys()
    for name, value in eager_state.items():
        assert compiled_state[name] == pytest.approx(value, rel=0.0, abs=1e-9), name


@pytest.mark.parametrize("batch_size", [1, 5, None])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("loss", sorted(CASES))
def test_compiled_training_gives_the_eager_history_and_parameters(
        loss: str, optimizer: str, batch_size: int | None) -> None:
    options: dict[str, Any] = {"l2": 0.05} if optimizer == "sgd_momentum" else {}
    eager = train(loss, optimizer, batch_size, compile=False, **options)
    assert eager[0]["loss"][-1] != eager[0]["loss"][0]  # it trains
    assert_same_training(eager, train(loss, optimizer, batch_size, compile=True, **options))


@pytest.mark.parametrize("batch_size", [1, 5, None])
@pytest.mark.parametrize("loss", sorted(CASES))
def test_native_training_gives_the_eager_history_and_parameters(
        loss: str, batch_size: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("llvmlite", reason="llvmlite is not installed (chainrule[native])")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    eager = train(loss, "sgd_momentum", batch_size, compile=False, l2=0.05)
    assert_same_training(eager, train(loss, "sgd_momentum", batch_size, compile="native",
                                      l2=0.05))


def test_validation_is_measured_as_in_eager_training() -> None:
    options = {"validation": (X[:6], LABELS[:6]), "l2": 0.01}
    eager = train("hinge", "adam", 4, compile=False, **options)
    assert {"val_loss", "val_accuracy"} <= eager[0].keys()
    assert_same_training(eager, train("hinge", "adam", 4, compile=True, **options))


def test_one_compile_serves_every_batch_size(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = []

    def counting_compile(root: Value, inputs: Sequence[Value], aux: Sequence[Value] = (),
                         **options: Any) -> Any:
        compiled.append((len(aux), "batch_inputs" in options))
        return autograd.compile(root, inputs, aux, **options)

    monkeypatch.setattr(_compiled, "compile", counting_compile)
    train("hinge", "adam", 5, compile=True)  # 3 epochs of batches of 5, 5 and 3
    assert compiled == [(1, True)]  # one sample's kernel, its one output as aux


def test_compile_names_its_backend() -> None:
    model = model_for("hinge")
    with pytest.raises(ValueError, match=r'compile must be False, True, "python" or "native", '
                                         r"got 'fast'"):
        nn.fit(model, X, LABELS, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1),
               progress=False, compile="fast")


def test_frozen_parameters_stay_and_a_parameter_outside_the_graph_gets_no_gradient() -> None:
    results = []
    for compile in (False, True):
        model = model_for("hinge")
        frozen = model.layers[0].parameters()
        stray = Value(0.5)  # in the optimizer, but the loss never reaches it
        optimizer = SGD([*model.layers[1].parameters(), stray], lr=0.1, momentum=0.5)
        before = [p.data for p in frozen]
        history = nn.fit(model, X, LABELS, loss="hinge", optimizer=optimizer, epochs=2,
                         batch_size=4, seed=0, progress=False, compile=compile)
        assert [p.data for p in frozen] == before
        assert stray.grad == 0.0 and stray.data == 0.5
        results.append((history, model.state_dict()))
    assert_same_training(*results)


@pytest.mark.parametrize("frozen", ["one_weight", "every_weight"])
@pytest.mark.parametrize("backend", ["python", "native"])
def test_a_frozen_weight_under_l2_trains_as_in_eager_training(
        backend: str, frozen: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend == "native":
        pytest.importorskip("llvmlite", reason="llvmlite is not installed (chainrule[native])")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    results = []
    for compile in (False, backend):
        model = model_for("mse")
        weights = model.weights()
        for w in weights[:1] if frozen == "one_weight" else weights:
            w.requires_grad = False
        before = [w.data for w in weights if not w.requires_grad]
        history = nn.fit(model, X, LABELS, loss="mse", optimizer=SGD(model.parameters(), lr=0.1),
                         epochs=3, batch_size=5, seed=0, l2=0.05, progress=False,
                         compile=compile)
        assert [w.data for w in weights if not w.requires_grad] == before
        results.append((history, model.state_dict()))
    assert_same_training(*results)


def test_a_parameter_of_the_loss_is_trained_as_in_eager_training() -> None:
    results = []
    for compile in (False, True):
        scale = Value(1.0)

        def scaled_mse(prediction: losses.Prediction, target: object,
                       scale: Value = scale) -> Value:
            return losses.mse(prediction, target) * scale

        model = model_for("mse")
        history = nn.fit(model, X, LABELS, loss=scaled_mse,
                         optimizer=SGD([*model.parameters(), scale], lr=0.05), epochs=2,
                         batch_size=5, seed=0, progress=False, compile=compile)
        results.append((history, {**model.state_dict(), "scale": scale.data}))
    assert results[0][1]["scale"] != 1.0
    assert_same_training(*results)


def test_a_non_finite_loss_stops_compiled_training_where_eager_training_stops() -> None:
    messages, states = [], []
    for compile in (False, True):
        model = nn.MLP(2, [3, 1], activation="linear", seed=0)
        with pytest.raises(FloatingPointError) as error:
            nn.fit(model, X, LABELS, loss="mse", optimizer=SGD(model.parameters(), lr=3.0),
                   epochs=50, batch_size=5, seed=0, progress=False, compile=compile)
        messages.append(str(error.value))
        states.append(model.state_dict())
    assert messages[0] == messages[1]
    assert " at epoch " in messages[0] and ", batch " in messages[0]
    assert all(math.isfinite(v) for v in states[1].values())  # stopped before that update
    assert states[1] == pytest.approx(states[0], rel=1e-9)


def test_an_interrupt_leaves_the_parameters_where_the_last_step_left_them() -> None:
    states = []
    for compile in (False, True):
        model = model_for("hinge")
        optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
        name = "step_numbers" if compile else "step"
        steps, calls = getattr(optimizer, name), [0]

        def interrupted(*args: Any, steps: Any = steps, calls: list[int] = calls) -> Any:
            calls[0] += 1
            if calls[0] == 8:  # after 7 steps: in epoch 3 of batches of 5, 5 and 3
                raise KeyboardInterrupt
            return steps(*args)

        setattr(optimizer, name, interrupted)
        with pytest.raises(KeyboardInterrupt):
            nn.fit(model, X, LABELS, loss="hinge", optimizer=optimizer, epochs=5, batch_size=5,
                   l2=0.01, seed=0, progress=False, compile=compile)
        states.append(with_grads(model))
    assert states[1] != with_grads(model_for("hinge"))
    assert states[1] == pytest.approx(states[0], rel=0.0, abs=1e-12)


class ClippedSGD(SGD):
    """A step() of its own: each grad clipped to [-0.05, 0.05] first."""

    def step(self) -> None:
        for p in self.params:
            p.grad = max(-0.05, min(0.05, p.grad))
        super().step()


class SignDescent(Optimizer):
    """Only a step(): p ← p − 0.01·sign(grad)."""

    def step(self) -> None:
        for p in self.params:
            p.data -= 0.01 * ((p.grad > 0) - (p.grad < 0))


@pytest.mark.parametrize("make", [lambda ps: ClippedSGD(ps, lr=0.5, momentum=0.5),
                                  SignDescent], ids=["own step", "only a step"])
def test_an_optimizer_with_a_step_of_its_own_trains_as_in_eager_training(
        make: Callable[[list[Value]], Optimizer]) -> None:
    results = []
    for compile in (False, True):
        model = model_for("hinge")
        history = nn.fit(model, X, LABELS, loss="hinge", optimizer=make(model.parameters()),
                         epochs=3, batch_size=5, l2=0.01, seed=0, progress=False,
                         compile=compile)
        results.append((history, with_grads(model)))
    assert results[0][1] != with_grads(model_for("hinge"))
    assert_same_training(*results)


def test_a_parameter_made_by_an_op_gets_gradient_0_or_if_the_loss_reaches_it_is_refused(
        ) -> None:
    results = []
    for compile in (False, True):
        model = model_for("hinge")
        made = Value(1.0) * 2.0  # in the optimizer, never in the loss
        history = nn.fit(model, X, LABELS, loss="hinge",
                         optimizer=SGD([*model.parameters(), made], lr=0.1, momentum=0.5),
                         epochs=2, batch_size=5, l2=0.01, seed=0, progress=False,
                         compile=compile)
        assert (made.data, made.grad) == (2.0, 0.0)
        results.append((history, with_grads(model)))
    assert_same_training(*results)
    model = model_for("hinge")
    neuron = model.layers[0].neurons[0]
    neuron.w[0] = neuron.w[0] * 1.0  # the model computes with a node an op made
    with pytest.raises(ValueError, match=r"compile needs the parameters the loss reaches to be "
                                         r"leaves .* was made by 'mul': train without compile"):
        nn.fit(model, X, LABELS, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1),
               progress=False, compile=True)


def test_a_bad_target_in_any_batch_is_refused_before_training() -> None:
    model = model_for("hinge")
    start = model.state_dict()
    with pytest.raises(ValueError, match=r"hinge expects targets -1 or \+1, got 0.5"):
        nn.fit(model, X, [*LABELS[:-1], 0.5], loss="hinge",
               optimizer=SGD(model.parameters(), lr=0.1), batch_size=4, shuffle=False,
               progress=False, compile=True)
    assert model.state_dict() == start


def test_a_loss_that_needs_number_targets_is_told_they_are_values() -> None:
    def squared(prediction: losses.Prediction, target: object) -> Value:
        assert isinstance(prediction, Value)
        number = float(target)  # type: ignore[arg-type]
        return (prediction - number) ** 2

    model = model_for("mse")
    with pytest.raises(TypeError, match="with compile the loss gets its targets as Values"):
        nn.fit(model, X, LABELS, loss=squared, optimizer=SGD(model.parameters(), lr=0.1),
               progress=False, compile=True)


def test_a_python_branch_on_data_is_frozen_at_the_first_batch() -> None:
    def one_sided(prediction: losses.Prediction, target: object) -> Value:
        assert isinstance(prediction, Value)
        # a Python branch: the compiled graph keeps whichever side the first batch took
        return prediction * 0.0 if prediction.data > 0 else losses.mse(prediction, target)

    rows, targets = [[1.0, 0.0], [-1.0, 0.0]], [1.0, 1.0]
    losses_by_mode = []
    for compile in (False, True):
        model = nn.init.set_weights(nn.MLP(2, [1], seed=0), [[[1.0, 0.0]]], [[0.0]])  # out = x0
        optimizer = SGD(model.parameters(), lr=0.0)
        history = nn.fit(model, rows, targets, loss=one_sided, optimizer=optimizer,
                         batch_size=1, shuffle=False, progress=False, compile=compile)
        losses_by_mode.append(history["loss"])
    assert losses_by_mode[0] == [(0.0 + 4.0) / 2]  # eager: the second row takes the mse side
    assert losses_by_mode[1] == [(0.0 + 0.0) / 2]  # compiled: frozen at the first row's side


def test_the_moons_example_trains_compiled_to_the_same_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (the 'examples' "
                                             "extra): the example's plotting module needs it")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    moons = importlib.import_module("moons")
    for drawing in ("decision_regions", "curves"):  # the pictures are test_nn_lectures's
        monkeypatch.setattr(moons.plotting, drawing, lambda *args, **kwargs: None)
    eager = moons.main(tmp_path, epochs=2)
    compiled = moons.main(tmp_path, epochs=2, compile=True)
    assert compiled["test_accuracy"] == eager["test_accuracy"]
    for key, values in eager["history"].items():
        assert compiled["history"][key] == pytest.approx(values, rel=0.0, abs=1e-9), key


def test_a_row_of_another_length_is_refused_before_training() -> None:
    model = model_for("hinge")
    with pytest.raises(ValueError, match="row 12 has 3, row 0 has 2"):
        nn.fit(model, [*X[:-1], [0.0, 1.0, 2.0]], LABELS, loss="hinge",
               optimizer=SGD(model.parameters(), lr=0.1), progress=False, compile=True)
