"""Machine code for LLVM IR, compiled by llvmlite once and kept in a per-user cache on disk.

An entry is named by the sha256 of the IR (or of what determines it) together with the LLVM
version and the processor it was compiled for, and holds a header (a magic line, that key, the
sha256 of the object code) then the object code. An entry whose header or hash does not match
is compiled again and replaced, never loaded. The folder ($XDG_CACHE_HOME/chainrule, else
~/.cache/chainrule; on Windows %LOCALAPPDATA%\\chainrule) is made private (0700), and one that
another user owns or that others may write to is not used.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from ..files import write_atomically

MAGIC = b"chainrule native kernel 1\n"
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)  # Windows has none; there links need privileges
NOT_INSTALLED = ('backend="native" needs llvmlite and numpy: pip install "chainrule[native]" '
                 "(or pip install llvmlite numpy)")


def llvm() -> Any:
    """llvmlite.binding, initialized for this machine (imported only when first needed)."""
    return _llvm()


@cache
def _llvm() -> Any:
    try:
        import llvmlite.binding as binding
    except ImportError:
        raise ImportError(NOT_INSTALLED) from None
    binding.initialize_native_target()
    binding.initialize_native_asmprinter()
    return binding


@cache
def _target_machine() -> Any:
    """The machine code is compiled for."""
    return _new_target_machine()


def _new_target_machine() -> Any:
    binding = llvm()
    target = binding.Target.from_default_triple()
    return target.create_target_machine(cpu=binding.get_host_cpu_name(),
                                        features=binding.get_host_cpu_features().flatten(),
                                        opt=2, codemodel="jitdefault")


class MachineCode:
    """Object code loaded into this process: the address of each of its functions by name."""

    def __init__(self, identity: str, ir: Callable[[], str], use_cache: bool = True) -> None:
        """identity: text that determines the IR (the IR itself, or what it is made from);
        ir() makes the IR, called only when there is no good entry to load."""
        binding = llvm()
        key = hashlib.sha256("\n".join(
            [identity, binding.get_process_triple(), binding.get_host_cpu_name(),
             binding.get_host_cpu_features().flatten(),
             ".".join(map(str, binding.llvm_version_info))]).encode()).hexdigest()
        folder = cache_folder() if use_cache else None
        path = folder / f"{key}.o" if folder is not None else None
        code = _read_entry(path, key) if path is not None else None
        self.from_cache = code is not None
        if code is None:
            code = compile_ir(ir())
            if path is not None:
                try:
                    # an entry that is a link is replaced, never the file it points to
                    write_atomically(path, _entry(key, code), follow_symlinks=False)
                except OSError as error:  # a full disk, say: the code still runs
                    warnings.warn(f"a compiled kernel was not cached: {error}", stacklevel=4)
        self.key = key
        # an empty module for the engine, which then takes the object code as it is; the
        # engine owns its target machine, and frees it with itself
        self._engine = binding.create_mcjit_compiler(binding.parse_assembly(""),
                                                     _new_target_machine())
        self._engine.add_object_file(binding.ObjectFileRef.from_data(code))
        self._engine.finalize_object()

    def address(self, name: str) -> int:
        """Where the function name starts."""
        address: int = self._engine.get_function_address(name)
        if not address:
            raise LookupError(f"the machine code has no function {name!r}")
        return address


def compile_ir(ir: str) -> bytes:
    """Object code for the host processor from LLVM IR."""
    module = llvm().parse_assembly(ir)
    module.verify()
    code: bytes = _target_machine().emit_object(module)
    return code


def cache_folder() -> Path | None:
    """The private cache folder, made if missing; None (with a warning) where it is unsafe."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "chainrule"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError as error:
        warnings.warn(f"compiled kernels are not cached: cannot make {folder} ({error})",
                      stacklevel=4)
        return None
    problem = _unsafe(info)
    if problem:
        warnings.warn(f"compiled kernels are not cached: {folder} {problem}", stacklevel=4)
        return None
    return folder


def _unsafe(info: os.stat_result) -> str | None:
    """Why a folder with this stat may not hold code this process will run, if it may not."""
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder (a symlink?)"
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: the folder is in the user's own profile
        return None
    if info.st_uid != getuid():
        return f"belongs to another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"may be written by others (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def _entry(key: str, code: bytes) -> bytes:
    return MAGIC + f"{key}\n{hashlib.sha256(code).hexdigest()}\n".encode() + code


def _read_entry(path: Path, key: str) -> bytes | None:
    """The object code of the entry at path, None if it is missing, a link or not what it says."""
    try:
        fd = os.open(path, os.O_RDONLY | _NO_FOLLOW | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as file:
            data = file.read()
    except OSError:  # a link among them (ELOOP)
        return None
    head = len(MAGIC) + 2 * 65  # the magic line, the key's and the code's hash lines
    if not data.startswith(MAGIC) or len(data) < head:
        return None
    lines = data[len(MAGIC):head].decode("ascii", "replace").split("\n")
    code = data[head:]
    if lines[0] != key or lines[1] != hashlib.sha256(code).hexdigest():
        return None
    return code
