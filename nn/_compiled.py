"""fit's batch loss compiled once per batch size, then run as straight-line Python.

The graph of a whole batch's loss (the samples' losses summed in order and divided by the batch
size, plus the L2 term, as fit computes it eagerly) is built once, with the model's parameters
and fresh leaves for the batch's inputs and targets, and compiled by autograd.compile. Every
batch of that size then runs the compiled step on the parameters' current values and its own
data, and no Value is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autograd import CompiledStep, Value, compile, numbers_refused, topological_order

from . import losses
from .module import Module

Rows = Sequence[Sequence[float]]
# float(target) would succeed, but the compiled graph would hold the first batch's number
_HOLD_VALUES = "a compiled loss must compute with its Values, or every batch gets the first's"


@dataclass(frozen=True)
class _Step:
    """A compiled batch loss, and which of its candidate inputs are in its graph."""

    compiled: CompiledStep
    used: list[int] | None  # indices into parameters + data values; None when all are used


class CompiledLoss:
    """The mean batch loss (plus L2) of a model, compiled once for each batch size it meets."""

    def __init__(self, model: Module, loss_fn: losses.Loss, params: list[Value],
                 weights: list[Value], l2: float, n: int, outputs: int) -> None:
        self._model = model
        self._loss_fn = loss_fn
        self._params = params
        self._weights = weights
        self._l2 = l2
        self._n = n  # the training set's size, which the L2 term divides by
        self._outputs = outputs
        self._steps: dict[int, _Step] = {}

    def check_data(self, X: Rows, y: Sequence[object]) -> None:
        """Refuse a bad row or target now, as training would: a graph sees only its trace's."""
        for i, row in enumerate(X):
            if len(row) != len(X[0]):
                raise ValueError(f"every row must have as many numbers as the first: row {i} "
                                 f"has {len(row)}, row 0 has {len(X[0])}")
        dummy: losses.Prediction = (
            Value(0.0) if self._outputs == 1 else [Value(0.0)] * self._outputs)
        for t in y:
            self._loss_fn(dummy, t)  # the loss's own checks of its target

    def backward(self, X: Rows, y: Sequence[object]) -> tuple[float, list[list[float]]]:
        """Set each parameter's grad to the batch loss's gradient; the loss, each row's outputs."""
        step = self._steps.get(len(X)) or self._compile(X, y)
        values = [p.data for p in self._params]
        for row in X:
            values += row
        for t in y:
            values += self._target_values(t)
        if step.used is not None:
            values = [values[i] for i in step.used]
        loss, grads, outputs = step.compiled.with_aux(values)
        if step.used is None:
            for p, g in zip(self._params, grads, strict=False):  # the data's come after
                p.grad = g
        else:
            self._set_used_grads(step.used, grads)
        k = self._outputs
        return loss, [list(outputs[i:i + k]) for i in range(0, len(outputs), k)]

    def _set_used_grads(self, used: list[int], grads: tuple[float, ...]) -> None:
        for p in self._params:
            p.grad = 0.0  # a parameter the loss does not reach
        for i, g in zip(used, grads, strict=True):
            if i < len(self._params):
                self._params[i].grad = g

    def _compile(self, X: Rows, y: Sequence[object]) -> _Step:
        """Trace the loss of a batch like this one (its own numbers pick any branch) and compile."""
        rows = [[Value(float(v)) for v in row] for row in X]
        targets = [[Value(v) for v in self._target_values(t)] for t in y]
        predictions = [self._model.forward(row) for row in rows]
        try:
            with numbers_refused(_HOLD_VALUES):
                sample_losses = [self._loss_fn(prediction, self._as_target(t, leaves))
                                 for prediction, t, leaves in zip(predictions, y, targets,
                                                                  strict=True)]
        except TypeError as error:
            raise TypeError(f"with compile=True the loss gets its targets as Values (leaves of "
                            f"the compiled graph), and it failed: {error}") from None
        total = sum(sample_losses[1:], sample_losses[0])  # in order, as fit sums them
        root = total / len(X)
        if self._l2:
            root = root + losses.l2(self._weights, self._l2, self._n)
        outputs = [out for p in predictions for out in ([p] if isinstance(p, Value) else p)]
        leaves = [*self._params, *(v for row in rows for v in row),
                  *(v for leaves in targets for v in leaves)]
        in_graph = {id(node) for node in topological_order(root)}
        used = [i for i, leaf in enumerate(leaves) if id(leaf) in in_graph]
        compiled = compile(root, [leaves[i] for i in used], aux=outputs)
        step = _Step(compiled, None if len(used) == len(leaves) else used)
        self._steps[len(X)] = step
        return step

    def _target_values(self, target: object) -> list[float]:
        """A target as numbers: a class index of several outputs becomes its one-hot vector."""
        if isinstance(target, Sequence) and not isinstance(target, str):
            return [float(t) for t in target]
        if self._outputs == 1:
            return [float(target)]  # type: ignore[arg-type]
        return [float(k == target) for k in range(self._outputs)]

    def _as_target(self, target: object, leaves: list[Value]) -> Value | list[Value]:
        """The leaves in the target's own shape: a number's one leaf, else the list."""
        plain = self._outputs == 1 and not isinstance(target, Sequence)
        return leaves[0] if plain else leaves
