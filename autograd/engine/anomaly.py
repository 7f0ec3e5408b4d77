"""What detect_anomaly() checks: where each node was made, and the first nan or inf, named."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .modes import NodeInfo

if TYPE_CHECKING:
    from .value import Value

_skipped: tuple[str, ...] = ()  # folders whose frames creation_site passes over, with os.sep


def skip_frames_from(directory: str | os.PathLike[str]) -> None:
    """Make detect_anomaly() report the line that called into directory, not a line inside it.

    autograd's own folder is skipped so; a library built on autograd (nn is) adds its own.
    """
    global _skipped
    if not isinstance(directory, str | os.PathLike):
        raise TypeError(f"skip_frames_from() takes a folder's path, got {type(directory).__name__}")
    folder = Path(directory)
    forms = {os.path.abspath(folder), str(folder.resolve())}  # as given, and symlinks followed
    prefixes = {os.path.join(form, "") for form in forms}  # a/b/ holds a/b/c.py, not a/b_x/c.py
    _skipped += tuple(sorted(prefixes - set(_skipped)))


skip_frames_from(Path(__file__).parent.parent)


def observe(node: Value, info: NodeInfo | None) -> NodeInfo:
    """The node's info with the place it was made; raises if an op just made nan or inf."""
    origin = creation_site()
    if node._op is not None and not math.isfinite(node.data):
        raise FloatingPointError(f"{_call(node)} gave {node.data!r} in the node {_made(origin)}")
    return NodeInfo(info.scopes if info else (), origin)


def check_gradients(node: Value, upstream: float, contributions: tuple[float, ...]) -> None:
    """Raise if backward through node sends a non-finite gradient to any of its inputs."""
    for i, contribution in enumerate(contributions):
        if not math.isfinite(contribution):
            parent = node.parents[i]
            name = f" {parent.label!r}" if parent.label else ""
            raise backward_error(node, f"the gradient {contribution!r} for its input {i}{name} "
                                       f"(the gradient arriving at the node: {upstream!r})")


def backward_error(node: Value, detail: str) -> FloatingPointError:
    """The error for a non-finite gradient that backward through node gave."""
    label = f" {node.label!r}" if node.label else ""
    origin = node._info.origin if node._info else ""
    return FloatingPointError(
        f"backward through {_call(node)} gave {detail}; the node{label} was {_made(origin)}"
    )


def creation_site() -> str:
    """'file:line (in function)' of the innermost caller outside autograd and the folders
    given to skip_frames_from."""
    frame = sys._getframe(1)
    while frame.f_code.co_filename.startswith(_skipped) and frame.f_back is not None:
        frame = frame.f_back
    code = frame.f_code
    return f"{code.co_filename}:{frame.f_lineno} (in {code.co_name})"


def _call(node: Value) -> str:
    """The op on its inputs (with their labels), then its params: pow(x=0.0, exponent=-1.0)."""
    op = node._op
    if op is None:
        return "a leaf"
    args = [f"{p.label}={p.data!r}" if p.label else repr(p.data) for p in node.parents]
    args += [f"{name}={value!r}" for name, value in op.params]
    return f"{op.name}({', '.join(args)})"


def _made(origin: str) -> str:
    if origin:
        return f"made at {origin}"
    return "made outside detect_anomaly(), so where is not known"
