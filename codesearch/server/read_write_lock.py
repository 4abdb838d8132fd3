"""ReadWriteLock: many searches at once, or one commit, on a served repository's index.

A search reads the index several times (dense, lexical, chunk rows); holding the read side for
the whole search means it sees one committed state, never half of an update. Writers are
preferred: once a commit waits, new searches queue behind it, so a steady stream of searches
from many clients cannot starve the watcher.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    """Shared (read) or exclusive (write) holding; not reentrant on either side."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0  # guarded by _cond: threads inside reading()
        self._is_writing = False  # guarded by _cond
        self._writers_waiting = 0  # guarded by _cond

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._is_writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._is_writing or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._is_writing = True
        try:
            yield
        finally:
            with self._cond:
                self._is_writing = False
                self._cond.notify_all()
