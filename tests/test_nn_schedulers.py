"""nn.schedulers: each schedule's learning rates, checkpoints and errors (torch parity apart)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest

from autograd import Value
from nn.optim import SGD, Adam, Optimizer
from nn.schedulers import CosineAnnealingLR, ExponentialLR, Scheduler, StepLR


def sgd(lr: float = 1.0) -> SGD:
    return SGD([Value(0.0)], lr=lr)


def rates(scheduler: Scheduler, epochs: int) -> list[float]:
    """The lr of each epoch, the first included, stepping after each."""
    lrs = []
    for _ in range(epochs):
        lrs.append(scheduler.optimizer.lr)
        scheduler.step()
    return lrs


def test_making_a_scheduler_leaves_the_lr_and_counts_from_epoch_0() -> None:
    optimizer = sgd(0.5)
    scheduler = StepLR(optimizer, step_size=2)
    assert optimizer.lr == 0.5
    assert scheduler.last_epoch == 0
    assert scheduler.get_last_lr() == [0.5]
    scheduler.step()
    assert scheduler.last_epoch == 1


def test_step_lr_multiplies_by_gamma_every_step_size_epochs() -> None:
    assert rates(StepLR(sgd(1.0), step_size=3, gamma=0.5), 8) == [
        1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_exponential_lr_multiplies_by_gamma_every_epoch() -> None:
    assert rates(ExponentialLR(sgd(2.0), gamma=0.5), 4) == [2.0, 1.0, 0.5, 0.25]


def test_cosine_annealing_follows_the_closed_form_to_within_rounding_and_climbs_back() -> None:
    base, low, period = 0.1, 0.01, 10
    lrs = rates(CosineAnnealingLR(sgd(base), T_max=period, eta_min=low), 3 * period + 1)
    closed = [low + (base - low) * (1 + math.cos(math.pi * t / period)) / 2
              for t in range(3 * period + 1)]
    assert lrs == pytest.approx(closed, rel=1e-14, abs=1e-17)
    assert lrs[period] == pytest.approx(low, rel=1e-14)
    assert lrs[2 * period] == pytest.approx(base, rel=1e-14)
    assert lrs[period + 1] > lrs[period]  # past the minimum the rise is added, not a 0/0 ratio


def test_a_change_to_the_lr_from_outside_carries_on_as_in_torch() -> None:
    optimizer = sgd(1.0)
    scheduler = ExponentialLR(optimizer, gamma=0.5)
    scheduler.step()
    optimizer.lr = 10.0
    scheduler.step()
    assert optimizer.lr == 5.0
    assert scheduler.get_last_lr() == [5.0]


MAKERS: dict[str, Callable[[Optimizer], Scheduler]] = {
    "StepLR": lambda o: StepLR(o, step_size=4, gamma=0.3),
    "ExponentialLR": lambda o: ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o: CosineAnnealingLR(o, T_max=7, eta_min=0.001),
}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_scheduler_loaded_from_a_json_checkpoint_goes_on_as_the_original(kind: str) -> None:
    optimizer = Adam([Value(1.0)], lr=0.05)
    scheduler = MAKERS[kind](optimizer)
    rates(scheduler, 9)
    checkpoint = json.loads(json.dumps({"optimizer": optimizer.state_dict(),
                                        "scheduler": scheduler.state_dict()}))
    resumed_optimizer = Adam([Value(1.0)], lr=0.05)
    resumed = MAKERS[kind](resumed_optimizer)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    assert resumed.last_epoch == 9
    assert rates(resumed, 20) == rates(scheduler, 20)


def test_a_scheduler_state_holds_its_settings_and_counts() -> None:
    scheduler = CosineAnnealingLR(sgd(0.2), T_max=5)
    scheduler.step()
    assert scheduler.state_dict() == {
        "scheduler": "CosineAnnealingLR", "settings": {"T_max": 5, "eta_min": 0.0},
        "state": {"last_epoch": 1, "base_lr": 0.2, "last_lr": scheduler.optimizer.lr}}
    assert repr(scheduler) == "CosineAnnealingLR(T_max=5, eta_min=0.0, last_epoch=1)"


@pytest.mark.parametrize(("state", "message"), [
    ({"scheduler": "StepLR"}, "the keys scheduler, settings and state"),
    ({"scheduler": "ExponentialLR", "settings": {"gamma": 0.5},
      "state": {"last_epoch": 1, "base_lr": 1.0, "last_lr": 0.5}},
     "the state of 'ExponentialLR' cannot be loaded into StepLR"),
    ({"scheduler": "StepLR", "settings": {"step_size": 2, "gamma": 0.5, "T_max": 3},
      "state": {"last_epoch": 1, "base_lr": 1.0, "last_lr": 0.5}}, "do not fit StepLR"),
    ({"scheduler": "StepLR", "settings": {"step_size": 0},
      "state": {"last_epoch": 1, "base_lr": 1.0, "last_lr": 0.5}}, "step_size must be"),
    ({"scheduler": "StepLR", "settings": {"step_size": 2},
      "state": {"last_epoch": -1, "base_lr": 1.0, "last_lr": 0.5}},
     "last_epoch must be an int >= 0, got -1"),
    ({"scheduler": "StepLR", "settings": {"step_size": 2},
      "state": {"last_epoch": 1, "base_lr": "1", "last_lr": 0.5}}, "base_lr must be a number"),
    ({"scheduler": "StepLR", "settings": {"step_size": 2}, "state": {"last_epoch": 1}},
     "a dict with the keys last_epoch, base_lr and last_lr"),
])
def test_a_scheduler_state_that_does_not_fit_is_refused_and_changes_nothing(
        state: dict[str, object], message: str) -> None:
    scheduler = StepLR(sgd(), step_size=3)
    scheduler.step()
    before = scheduler.state_dict()
    with pytest.raises(ValueError, match=message):
        scheduler.load_state_dict(state)
    assert scheduler.state_dict() == before


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: StepLR(sgd(), step_size=1.5), ValueError,  # type: ignore[arg-type]
     "step_size must be a positive int, got 1.5"),
    (lambda: StepLR(sgd(), step_size=2, gamma=-0.1), ValueError, "gamma must be a number >= 0"),
    (lambda: ExponentialLR(sgd(), gamma=math.nan), ValueError, "gamma must be a number >= 0"),
    (lambda: CosineAnnealingLR(sgd(), T_max=0), ValueError, "T_max must be a positive int"),
    (lambda: CosineAnnealingLR(sgd(), T_max=3, eta_min=-1.0), ValueError,
     "eta_min must be a number >= 0"),
    (lambda: ExponentialLR("sgd", gamma=0.5), TypeError,  # type: ignore[arg-type]
     "needs an nn.optim optimizer, got str"),
])
def test_bad_arguments_are_clear_errors(make: Callable[[], object], error: type[Exception],
                                       message: str) -> None:
    with pytest.raises(error, match=message):
        make()
