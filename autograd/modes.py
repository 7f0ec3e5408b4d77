"""Per-thread recording modes (no_grad, scopes, anomaly detection), free while none is on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class NodeInfo:
    """What a mode records about where a node was made: the scopes open around it, the place."""

    scopes: tuple[str, ...] = ()
    origin: str = ""  # "file:line (in function)" of the user code, recorded in anomaly mode


class _ThreadModes(threading.local):
    def __init__(self) -> None:
        self.no_grad_depth = 0
        self.info: NodeInfo | None = None
        self.anomaly_depth = 0


_modes = _ThreadModes()
_lock = threading.Lock()
# How many mode contexts are open in all threads together: while it is 0, an op needs no
# thread-local look-up at all.
open_contexts = 0


def grad_enabled() -> bool:
    """True unless this thread is inside no_grad()."""
    return _modes.no_grad_depth == 0


def anomaly_enabled() -> bool:
    """True while this thread is inside detect_anomaly()."""
    return _modes.anomaly_depth > 0


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


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this context (on this thread) the first nan or infinity an op makes raises.

    A FloatingPointError names the op, its inputs, the node's label and the file and line where
    the node was made, whether the value came up in a forward op or in a gradient of backward.
    """
    _modes.anomaly_depth += 1
    _count_open(1)
    try:
        yield
    finally:
        _modes.anomaly_depth -= 1
        _count_open(-1)
