"""Walking the graph: topological order and the reverse-mode chain rule, without recursion."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from types import TracebackType
from typing import TYPE_CHECKING

from . import anomaly, modes

if TYPE_CHECKING:
    from .value import Value

# check(node, its upstream gradient, the contributions to its inputs' gradients)
Check = Callable[["Value", float, tuple[float, ...]], None]


class _OneWalkAtATime:
    """The nodes' traversal slots (_n, _g) serve one walk at a time.

    A walk in another thread waits for the one under way; a walk started inside another on the
    same thread (a derivative rule calling backward or grad) is refused, not left to corrupt it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._walking = threading.local()

    def __enter__(self) -> None:
        if getattr(self._walking, "now", False):
            raise RuntimeError("backward(), grad() and the graph's orderings cannot run inside "
                               "one another: a derivative rule must not call them")
        self._lock.acquire()
        self._walking.now = True

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._walking.now = False
        self._lock.release()


_one_walk = _OneWalkAtATime()


def topological_order(root: Value) -> list[Value]:
    """Every node of root's graph once, parents before children, in a deterministic order."""
    order = consumers_first(root)
    order.reverse()
    return order


def consumers_first(root: Value) -> list[Value]:
    """Every node of root's graph once, each after all the nodes that consume it (Kahn's order)."""
    with _one_walk:
        return _consumers_first(root)


def _consumers_first(root: Value) -> list[Value]:
    discovered = _count_consumers(root)
    order = []
    ready = [root]
    try:
        while ready:
            node = ready.pop()
            order.append(node)
            a = node._a
            if a is not None:
                b = node._b
                if b is not None:
                    b._n -= 1
                    if b._n == 0:
                        ready.append(b)
                a._n -= 1
                if a._n == 0:
                    ready.append(a)
    except BaseException:
        _reset(discovered)
        raise
    return order


def _count_consumers(root: Value) -> list[Value]:
    """The nodes of root's graph, each node's `_n` set to its number of consumers in it.

    `_n` is 0 outside a traversal: the walk that follows counts each node down to 0 again, as
    Kahn's algorithm releases a node once all its consumers are placed.
    """
    discovered = [root]
    try:
        for node in discovered:  # the list grows as parents are discovered
            a = node._a
            if a is not None:
                if a._n == 0:
                    discovered.append(a)
                a._n += 1
                b = node._b
                if b is not None:
                    if b._n == 0:
                        discovered.append(b)
                    b._n += 1
    except BaseException:
        _reset(discovered)
        raise
    return discovered


def _reset(nodes: list[Value]) -> None:
    """Restore the traversal slots' resting values after an interrupted walk."""
    for node in nodes:
        node._n = 0
        node._g = 0.0


def backward(root: Value, grad: float) -> None:
    """Add grad * d(root)/d(node) to every node's `grad`, visiting children before parents.

    Kahn's walk of consumers_first, with the chain rule applied as each node is released: one
    pass fewer than ordering first, and backward is the engine's hottest loop.
    """
    if modes.open_contexts and modes.anomaly_enabled():
        checked_backward(root, grad, anomaly.check_gradients)
        return
    with _one_walk:
        _backward(root, grad)


def _backward(root: Value, grad: float) -> None:
    discovered = _count_consumers(root)
    root._g = grad
    ready = [root]
    try:
        while ready:
            node = ready.pop()
            g = node._g
            node._g = 0.0
            node.grad += g
            a = node._a
            if a is None:
                continue
            b = node._b
            if b is None:
                (da,) = node._op.local_derivatives(a.data, node.data)  # type: ignore[union-attr]
                a._g += g * da
            else:
                da, db = node._op.local_derivatives(  # type: ignore[union-attr]
                    a.data, b.data, node.data)
                a._g += g * da
                b._g += g * db
                b._n -= 1
                if b._n == 0:
                    ready.append(b)
            a._n -= 1
            if a._n == 0:
                ready.append(a)
    except BaseException:
        _reset(discovered)
        raise


def gradients(root: Value, grad: float, targets: Collection[Value],
              check: Check | None = None) -> dict[Value, float]:
    """grad * d(root)/d(target) for each target reached from root, touching no node's `grad`.

    With check, check(node, upstream gradient, contributions to its inputs) sees every op.
    """
    found: dict[Value, float] = {}
    _sweep(root, grad, (set(targets), found), check)
    return found


def checked_backward(root: Value, grad: float, check: Check) -> None:
    """backward(root, grad), with check(node, upstream gradient, contributions) on every op."""
    _sweep(root, grad, None, check)


def _sweep(root: Value, grad: float, into: tuple[set[Value], dict[Value, float]] | None,
           check: Check | None) -> None:
    """backward's sweep, adding to every `grad` or (into=(targets, found)) to found only."""
    with _one_walk:
        _sweep_slots(root, grad, into, check)


def _sweep_slots(root: Value, grad: float, into: tuple[set[Value], dict[Value, float]] | None,
                 check: Check | None) -> None:
    order = _consumers_first(root)
    root._g = grad
    try:
        for node in order:
            g = node._g
            node._g = 0.0
            if into is None:
                node.grad += g
            elif node in into[0]:
                into[1][node] = g
            a = node._a
            if a is None:
                continue
            b = node._b
            if b is None:
                (da,) = node._op.local_derivatives(a.data, node.data)  # type: ignore[union-attr]
                contributions: tuple[float, ...] = (g * da,)
            else:
                da, db = node._op.local_derivatives(  # type: ignore[union-attr]
                    a.data, b.data, node.data)
                contributions = (g * da, g * db)
            if check is not None:
                check(node, g, contributions)
            a._g += contributions[0]
            if b is not None:
                b._g += contributions[1]
    except BaseException:
        for node in order:
            node._g = 0.0
        raise


def gradient_graph(root: Value, targets: Collection[Value]) -> dict[Value, Value | float]:
    """d(root)/d(target) for each target reached from root, as nodes of a new graph.

    Each op's local derivatives come from its rule called on the nodes themselves, so they are
    Values and the gradients can be differentiated again; a gradient that depends on no node
    stays a float. Gradients are summed in backward's order, so their values are backward's.
    """
    order = consumers_first(root)
    leads_to_target = _ancestors_of(order, set(targets))
    grads: dict[Value, Value | float] = {root: 1.0}
    for node in order:
        g = grads.get(node)
        if g is None or node._a is None:
            continue
        parents = node.parents
        try:
            local = node._op.local_derivatives(*parents, node)  # type: ignore[union-attr]
            for parent, derivative in zip(parents, local, strict=True):
                if parent in leads_to_target:
                    contribution = _times(g, derivative)
                    previous = grads.get(parent)
                    grads[parent] = contribution if previous is None else previous + contribution
        except FloatingPointError as error:  # only anomaly mode raises it
            raise anomaly.backward_error(node, f"a non-finite gradient ({error})") from None
    return {t: grads[t] for t in targets if t in grads}


def _ancestors_of(order: list[Value], targets: set[Value]) -> set[Value]:
    """The nodes of order (consumers first) from which some target can be reached."""
    reaching = set()
    for node in reversed(order):
        if node in targets or node._a in reaching or node._b in reaching:
            reaching.add(node)
    return reaching


def _times(g: Value | float, derivative: Value | float) -> Value | float:
    """g * derivative, without a node where a factor is exactly 1 or -1 (the product is exact)."""
    if type(derivative) is float or type(derivative) is int:
        if derivative == 1.0:
            return g
        if derivative == -1.0:
            return -g
    elif type(g) is float:
        if g == 1.0:
            return derivative
        if g == -1.0:
            return -derivative
    return g * derivative
