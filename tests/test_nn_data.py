"""nn.data: the data sets' shapes, labels and seeds; splitting and batching."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn import data


def test_xor() -> None:
    X, y = data.xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [(1.0 if a != b else -1.0) for a, b in X]


@given(st.integers(1, 300), st.integers(0, 1000))
def test_moons_shape_labels_and_seed(n: int, seed: int) -> None:
    X, y = data.moons(n, noise=0.1, seed=seed)
    assert len(X) == len(y) == n
    assert all(len(row) == 2 and all(math.isfinite(v) for v in row) for row in X)
    assert set(y) <= {-1.0, 1.0}
    assert y.count(1.0) == n // 2
    assert data.moons(n, noise=0.1, seed=seed) == (X, y)


def test_moons_without_noise_lie_on_two_arcs() -> None:
    X, y = data.moons(50, noise=0.0, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        if label < 0:  # the upper arc: the unit circle around (0, 0)
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # the lower arc: the unit circle around (1, 0.5)
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_spiral_labels_are_class_indices_and_arms_turn() -> None:
    X, y = data.spiral(40, classes=3, seed=0, noise=0.0)
    assert len(X) == 120
    assert y == [k for k in range(3) for _ in range(40)]
    assert all(math.hypot(*row) <= 1.0 + 1e-12 for row in X)
    assert X[0] == [0.0, 0.0]
    assert data.spiral(40, 3, seed=5) == data.spiral(40, 3, seed=5)
    assert data.spiral(40, 3, seed=5) != data.spiral(40, 3, seed=6)


def test_data_sets_do_not_touch_global_random_state() -> None:
    random.seed(0)
    before = random.random()
    random.seed(0)
    data.moons(20, seed=1)
    data.spiral(5, seed=1)
    assert random.random() == before


@given(st.integers(2, 100), st.floats(0.05, 0.95), st.integers(0, 100))
def test_train_test_split_partitions_the_rows(n: int, fraction: float, seed: int) -> None:
    X = [[float(i)] for i in range(n)]
    y = list(range(n))
    if not 0 < round(n * fraction) < n:
        with pytest.raises(ValueError, match="too few to split"):
            data.train_test_split(X, y, fraction, seed=seed)
        return
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, fraction, seed=seed)
    assert len(X_test) == round(n * fraction)
    assert sorted(y_train + y_test) == y
    assert [[float(i)] for i in y_train] == X_train
    assert [[float(i)] for i in y_test] == X_test


@given(st.integers(1, 50), st.one_of(st.none(), st.integers(1, 60)), st.booleans(),
       st.integers(0, 100))
def test_batches_cover_every_row_once(n: int, size: int | None, shuffle: bool,
                                      seed: int) -> None:
    X = [[float(i)] for i in range(n)]
    y = list(range(n))
    got = list(data.batches(X, y, size, shuffle=shuffle, seed=seed))
    assert sorted(t for _, ys in got for t in ys) == y
    assert all(xs == [[float(t)] for t in ys] for xs, ys in got)
    expected_size = n if size is None else size
    assert all(len(ys) == expected_size for _, ys in got[:-1])
    assert 0 < len(got[-1][1]) <= expected_size
    if not shuffle:
        assert [t for _, ys in got for t in ys] == y


@given(st.integers(0, 40), st.one_of(st.none(), st.integers(1, 50)), st.integers(0, 100))
def test_batch_indices_choose_the_rows_batches_chooses(n: int, size: int | None,
                                                       seed: int) -> None:
    chosen = list(data.batch_indices(n, size, seed=seed))
    assert sorted(i for rows in chosen for i in rows) == list(range(n))
    if n:
        X, y = [[float(i)] for i in range(n)], list(range(n))
        assert chosen == [ys for _, ys in data.batches(X, y, size, seed=seed)]


def test_batches_with_a_generator_draw_a_new_order_each_time() -> None:
    rng = random.Random(0)
    X, y = [[float(i)] for i in range(20)], list(range(20))
    first = [t for _, ys in data.batches(X, y, 5, seed=rng) for t in ys]
    second = [t for _, ys in data.batches(X, y, 5, seed=rng) for t in ys]
    assert first != second
    assert first == [t for _, ys in data.batches(X, y, 5, seed=random.Random(0)) for t in ys]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: data.batches([[1.0]], [1, 2], 1), "X has 1 rows but y has 2 targets"),
    (lambda: data.batches([], [], 1), "the data set is empty"),
    (lambda: data.batches([[1.0]], [1], 0), "batch_size must be a positive int, got 0"),
    (lambda: data.batch_indices(-1), "n must be an int >= 0, got -1"),
    (lambda: data.batch_indices(3, 0), "batch_size must be a positive int, got 0"),
    (lambda: data.moons(0), "n must be a positive int"),
    (lambda: data.moons(10, noise=-1.0), "noise must be >= 0"),
    (lambda: data.spiral(10, classes=0), "classes must be a positive int"),
    (lambda: data.train_test_split([[1.0]] * 4, [1] * 4, 1.5), "test_fraction must be between"),
])
def test_bad_arguments_are_value_errors_at_the_call(call: Callable[[], object],
                                                    message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
