"""fit's loss compiled once as a per-sample kernel, then run over every batch, of any size.

One sample's loss is traced once, with the model's parameters and fresh leaves for a row's
inputs and target, and compiled by autograd.compile(..., batch_inputs=...): the kernel sums the
samples' losses and gradients over a batch's rows in order, as fit does eagerly, and fit divides
by the batch size. The L2 term, which depends on the weights alone, is compiled once on its own.
No Value is made while training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd import BatchStep, Value, compile, numbers_refused, topological_order

from . import losses
from .module import Module

Rows = Sequence[Sequence[float]]
_ONE_ROW: list[list[float]] = [[]]  # the L2 term's kernel runs once
# float(target) would succeed, but the compiled graph would hold the first batch's number
_HOLD_VALUES = "a compiled loss must compute with its Values, or every batch gets the first's"


class CompiledLoss:
    """The mean batch loss (plus L2) of a model, as a per-sample kernel compiled once."""

    def __init__(self, model: Module, loss_fn: losses.Loss, params: list[Value],
                 weights: list[Value], l2: float, n: int, outputs: int, backend: str) -> None:
        self._model = model
        self._loss_fn = loss_fn
        self._params = params
        self._outputs = outputs
        self._backend = backend
        self._kernel: BatchStep | None = None
        self._used_params: list[Value] = []  # those the loss reaches, in the kernel's order
        self._unreached: list[Value] = []  # their gradient is 0
        self._weight_slots: list[int | None] = []  # each weight's place in _used_params
        self._columns: list[int] | None = None  # the row's numbers the loss reads; None: all
        self._penalty: BatchStep | None = None  # the L2 term: a kernel of no batch input
        # a frozen weight's term is a number in the kernel (no optimizer moves it), and its
        # gradient, as eager training's, is not accumulated
        self._weights = [w for w in weights if w.requires_grad]
        self._frozen_penalty = 0.0  # the L2 term when every weight is frozen
        if l2 and self._weights:
            self._penalty = compile(losses.l2(weights, l2, n), self._weights, batch_inputs=[],
                                    backend=backend)
        elif l2 and weights:
            self._frozen_penalty = losses.l2(weights, l2, n).data

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
        kernel = self._kernel or self._compile(X[0], y[0])
        rows = [[*row, *self._target_values(t)] for row, t in zip(X, y, strict=True)]
        if self._columns is not None:
            rows = [[row[c] for c in self._columns] for row in rows]
        total, grads, outputs = kernel.with_aux([p.data for p in self._used_params], rows)
        m = len(X)
        gradients = [g / m for g in _floats(grads)]
        for p in self._unreached:
            p.grad = 0.0
        loss = total / m + self._frozen_penalty
        if self._penalty is not None:  # added after the division, as in eager training
            penalty, penalty_grads = self._penalty([w.data for w in self._weights], _ONE_ROW)
            for w, slot, g in zip(self._weights, self._weight_slots, _floats(penalty_grads),
                                  strict=True):
                if slot is None:
                    w.grad += g
                else:
                    gradients[slot] += g
            loss += penalty
        for p, g in zip(self._used_params, gradients, strict=True):
            p.grad = g
        return loss, [_floats(row) for row in outputs]

    def _compile(self, row: Sequence[float], target: object) -> BatchStep:
        """Trace one sample's loss (its own numbers pick any branch) and compile it."""
        inputs = [Value(float(v)) for v in row]
        target_leaves = [Value(v) for v in self._target_values(target)]
        prediction = self._model.forward(inputs)
        try:
            with numbers_refused(_HOLD_VALUES):
                loss = self._loss_fn(prediction, self._as_target(target, target_leaves))
        except TypeError as error:
            raise TypeError(f"with compile the loss gets its targets as Values (leaves of the "
                            f"compiled graph), and it failed: {error}") from None
        outputs = [prediction] if isinstance(prediction, Value) else list(prediction)
        in_graph = {id(node) for node in topological_order(loss)}
        self._used_params = [p for p in self._params if id(p) in in_graph]
        self._unreached = [p for p in self._params if id(p) not in in_graph]
        slots = {id(p): k for k, p in enumerate(self._used_params)}
        self._weight_slots = [slots.get(id(w)) for w in self._weights]
        leaves = [*inputs, *target_leaves]
        columns = [c for c, leaf in enumerate(leaves) if id(leaf) in in_graph]
        self._columns = None if len(columns) == len(leaves) else columns
        self._kernel = compile(loss, self._used_params, aux=outputs,
                               batch_inputs=[leaves[c] for c in columns], backend=self._backend)
        return self._kernel

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


def _floats(values: Any) -> list[float]:
    """A kernel's numbers (a tuple, or a numpy array from the native backend) as floats."""
    return values.tolist() if hasattr(values, "tolist") else list(values)
