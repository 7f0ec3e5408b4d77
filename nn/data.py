"""Small data sets and batching, as plain Python lists: rows of floats and their targets.

Two-class sets are labelled -1 and +1 (ready for hinge); spiral's labels are class indices.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TypeVar

from ._checks import check_rows_and_targets, count, positive_int
from .module import Seed, random_generator

T = TypeVar("T")
U = TypeVar("U")
Rows = list[list[float]]


def xor() -> tuple[Rows, list[float]]:
    """The four corners of the unit square, +1 where exactly one coordinate is 1."""
    return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [-1.0, 1.0, 1.0, -1.0]


def moons(n: int = 100, noise: float = 0.1, seed: Seed = None) -> tuple[Rows, list[float]]:
    """Two interleaving half circles of n points in all, labels -1 (upper) and +1 (lower).

    The points lie evenly along each arc (as scikit-learn's make_moons), plus Gaussian noise of
    standard deviation `noise`, in shuffled order.
    """
    positive_int(n, "n")
    _check_noise(noise)
    rng = random_generator(seed)
    upper, lower = n - n // 2, n // 2
    points = [(_arc(i, upper), -1.0) for i in range(upper)]
    points += [(_lower(i, lower), 1.0) for i in range(lower)]
    rng.shuffle(points)
    X = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for (x, y), _ in points]
    return X, [label for _, label in points]


def _arc(i: int, count: int) -> tuple[float, float]:
    t = math.pi * i / (count - 1) if count > 1 else 0.0
    return math.cos(t), math.sin(t)


def _lower(i: int, count: int) -> tuple[float, float]:
    x, y = _arc(i, count)
    return 1.0 - x, 0.5 - y


def spiral(n: int = 100, classes: int = 3, seed: Seed = None,
           noise: float = 0.2) -> tuple[Rows, list[int]]:
    """`classes` interleaved spiral arms of n points each; labels are class indices 0, 1, ...

    Arm k's i-th point lies at radius i/(n-1) and angle 4k + 4i/(n-1) (plus Gaussian noise of
    standard deviation `noise` on the angle), as in the CS231n spiral.
    """
    positive_int(n, "n")
    positive_int(classes, "classes")
    _check_noise(noise)
    rng = random_generator(seed)
    X: Rows = []
    y: list[int] = []
    for k in range(classes):
        for i in range(n):
            r = i / (n - 1) if n > 1 else 0.0
            angle = 4.0 * k + 4.0 * r + rng.gauss(0.0, noise)
            X.append([r * math.sin(angle), r * math.cos(angle)])
            y.append(k)
    return X, y


def train_test_split(X: Sequence[T], y: Sequence[U], test_fraction: float = 0.25,
                     seed: Seed = None) -> tuple[list[T], list[T], list[U], list[U]]:
    """X_train, X_test, y_train, y_test: a shuffled split, test_fraction of the rows for test."""
    check_rows_and_targets(X, y)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    order = list(range(len(X)))
    random_generator(seed).shuffle(order)
    n_test = round(len(X) * test_fraction)
    if not 0 < n_test < len(X):
        raise ValueError(f"{len(X)} rows are too few to split with test_fraction "
                         f"{test_fraction}: one side would be empty")
    test, train = order[:n_test], order[n_test:]
    return ([X[i] for i in train], [X[i] for i in test],
            [y[i] for i in train], [y[i] for i in test])


def batches(X: Sequence[T], y: Sequence[U], batch_size: int | None = None,
            shuffle: bool = True, seed: Seed = None) -> Iterator[tuple[list[T], list[U]]]:
    """(X_batch, y_batch) pairs covering every row once; batch_size None gives one batch.

    Shuffled with `seed` (an int, a random.Random to draw from, or None for a fresh order).
    """
    check_rows_and_targets(X, y)
    chosen = batch_indices(len(X), batch_size, shuffle, seed)
    return (([X[i] for i in rows], [y[i] for i in rows]) for rows in chosen)


def batch_indices(n: int, batch_size: int | None = None, shuffle: bool = True,
                  seed: Seed = None) -> Iterator[list[int]]:
    """The row indices of each batch of n rows, as batches() chooses them from the same seed."""
    count(n, "n")
    if batch_size is None:
        batch_size = max(n, 1)
    positive_int(batch_size, "batch_size")
    order = list(range(n))
    if shuffle:
        random_generator(seed).shuffle(order)
    return (order[start:start + batch_size] for start in range(0, n, batch_size))


def _check_noise(noise: float) -> None:
    if not noise >= 0.0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
