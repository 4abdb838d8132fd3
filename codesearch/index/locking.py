"""The single-writer lock on an index folder: ``fcntl.flock`` on ``<index>/lock``.

Only writers lock. Readers need none: SQLite's WAL gives them a consistent snapshot and the HNSW
file is only ever replaced by an atomic rename. flock locks belong to the open file description
and vanish when the holder dies (kill -9 included), so a stale lock file never blocks anyone; the
pid written into it only names the holder in the error message.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import stat
import threading
import time
from pathlib import Path
from types import TracebackType

from codesearch.errors import CodesearchError, IndexLockedError, IndexWriteError

log = logging.getLogger(__name__)

LOCK_FILE_NAME = "lock"
_POLL_INTERVAL_S = 0.05  # flock has no timeout; waiting polls a non-blocking attempt


class IndexWriteLock:
    """Exclusive writer lock on an index folder, as a context manager.

    Args:
        index_dir: the index folder (must exist).
        wait: if False, fail at once when another process holds the lock; if True, wait for it.
        timeout_s: with ``wait``, give up after this many seconds (None: wait forever).

    Raises:
        IndexLockedError: the lock is held elsewhere (and not waiting, or the wait timed out).
        IndexWriteError: the folder is read-only.
        CodesearchError: the lock file cannot be created for another reason.
    """

    def __init__(self, index_dir: Path, *, wait: bool = False, timeout_s: float | None = None) -> None:
        self.path = index_dir / LOCK_FILE_NAME
        self._wait = wait
        self._timeout_s = timeout_s
        self._fd: int | None = None
        self._guard = threading.Lock()  # guards _fd

    @property
    def is_held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        with self._guard:
            if self._fd is not None:
                raise RuntimeError("IndexWriteLock is not reentrant")
            fd = self._open()
            try:
                self._lock(fd)
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
            log.debug("acquired %s", self.path)

    def release(self) -> None:
        with self._guard:
            if self._fd is None:
                return
            fd, self._fd = self._fd, None
            # Closing the descriptor drops the flock; the file stays so its inode is the one
            # every process locks (deleting it would let two writers lock two different files).
            os.close(fd)

    def __enter__(self) -> IndexWriteLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def _open(self) -> int:
        """The lock file, opened without following a link or waiting on a FIFO, and only if it is a regular
        file: an index folder may come with a checkout, and the pid written into the lock truncated and
        overwrote whatever file a ``lock`` link pointed at."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise IndexWriteError(
                    f"cannot write the index in {self.path.parent}: the folder is read-only "
                    f"({exc.strerror}). Searching it still works; to update it, make it writable "
                    "or pass --index-dir with a writable folder."
                ) from exc
            if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
                raise CodesearchError(self._not_regular) from exc
            raise CodesearchError(f"cannot open the index lock file {self.path}: {exc}") from exc
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise CodesearchError(self._not_regular)
        return fd

    @property
    def _not_regular(self) -> str:
        return f"the index lock file {self.path} is not a regular file (a link, a folder or a FIFO); remove it"

    def _lock(self, fd: int) -> None:
        deadline = None if self._timeout_s is None else time.monotonic() + self._timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if not self._wait or (deadline is not None and time.monotonic() >= deadline):
                    raise IndexLockedError(self._locked_message(fd)) from None
            time.sleep(_POLL_INTERVAL_S)

    def _locked_message(self, fd: int) -> str:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        who = f"process {holder}" if holder.isdigit() else "another process"
        waited = "" if self._timeout_s is None or not self._wait else f" (waited {self._timeout_s:g} s)"
        return (
            f"the index in {self.path.parent} is being written by {who}{waited}; "
            "wait for it to finish (or stop it) and try again"
        )
