"""Files are written whole or not at all, as the file they replace was: mode, symlink, name."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from networks import seed_graph

import autograd
import nn
from autograd import write_atomically

ROOT = Path(__file__).resolve().parent.parent
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")

# Everything that writes a file for the user, each with a suffix it accepts.
SAVERS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "write_atomically": (".bin", lambda path: write_atomically(path, b"new")),
    "nn.save": (".json", lambda path: nn.save(nn.Neuron(2, seed=0), path)),
    "render": (".dot", lambda path: autograd.render(seed_graph(), path)),
    "stepper": (".html", lambda path: autograd.stepper(seed_graph(), path)),
}


def saver_cases() -> list[object]:
    return [pytest.param(name, marks=needs_dot) if name == "stepper" else name
            for name in SAVERS]


@pytest.fixture(params=saver_cases())
def saver(request: pytest.FixtureRequest) -> tuple[str, Callable[[Path], object]]:
    return SAVERS[request.param]


def test_writing_leaves_the_umask_alone_and_syncs(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    def umask(mask: int) -> int:
        raise AssertionError("the process umask was changed")  # racy with other threads

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "umask", umask)
    write_atomically(tmp_path / "g.dot", b"digraph {}")
    assert (tmp_path / "g.dot").read_bytes() == b"digraph {}" and len(synced) == 1


def test_a_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    before = os.umask(0o027)
    try:
        write_atomically(tmp_path / "g.dot", b"digraph {}")
    finally:
        os.umask(before)
    assert (tmp_path / "g.dot").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              failing: str) -> None:
    opened: list[int] = []
    real_open = os.open

    def open_(path: str, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        opened.append(real_open(path, flags, mode))
        return opened[-1]

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    (tmp_path / "g.dot").write_bytes(b"old")
    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(tmp_path / "g.dot", b"new")
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]
    assert (tmp_path / "g.dot").read_bytes() == b"old"
    assert opened
    for fd in opened:
        with pytest.raises(OSError):
            os.fstat(fd)  # closed


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX's")
def test_a_replaced_file_keeps_its_mode(tmp_path: Path,
                                        saver: tuple[str, Callable[[Path], object]]) -> None:
    suffix, save = saver
    path = tmp_path / f"private{suffix}"
    path.write_bytes(b"old")
    path.chmod(0o600)
    save(path)
    assert path.read_bytes() != b"old"
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(os.name != "posix", reason="symlinks need privileges on Windows")
def test_a_symlink_is_written_through(tmp_path: Path,
                                      saver: tuple[str, Callable[[Path], object]]) -> None:
    suffix, save = saver
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / f"file{suffix}"
    real.write_bytes(b"old")
    link = tmp_path / f"link{suffix}"
    link.symlink_to(real)
    save(link)
    assert link.is_symlink() and link.resolve() == real
    assert real.read_bytes() != b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link" + suffix, "real"]
    assert [p.name for p in real.parent.iterdir()] == [real.name]


@pytest.mark.skipif(os.name != "posix", reason="symlinks need privileges on Windows")
def test_a_symlink_itself_is_replaced_when_not_followed(tmp_path: Path) -> None:
    real = tmp_path / "real.bin"
    real.write_bytes(b"old")
    real.chmod(0o600)
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    write_atomically(link, b"new", follow_symlinks=False)
    assert not link.is_symlink() and link.read_bytes() == b"new"
    assert real.read_bytes() == b"old" and real.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.bin", "real.bin"]


def test_a_file_name_of_250_characters(tmp_path: Path,
                                       saver: tuple[str, Callable[[Path], object]]) -> None:
    suffix, save = saver
    path = tmp_path / ("n" * (250 - len(suffix)) + suffix)
    save(path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_an_error_names_the_given_path(tmp_path: Path,
                                       saver: tuple[str, Callable[[Path], object]]) -> None:
    suffix, save = saver
    missing = tmp_path / "missing" / f"file{suffix}"
    with pytest.raises(FileNotFoundError) as no_folder:
        save(missing)
    assert no_folder.value.filename == str(missing) and ".tmp" not in str(no_folder.value)
    folder = tmp_path / f"folder{suffix}"
    folder.mkdir()
    with pytest.raises(OSError) as a_folder:  # renaming a file over a folder fails
        save(folder)
    assert a_folder.value.filename == str(folder) and a_folder.value.filename2 is None
    assert str(a_folder.value) == f"[Errno {a_folder.value.errno}] {a_folder.value.strerror}: " \
        f"{str(folder)!r}"
    assert str(no_folder.value) == f"[Errno {no_folder.value.errno}] " \
        f"{no_folder.value.strerror}: {str(missing)!r}"
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]


KILLED_WHILE_WRITING = """
import os, sys, time
import nn

def fsync(fd):
    print("writing", flush=True)
    time.sleep(60)

os.fsync = fsync
nn.save(nn.MLP(2, [3, 1], seed=0), sys.argv[1])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="only Linux writes into a file with no name (O_TMPFILE)")
def test_a_killed_save_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([sys.executable, "-c", KILLED_WHILE_WRITING, str(folder / "m.json")],
                          stdout=subprocess.PIPE, env=env) as process:
        assert process.stdout is not None
        assert process.stdout.readline() == b"writing\n"
        process.kill()
    assert list(folder.iterdir()) == []
