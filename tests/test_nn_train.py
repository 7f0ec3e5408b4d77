"""nn.fit, evaluate, accuracy, classify, predict: batch averaging, histories, errors, the bar."""

from __future__ import annotations

import io
import math
import sys

import pytest
from finite_differences import central_difference, close_to_difference

import nn
from autograd import Value
from nn import losses
from nn.optim import SGD

X4 = [[0.5, -1.0], [2.0, 0.25], [-0.3, 0.8], [1.0, 1.0]]
Y4 = [1.0, -1.0, 1.0, -1.0]


def model_copy(seed: int = 0) -> nn.MLP:
    return nn.MLP(2, [3, 1], activation="tanh", seed=seed)


def sample_gradient(x: list[float], t: float) -> list[float]:
    """One sample's gradient of the mse loss, from a fresh copy of the model."""
    model = model_copy()
    loss = losses.mse(model(x), t)
    loss.backward()
    return [p.grad for p in model.parameters()]


def test_a_full_batch_step_uses_the_mean_gradient_d_equals_delta_over_m() -> None:
    model = model_copy()
    start = [p.data for p in model.parameters()]
    nn.fit(model, X4, Y4, loss="mse", optimizer=SGD(model.parameters(), lr=0.1), progress=False)
    per_sample = [sample_gradient(x, t) for x, t in zip(X4, Y4, strict=True)]
    mean = [sum(column) / len(X4) for column in zip(*per_sample, strict=True)]
    assert [p.grad for p in model.parameters()] == pytest.approx(mean, rel=1e-14)
    assert [p.data for p in model.parameters()] == pytest.approx(
        [p - 0.1 * g for p, g in zip(start, mean, strict=True)], rel=1e-14)


def test_mini_batches_and_single_samples_update_after_each_batch() -> None:
    for size in (1, 2):
        model, reference = model_copy(), model_copy()
        nn.fit(model, X4, Y4, loss="mse", optimizer=SGD(model.parameters(), lr=0.1),
               batch_size=size, shuffle=False, progress=False)
        optimizer = SGD(reference.parameters(), lr=0.1)
        for start in range(0, 4, size):
            reference.zero_grad()
            for x, t in zip(X4[start:start + size], Y4[start:start + size], strict=True):
                (losses.mse(reference(x), t) * (1 / size)).backward()
            optimizer.step()
        assert model.state_dict() == pytest.approx(reference.state_dict(), rel=1e-13)


def test_l2_adds_lambda_over_m_times_each_weight_and_spares_the_biases() -> None:
    plain, regularized = model_copy(), model_copy()
    for model, l2 in ((plain, 0.0), (regularized, 0.3)):
        nn.fit(model, X4, Y4, loss="mse", optimizer=SGD(model.parameters(), lr=0.0), l2=l2,
               progress=False)
    for (name, p), q in zip(regularized.named_parameters(), plain.parameters(), strict=True):
        extra = 0.0 if name.endswith(".b") else 0.3 / 4 * p.data
        assert p.grad == pytest.approx(q.grad + extra, rel=1e-13, abs=1e-15)


def test_the_history_records_loss_and_accuracy_per_epoch() -> None:
    model = model_copy()
    history = nn.fit(model, X4, Y4, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1),
                     epochs=5, batch_size=2, seed=0, validation=(X4[:2], Y4[:2]),
                     progress=False)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 5 for values in history.values())
    assert all(a in (0.0, 0.25, 0.5, 0.75, 1.0) for a in history["accuracy"])
    assert history["val_loss"][-1] == nn.evaluate(model, X4[:2], Y4[:2], "hinge")["loss"]


def test_regression_targets_get_no_accuracy() -> None:
    model = nn.MLP(2, [2, 2], seed=0)
    history = nn.fit(model, X4[:2], [[0.1, 0.2], [0.3, 0.4]], loss="quadratic",
                     optimizer=SGD(model.parameters(), lr=0.1), progress=False)
    assert set(history) == {"loss"}
    with pytest.raises(ValueError, match="accuracy needs class labels"):
        nn.accuracy(model, X4[:2], [[0.1, 0.2], [0.3, 0.4]])


def test_the_same_seed_trains_the_same_model() -> None:
    states = []
    for _ in range(2):
        model = model_copy()
        nn.fit(model, X4, Y4, loss="mse", optimizer=nn.optim.Adam(model.parameters(), lr=0.1),
               epochs=3, batch_size=1, seed=11, progress=False)
        states.append(model.state_dict())
    assert states[0] == states[1]


def test_training_learns_xor() -> None:
    X, y = nn.data.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    history = nn.fit(model, X, y, loss="mse", optimizer=SGD(model.parameters(), lr=0.1),
                     epochs=300, progress=False)
    assert history["loss"][-1] < 0.01 * history["loss"][0]
    assert nn.accuracy(model, X, y) == 1.0
    assert nn.classify(model, X) == [0, 1, 1, 0]


def test_a_non_finite_loss_stops_training_naming_epoch_and_batch() -> None:
    calls = 0

    def poisoned(prediction: losses.Prediction, target: object) -> Value:
        nonlocal calls
        calls += 1
        loss = losses.mse(prediction, target)
        return loss * math.nan if calls == 7 else loss

    model = model_copy()
    with pytest.raises(FloatingPointError, match="the loss is nan at epoch 2 of 3, batch 2 of 2"):
        nn.fit(model, X4, Y4, loss=poisoned, optimizer=SGD(model.parameters(), lr=0.1),
               epochs=3, batch_size=2, shuffle=False, progress=False)
    assert all(math.isfinite(v) for v in model.state_dict().values())


def test_evaluate_accuracy_classify_predict() -> None:
    model = nn.init.set_weights(nn.MLP(2, [1], seed=0), [[[1.0, 0.0]]], [[0.0]])  # out = x1
    X, y = [[0.5, 9.0], [-0.5, 9.0], [2.0, 9.0]], [1.0, 1.0, -1.0]
    assert nn.predict(model, X) == [0.5, -0.5, 2.0]
    assert nn.classify(model, X) == [1, 0, 1]
    assert nn.accuracy(model, X, y) == pytest.approx(1 / 3)
    assert nn.accuracy(model, X, y, threshold=-1.0) == pytest.approx(2 / 3)
    result = nn.evaluate(model, X, y, loss="hinge")
    assert result == pytest.approx({"loss": (0.5 + 1.5 + 3.0) / 3, "accuracy": 1 / 3})


def test_a_sigmoid_output_is_cut_at_one_half_and_several_outputs_by_the_largest() -> None:
    assert nn.decision_threshold(nn.MLP(2, [1], output_activation="sigmoid", seed=0)) == 0.5
    assert nn.decision_threshold(nn.MLP(2, [1], seed=0)) == 0.0
    model = nn.init.set_weights(nn.MLP(2, [3], seed=0), [[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]],
                                [[0.0, 0.0, 0.5]])
    X = [[2.0, 1.0], [0.0, 1.0], [0.1, 0.2]]
    assert nn.classify(model, X) == [0, 1, 2]
    assert nn.accuracy(model, X, [0, 1, 1]) == pytest.approx(2 / 3)
    assert nn.predict(model, X)[0] == [2.0, 1.0, 0.5]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"loss": "huber"}, ValueError, "unknown loss 'huber'"),
    ({"epochs": 0}, ValueError, "epochs must be a positive int, got 0"),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive int, got 0"),
    ({"optimizer": "sgd"}, TypeError, "optimizer must be an nn.optim optimizer, got str"),
])
def test_bad_fit_arguments(kwargs: dict[str, object], error: type[Exception],
                           message: str) -> None:
    model = model_copy()
    arguments: dict[str, object] = {"loss": "mse",
                                    "optimizer": SGD(model.parameters(), lr=0.1)}
    with pytest.raises(error, match=message):
        nn.fit(model, X4, Y4, **{**arguments, **kwargs}, progress=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="X has 4 rows but y has 3 targets"):
        nn.fit(model, X4, Y4[:3], loss="mse", optimizer=SGD(model.parameters(), lr=0.1))


def test_parameters_outside_the_model_are_averaged_and_zeroed_too() -> None:
    scale = Value(1.0)  # a learnable factor inside a custom loss

    def scaled_mse(prediction: losses.Prediction, target: object) -> Value:
        return losses.mse(prediction, target) * scale

    model = model_copy()
    optimizer = SGD([*model.parameters(), scale], lr=0.0)
    nn.fit(model, X4, Y4, loss=scaled_mse, optimizer=optimizer, epochs=2, progress=False)
    expected = sum(losses.mse(model(x), t).data for x, t in zip(X4, Y4, strict=True)) / 4
    assert scale.grad == pytest.approx(expected, rel=1e-14)  # one epoch's mean, not two summed


def test_a_layer_of_one_neuron_is_classified_as_one_output() -> None:
    layer = nn.Layer(2, 1, activation="linear", seed=0)
    layer.neurons[0].w[0].data, layer.neurons[0].w[1].data = 1.0, 0.0
    assert layer.neurons[0].b is not None
    layer.neurons[0].b.data = 0.0  # out = x0, a list of one Value
    X = [[0.5, 9.0], [-0.5, 9.0], [2.0, 9.0]]
    assert nn.classify(layer, X) == [1, 0, 1]
    assert nn.accuracy(layer, X, [1.0, -1.0, -1.0]) == pytest.approx(2 / 3)


# --- schedulers, modes, frozen parameters, checkpoints ---


def test_a_scheduler_steps_after_each_epoch() -> None:
    model = model_copy()
    optimizer = SGD(model.parameters(), lr=0.1)
    scheduler = nn.schedulers.StepLR(optimizer, step_size=2, gamma=0.5)
    reference = model_copy()
    reference_optimizer = SGD(reference.parameters(), lr=0.1)
    nn.fit(model, X4, Y4, loss="mse", optimizer=optimizer, epochs=5, shuffle=False,
           progress=False, scheduler=scheduler)
    for lr in (0.1, 0.1, 0.05, 0.05, 0.025):
        reference_optimizer.lr = lr
        nn.fit(reference, X4, Y4, loss="mse", optimizer=reference_optimizer, shuffle=False,
               progress=False)
    assert scheduler.last_epoch == 5
    assert optimizer.lr == 0.025
    assert model.state_dict() == reference.state_dict()
    with pytest.raises(TypeError, match=r"scheduler must be an nn\.schedulers scheduler"):
        nn.fit(model, X4, Y4, loss="mse", optimizer=optimizer,
               scheduler=0.5, progress=False)  # type: ignore[arg-type]


def test_fit_trains_in_training_mode_validates_in_eval_mode_and_restores_the_mode() -> None:
    seen: list[bool] = []
    model = nn.MLP(2, [8, 1], activation="tanh", dropout=0.5, seed=0)

    def watching(prediction: losses.Prediction, target: object) -> Value:
        seen.append(model.dropouts[0].training)
        return losses.mse(prediction, target)

    model.eval()
    history = nn.fit(model, X4, Y4, loss=watching, optimizer=SGD(model.parameters(), lr=0.1),
                     epochs=2, validation=(X4[:1], Y4[:1]), progress=False)
    assert seen == [True] * 4 + [False] + [True] * 4 + [False]
    assert not any(module.training for module in model.modules())
    assert history["val_loss"][-1] == nn.evaluate(model, X4[:1], Y4[:1], loss="mse")["loss"]


def test_dropout_changes_training_and_the_same_seed_repeats_it() -> None:
    def train(dropout: float) -> dict[str, float]:
        model = nn.MLP(2, [8, 1], activation="tanh", dropout=dropout, seed=0)
        nn.fit(model, X4, Y4, loss="mse", optimizer=SGD(model.parameters(), lr=0.1),
               epochs=3, seed=0, progress=False)
        return model.state_dict()

    assert train(0.5) == train(0.5)
    assert train(0.5) != train(0.0)


def test_compile_refuses_a_model_with_dropout() -> None:
    model = nn.MLP(2, [4, 1], dropout=0.5, seed=0)
    with pytest.raises(ValueError, match=r"compile traces one graph.*dropout"):
        nn.fit(model, X4, Y4, loss="mse", optimizer=SGD(model.parameters(), lr=0.1),
               compile=True, progress=False)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_a_frozen_layer_stays_as_it_is_while_the_rest_learns(compiled: bool) -> None:
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    model.layers[0].requires_grad_(False)
    frozen = model.layers[0].state_dict()
    before = model.layers[1].state_dict()
    nn.fit(model, X4, Y4, loss="mse", optimizer=nn.optim.Adam(model.parameters(), lr=0.1),
           epochs=3, batch_size=2, progress=False, compile=compiled)
    assert model.layers[0].state_dict() == frozen
    assert all(v != before[k] for k, v in model.layers[1].state_dict().items())


ONE_HOT = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]


@pytest.mark.parametrize("compile", [False, True])
def test_one_hot_targets_get_accuracy_as_class_indices_do(compile: bool) -> None:
    model = nn.MLP(2, [4, 3], activation="tanh", output_activation="sigmoid", seed=5)
    before = nn.MLP(2, [4, 3], activation="tanh", output_activation="sigmoid", seed=5)
    history = nn.fit(model, X4, ONE_HOT, loss="binary_cross_entropy",
                     optimizer=SGD(model.parameters(), lr=0.5), progress=False, compile=compile)
    indices = [0, 1, 2, 0]
    # one full batch: the accuracy of the predictions made before its update
    assert history["accuracy"] == [nn.accuracy(before, X4, indices)]
    assert nn.accuracy(before, X4, ONE_HOT) == nn.accuracy(before, X4, indices)
    assert nn.evaluate(model, X4, ONE_HOT, "binary_cross_entropy")["accuracy"] == (
        nn.accuracy(model, X4, indices))
    two_hot = [[1, 1, 0], *ONE_HOT[1:]]
    assert "accuracy" not in nn.fit(model, X4, two_hot, loss="binary_cross_entropy",
                                    optimizer=SGD(model.parameters(), lr=0.5), progress=False)


def lecture_cost(state: dict[str, float], X: list[list[float]], y: list[list[int]],
                 lam: float) -> float:
    """The lectures' J(W) = −1/m Σᵢ Σₖ [yₖ log hₖ + (1 − yₖ) log(1 − hₖ)] + λ/2m Σ w², by hand
    for a sigmoid 2-3-3 network (the biases not in the penalty)."""
    def layer(inputs: list[float], number: int, units: int) -> list[float]:
        prefix = f"layers.{number}.neurons"
        return [1 / (1 + math.exp(-(sum(state[f"{prefix}.{j}.w.{k}"] * a
                                        for k, a in enumerate(inputs))
                                    + state[f"{prefix}.{j}.b"]))) for j in range(units)]

    m = len(X)
    total = 0.0
    for x, targets in zip(X, y, strict=True):
        h = layer(layer(x, 0, 3), 1, 3)
        total += sum(t * math.log(o) + (1 - t) * math.log(1 - o)
                     for o, t in zip(h, targets, strict=True))
    weights = sum(v * v for name, v in state.items() if ".w." in name)
    return -total / m + lam / (2 * m) * weights


@pytest.mark.parametrize("compile", [False, True])
def test_the_lectures_cross_entropy_cost_with_its_l2_term_trains_as_written(
        compile: bool) -> None:
    model = nn.MLP(2, [3, 3], activation="sigmoid", output_activation="sigmoid", seed=2)
    start, lam, alpha = model.state_dict(), 0.3, 0.7
    history = nn.fit(model, X4, ONE_HOT, loss="binary_cross_entropy", l2=lam,
                     optimizer=SGD(model.parameters(), lr=alpha), progress=False,
                     compile=compile)
    assert history["loss"] == [pytest.approx(lecture_cost(start, X4, ONE_HOT, lam), rel=1e-12)]
    names = list(start)

    def cost(*params: float) -> float:
        return lecture_cost(dict(zip(names, params, strict=True)), X4, ONE_HOT, lam)

    values = list(start.values())
    for i, name in enumerate(names):  # one step of gradient descent on J(W): w − α ∂J/∂w
        slope = central_difference(cost, values, i)
        assert close_to_difference((start[name] - model.state_dict()[name]) / alpha, slope)


class Terminal(io.StringIO):
    """A standard error that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("terminal", "progress"), [(True, True), (True, False), (False, True)])
def test_the_progress_bar_shows_when_asked_on_a_terminal_and_never_in_a_log(
        terminal: bool, progress: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(nn.train, "PROGRESS_DELAY", 0.0)
    model = model_copy()
    nn.fit(model, X4, Y4, loss="mse", optimizer=SGD(model.parameters(), lr=0.1), epochs=3,
           batch_size=2, progress=progress)
    err = stderr.getvalue()
    assert ("6/6" in err and "loss=" in err) == (terminal and progress), err
    assert err == "" or terminal
