"""Size limits hold before any work is done, and the shared argument checks."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

import autograd
from autograd import GraphTooLargeError, Value
from autograd._checks import check_decimals, check_size


def chain(values: int) -> Value:
    """tanh(tanh(… x …)): a graph of `values` Values."""
    x = Value(0.5, label="x")
    for _ in range(values - 1):
        x = x.tanh()
    return x


def test_counting_stops_just_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    visited: list[Value] = []
    real_parents = Value.parents

    def parents(node: Value) -> tuple[Value, ...]:
        visited.append(node)
        return real_parents.fget(node)  # type: ignore[attr-defined, no-any-return]

    root = chain(10_000)
    monkeypatch.setattr(Value, "parents", property(parents))
    with pytest.raises(GraphTooLargeError, match="more than max_nodes=100 values: it is big"):
        check_size(root, 100, "it is big")
    assert len(visited) <= 101
    visited.clear()
    check_size(root, 10_000, "it is big")  # a graph of exactly the limit is fine
    assert len(visited) == 10_000


def test_a_diamond_counts_each_value_once() -> None:
    x = Value(1.0)
    y = x * x
    check_size(y + y, 3, "")
    with pytest.raises(GraphTooLargeError):
        check_size(y + y, 2, "")


# Each view, and the function doing its work, which must not run on a graph over the limit.
VIEWS: dict[str, tuple[Callable[[Value, Path, int], object], str, str]] = {
    "draw": (lambda root, path, limit: autograd.draw(root, max_nodes=limit),
             "draw", "topological_order"),
    "render": (lambda root, path, limit: autograd.render(root, path / "g.svg", max_nodes=limit),
               "draw", "topological_order"),
    "explain": (lambda root, path, limit: autograd.explain(root, max_nodes=limit),
                "explain", "backprop"),
    "stepper": (lambda root, path, limit: autograd.stepper(root, path / "p.html",
                                                           max_nodes=limit),
                "stepper", "backprop"),
}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_a_graph_over_the_limit_is_refused_before_any_work(
        view: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run, module, work = VIEWS[view]

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{work} ran on a graph over the limit")

    monkeypatch.setattr(import_module(f"autograd.views.{module}"), work, no_work)
    with pytest.raises(GraphTooLargeError, match="more than max_nodes=50 values"):
        run(chain(60), tmp_path, 50)
    assert list(tmp_path.iterdir()) == []


def test_explain_has_a_limit_of_its_own() -> None:
    limit = import_module("autograd.views.explain").MAX_NODES
    with pytest.raises(GraphTooLargeError, match=f"more than max_nodes={limit} values: its "
                                                 "explanation would take long to write"):
        autograd.explain(chain(limit + 1))
    assert autograd.explain(chain(3), max_nodes=3).count("\n") == 3


@pytest.mark.parametrize("max_nodes", [0, -1, 1.5, True, None])
@pytest.mark.parametrize("view", [autograd.draw, autograd.explain])
def test_max_nodes_is_a_positive_int(view: Callable[..., object], max_nodes: object) -> None:
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        view(Value(1.0), max_nodes=max_nodes)


@pytest.mark.parametrize("decimals", [-1, 18, 2.0, True, "3"])
def test_decimals_is_an_int_from_0_to_17(decimals: Any, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"precision must be an int from 0 to 17, got "
                                         f"{decimals!r}"):
        check_decimals(decimals, "precision")
    with pytest.raises(ValueError, match="precision must be an int from 0 to 17"):
        autograd.draw(Value(1.0), precision=decimals)
    with pytest.raises(ValueError, match="decimals must be an int from 0 to 17"):
        autograd.explain(Value(1.0), decimals=decimals)
    with pytest.raises(ValueError, match="decimals must be an int from 0 to 17"):
        autograd.stepper(Value(1.0), tmp_path / "p.html", decimals=decimals)


def test_the_root_must_be_a_value(tmp_path: Path) -> None:
    not_a_value: Any = 1.0
    for run in (autograd.draw, autograd.explain, lambda root: autograd.compile(root, []),
                lambda root: autograd.stepper(root, tmp_path / "p.html")):
        with pytest.raises(TypeError, match=r"expects a Value.*got float"):
            run(not_a_value)
