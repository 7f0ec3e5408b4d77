"""Whether a parameter learns: the one place nn reads and sets a Value's requires_grad flag.

Value has no `requires_grad` yet, so until it has, the flag lives here: the frozen Values are
kept by id (each is held, so its id cannot be reused while it is listed). When Value carries the
flag, these two functions become `return p.requires_grad` and `p.requires_grad = flag`, and the
table goes.
"""

from __future__ import annotations

from autograd import Value

_frozen: dict[int, Value] = {}


def requires_grad(p: Value) -> bool:
    """Whether p learns: optimizers update only the parameters for which this is True."""
    return id(p) not in _frozen


def set_requires_grad(p: Value, flag: bool) -> None:
    """Let p learn (True) or freeze it (False)."""
    if flag:
        _frozen.pop(id(p), None)
    else:
        _frozen[id(p)] = p
