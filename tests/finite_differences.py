"""Central finite differences, the independent check every derivative is held to."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence


def central_difference(f: Callable[..., float], xs: Sequence[float], i: int) -> float:
    """d f / d xs[i] by (f(x + h) - f(x - h)) / 2h, with h scaled to the size of xs[i]."""
    h = 1e-6 * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def close_to_difference(analytic: float, numeric: float) -> bool:
    """Whether an analytic derivative matches its finite difference to the method's accuracy."""
    return math.isclose(analytic, numeric, rel_tol=1e-5, abs_tol=1e-6)
