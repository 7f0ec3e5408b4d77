"""Argument checks shared by nn's modules, each a ValueError saying what is expected."""

from __future__ import annotations

from collections.abc import Sequence


def positive_int(value: object, name: str) -> int:
    """value itself if it is an int of at least 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r:.40}")
    return value


def check_rows_and_targets(X: Sequence[object], y: Sequence[object]) -> None:
    """Check that a data set is non-empty, with one target a row."""
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} targets")
    if not X:
        raise ValueError("the data set is empty")
