"""Per-thread recording modes (grad modes, scopes, anomaly detection), free while none is on."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import ClassVar, NamedTuple, ParamSpec, TypeVar

from .._text import check_printable


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


Params = ParamSpec("Params")
Result = TypeVar("Result")


class _ModeContext:
    """A context that sets one of this thread's modes (the field) for its body, then puts it back;
    as a decorator, for each call of the function.

    `with` calls __exit__ only once __enter__ has returned, and an interrupt (Ctrl-C) can come
    as __enter__ returns or as __exit__ starts, before either can do anything about it: then
    the mode is put back as the context is dropped, which `with mode():` does at once.
    """

    __slots__ = ("_modes", "_outer")
    _field: ClassVar[str]

    def __init__(self) -> None:
        self._modes: Modes | None = None
        self._outer: object = None

    def _value(self, modes: Modes) -> object:
        """The field's value inside the context."""
        raise NotImplementedError

    def _fresh(self) -> _ModeContext:
        """A new context like this one, not yet open."""
        raise NotImplementedError

    def __call__(self, function: Callable[Params, Result]) -> Callable[Params, Result]:
        """function, running inside a new context like this one on every call (as it nests)."""
        if not callable(function):
            raise TypeError(f"{self!r} decorates a function, got {type(function).__name__}")
        if inspect.isgeneratorfunction(function) or inspect.iscoroutinefunction(function) \
                or inspect.isasyncgenfunction(function):
            raise TypeError(f"{self!r} decorates a plain function: {function.__name__} would run "
                            f"after the call returns; use `with {self!r}:` in its body")

        @functools.wraps(function)
        def inside(*args: Params.args, **kwargs: Params.kwargs) -> Result:
            with self._fresh():
                return function(*args, **kwargs)

        return inside

    def __enter__(self) -> None:
        if self._modes is not None:
            raise RuntimeError(f"{self!r} is already open: make a new one for each `with`")
        modes = _per_thread.modes
        value = self._value(modes)
        _count_open(1)  # first: a count left too high, by an interrupt, only costs speed
        self._outer, self._modes = getattr(modes, self._field), modes  # what __exit__ undoes
        setattr(modes, self._field, value)

    def __exit__(self, *exception: object) -> None:
        modes = self._modes
        if modes is not None:
            # One line, so no line event (nor a signal's handler) comes between the two.
            self._modes = None; setattr(modes, self._field, self._outer)  # noqa: E702
            _count_open(-1)

    __del__ = __exit__  # puts the mode back if an interrupt kept `with` from calling __exit__


class _GradMode(_ModeContext):
    __slots__ = ("_enabled",)
    _field = "no_grad_depth"

    def __init__(self, enabled: bool) -> None:
        super().__init__()
        self._enabled = enabled

    def _value(self, modes: Modes) -> int:
        return 0 if self._enabled else modes.no_grad_depth + 1

    def __repr__(self) -> str:
        return f"set_grad_enabled({self._enabled})"

    def _fresh(self) -> _GradMode:
        return _GradMode(self._enabled)


def no_grad() -> _ModeContext:
    """Inside this context ops on this thread record no graph: results are leaves."""
    return _GradMode(False)


def enable_grad() -> _ModeContext:
    """Inside this context ops on this thread record the graph again, even within no_grad()."""
    return _GradMode(True)


def set_grad_enabled(mode: bool) -> _ModeContext:
    """Inside this context ops on this thread record the graph if mode, else not (no_grad)."""
    if not isinstance(mode, bool):
        raise TypeError(f"set_grad_enabled() expects True or False, got {mode!r:.40}")
    return _GradMode(mode)


class _AnomalyMode(_ModeContext):
    __slots__ = ()
    _field = "anomaly_depth"

    def _value(self, modes: Modes) -> int:
        return modes.anomaly_depth + 1

    def __repr__(self) -> str:
        return "detect_anomaly()"

    def _fresh(self) -> _AnomalyMode:
        return _AnomalyMode()


def detect_anomaly() -> _ModeContext:
    """Inside this context (on this thread) the first nan or infinity an op makes raises.

    A FloatingPointError names the op, its inputs, the node's label and the file and line where
    the node was made, whether the value came up in a forward op or in a gradient of backward.
    """
    return _AnomalyMode()


class _NumbersRefused(_ModeContext):
    __slots__ = ("_why",)
    _field = "number_refusal"

    def __init__(self, why: str) -> None:
        super().__init__()
        self._why = why

    def _value(self, modes: Modes) -> str:
        return self._why

    def __repr__(self) -> str:
        return f"numbers_refused({self._why!r})"

    def _fresh(self) -> _NumbersRefused:
        return _NumbersRefused(self._why)


def numbers_refused(why: str) -> _ModeContext:
    """Inside this context (on this thread) float(value) and value.item() raise a TypeError
    saying why: code being traced must compute with Values, not with the numbers they hold."""
    return _NumbersRefused(why)


class scope(_ModeContext):  # noqa: N801 - used as a function: `with scope("layers.0"):`
    """Nodes made inside carry this name (after those of enclosing scopes), for drawings.

    A name holding a control character (a newline among them) is refused on entering.
    """

    __slots__ = ("_name",)
    _field = "info"

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"scope() expects a str name, got {type(name).__name__}")
        super().__init__()
        self._name = name

    def __repr__(self) -> str:
        return f"scope({self._name!r})"

    def _fresh(self) -> scope:
        return scope(self._name)

    def _value(self, modes: Modes) -> NodeInfo:
        outer = modes.info
        key = (outer, self._name)
        info = modes.scope_infos.get(key)
        if info is None:  # the name is checked here, once, so that an nn step pays nothing
            check_printable(self._name, "a scope's name")
            if len(modes.scope_infos) > 100_000:
                modes.scope_infos.clear()
            info = modes.scope_infos[key] = NodeInfo((*(outer.scopes if outer else ()), key[1]))
        return info


def check_number_readable(node: object) -> None:
    """Raise the TypeError numbers_refused() asks for if this thread is inside one."""
    why = _per_thread.modes.number_refusal
    if why:
        raise TypeError(f"cannot read the number of {node!r:.60}: {why}")
