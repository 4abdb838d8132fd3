"""The writer lock between real processes: contention, waiting, and release when the holder dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest

from codesearch.errors import CodesearchError, IndexLockedError
from codesearch.index.locking import IndexWriteLock
from codesearch.index.store import IndexStore
from tests.index.fakes import PARAMS

TIMEOUT_S = 30.0
_spawn = multiprocessing.get_context("spawn")


def hold_lock(index_dir: str, held: Event, release: Event) -> None:
    with IndexWriteLock(Path(index_dir)):
        held.set()
        release.wait(TIMEOUT_S)


@pytest.fixture
def holder(tmp_path: Path):  # type: ignore[no-untyped-def]
    held, release = _spawn.Event(), _spawn.Event()
    process = _spawn.Process(target=hold_lock, args=(str(tmp_path), held, release))
    process.start()
    assert held.wait(TIMEOUT_S), "the child never took the lock"
    yield process, release
    if process.is_alive():
        # Only then: a multiprocessing Event's set() waits for every waiter to wake, and a
        # waiter killed inside wait() never does.
        release.set()
    process.join(TIMEOUT_S)


def test_second_writer_fails_fast_naming_the_holder(tmp_path: Path, holder) -> None:  # type: ignore[no-untyped-def]
    process, _release = holder
    with pytest.raises(IndexLockedError, match=rf"process {process.pid}\b"):
        IndexWriteLock(tmp_path).acquire()


def test_waiting_writer_times_out_then_gets_the_lock_once_released(tmp_path: Path, holder) -> None:  # type: ignore[no-untyped-def]
    _process, release = holder
    with pytest.raises(IndexLockedError, match="waited"):
        IndexWriteLock(tmp_path, wait=True, timeout_s=0.2).acquire()
    release.set()
    with IndexWriteLock(tmp_path, wait=True, timeout_s=TIMEOUT_S) as lock:
        assert lock.is_held
        assert (tmp_path / "lock").read_text().strip() == str(os.getpid())


def test_lock_of_a_killed_holder_is_free(tmp_path: Path, holder) -> None:  # type: ignore[no-untyped-def]
    process, _release = holder
    os.kill(process.pid, signal.SIGKILL)
    process.join(TIMEOUT_S)
    with IndexWriteLock(tmp_path, wait=True, timeout_s=TIMEOUT_S) as lock:
        assert lock.is_held


def test_store_writers_exclude_each_other_but_readers_do_not_wait(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    IndexStore.open(index_dir, expected=PARAMS, create=True).close()
    held, release = _spawn.Event(), _spawn.Event()
    process = _spawn.Process(target=hold_lock, args=(str(index_dir), held, release))
    process.start()
    try:
        assert held.wait(TIMEOUT_S)
        with pytest.raises(IndexLockedError):
            IndexStore.open(index_dir, expected=PARAMS)
        with IndexStore.open(index_dir, readonly=True) as reader:
            assert reader.counts().chunks == 0
    finally:
        release.set()
        process.join(TIMEOUT_S)
    with IndexStore.open(index_dir, expected=PARAMS, lock_wait=True, lock_timeout_s=TIMEOUT_S):
        pass


def test_lock_is_not_reentrant_and_release_is_idempotent(tmp_path: Path) -> None:
    lock = IndexWriteLock(tmp_path)
    with lock, pytest.raises(RuntimeError):
        lock.acquire()
    lock.release()
    assert not lock.is_held


@pytest.mark.parametrize("kind", ["link", "dangling link", "fifo", "folder"])
def test_a_lock_file_that_is_no_regular_file_is_refused_and_nothing_is_written(tmp_path: Path, kind: str) -> None:
    """Found by tests/fuzz/index_files.py: a checkout's ``.codesearch/lock`` linked to a user's file had
    that file truncated and a pid written into it by `index`; a FIFO there was an OSError traceback."""
    index_dir, victim, absent = tmp_path / "index", tmp_path / "victim.txt", tmp_path / "absent.txt"
    index_dir.mkdir()
    victim.write_text("the user's own file\n")
    lock = index_dir / "lock"
    if kind == "fifo":
        os.mkfifo(lock)
    elif kind == "folder":
        lock.mkdir()
    else:
        lock.symlink_to(victim if kind == "link" else absent)
    with pytest.raises(CodesearchError, match=r"^the index lock file .*lock is not a regular file"):
        IndexWriteLock(index_dir).acquire()
    with pytest.raises(CodesearchError, match="is not a regular file"):
        IndexStore.open(index_dir, expected=PARAMS, create=True)
    assert victim.read_text() == "the user's own file\n" and not absent.exists()
