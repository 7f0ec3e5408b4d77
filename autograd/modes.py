"""Per-thread recording modes (grad modes, scopes, anomaly detection), free while none is on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import NamedTuple

from ._text import check_printable


class NodeInfo(NamedTuple):
    """What a mode records about where a node was made: the scopes open around it, the place."""

    scopes: tuple[str, ...] = ()
    origin: str = ""  # "file:line (in function)" of the user code, recorded in anomaly mode


class Modes:
    """One thread's modes: a plain object, so that reading several costs one thread look-up."""

    __slots__ = ("anomaly_depth", "info", "no_grad_depth", "number_refusal", "scope_infos")

    def __init__(self) -> None:
        self.no_grad_depth = 0
        self.number_refusal = ""  # why float(value) raises, while not ""
        self.info: NodeInfo | None = None
        self.anomaly_depth = 0
        # the info of each scope entered from each enclosing one, made once: a network enters
        # the same scopes for every sample
        self.scope_infos: dict[tuple[NodeInfo | None, str], NodeInfo] = {}


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.modes = Modes()


_per_thread = _PerThread()


def state() -> Modes:
    """This thread's modes."""
    return _per_thread.modes
_lock = threading.Lock()
# How many mode contexts are open in all threads together: while it is 0, an op needs no
# thread-local look-up at all.
open_contexts = 0


def grad_enabled() -> bool:
    """Whether ops on this thread record the graph: not inside no_grad(), unless within an
    enable_grad() inside it."""
    return _per_thread.modes.no_grad_depth == 0


def anomaly_enabled() -> bool:
    """True while this thread is inside detect_anomaly()."""
    return _per_thread.modes.anomaly_depth > 0


def _count_open(delta: int) -> None:
    global open_contexts
    # One line, so no line event (nor a signal's handler) runs between acquire and release.
    with _lock: open_contexts += delta  # noqa: E701


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this context ops on this thread record no graph: results are leaves."""
    yield from _grad_mode(False)


@contextmanager
def enable_grad() -> Iterator[None]:
    """Inside this context ops on this thread record the graph again, even within no_grad()."""
    yield from _grad_mode(True)


@contextmanager
def set_grad_enabled(mode: bool) -> Iterator[None]:
    """Inside this context ops on this thread record the graph if mode, else not (no_grad)."""
    if not isinstance(mode, bool):
        raise TypeError(f"set_grad_enabled() expects True or False, got {mode!r:.40}")
    yield from _grad_mode(mode)


def _grad_mode(enabled: bool) -> Iterator[None]:
    """Record (enabled) or not until resumed after its yield; then restore the outer mode."""
    modes = _per_thread.modes
    depth = modes.no_grad_depth
    _count_open(1)  # first: a count left too high, by an interrupt, only costs speed
    try:
        modes.no_grad_depth = 0 if enabled else depth + 1
        yield
    finally:
        modes.no_grad_depth = depth
        _count_open(-1)


class scope:  # noqa: N801 - used as a function: `with scope("layers.0"):`
    """Nodes made inside carry this name (after those of enclosing scopes), for drawings.

    A name holding a control character (a newline among them) is refused on entering.
    """

    __slots__ = ("_modes", "_name", "_outer")

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"scope() expects a str name, got {type(name).__name__}")
        self._name = name
        self._outer: NodeInfo | None = None
        self._modes: Modes | None = None

    def __enter__(self) -> None:
        if self._modes is not None:
            raise RuntimeError(f"scope({self._name!r}) is already open: make a new scope "
                               "object for each `with`")
        modes = _per_thread.modes
        outer = modes.info
        key = (outer, self._name)
        info = modes.scope_infos.get(key)
        if info is None:  # the name is checked here, once, so that an nn step pays nothing
            check_printable(self._name, "a scope's name")
            if len(modes.scope_infos) > 100_000:
                modes.scope_infos.clear()
            info = modes.scope_infos[key] = NodeInfo((*(outer.scopes if outer else ()), key[1]))
        _count_open(1)  # first: a count left too high, by an interrupt, only costs speed
        self._modes, self._outer = modes, outer
        modes.info = info

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._modes.info = self._outer  # type: ignore[union-attr]
        self._modes = None
        _count_open(-1)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this context (on this thread) the first nan or infinity an op makes raises.

    A FloatingPointError names the op, its inputs, the node's label and the file and line where
    the node was made, whether the value came up in a forward op or in a gradient of backward.
    """
    modes = _per_thread.modes
    depth = modes.anomaly_depth
    _count_open(1)  # first: a count left too high, by an interrupt, only costs speed
    try:
        modes.anomaly_depth = depth + 1
        yield
    finally:
        modes.anomaly_depth = depth
        _count_open(-1)


@contextmanager
def numbers_refused(why: str) -> Iterator[None]:
    """Inside this context (on this thread) float(value) and value.item() raise a TypeError
    saying why: code being traced must compute with Values, not with the numbers they hold."""
    modes = _per_thread.modes
    outer = modes.number_refusal
    _count_open(1)  # first: a count left too high, by an interrupt, only costs speed
    try:
        modes.number_refusal = why
        yield
    finally:
        modes.number_refusal = outer
        _count_open(-1)


def check_number_readable(node: object) -> None:
    """Raise the TypeError numbers_refused() asks for if this thread is inside one."""
    why = _per_thread.modes.number_refusal
    if why:
        raise TypeError(f"cannot read the number of {node!r:.60}: {why}")
