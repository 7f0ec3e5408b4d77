"""Argument checks shared by compile, draw, explain and stepper, and the limit on graph size."""

from __future__ import annotations

from .engine.value import Value


class GraphTooLargeError(ValueError):
    """The graph is too large for the job: more nodes than its limit, or too slow to lay out."""


def check_root(root: object, caller: str) -> None:
    """Raise TypeError unless root is a Value."""
    if not isinstance(root, Value):
        raise TypeError(f"{caller} expects a Value, got {type(root).__name__}")


def check_decimals(decimals: object, name: str = "decimals") -> None:
    """Raise ValueError unless decimals is an int from 0 to 17 (a float's 17 significant digits)."""
    if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 17:
        raise ValueError(f"{name} must be an int from 0 to 17, got {decimals!r}")


def check_size(root: Value, max_nodes: int, remedy: str) -> None:
    """Raise GraphTooLargeError, saying remedy, if root's graph has more than max_nodes Values.

    It stops counting at max_nodes + 1, so a graph of millions is refused as fast as a small one.
    """
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    seen = {root}
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in seen:
                if len(seen) == max_nodes:
                    raise GraphTooLargeError(
                        f"the graph has more than max_nodes={max_nodes} values: {remedy}, or "
                        "pass a larger max_nodes (--max-nodes on the command line)")
                seen.add(parent)
                stack.append(parent)
