"""Argument checks shared by nn's modules, each a ValueError saying what is expected."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

T = TypeVar("T")


def positive_int(value: object, name: str) -> int:
    """value itself if it is an int of at least 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r:.40}")
    return value


def count(value: object, name: str) -> int:
    """value itself if it is an int of at least 0."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return value


def at_least_zero(value: object, name: str) -> float:
    """value as a float if it is a number >= 0."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0.0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


def check_rows_and_targets(X: Sequence[object], y: Sequence[object]) -> None:
    """Check that a data set is non-empty, with one target a row."""
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} targets")
    if not X:
        raise ValueError("the data set is empty")


def probability(value: object, name: str) -> float:
    """value as a float if it is a number in [0, 1]."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


def rebuilt(saved: object, key: str, cls: type[T], first: object) -> tuple[T, Any]:
    """cls(first, **settings) from a state_dict() saved under key, and its "state" part.

    The settings go through cls's constructor, so they are checked as it checks them.
    """
    kind = cls.__name__
    if not isinstance(saved, Mapping) or set(saved) != {key, "settings", "state"}:
        raise ValueError(f"the state to load must be a dict with the keys {key}, settings and "
                         "state, as state_dict() gives")
    if saved[key] != kind:
        raise ValueError(f"the state of {saved[key]!r} cannot be loaded into {kind}")
    settings = saved["settings"]
    if not isinstance(settings, Mapping):
        raise ValueError(f"the settings must be a dict, got {settings!r:.60}")
    try:
        return cast(Callable[..., T], cls)(first, **settings), saved["state"]
    except TypeError as error:
        raise ValueError(f"the settings do not fit {kind}: {error}") from None
