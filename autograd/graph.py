"""Walking the graph: topological order and the reverse-mode chain rule, without recursion."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .value import Value


def topological_order(root: Value) -> list[Value]:
    """Every node of root's graph once, parents before children, in a deterministic order."""
    order = consumers_first(root)
    order.reverse()
    return order


def consumers_first(root: Value) -> list[Value]:
    """Every node of root's graph once, each after all the nodes that consume it (Kahn's order).

    Each node's `_n` slot counts its consumers not yet placed; it is 0 again on return.
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
    except BaseException:
        for node in discovered:
            node._n = 0
        raise
    return order


def backward(root: Value, grad: float) -> None:
    """Add grad * d(root)/d(node) to every node's `grad`, visiting children before parents."""
    order = consumers_first(root)
    root._g = grad
    try:
        for node in order:
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
    except BaseException:
        for node in order:  # keep _g at 0.0 between passes, even after an interrupted one
            node._g = 0.0
        raise
