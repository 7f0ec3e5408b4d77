"""Per-thread recording modes (no_grad, scopes), with a one-read fast path when none is on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class NodeInfo:
    """What a mode records about where a node was made: the scopes open around it."""

    scopes: tuple[str, ...] = ()


class _ThreadModes(threading.local):
    def __init__(self) -> None:
        self.no_grad_depth = 0
        self.info: NodeInfo | None = None


_modes = _ThreadModes()
_lock = threading.Lock()
# How many mode contexts are open in all threads together: while it is 0, an op needs no
# thread-local look-up at all.
open_contexts = 0


def grad_enabled() -> bool:
    """True unless this thread is inside no_grad()."""
    return _modes.no_grad_depth == 0


def node_info() -> NodeInfo | None:
    """What this thread's open modes record on a node made now (None: nothing)."""
    return _modes.info


def _count_open(delta: int) -> None:
    global open_contexts
    with _lock:
        open_contexts += delta


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this context ops on this thread record no graph: results are leaves."""
    _modes.no_grad_depth += 1
    _count_open(1)
    try:
        yield
    finally:
        _modes.no_grad_depth -= 1
        _count_open(-1)


@contextmanager
def scope(name: str) -> Iterator[None]:
    """Nodes made inside carry this name (after those of enclosing scopes), for drawings."""
    if not isinstance(name, str):
        raise TypeError(f"scope() expects a str name, got {type(name).__name__}")
    outer = _modes.info
    _modes.info = NodeInfo((*(outer.scopes if outer else ()), name))
    _count_open(1)
    try:
        yield
    finally:
        _modes.info = outer
        _count_open(-1)
