"""Graph walks: order, one walk at a time, and walks stopped at any point leaving graphs correct."""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import autograd
from autograd import Value

AUTOGRAD = str(Path(autograd.__file__).parent)


class Interrupted(BaseException):
    """Raised by the tracer, as a KeyboardInterrupt would be, where the test says."""


@contextmanager
def events_in_autograd(at: int | None) -> Iterator[list[int]]:
    """Count the call, line and return events in autograd's code; raise Interrupted at `at`."""
    seen = [0]

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        seen[0] += 1
        if seen[0] == at:
            raise Interrupted
        return local

    def start(frame: FrameType, event: str, arg: Any) -> Any:
        if not frame.f_code.co_filename.startswith(AUTOGRAD):
            return None
        return local(frame, event, arg)

    previous = sys.gettrace()
    sys.settrace(start)
    try:
        yield seen
    finally:
        sys.settrace(previous)


def lecture_graph() -> tuple[Value, list[Value]]:
    """A small graph with shared nodes and a node used twice by one op."""
    x, y = Value(3.0, "x"), Value(-1.5, "y")
    a = x * x
    b = (a * y).tanh() + a * 2.0
    f = b * x + (y * y).exp() / x
    return f, [x, y, a, b]


def expected_gradients() -> list[float]:
    f, nodes = lecture_graph()
    f.backward()
    return [n.grad for n in nodes]


def walks_in_another_thread() -> bool:
    """Whether another thread can run a whole backward pass (so no walk's lock is left held)."""
    done = threading.Event()

    def walk() -> None:
        z = Value(2.0)
        (z * z).backward()
        if z.grad == 4.0:
            done.set()

    worker = threading.Thread(target=walk, daemon=True)
    worker.start()
    return done.wait(5.0)


def backward(f: Value, nodes: list[Value]) -> None:
    f.backward()


def second_order(f: Value, nodes: list[Value]) -> None:
    first = autograd.grad(f, nodes[:2], create_graph=True)
    autograd.grad(first[0], nodes[:2])


def zero_grad(f: Value, nodes: list[Value]) -> None:
    f.zero_grad()


def draw(f: Value, nodes: list[Value]) -> None:
    autograd.draw(f, edge_derivatives=True)


def compiled(f: Value, nodes: list[Value]) -> None:
    autograd.compile(f, nodes[:2])([3.0, -1.5])


def checked_backward(f: Value, nodes: list[Value]) -> None:
    f.backward()  # the test runs it inside detect_anomaly()


def first_order(f: Value, nodes: list[Value]) -> None:
    autograd.grad(f, nodes)


def checked_first_order(f: Value, nodes: list[Value]) -> None:
    autograd.grad(f, nodes)  # the test runs it inside detect_anomaly()


WALKS: list[Callable[[Value, list[Value]], None]] = [
    backward, second_order, zero_grad, draw, compiled, checked_backward, first_order,
    checked_first_order
]
IN_ANOMALY_MODE = (checked_backward, checked_first_order)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("walk", WALKS, ids=lambda w: w.__name__)
def test_a_walk_stopped_at_any_event_leaves_every_graph_correct(
        walk: Callable[[Value, list[Value]], None]) -> None:
    f, nodes = lecture_graph()
    want = expected_gradients()
    mode = autograd.detect_anomaly if walk in IN_ANOMALY_MODE else nullcontext
    with mode(), events_in_autograd(at=None) as seen:
        walk(f, nodes)
    events = seen[0]
    assert events > 20  # the tracer saw the walk
    stopped = 0
    for at in range(1, events + 1):
        try:
            with mode(), events_in_autograd(at):
                walk(f, nodes)
        except Interrupted:
            stopped += 1  # an event in a finalizer cannot stop the walk: Python reports it
        assert walks_in_another_thread(), f"a walk's lock is held after event {at}"
        f.zero_grad()
        f.backward()
        assert [n.grad for n in nodes] == want, f"wrong gradients after event {at}"
        assert list(autograd.grad(f, nodes[:2])) == want[:2], f"wrong grad() after event {at}"
    assert stopped > 0.9 * events


@pytest.mark.usefixtures("table")
def test_a_derivative_rule_that_raises_leaves_the_graph_correct() -> None:
    failing = [False]

    def rule(x: Any, out: Any) -> tuple[Any, ...]:
        if failing[0]:
            raise ValueError("the rule failed")
        return (2.0,)

    double = autograd.define_op("doubles_unless_failing", lambda x: 2.0 * x, rule)
    x = Value(3.0)
    y = x * x
    f = double(y) * y  # 2 x^4
    failing[0] = True
    with pytest.raises(ValueError, match="the rule failed"):
        f.backward()
    failing[0] = False
    f.zero_grad()
    f.backward()
    assert x.grad == 216.0
    assert walks_in_another_thread()


def test_topological_order_puts_parents_first_and_is_deterministic() -> None:
    x, y = Value(1.0), Value(2.0)
    a = x * y
    b = a + x
    c = b * a
    order = autograd.topological_order(c)
    assert len(order) == len(set(map(id, order))) == 5
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)
    assert [id(n) for n in autograd.topological_order(c)] == [id(n) for n in order]


def test_a_million_node_chain() -> None:
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + x
    y.backward()
    assert x.grad == 1_000_001.0
    del y  # freeing a million nested nodes must not overflow the C stack


@pytest.mark.usefixtures("table")
def test_walks_in_two_threads_do_not_mix() -> None:
    started, finish = threading.Event(), threading.Event()

    def slow_rule(x: Any, out: Any) -> tuple[Any, ...]:
        if threading.current_thread().name == "first":
            started.set()
            finish.wait(5)
        return (autograd.sigmoid(x),)

    slow = autograd.define_op("slow_softplus_for_threads", lambda x: math.log1p(math.exp(x)),
                              slow_rule)
    w = Value(0.5)
    first_loss, second_loss = slow(w * 2.0) + w, w * 3.0 + w
    first = threading.Thread(target=first_loss.backward, name="first")
    first.start()
    started.wait(5)
    results: list[tuple[Any, ...]] = []
    second = threading.Thread(target=lambda: results.append(autograd.grad(second_loss, [w])))
    second.start()
    finish.set()
    first.join()
    second.join()
    assert results == [(4.0,)]
    assert w.grad == 2.0 * autograd.sigmoid(1.0) + 1.0


@pytest.mark.usefixtures("table")
def test_a_walk_inside_a_walk_is_refused() -> None:
    def rule_that_walks(x: Any, out: Any) -> tuple[Any, ...]:
        autograd.topological_order(Value(1.0) * 2.0)
        return (1.0,)

    walker = autograd.define_op("walks_in_its_rule", lambda x: x, rule_that_walks)
    x = Value(1.0)
    y = walker(x) * 2.0
    with pytest.raises(RuntimeError, match="cannot run inside one another"):
        y.backward()
    y2 = x * 3.0
    y2.backward()
    assert x.grad == 3.0
    assert walks_in_another_thread()


def opens_a_mode_in_another_thread() -> bool:
    """Whether another thread can open and close a mode (so the modes' lock is not held)."""
    done = threading.Event()

    def open_and_close() -> None:
        with autograd.no_grad():
            done.set()

    threading.Thread(target=open_and_close, daemon=True).start()
    return done.wait(5.0)


MODES: list[Callable[[], AbstractContextManager[Any]]] = [
    autograd.no_grad, autograd.enable_grad, lambda: autograd.set_grad_enabled(False),
    autograd.detect_anomaly, lambda: autograd.scope("layer"),
    lambda: autograd.numbers_refused("traced"),
]
MODE_NAMES = ["no_grad", "enable_grad", "set_grad_enabled", "detect_anomaly", "scope",
              "numbers_refused"]


def use_stopped(mode: Callable[[], Any], at: int | None, decorating: bool = False) -> int:
    """Make a node inside mode (or a function it decorates), interrupted at event `at`; the
    events counted."""
    with events_in_autograd(at) as events:
        try:
            if decorating:
                mode()(lambda: Value(1.0) * 2.0)()
            else:
                with mode():
                    Value(1.0) * 2.0
        except Interrupted:
            pass
    return events[0]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("mode", MODES, ids=MODE_NAMES)
def test_a_mode_stopped_at_any_event_leaves_no_lock_held(
        mode: Callable[[], AbstractContextManager[Any]]) -> None:
    def in_a_thread(at: int | None) -> int:
        seen: list[int] = []
        # in a thread of its own, whose modes go with it
        worker = threading.Thread(target=lambda: seen.append(use_stopped(mode, at)))
        worker.start()
        worker.join()
        return seen[0]

    events = in_a_thread(None)
    assert events > 5
    for at in range(1, events + 1):
        in_a_thread(at)
        assert opens_a_mode_in_another_thread(), f"the modes' lock is held after event {at}"
    with autograd.no_grad():
        assert (Value(1.0) * 2.0).parents == ()
    assert (Value(1.0) * 2.0).scopes == ()


def mode_state() -> tuple[object, ...]:
    """This thread's modes, as ops read them."""
    modes = autograd.engine.modes.state()
    return modes.no_grad_depth, modes.anomaly_depth, modes.info, modes.number_refusal


@contextmanager
def every_mode_open() -> Iterator[None]:
    with (autograd.scope("outer"), autograd.no_grad(), autograd.detect_anomaly(),
          autograd.numbers_refused("outer")):
        yield


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("decorating", [False, True], ids=["with", "decorator"])
@pytest.mark.parametrize("around", [nullcontext, every_mode_open], ids=["alone", "nested"])
@pytest.mark.parametrize("mode", MODES, ids=MODE_NAMES)
def test_a_mode_stopped_at_any_event_is_put_back_as_it_was(
        mode: Callable[[], AbstractContextManager[Any]],
        around: Callable[[], AbstractContextManager[Any]], decorating: bool) -> None:
    with around():
        before = mode_state()
        events = use_stopped(mode, None, decorating)
        assert events > 5
        for at in range(1, events + 1):
            use_stopped(mode, at, decorating)  # in this thread: what it leaves, it leaves here
            assert mode_state() == before, f"the modes are not as they were after event {at}"
    assert mode_state() == (0, 0, None, "")
    assert (Value(1.0) * 2.0).parents != () and (Value(1.0) * 2.0).scopes == ()
