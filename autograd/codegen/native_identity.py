"""What a native kernel's IR is made from, told without making the IR: the cache's key for it.

The lowering (native_kernel, native_lowering) makes the IR from the kernel's Python source and
the objects its names stand for: a math function becomes a call into the C library, and a
Python function is inlined from its source file (as linecache reads it), its own names looked
up in its module's globals, and so on down. `source_identity` walks the same way, over every
global name each function's code reads and every attribute it reads of the math module, and
writes down each object it meets: a number by its repr, a math or builtin object by its name
(if it is still the one the module had at import), an autograd function by what it computes
on floats, a function by its file's text and what its names stand for. Anything else (a
defined op's forward, and whatever a closure, a default or a decorator holds) is no part of
autograd whose lowering this walk can vouch for: then there is no identity, and the cache is
keyed by the IR itself.
"""

from __future__ import annotations

import builtins
import dis
import functools
import hashlib
import linecache
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import BuiltinFunctionType, CodeType, FunctionType

from ..engine.ops import Function
from .kernels import KernelCode

_AUTOGRAD = Path(__file__).resolve().parent.parent
# what math and builtins hold at import: a name patched since is not theirs
_ORIGINAL = {module: dict(vars(module)) for module in (math, builtins)}
# the code that lowers, as this process loaded it (read along with it)
_LOWERING = hashlib.sha256(b"".join(
    (Path(__file__).parent / name).read_bytes()
    for name in ("native_kernel.py", "native_lowering.py"))).hexdigest()


def source_identity(code: KernelCode, python_source: str) -> str | None:
    """The text the kernel's IR is made from, or None if the walk meets an object it cannot
    vouch for (then only the IR itself tells the kernel apart)."""
    walk = _Walk()
    lines = ["a native kernel's source, its names, and what they stand for", python_source,
             f"{code.node_count} nodes", f"Python {sys.version}", f"lowering {_LOWERING}"]
    for name, value in sorted(code.names.globals.items()):
        described = walk.described(value)
        if described is None:
            return None
        lines.append(f"{name} = {described}")
    return "\n".join([*lines, *walk.functions])


class _Walk:
    """Describes objects, each function once (its details in `functions`)."""

    def __init__(self) -> None:
        self.functions: list[str] = []
        self._seen: dict[int, str] = {}
        self._files: dict[str, str] = {}

    def described(self, value: object) -> str | None:
        if value is None or type(value) in (float, int, bool, str):
            return repr(value)
        if type(value) is dict and not value:  # a kernel's __builtins__: none
            return "{}"
        if value is math or value is builtins:
            return f"module {value.__name__}"
        name = getattr(value, "__name__", None)
        if isinstance(value, BuiltinFunctionType | type) and isinstance(name, str):
            for module in (math, builtins):
                if _ORIGINAL[module].get(name) is value:
                    return f"{module.__name__}.{name}"
        if isinstance(value, FunctionType):
            return self._function(value)
        if type(value) in (Function, *Function.__subclasses__()):
            # an op's function, such as autograd.exp: the lowering inlines its float forward
            forward = self.described(value._on_float)  # type: ignore[attr-defined]
            return None if forward is None else f"autograd function ({forward})"
        if isinstance(value, functools.partial) and all(
                type(x) in (float, int, bool) for x in (*value.args, *value.keywords.values())):
            function = self.described(value.func)
            return None if function is None else (
                f"partial({function}, {value.args!r}, {sorted(value.keywords.items())!r})")
        return None

    def _function(self, function: FunctionType) -> str | None:
        code = function.__code__
        if (_AUTOGRAD not in Path(code.co_filename).resolve().parents or function.__closure__
                or function.__defaults__ or function.__kwdefaults__
                or hasattr(function, "__wrapped__")):
            return None
        header = f"{function.__module__}.{function.__qualname__} (line {code.co_firstlineno})"
        if id(function) in self._seen:
            return self._seen[id(function)]
        self._seen[id(function)] = header
        details = [f"{header}: {self._file(code.co_filename, function)}"]
        names, attributes = _reads(code)
        for name in sorted(names):
            if name in function.__globals__:
                value = function.__globals__[name]
            elif name in vars(builtins):
                value = vars(builtins)[name]
            else:
                return None  # unbound: the lowering would refuse it
            described = self.described(value)
            if described is None:
                return None
            details.append(f"  {name} = {described}")
            if value is math:  # math.<name>: each attribute the code reads, of whatever object
                for attribute in sorted(attributes):
                    if hasattr(math, attribute):
                        found = self.described(getattr(math, attribute))
                        if found is None:
                            return None
                        details.append(f"  math.{attribute} = {found}")
        self.functions.extend(details)
        return header

    def _file(self, filename: str, function: FunctionType) -> str:
        """The sha256 of the file's text as the lowering reads it."""
        if filename not in self._files:
            text = "".join(linecache.getlines(filename, function.__globals__))
            self._files[filename] = hashlib.sha256(text.encode()).hexdigest()
        return self._files[filename]


def _reads(code: CodeType) -> tuple[set[str], set[str]]:
    """The global names and the attribute names that code, and code nested in it, reads."""
    names: set[str] = set()
    attributes: set[str] = set()
    for instruction in _instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            names.add(instruction.argval)
        elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD"):
            attributes.add(instruction.argval)
    return names, attributes


def _instructions(code: CodeType) -> Iterator[dis.Instruction]:
    yield from dis.get_instructions(code)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _instructions(constant)
