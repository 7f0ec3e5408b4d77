"""Optimizers that follow torch.optim's update equations, step for step, on Values.

Each updates only the parameters it was given that learn: leaving one out, or freezing it
(module.requires_grad_(False), p.requires_grad = False), keeps it as it is, and its momentum
or moments too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeGuard

from autograd import Value, div, enumerate_requiring_grad

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
        """Update every parameter that learns from its grad."""
        raise NotImplementedError

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

    def _learning(self) -> Iterator[tuple[int, Value]]:
        """Each parameter that learns, with its index in params."""
        return enumerate_requiring_grad(self.params)

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

    def step(self) -> None:
        """p ← p − lr·g for every parameter that learns."""
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        if momentum == 0.0 and decay == 0.0:
            for _, p in self._learning():
                p.data = p.data + -lr * p.grad
            return
        buffers = self.buffers
        for i, p in self._learning():
            g = p.grad
            if decay != 0.0:
                g = g + decay * p.data
            if momentum != 0.0:
                buf = buffers[i]
                buf = g if buf is None else buf * momentum + (1.0 - self.dampening) * g
                buffers[i] = buf
                g = g + momentum * buf if self.nesterov else buf
            p.data = p.data + -lr * g

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

    def step(self) -> None:
        """One Adam update of every parameter that learns."""
        beta1, beta2 = self.betas
        steps, m, v, decay, eps = self.steps, self.m, self.v, self.weight_decay, self.eps
        t = 0
        step_size = correction2_sqrt = 0.0
        for i, p in self._learning():
            steps[i] += 1
            if steps[i] != t:
                t = steps[i]
                step_size = self.lr / (1.0 - beta1**t)
                correction2_sqrt = (1.0 - beta2**t) ** 0.5
            g = p.grad
            if decay != 0.0:
                g = g + decay * p.data
            m[i] = _lerp(m[i], g, 1.0 - beta1)
            v[i] = v[i] * beta2 + (1.0 - beta2) * g * g
            denominator = math.sqrt(v[i]) / correction2_sqrt + eps
            change = -step_size * m[i]
            p.data = p.data + (change / denominator if denominator else div(change, denominator))

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


def _lerp(start: float, end: float, weight: float) -> float:
    """start + weight·(end − start), rounded as torch.lerp rounds it."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)
