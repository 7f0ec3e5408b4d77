"""Optimizers that follow torch.optim's update equations, step for step, on Values.

Each updates only the parameters it was given, so leaving some out freezes them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd import Value, div


class Optimizer:
    """Holds the parameters to update; step() moves them against their gradients."""

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
        """Update every parameter from its grad."""
        raise NotImplementedError


def _at_least_zero(name: str, value: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0.0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


class SGD(Optimizer):
    """Stochastic gradient descent, p ← p − lr·g, with optional momentum and weight decay.

    As torch.optim.SGD: g = grad + weight_decay·p; with momentum, buf = g at the first step,
    then buf = momentum·buf + (1 − dampening)·g, and g = buf (or g + momentum·buf, Nesterov).
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params)
        self.lr = _at_least_zero("lr", lr)
        self.momentum = _at_least_zero("momentum", momentum)
        self.weight_decay = _at_least_zero("weight_decay", weight_decay)
        self.dampening = float(dampening)
        self.nesterov = nesterov
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening 0")
        self.buffers: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        """p ← p − lr·g for every parameter."""
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        if momentum == 0.0 and decay == 0.0:
            for p in self.params:
                p.data = p.data + -lr * p.grad
            return
        buffers = self.buffers
        for i, p in enumerate(self.params):
            g = p.grad
            if decay != 0.0:
                g = g + decay * p.data
            if momentum != 0.0:
                buf = buffers[i]
                buf = g if buf is None else buf * momentum + (1.0 - self.dampening) * g
                buffers[i] = buf
                g = g + momentum * buf if self.nesterov else buf
            p.data = p.data + -lr * g

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
        self.lr = _at_least_zero("lr", lr)
        self.eps = _at_least_zero("eps", eps)
        self.weight_decay = _at_least_zero("weight_decay", weight_decay)
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.steps = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam update of every parameter."""
        self.steps += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1**self.steps)
        correction2_sqrt = (1.0 - beta2**self.steps) ** 0.5
        m, v, decay, eps = self.m, self.v, self.weight_decay, self.eps
        for i, p in enumerate(self.params):
            g = p.grad
            if decay != 0.0:
                g = g + decay * p.data
            m[i] = _lerp(m[i], g, 1.0 - beta1)
            v[i] = v[i] * beta2 + (1.0 - beta2) * g * g
            denominator = math.sqrt(v[i]) / correction2_sqrt + eps
            change = -step_size * m[i]
            p.data = p.data + (change / denominator if denominator else div(change, denominator))

    def __repr__(self) -> str:
        return (f"Adam({len(self.params)} parameters, lr={self.lr!r}, betas={self.betas!r}, "
                f"eps={self.eps!r}, weight_decay={self.weight_decay!r})")


def _lerp(start: float, end: float, weight: float) -> float:
    """start + weight·(end − start), rounded as torch.lerp rounds it."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)
