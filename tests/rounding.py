"""Comparing with the lecture notes' printed figures: ours must round to theirs."""

from __future__ import annotations

from decimal import Decimal


def assert_rounds_to(value: float, printed: str) -> None:
    """value, rounded to as many decimals as printed has, is printed."""
    decimals = len(printed.split(".")[1])
    assert abs(Decimal(value) - Decimal(printed)) <= Decimal(5) * Decimal(10) ** -(decimals + 1), (
        f"{value!r} does not round to {printed}")
