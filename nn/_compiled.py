"""fit's training compiled: one sample's loss as a per-sample kernel, compiled once, runs every
batch, of any size, and the optimizer moves the parameters' numbers, not their Values.

One sample's loss is traced once, with the model's parameters and fresh leaves for a row's
inputs and target, and compiled by autograd.compile(..., batch_inputs=...): the kernel sums the
samples' losses and gradients over a batch's rows in order, as fit does eagerly, and fit divides
by the batch size. The L2 term, which depends on the weights alone, is compiled once on its own.
For an epoch the parameters' numbers and grads live in lists, which the kernels read and the
optimizer's step_numbers() moves; they are written back to the Values when the epoch ends, or
stops. No Value is made or touched while a batch trains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from autograd import BatchStep, Value, compile, numbers_refused, topological_order

from . import losses
from .module import Module
from .optim import Optimizer

Rows = Sequence[Sequence[float]]
Hit = Callable[[list[float], object], bool]  # whether a row's outputs name its target's class
_ONE_ROW: list[list[float]] = [[]]  # the L2 term's kernel runs once
# float(target) would succeed, but the compiled graph would hold the first batch's number
_HOLD_VALUES = "a compiled loss must compute with its Values, or every batch gets the first's"


class CompiledTraining:
    """Batches of (X, y) trained by a per-sample kernel of the model's loss (plus L2)."""

    def __init__(self, model: Module, X: Rows, y: Sequence[object], loss_fn: losses.Loss,
                 optimizer: Optimizer, params: list[Value], weights: list[Value], l2: float,
                 outputs: int, backend: str, hit: Hit | None) -> None:
        self._model = model
        self._X, self._y = X, y
        self._loss_fn = loss_fn
        self._optimizer = optimizer
        self._params = params
        self._outputs = outputs
        self._backend = backend
        self._hit = hit
        self._check_data()
        self._kernel: BatchStep | None = None
        self._table: Any = []  # each sample's numbers, as the kernel reads them
        # the native kernels read arrays: the numbers are made one once, for both kernels
        self._array: Callable[[Any], Any] | None = None
        if backend == "native":
            import numpy  # installed with the native backend, which compile() checks

            self._array = numpy.asarray
        self._numbers: list[float] = []  # the parameters' data, in params' order, for an epoch
        self._grads: list[float] = []  # and their grads
        where = {id(p): k for k, p in enumerate(params)}
        optimized = [where[id(p)] for p in optimizer.params]
        self._optimized = None if optimized == list(range(len(params))) else optimized
        # an optimizer with a step() of its own steps the Values themselves
        self._steps_numbers = (type(optimizer).step is Optimizer.step
                               and type(optimizer).step_numbers is Optimizer.step_numbers)
        # Every kernel takes every parameter that is a leaf, so that their gradients line up;
        # one made by an op (which the loss must not reach: see _compile) has gradient 0
        leaves = [k for k, p in enumerate(params) if p.op is None]
        self._leaves = None if len(leaves) == len(params) else leaves
        self._inputs = [params[k] for k in leaves]
        # A frozen weight's L2 term is a number in the kernel (no optimizer moves it), its
        # gradient 0, as eager training's.
        self._penalty: BatchStep | None = None  # the L2 term: a kernel of no batch input
        self._frozen_penalty = 0.0  # the L2 term when every weight is frozen
        if l2 and any(w.requires_grad for w in weights):
            self._penalty = compile(losses.l2(weights, l2, len(X)), self._inputs,
                                    batch_inputs=[], backend=backend, allow_unused=True)
        elif l2 and weights:
            self._frozen_penalty = losses.l2(weights, l2, len(X)).data

    @contextmanager
    def epoch(self) -> Iterator[None]:
        """Hold the parameters' numbers for an epoch; write them back however it ends."""
        self._read_values()
        try:
            yield
        finally:
            self._write_values()

    def batch(self, chosen: list[int]) -> tuple[float, int]:
        """The gradient of the batch loss at rows `chosen`; the loss, and the rows hit."""
        kernel = self._kernel or self._compile(chosen[0])
        numbers, table, m = self._numbers, self._table, len(chosen)
        if self._leaves is not None:
            numbers = [numbers[k] for k in self._leaves]
        if self._array is not None:
            numbers, rows = self._array(numbers), table[chosen]
        else:
            rows = [table[i] for i in chosen]
        total, sums, outputs = kernel.with_aux(numbers, rows)
        loss = total / m + self._frozen_penalty
        if self._penalty is None:
            grads = _floats(sums / m) if _is_array(sums) else [g / m for g in sums]
        else:  # added after the division, as in eager training
            penalty, penalty_grads = self._penalty(numbers, _ONE_ROW)
            grads = _floats(sums / m + penalty_grads) if _is_array(sums) else [
                g / m + d for g, d in zip(sums, penalty_grads, strict=True)]
            loss += penalty
        if self._leaves is not None:  # a parameter made by an op: 0
            grads = _placed([0.0] * len(self._params), self._leaves, grads)
        self._grads = grads
        if self._hit is None:
            return loss, 0
        hit, y = self._hit, self._y
        return loss, sum(hit(row, y[i]) for row, i in zip(_floats(outputs), chosen, strict=True))

    def step(self) -> None:
        """The optimizer's step, on the numbers held (on the Values, for an optimizer with a
        step() of its own, which may do anything there)."""
        if not self._steps_numbers:
            self._write_values()
            self._optimizer.step()
            self._read_values()
        elif self._optimized is None:
            self._numbers = self._optimizer.step_numbers(self._numbers, self._grads)
        else:
            order, numbers, grads = self._optimized, self._numbers, self._grads
            moved = self._optimizer.step_numbers([numbers[k] for k in order],
                                                 [grads[k] for k in order])
            self._numbers = _placed(list(numbers), order, moved)

    def _read_values(self) -> None:
        """The parameters' data and grads, from their Values."""
        self._numbers = [p.data for p in self._params]
        self._grads = [p.grad for p in self._params]

    def _write_values(self) -> None:
        """The numbers held, into the parameters' Values."""
        for p, x, g in zip(self._params, self._numbers, self._grads, strict=True):
            p.data = x
            p.grad = g

    def _check_data(self) -> None:
        """Refuse a bad row or target now, as training would: a graph sees only its trace's."""
        X = self._X
        for i, row in enumerate(X):
            if len(row) != len(X[0]):
                raise ValueError(f"every row must have as many numbers as the first: row {i} "
                                 f"has {len(row)}, row 0 has {len(X[0])}")
        dummy: losses.Prediction = (
            Value(0.0) if self._outputs == 1 else [Value(0.0)] * self._outputs)
        for t in self._y:
            self._loss_fn(dummy, t)  # the loss's own checks of its target

    def _compile(self, sample: int) -> BatchStep:
        """Trace one sample's loss (its own numbers pick any branch) and compile it."""
        target = self._y[sample]
        inputs = [Value(float(v)) for v in self._X[sample]]
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
        for p in self._params:
            if p.op is not None and id(p) in in_graph:
                raise ValueError(f"compile needs the parameters the loss reaches to be leaves "
                                 f"(Values made directly), and {p!r} was made by {p.op!r}: "
                                 "train without compile")
        leaves = [*inputs, *target_leaves]
        columns = [c for c, leaf in enumerate(leaves) if id(leaf) in in_graph]
        self._table = [[numbers[c] for c in columns] for numbers in (
            [*row, *self._target_values(t)] for row, t in zip(self._X, self._y, strict=True))]
        if self._array is not None:
            self._table = self._array(self._table)
        self._kernel = compile(loss, self._inputs, aux=outputs, allow_unused=True,
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


def _placed(numbers: list[float], at: Sequence[int], values: Sequence[float]) -> list[float]:
    """numbers with values put at the indices `at`."""
    for k, x in zip(at, values, strict=True):
        numbers[k] = x
    return numbers


def _is_array(values: Any) -> bool:
    """Whether a kernel gave a numpy array (the native backend), whose operations go elementwise
    and round as Python's float operations do."""
    return hasattr(values, "tolist")


def _floats(values: Any) -> list[Any]:
    """A kernel's numbers (tuples, or a numpy array from the native backend) as lists."""
    return values.tolist() if _is_array(values) else list(values)
