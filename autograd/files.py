"""Writing a file whole or not at all, keeping what the replaced file was: its mode and links."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

# Linux can make a file with no name and name it once it is whole; it needs /proc to do so.
_UNNAMED = getattr(os, "O_TMPFILE", 0) if os.path.isdir("/proc/self/fd") else 0


def write_atomically(path: str | os.PathLike[str], content: bytes, *,
                     follow_symlinks: bool = True) -> None:
    """Write content to path so that path holds either its old bytes or all the new ones.

    The bytes go to a temporary file in path's folder, are synced to disk, and the file is
    renamed over path, so a reader, a crash or a kill at any point finds path whole, old or new.
    The folder is not synced: after a power cut, path may hold the old bytes again. A symlink
    is written through: the file it points to is replaced; with follow_symlinks=False the
    link itself is replaced by the file. An existing file keeps its mode
    (not its owner), a new one gets the usual mode (0o666 less the umask).
    An error or a KeyboardInterrupt while it is written removes the temporary file. A killed
    process (SIGKILL, a crash) can leave it behind, named `.<name>.<8 hex digits>.tmp`: on
    Linux, where the file has no name while it is written (given /proc and a file system that
    allows it), only if killed between naming the whole file and the rename; elsewhere if
    killed at any point after it is created. Errors name path.
    """
    try:
        _replace(Path(os.path.realpath(path) if follow_symlinks else path), content)
    except OSError as error:
        if error.filename is None:
            raise
        # it named the temporary file, or where a link points: the same error, naming path
        named = type(error)(error.errno, error.strerror, os.fspath(path))
        raise named.with_traceback(error.__traceback__) from None


def _replace(target: Path, content: bytes) -> None:
    mode = _mode_of(target)
    temporary = target.with_name(f".{target.name[:24]}.{secrets.token_hex(4)}.tmp")
    fd, named = _open_beside(temporary)
    try:
        with os.fdopen(fd, "wb") as file:
            if mode is not None and os.chmod in os.supports_fd:
                os.chmod(file.fileno(), mode)
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
            if not named:
                _name(file.fileno(), temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _mode_of(target: Path) -> int | None:
    """The permission bits of the file at target, None if there is none."""
    try:
        info = target.lstat()  # a link left in place (follow_symlinks=False) has no mode to keep
    except FileNotFoundError:
        return None
    return None if stat.S_ISLNK(info.st_mode) else stat.S_IMODE(info.st_mode)


def _open_beside(temporary: Path) -> tuple[int, bool]:
    """A new file to write, open, in temporary's folder, and whether it is named yet.

    The mode 0o666 lets the kernel apply the umask, as to any new file (mkstemp gives 0o600).
    """
    if _UNNAMED:
        with contextlib.suppress(OSError):  # not every file system has unnamed files
            return os.open(temporary.parent, _UNNAMED | os.O_WRONLY, 0o666), False
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.open(temporary, flags, 0o666), True


def _name(fd: int, temporary: Path) -> None:
    """Give the unnamed file open as fd the name temporary."""
    folder = os.open(temporary.parent, os.O_RDONLY)
    try:
        # with a folder given, os.link calls linkat, which follows /proc's link to the file
        os.link(f"/proc/self/fd/{fd}", temporary.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)
