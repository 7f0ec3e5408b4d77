"""Learning-rate schedules: an optimizer's lr set as torch.optim.lr_scheduler sets it, step by step.

A scheduler made on an optimizer leaves its lr as it is, at last_epoch 0. Each step(), called
once an epoch's optimizer steps are done, adds 1 to last_epoch and sets the lr for the next
epoch from the current one, as torch's step() does (its recursive form, so that a change made
to optimizer.lr from outside carries on; torch's closed forms agree to within rounding).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ._checks import at_least_zero, count, positive_int, rebuilt
from .optim import Optimizer


class Scheduler:
    """Sets optimizer.lr for each epoch: call step() after each epoch's updates."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an nn.optim optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr  # torch's initial_lr
        self.last_epoch = 0
        self.last_lr = optimizer.lr

    def step(self) -> None:
        """Count an epoch done and set the optimizer's lr for the next one."""
        self.last_epoch += 1
        self.optimizer.lr = self.last_lr = self._next_lr(self.optimizer.lr)

    def get_last_lr(self) -> list[float]:
        """[the lr this scheduler set last]: a list, as torch's has one lr a parameter group."""
        return [self.last_lr]

    def state_dict(self) -> dict[str, Any]:
        """The settings and the epoch count, ready for JSON: what load_state_dict takes."""
        return {"scheduler": type(self).__name__, "settings": self._settings(),
                "state": {"last_epoch": self.last_epoch, "base_lr": self.base_lr,
                          "last_lr": self.last_lr}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Go on from a state_dict() of the same kind of scheduler (the optimizer keeps its lr)."""
        checked, counts = rebuilt(state, "scheduler", type(self), self.optimizer)
        if not isinstance(counts, Mapping) or set(counts) != {"last_epoch", "base_lr", "last_lr"}:
            raise ValueError("the state must be a dict with the keys last_epoch, base_lr and "
                             "last_lr")
        checked.last_epoch = count(counts["last_epoch"], "last_epoch")
        checked.base_lr = at_least_zero(counts["base_lr"], "base_lr")
        checked.last_lr = at_least_zero(counts["last_lr"], "last_lr")
        vars(self).update(vars(checked))

    def _next_lr(self, lr: float) -> float:
        raise NotImplementedError

    def _settings(self) -> dict[str, Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self._settings().items())
        return f"{type(self).__name__}({settings}, last_epoch={self.last_epoch})"


class StepLR(Scheduler):
    """lr × gamma every step_size epochs: at last_epoch step_size, 2·step_size, ..."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = positive_int(step_size, "step_size")
        self.gamma = at_least_zero(gamma, "gamma")
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr

    def _settings(self) -> dict[str, Any]:
        return {"step_size": self.step_size, "gamma": self.gamma}


class ExponentialLR(Scheduler):
    """lr × gamma every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = at_least_zero(gamma, "gamma")
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        return lr * self.gamma

    def _settings(self) -> dict[str, Any]:
        return {"gamma": self.gamma}


class CosineAnnealingLR(Scheduler):
    """lr from base_lr down to eta_min along half a cosine over T_max epochs, then back up.

    Closed form: eta_min + (base_lr − eta_min)·(1 + cos(π·last_epoch/T_max))/2. Like torch's
    step(), each step scales lr − eta_min by the ratio of this form's successive cosine terms,
    and where that ratio is 0/0 (just past each minimum) adds the rise instead.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        self.T_max = positive_int(T_max, "T_max")
        self.eta_min = at_least_zero(eta_min, "eta_min")
        super().__init__(optimizer)

    def _next_lr(self, lr: float) -> float:
        epoch, period, low = self.last_epoch, self.T_max, self.eta_min
        if (epoch - 1 - period) % (2 * period) == 0:
            return lr + (self.base_lr - low) * (1 - math.cos(math.pi / period)) / 2
        return ((1 + math.cos(math.pi * epoch / period))
                / (1 + math.cos(math.pi * (epoch - 1) / period)) * (lr - low) + low)

    def _settings(self) -> dict[str, Any]:
        return {"T_max": self.T_max, "eta_min": self.eta_min}
