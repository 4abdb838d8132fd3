"""Crash-safe file replacement: write a temporary file in the same folder, fsync, rename, fsync the folder.

``os.replace`` within one folder is atomic on POSIX, so a reader (or a process started after a
kill -9) sees either the old file or the new one, never a torn one. The fsyncs make the order
durable across power loss too: the data before the rename, the rename before whatever comes next.

The folder is an index folder, which may come with a checkout: what lies at the temporary name (a link
would be written through) or at the destination (``os.replace`` cannot replace a folder) is removed first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from codesearch import crash_points


def fsync_path(path: Path) -> None:
    """Flush a file's (or folder's) data to disk; fsync works on a read-only descriptor."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_sibling(path: Path) -> Path:
    """A name next to ``path`` that no other process uses and no reader looks for."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextlib.contextmanager
def _cleanup_on_error(tmp: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def remove_path(path: Path) -> None:
    """Remove ``path`` whatever it is (a file, a link, a FIFO, or a folder with all it holds); nothing if it is
    not there. Only for the files of an index folder."""
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def replace_with(path: Path, write: Callable[[Path], None]) -> None:
    """Atomically replace ``path`` with what ``write(tmp_path)`` writes to a temporary file."""
    tmp = temporary_sibling(path)
    remove_path(tmp)  # a leftover of a killed writer, or a link planted there: ``write`` would follow it
    with _cleanup_on_error(tmp):
        write(tmp)
        fsync_path(tmp)
        crash_points.reached("atomic:renaming")
        if path.is_dir() and not path.is_symlink():  # where a file goes, a folder: no file was ever there
            remove_path(path)
        os.replace(tmp, path)
    fsync_path(path.parent)


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``."""

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    replace_with(path, write)
