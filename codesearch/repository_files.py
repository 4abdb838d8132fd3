"""Reading a file a repository holds: a regular file, opened beneath a folder without following links, size-capped.

A checkout controls every name in it. A pattern file, a source file, ``codesearch.toml`` or a file of
a committed index folder may be a link to ``/dev/zero`` (a read without a cap never ends, then fails
with MemoryError) or to a file outside the repository, or a FIFO (an open or a read waits for a
writer for ever). A link swapped in after discovery looked at a path would take the read elsewhere.
So every such read goes through here:

- the path is opened one component at a time from the folder's descriptor, each with ``O_NOFOLLOW``:
  a link anywhere below the folder, there at discovery or swapped in since, is refused, never
  followed, so the file opened is inside the folder (the folder itself is the caller's to trust);
- the file is opened with ``O_NONBLOCK`` (a FIFO's open does not wait for a writer) and
  ``O_NOCTTY``, and ``fstat`` on the open descriptor must say regular file, before any read;
- the read stops at a byte cap, whatever the file grew to since ``fstat``.

Links inside a repository that discovery follows are resolved by the caller first (their real path,
checked to lie inside the repository), and that real path is what is opened here.
Every failure is a ``SourceFileError`` whose ``reason`` says why in one word.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from codesearch.errors import SourceFileError

TOO_LARGE = "too_large"
NOT_REGULAR = "not_regular"
UNREADABLE = "unreadable"
VANISHED = "vanished"
SYMLINK_IN_PATH = "symlink_in_path"  # a link where a file or folder was expected: not followed

T = TypeVar("T")
# O_PATH (Linux): a folder on the way needs only search permission, as it does for an open by path.
_FOLDER_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_READ_CHUNK_BYTES = 1 << 20
_NOT_FOLLOWED = "a symbolic link (not followed)"


Folder = str | os.PathLike[str] | int  # a path, or a descriptor of an open folder (kept open)


@contextmanager
def open_repository_file(
    folder: Folder, path: str | os.PathLike[str], max_bytes: int | None = None
) -> Iterator[tuple[int, os.stat_result]]:
    """Open the regular file ``path`` beneath ``folder``; yield its descriptor and ``fstat``.

    Args:
        folder: the folder the file must lie in (opened as given: the caller trusts it), or a
            descriptor of it (``open_repository_folder``), which spares opening it once per file.
        path: relative to ``folder``, or absolute and lexically inside it; no ``..`` component.
        max_bytes: a file larger than this (by ``fstat``) is TOO_LARGE; None: no limit.

    Raises:
        SourceFileError: ``reason`` one of NOT_REGULAR, SYMLINK_IN_PATH, TOO_LARGE, UNREADABLE, VANISHED.
    """
    shown = os.fspath(path)
    fd, status = _open_beneath(folder, _components(folder, shown), shown, _open_file)
    try:
        if max_bytes is not None and status.st_size > max_bytes:
            raise too_large(shown, status.st_size, max_bytes)
        yield fd, status
    finally:
        os.close(fd)


def open_repository_folder(folder: str | os.PathLike[str], path: str | os.PathLike[str]) -> int:
    """A descriptor of the folder ``path`` beneath ``folder``, reached without following a link; the caller closes it.

    Raises:
        SourceFileError: as ``open_repository_file`` (VANISHED when it is no folder).
    """
    shown = os.fspath(path)
    parts = [] if shown in ("", ".", os.fspath(folder)) else _components(folder, shown)
    return _open_beneath(folder, [*parts, "."], shown, _open_folder_step)


def read_repository_file(folder: Folder, path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` beneath ``folder`` (see ``open_repository_file``), at most ``max_bytes``.

    Raises:
        SourceFileError: as ``open_repository_file``; TOO_LARGE also when the file grew past the cap.
    """
    with open_repository_file(folder, path, max_bytes) as (fd, _status):
        data = read_up_to(fd, max_bytes + 1, path)  # one byte past the cap: the file may have grown
    if len(data) > max_bytes:
        raise too_large(os.fspath(path), len(data), max_bytes)
    return data


def read_up_to(fd: int, limit: int, path: str | os.PathLike[str]) -> bytes:
    """Up to ``limit`` bytes from ``fd``; an I/O error is a SourceFileError naming ``path``."""
    chunks: list[bytes] = []
    remaining = limit
    try:
        while remaining > 0:
            chunk = os.read(fd, min(remaining, _READ_CHUNK_BYTES))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise _os_error(os.fspath(path), exc) from exc
    return b"".join(chunks)


def too_large(path: str, size_bytes: int, max_bytes: int) -> SourceFileError:
    detail = f"{size_bytes} bytes is over the limit of {max_bytes} bytes"
    return SourceFileError(f"skipping {path}: {detail}", TOO_LARGE, detail)


def _components(folder: Folder, path: str) -> list[str]:
    if os.sep not in path and path not in ("", ".", ".."):  # a name in the folder: discovery's common case
        return [path]
    relative = path
    if os.path.isabs(path):
        prefix = ("" if isinstance(folder, int) else os.fspath(folder).rstrip(os.sep)) + os.sep
        if isinstance(folder, int) or not path.startswith(prefix):
            raise _outside(path, folder)
        relative = path[len(prefix):]
    parts = [part for part in relative.split(os.sep) if part not in ("", ".")]
    if not parts or ".." in parts:
        raise _outside(path, folder)
    return parts


def _open_beneath(folder: Folder, parts: list[str], shown: str, open_last: Callable[[int, str, str], T]) -> T:
    """Open ``parts`` one by one from ``folder``, never following a link; ``open_last`` opens the last."""
    if isinstance(folder, int):
        dir_fd, is_ours = folder, False
    else:
        try:
            dir_fd, is_ours = os.open(folder, _FOLDER_FLAGS), True
        except OSError as exc:
            raise _os_error(shown, exc) from exc
    try:
        for part in parts[:-1]:
            next_fd = _open_folder_step(dir_fd, part, shown)
            if is_ours:
                os.close(dir_fd)
            dir_fd, is_ours = next_fd, True
        return open_last(dir_fd, parts[-1], shown)
    finally:
        if is_ours:
            os.close(dir_fd)


def _open_folder_step(dir_fd: int, name: str, shown: str) -> int:
    return _open_step(dir_fd, name, _FOLDER_FLAGS | os.O_NOFOLLOW, shown)


def _open_step(dir_fd: int, name: str, flags: int, shown: str) -> int:
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        # O_DIRECTORY | O_NOFOLLOW on a link fails with ENOTDIR on Linux: say it was a link.
        if exc.errno == errno.ENOTDIR and _is_link(dir_fd, name):
            raise _refused(shown, SYMLINK_IN_PATH, _NOT_FOLLOWED) from exc
        raise _os_error(shown, exc) from exc


def _open_file(dir_fd: int, name: str, shown: str) -> tuple[int, os.stat_result]:
    fd = _open_step(dir_fd, name, _FILE_FLAGS, shown)
    try:
        status = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise _os_error(shown, exc) from exc
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        raise _refused(shown, NOT_REGULAR, "not a regular file")
    return fd, status


def _is_link(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _refused(path: str, reason: str, detail: str) -> SourceFileError:
    return SourceFileError(f"skipping {path}: {detail}", reason, detail)


def _outside(path: str, folder: Folder) -> SourceFileError:
    detail = f"not inside {'its folder' if isinstance(folder, int) else os.fspath(folder)}"
    return SourceFileError(f"skipping {path}: {detail}", UNREADABLE, detail)


def _os_error(path: str, exc: OSError) -> SourceFileError:
    if exc.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW met a link (EMLINK: the BSDs)
        reason, detail = SYMLINK_IN_PATH, _NOT_FOLLOWED
    elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
        reason, detail = VANISHED, "no longer exists"
    elif exc.errno in (errno.EISDIR, errno.ENXIO):  # ENXIO: a socket or a device without a driver
        reason, detail = NOT_REGULAR, "not a regular file"
    else:
        reason, detail = UNREADABLE, exc.strerror or type(exc).__name__
    return SourceFileError(f"cannot read {path}: {detail}", reason, detail)
