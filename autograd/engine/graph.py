"""Walking the graph: topological order and the reverse-mode chain rule, without recursion.

A walk keeps its counts and gradients in the nodes' traversal slots (value.py says which), and
claims each node it reaches by writing its own token into `_w` before it sets the other two.
What an earlier walk left in them is never read, so a walk stopped at any point (an exception
in a derivative rule, a KeyboardInterrupt) leaves nothing to reset. Walks over the slots run
one at a time: their lock is taken and released on one line, which nothing can interrupt
between the two.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from . import anomaly, modes

if TYPE_CHECKING:
    from .ops import Op
    from .value import Value

T = TypeVar("T")

# check(node, its upstream gradient, the contributions to its inputs' gradients)
Check = Callable[["Value", float, tuple[float, ...]], None]

_walk_lock = threading.Lock()


def _one_at_a_time(walk: Callable[..., T], *args: Any) -> T:
    """walk(*args) once no other walk runs; a walk started inside one (by a derivative rule)
    is refused, as it would wait for itself."""
    if _walk_lock.locked() and _inside_a_walk():
        raise RuntimeError("backward(), grad() and the graph's orderings cannot run inside "
                           "one another: a derivative rule must not call them")
    # One line, so no line event (nor a signal's handler) runs between acquire and release.
    with _walk_lock: return walk(*args)  # noqa: E701


def _inside_a_walk() -> bool:
    """Whether this thread's stack holds a walk under way (below the one now starting)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code is _one_at_a_time.__code__:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _claim(root: Value, walk: object) -> list[Value]:
    """The nodes of root's graph, claimed for walk, each with `_n` counting its consumers in
    the graph and `_g` at 0.0; Kahn's algorithm counts `_n` down to 0 again."""
    root._w, root._n, root._g = walk, 0, 0.0
    nodes = [root]
    for node in nodes:  # the list grows as parents are found
        a = node._a
        if a is not None:
            if a._w is walk:
                a._n += 1
            else:
                a._w, a._n, a._g = walk, 1, 0.0
                nodes.append(a)
            b = node._b
            if b is not None:
                if b._w is walk:
                    b._n += 1
                else:
                    b._w, b._n, b._g = walk, 1, 0.0
                    nodes.append(b)
    return nodes


def topological_order(root: Value) -> list[Value]:
    """Every node of root's graph once, parents before children, in a deterministic order."""
    order = consumers_first(root)
    order.reverse()
    return order


def consumers_first(root: Value) -> list[Value]:
    """Every node of root's graph once, each after all the nodes that consume it (Kahn's order)."""
    return _one_at_a_time(_consumers_first, root)


def _consumers_first(root: Value) -> list[Value]:
    _claim(root, object())
    order = []
    ready = [root]
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
    return order


def backward(root: Value, grad: float) -> None:
    """Add grad * d(root)/d(node) to every node's `grad`, visiting children before parents.

    Kahn's walk of consumers_first, with the chain rule applied as each node is released: one
    pass fewer than ordering first, and backward is the engine's hottest loop. In anomaly
    mode every op's gradients are checked as they are made.
    """
    check = anomaly.check_gradients if modes.open_contexts and modes.anomaly_enabled() else None
    _one_at_a_time(_sweep, root, grad, None, check)


def _sweep(root: Value, grad: float, targets: set[Value] | None,
           check: Check | None) -> dict[Value, float]:
    """backward's walk: each node's gradient is added to its `grad`, or, given targets, only
    kept for those among them and returned; check, if given, sees every op."""
    _claim(root, object())
    root._g = grad
    found: dict[Value, float] = {}
    ready = [root]
    while ready:
        node = ready.pop()
        g = node._g
        node._g = 0.0  # frees the float now, not with the graph: faster, as measured
        if targets is None:
            node.grad += g
        elif node in targets:
            found[node] = g
        a = node._a
        if a is None:
            continue
        op: Op = node._op  # type: ignore[assignment]  # a node with a parent has an op
        b = node._b
        if b is None:
            (da,) = op.local_derivatives(a.data, node.data)
            if check is not None:
                check(node, g, (g * da,))
            a._g += g * da
        else:
            da, db = op.local_derivatives(a.data, b.data, node.data)
            if check is not None:
                check(node, g, (g * da, g * db))
            a._g += g * da
            b._g += g * db
            b._n -= 1
            if b._n == 0:
                ready.append(b)
        a._n -= 1
        if a._n == 0:
            ready.append(a)
    return found


def backward_steps(root: Value, grad: float = 1.0
                   ) -> Iterator[tuple[Value, float, tuple[float, ...]]]:
    """(node, grad * d(root)/d(node), its local derivatives) for every node, consumers first.

    The chain rule as backward applies it, in the same order, so every gradient is backward's
    float; the sum for each node is complete when it is yielded. Touches no node's `grad`.
    """
    pending: dict[Value, float] = {root: grad}
    for node in consumers_first(root):
        g = pending.pop(node)
        a = node._a
        if a is None:
            yield node, g, ()
            continue
        op: Op = node._op  # type: ignore[assignment]  # a node with a parent has an op
        b = node._b
        local = (op.local_derivatives(a.data, node.data) if b is None
                 else op.local_derivatives(a.data, b.data, node.data))
        yield node, g, local
        pending[a] = pending.get(a, 0.0) + g * local[0]
        if b is not None:
            pending[b] = pending.get(b, 0.0) + g * local[1]


def gradients(root: Value, grad: float, targets: Collection[Value],
              check: Check | None = None) -> dict[Value, float]:
    """grad * d(root)/d(target) for each target reached from root, touching no node's `grad`.

    With check, check(node, upstream gradient, contributions to its inputs) sees every op.
    backward's walk, with the gradients in the nodes' `_g` slots as there, so they are
    backward's floats: a third less time than summing backward_steps' in a dict
    (benchmarks/grad_walk.py).
    """
    return _one_at_a_time(_sweep, root, grad, set(targets), check)


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
        op: Op = node._op  # type: ignore[assignment]  # a node with a parent has an op
        parents = node.parents
        try:
            local = op.local_derivatives(*parents, node)
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
