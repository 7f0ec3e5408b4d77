"""Optimizers that follow torch.optim's update equations, step for step, on Values.

Each updates only the parameters it was given that learn: leaving one out, or freezing it
(module.requires_grad_(False), p.requires_grad = False), keeps it as it is, and its momentum
or moments too. Each writes its update once, over lists of numbers: step() runs it on the
parameters' data and grads, step_numbers() on numbers kept elsewhere (fit's compiled kernels).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeGuard

from autograd import Value, div, indices_requiring_grad

from ._checks import at_least_zero, count, rebuilt


class Optimizer:
    """Holds the parameters to update; step() moves them against their gradients."""

    lr: float  # the learning rate, which a scheduler may change between steps

    def __init__(self, params: Iterable[Value]) -> None:
        if isinstance(params, Value):
            raise TypeError("params must be an iterable of Values, such as model.parameters()")
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got no parameters to update")
        seen: set[int] = set()
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"params must be Values, got {type(p).__name__}")
            if id(p) in seen:
                raise ValueError(f"a parameter appears twice: {p!r}")
            seen.add(id(p))

    def zero_grad(self) -> None:
        """Set the grad of every parameter to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Move every parameter that learns against its grad."""
        learning = indices_requiring_grad(self.params)
        params = self._gathered(self.params, learning)
        moved = self._moved(learning, [p.data for p in params], [p.grad for p in params])
        for p, x in zip(params, moved, strict=True):
            p.data = x

    def step_numbers(self, data: Sequence[float], grads: Sequence[float]) -> list[float]:
        """step() on numbers: every parameter's new data, from data and grads in params' order.

        The optimizer's state advances as step() advances it; a frozen parameter keeps its
        number. Of the Values only requires_grad is read, and nothing is changed.
        """
        if len(data) != len(self.params) or len(grads) != len(self.params):
            raise ValueError(f"step_numbers takes {len(self.params)} numbers and as many "
                             f"gradients, one a parameter; got {len(data)} and {len(grads)}")
        learning = indices_requiring_grad(self.params)
        if len(learning) == len(self.params):
            return self._moved(learning, data, grads)
        moved = list(data)
        self._scattered(moved, learning, self._moved(
            learning, self._gathered(data, learning), self._gathered(grads, learning)))
        return moved

    def _moved(self, learning: Sequence[int], data: Sequence[float],
               grads: Sequence[float]) -> list[float]:
        """The update: the new data of the parameters at `learning` (indices into params),
        from their data and grads, as lists; their state advances."""
        raise NotImplementedError(f"{type(self).__name__} must define _moved(learning, data, "
                                  "grads), the update on lists, or a step() of its own")

    def state_dict(self) -> dict[str, Any]:
        """The settings and each parameter's state (lists in params' order), ready for JSON."""
        return {"optimizer": type(self).__name__, "settings": self._settings(),
                "state": {name: list(entries) for name, entries in self._state().items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Go on from a state_dict() of the same kind of optimizer over as many parameters.

        The settings (lr included) and every parameter's state are replaced, or, if anything
        in `state` is wrong, nothing is, and a ValueError says what.
        """
        checked, saved = rebuilt(state, "optimizer", type(self), self.params)
        checked._load_state(saved)
        vars(self).update(vars(checked))

    def _settings(self) -> dict[str, Any]:
        raise NotImplementedError

    def _state(self) -> dict[str, list[Any]]:
        raise NotImplementedError

    def _load_state(self, state: object) -> None:
        raise NotImplementedError

    def _gathered(self, state: Sequence[Any], learning: Sequence[int]) -> Sequence[Any]:
        """The entries of a per-parameter list (state, data, grads) at `learning`."""
        return state if len(learning) == len(state) else [state[i] for i in learning]

    def _scattered(self, state: list[Any], learning: Sequence[int], entries: list[Any]) -> None:
        """Put entries back in a per-parameter state list at `learning`."""
        if len(learning) == len(state):
            state[:] = entries
        else:
            for i, entry in zip(learning, entries, strict=True):
                state[i] = entry

    def _entries(self, state: object, names: tuple[str, ...]) -> list[list[Any]]:
        """The lists state holds under names, each with one entry a parameter."""
        if not isinstance(state, Mapping) or set(state) != set(names):
            raise ValueError(f"the state must be a dict with the keys {', '.join(names)}")
        lists = [state[name] for name in names]
        for name, entries in zip(names, lists, strict=True):
            if not isinstance(entries, list) or len(entries) != len(self.params):
                raise ValueError(f"the state's {name} must be a list of {len(self.params)} "
                                 "entries, one a parameter")
        return lists


def _is_number(x: object) -> TypeGuard[float]:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _checked(name: str, entries: list[Any], check: Callable[[object], bool],
             expected: str) -> None:
    for i, entry in enumerate(entries):
        if not check(entry):
            raise ValueError(f"the state's {name}[{i}] must be {expected}, got {entry!r:.40}")


class SGD(Optimizer):
    """Stochastic gradient descent, p ← p − lr·g, with optional momentum and weight decay.

    As torch.optim.SGD: g = grad + weight_decay·p; with momentum, buf = g at the first step,
    then buf = momentum·buf + (1 − dampening)·g, and g = buf (or g + momentum·buf, Nesterov).
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params)
        self.lr = at_least_zero(lr, "lr")
        self.momentum = at_least_zero(momentum, "momentum")
        self.weight_decay = at_least_zero(weight_decay, "weight_decay")
        self.dampening = float(dampening)
        self.nesterov = nesterov
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening 0")
        self.buffers: list[float | None] = [None] * len(self.params)

    def _moved(self, learning: Sequence[int], data: Sequence[float],
               grads: Sequence[float]) -> list[float]:
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        if decay != 0.0:
            grads = [g + decay * x for g, x in zip(grads, data, strict=True)]
        if momentum != 0.0:
            kept = 1.0 - self.dampening
            previous = self._gathered(self.buffers, learning)
            if None in previous:  # a buffer starts as the first gradient
                buffers = [g if b is None else b * momentum + kept * g
                           for b, g in zip(previous, grads, strict=True)]
            else:
                buffers = [b * momentum + kept * g for b, g in zip(previous, grads, strict=True)]
            self._scattered(self.buffers, learning, buffers)
            if self.nesterov:
                grads = [g + momentum * b for g, b in zip(grads, buffers, strict=True)]
            else:
                grads = buffers
        return [x + -lr * g for x, g in zip(data, grads, strict=True)]

    def _settings(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay,
                "dampening": self.dampening, "nesterov": self.nesterov}

    def _state(self) -> dict[str, list[Any]]:
        return {"buffers": self.buffers}

    def _load_state(self, state: object) -> None:
        (buffers,) = self._entries(state, ("buffers",))
        _checked("buffers", buffers, lambda b: b is None or _is_number(b), "a number or None")
        self.buffers = [None if b is None else float(b) for b in buffers]

    def __repr__(self) -> str:
        return (f"SGD({len(self.params)} parameters, lr={self.lr!r}, momentum={self.momentum!r}, "
                f"weight_decay={self.weight_decay!r})")


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, as torch.optim.Adam computes it.

    With t the step count and g = grad + weight_decay·p:
    m ← m + (1 − β1)·(g − m);  v ← β2·v + (1 − β2)·g²;
    p ← p − (lr / (1 − β1^t))·m / (√v / √(1 − β2^t) + eps).
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params)
        self.lr = at_least_zero(lr, "lr")
        self.eps = at_least_zero(eps, "eps")
        self.weight_decay = at_least_zero(weight_decay, "weight_decay")
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.steps = [0] * len(self.params)  # t of each parameter: a frozen one's stays put
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _moved(self, learning: Sequence[int], data: Sequence[float],
               grads: Sequence[float]) -> list[float]:
        beta1, beta2 = self.betas
        decay, eps = self.weight_decay, self.eps
        steps = [t + 1 for t in self._gathered(self.steps, learning)]
        if decay != 0.0:
            grads = [g + decay * x for g, x in zip(grads, data, strict=True)]
        m = _lerp(self._gathered(self.m, learning), grads, 1.0 - beta1)
        v = [square * beta2 + (1.0 - beta2) * g * g
             for square, g in zip(self._gathered(self.v, learning), grads, strict=True)]
        for state, entries in ((self.steps, steps), (self.m, m), (self.v, v)):
            self._scattered(state, learning, entries)
        # t differs between parameters only where some were frozen for a while
        corrections = {t: (self.lr / (1.0 - beta1**t), (1.0 - beta2**t) ** 0.5)
                       for t in set(steps)}
        if len(corrections) == 1:
            ((step_size, root),) = corrections.values()
            changes = [-step_size * mean for mean in m]
            denominators = [math.sqrt(square) / root + eps for square in v]
        else:
            changes = [-corrections[t][0] * mean for t, mean in zip(steps, m, strict=True)]
            denominators = [math.sqrt(square) / corrections[t][1] + eps
                            for t, square in zip(steps, v, strict=True)]
        return [x + (change / denominator if denominator else div(change, denominator))
                for x, change, denominator in zip(data, changes, denominators, strict=True)]

    def _settings(self) -> dict[str, Any]:
        return {"lr": self.lr, "betas": list(self.betas), "eps": self.eps,
                "weight_decay": self.weight_decay}

    def _state(self) -> dict[str, list[Any]]:
        return {"steps": self.steps, "m": self.m, "v": self.v}

    def _load_state(self, state: object) -> None:
        steps, m, v = self._entries(state, ("steps", "m", "v"))
        counts = [count(t, f"the state's steps[{i}]") for i, t in enumerate(steps)]
        _checked("m", m, _is_number, "a finite number")
        _checked("v", v, lambda x: _is_number(x) and x >= 0.0, "a finite number >= 0")
        self.steps, self.m, self.v = counts, [float(x) for x in m], [float(x) for x in v]

    def __repr__(self) -> str:
        return (f"Adam({len(self.params)} parameters, lr={self.lr!r}, betas={self.betas!r}, "
                f"eps={self.eps!r}, weight_decay={self.weight_decay!r})")


def _lerp(starts: Sequence[float], ends: Sequence[float], weight: float) -> list[float]:
    """start + weight·(end − start) of each pair, rounded as torch.lerp rounds it."""
    if abs(weight) < 0.5:
        return [start + weight * (end - start) for start, end in zip(starts, ends, strict=True)]
    rest = 1.0 - weight
    return [end - (end - start) * rest for start, end in zip(starts, ends, strict=True)]
