"""Training and measuring: fit (stochastic, mini-batch or full-batch), evaluate, accuracy, predict.

A batch's gradient is the average of its samples' gradients, as in the lectures: each sample's
backward adds to the accumulator Δ (the parameters' grad), then D = Δ/m.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import TypeGuard

from tqdm.auto import tqdm

from autograd import Value

from . import losses
from ._checks import check_rows_and_targets, positive_int
from ._compiled import CompiledTraining
from .data import batch_indices
from .module import MLP, Dropout, Layer, Module, Neuron, Seed, random_generator
from .optim import Optimizer
from .schedulers import Scheduler

Rows = Sequence[Sequence[float]]
History = dict[str, list[float]]
PROGRESS_DELAY = 1.0  # seconds of training before the progress bar shows


def fit(model: Module, X: Rows, y: Sequence[object], *, loss: str | losses.Loss,
        optimizer: Optimizer, epochs: int = 1, batch_size: int | None = None,
        shuffle: bool = True, seed: Seed = None, l2: float = 0.0,
        validation: tuple[Rows, Sequence[object]] | None = None,
        threshold: float | None = None, progress: bool = True, compile: bool | str = False,
        scheduler: Scheduler | None = None) -> History:
    """Train model on (X, y) and return per-epoch lists: history["loss"], ["accuracy"], ...

    batch_size 1 updates after every sample (the lectures' stochastic gradient descent), None
    after the whole set; a batch's gradient is averaged over its samples. l2 adds the term
    λ/(2m)·Σw² over the weights (m = len(X)). "accuracy" is recorded when the targets are class
    labels (see accuracy()), from the predictions made while training; with `validation` data
    "val_loss" (and "val_accuracy") are measured after each epoch. A progress bar shows once
    training has run for a second, on a terminal or in a notebook (progress=False: never). A
    loss that is not finite stops training with a FloatingPointError naming the epoch and
    batch, before that update. A
    `scheduler` (nn.schedulers) steps after each epoch. The model trains in training mode and is
    measured on the validation data in eval mode; it is left in the mode it came in.

    compile=True (or "python") traces one sample's loss once, with the parameters and the
    sample's inputs and target as leaves, and compiles it to a per-sample kernel
    (autograd.compile with batch_inputs) that every batch, of any size, runs: the same history
    to within rounding (1e-12 or better), no Value made while training: for an epoch the
    parameters' numbers live in lists that the kernel reads and the optimizer's step_numbers()
    moves, written back to the Values (data and grad) when the epoch ends or is interrupted.
    compile="native" runs the kernel as machine code (chainrule[native]: llvmlite and numpy).
    The L2 term is compiled once on its own. The loss gets its targets as Values (a class
    index, for a model with several outputs, as its one-hot class probabilities).
    What a trace cannot capture: a Python `if` on `.data`, in the model or the loss, stays at
    the branch the first sample took. binary_cross_entropy_with_logits's choice of
    form and cross_entropy's shift by the largest logit are such branches: the value is the
    same either way, but exp can overflow for logits some 700 beyond the traced ones. Anomaly
    mode sees only that first trace; validation is measured eagerly.
    """
    loss_fn = losses.get(loss)
    positive_int(epochs, "epochs")
    if batch_size is not None:
        positive_int(batch_size, "batch_size")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nn.optim optimizer, got {type(optimizer).__name__}")
    if scheduler is not None and not isinstance(scheduler, Scheduler):
        raise TypeError(f"scheduler must be an nn.schedulers scheduler, got "
                        f"{type(scheduler).__name__}")
    backend = _backend(compile)
    if backend and any(isinstance(m, Dropout) and m.p > 0.0 for m in model.modules()):
        raise ValueError("compile traces one graph, which would keep dropout's first "
                         "random choices: train a model with dropout without compile")
    check_rows_and_targets(X, y)
    labelled = _are_labels(model, y)
    cut = _threshold(model, threshold)
    rng = random_generator(seed)
    # The optimizer may also hold Values outside the model (a loss's own parameter, say).
    params = list({id(p): p for p in (*model.parameters(), *optimizer.params)}.values())
    weights = model.weights() if l2 else []
    hits_cut = cut if labelled else None
    training: CompiledTraining | _EagerTraining
    if backend:
        hit = None if hits_cut is None else partial(_hit, cut=hits_cut)
        training = CompiledTraining(model, X, y, loss_fn, optimizer, params, weights, l2,
                                    _outputs(model), backend, hit)
    else:
        training = _EagerTraining(model, X, y, loss_fn, optimizer, params, weights, l2,
                                  hits_cut)
    n_batches = math.ceil(len(X) / (batch_size or len(X)))
    history: History = {"loss": []}
    if labelled:
        history["accuracy"] = []
    # disable=None: a bar on a terminal or in a notebook, none in a log
    bar = tqdm(total=epochs * n_batches, disable=None if progress else True,
               delay=PROGRESS_DELAY, unit="batch", desc="training", dynamic_ncols=True)
    was_training = model.training
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            total, correct = 0.0, 0
            with training.epoch():
                for b, chosen in enumerate(batch_indices(len(X), batch_size, shuffle, rng), 1):
                    batch_loss, batch_correct = training.batch(chosen)
                    if not math.isfinite(batch_loss):
                        raise FloatingPointError(
                            f"the loss is {batch_loss} at epoch {epoch} of {epochs}, batch {b} "
                            f"of {n_batches}: training stopped before that update (a smaller "
                            "learning rate, or a loss on logits, may help)")
                    training.step()
                    total += batch_loss * len(chosen)
                    correct += batch_correct
                    bar.update()
            _record(history, "loss", total / len(X))
            if labelled:
                _record(history, "accuracy", correct / len(X))
            if validation is not None:
                model.eval()
                for key, value in evaluate(model, *validation, loss=loss_fn,
                                           threshold=threshold).items():
                    _record(history, "val_" + key, value)
            if scheduler is not None:
                scheduler.step()
            bar.set_postfix({k: f"{v[-1]:.4g}" for k, v in history.items()}, refresh=False)
    finally:
        model.train(was_training)
        bar.close()
    return history


class _EagerTraining:
    """Batches of (X, y) trained on the model's own graph, one sample's at a time."""

    def __init__(self, model: Module, X: Rows, y: Sequence[object], loss_fn: losses.Loss,
                 optimizer: Optimizer, params: list[Value], weights: list[Value], l2: float,
                 cut: float | None) -> None:
        self._model, self._X, self._y, self._loss_fn = model, X, y, loss_fn
        self._optimizer, self._params, self._weights = optimizer, params, weights
        self._l2, self._cut = l2, cut

    def epoch(self) -> AbstractContextManager[None]:
        """Nothing to hold: the Values are the parameters."""
        return nullcontext()

    def batch(self, chosen: list[int]) -> tuple[float, int]:
        """Each sample's backward, then the L2 term's: the batch's loss and hits."""
        X, y = [self._X[i] for i in chosen], [self._y[i] for i in chosen]
        batch_loss, correct = _backward_batch(self._model, X, y, self._loss_fn, self._params,
                                              self._cut)
        if self._l2:
            penalty = losses.l2(self._weights, self._l2, len(self._X))
            penalty.backward()
            batch_loss += penalty.data
        return batch_loss, correct

    def step(self) -> None:
        """The optimizer's step."""
        self._optimizer.step()


def _backward_batch(model: Module, X: Rows, y: Sequence[object], loss_fn: losses.Loss,
                    params: list[Value], cut: float | None) -> tuple[float, int]:
    """Set each parameter's grad to the batch's mean gradient; the mean loss and hits."""
    for p in params:
        p.grad = 0.0
    total, correct = 0.0, 0
    for x, t in zip(X, y, strict=True):
        out = model.forward(x)
        sample_loss = loss_fn(out, t)
        sample_loss.backward()  # Δ += this sample's gradient
        total += sample_loss.data
        if cut is not None:
            correct += _is_correct(out, t, cut)
    m = len(X)
    if m > 1:
        for p in params:
            p.grad /= m  # D = Δ/m
    return total / m, correct


def evaluate(model: Module, X: Rows, y: Sequence[object], loss: str | losses.Loss,
             threshold: float | None = None) -> dict[str, float]:
    """The mean loss over (X, y), and the accuracy when the targets are class labels."""
    loss_fn = losses.get(loss)
    check_rows_and_targets(X, y)
    cut = _threshold(model, threshold) if _are_labels(model, y) else None
    total, correct = 0.0, 0
    for x, t in zip(X, y, strict=True):  # one sample's graph at a time: each is freed at once
        out = model.forward(x)
        total += loss_fn(out, t).data
        if cut is not None:
            correct += _is_correct(out, t, cut)
    result = {"loss": total / len(X)}
    if cut is not None:
        result["accuracy"] = correct / len(X)
    return result


def accuracy(model: Module, X: Rows, y: Sequence[object], threshold: float | None = None) -> float:
    """The fraction of rows whose predicted class is their label.

    With several outputs the class is the largest output's index, against class indices or
    one-hot vectors (the class is where the 1 is). With one output, labels are -1/+1 (or 0/1)
    and the prediction is positive above `threshold`: by default 0.5 for a sigmoid output (a
    probability), else 0 (a score or logit).
    """
    check_rows_and_targets(X, y)
    if not _are_labels(model, y):
        raise ValueError("accuracy needs class labels: -1/+1 or 0/1 for a model with one "
                         "output, class indices 0, 1, ... or one-hot vectors for a model with "
                         "several")
    cut = _threshold(model, threshold)
    return sum(_is_correct(model.forward(x), t, cut) for x, t in zip(X, y, strict=True)) / len(X)


def classify(model: Module, X: Rows, threshold: float | None = None) -> list[int]:
    """The predicted class index of each row (for one output: 1 above threshold, else 0)."""
    cut = _threshold(model, threshold)
    return [_predicted_class(model.forward(x), cut) for x in X]


def predict(model: Module, X: Rows) -> list[float] | list[list[float]]:
    """The model's outputs for each row, as floats (a list of floats per row for several)."""
    if _outputs(model) == 1:
        return [_data(model.forward(x)) for x in X]
    return [[v.data for v in model.forward(x)] for x in X]  # type: ignore[union-attr]


def decision_threshold(model: Module) -> float:
    """Where a one-output model's prediction turns positive: 0.5 after a sigmoid, else 0."""
    output = model.output_activation if isinstance(model, MLP) else getattr(
        model, "activation", "linear")
    return 0.5 if output == "sigmoid" else 0.0


# --- helpers ---


def _backend(compile: object) -> str | None:
    """The backend fit's compile option names: None for eager training."""
    if compile is False:
        return None
    if compile is True or compile == "python":
        return "python"
    if compile == "native":
        return "native"
    raise ValueError(f"compile must be False, True, \"python\" or \"native\", got {compile!r}")


def _record(history: History, key: str, value: float) -> None:
    history.setdefault(key, []).append(value)


def _outputs(model: Module) -> int:
    if isinstance(model, MLP):
        return model.nouts[-1]
    if isinstance(model, Layer):
        return model.nout
    if isinstance(model, Neuron):
        return 1
    raise TypeError(f"expected a Neuron, Layer or MLP, got {type(model).__name__}")


def _are_labels(model: Module, y: Sequence[object]) -> bool:
    """Whether y holds class labels for this model (so accuracy means something)."""
    classes = _outputs(model)
    if classes == 1:
        return all(t in (-1, 0, 1) and not isinstance(t, bool) for t in y)
    return all(_class_of_target(t, classes) is not None for t in y)


def _class_of_target(target: object, classes: int) -> int | None:
    """The class a target names, as a class index or a one-hot vector; None for neither."""
    if isinstance(target, Sequence) and not isinstance(target, str):
        if len(target) != classes or not all(_is_number(t) and t in (0, 1) for t in target):
            return None
        ones = [k for k, t in enumerate(target) if t == 1]
        return ones[0] if len(ones) == 1 else None
    if _is_number(target) and float(target).is_integer() and 0 <= target < classes:
        return int(target)
    return None


def _is_number(x: object) -> TypeGuard[int | float]:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _threshold(model: Module, threshold: float | None) -> float:
    return decision_threshold(model) if threshold is None else float(threshold)


def _numbers(output: Value | list[Value]) -> list[float]:
    return [output.data] if isinstance(output, Value) else [v.data for v in output]


def _predicted_class(output: Value | list[Value], cut: float) -> int:
    return _class_of(_numbers(output), cut)


def _class_of(outputs: list[float], cut: float) -> int:
    if len(outputs) == 1:
        return int(outputs[0] > cut)
    return max(range(len(outputs)), key=outputs.__getitem__)


def _is_correct(output: Value | list[Value], target: object, cut: float) -> bool:
    """Whether the output's class is the target's: class 1 is +1 for one output."""
    return _hit(_numbers(output), target, cut)


def _hit(outputs: list[float], target: object, cut: float) -> bool:
    """Whether the class of these output numbers is the target's."""
    predicted = _class_of(outputs, cut)
    if len(outputs) == 1:
        return predicted == (target > 0)  # type: ignore[operator]
    return predicted == _class_of_target(target, len(outputs))


def _data(output: Value | list[Value]) -> float:
    return output.data if isinstance(output, Value) else output[0].data
