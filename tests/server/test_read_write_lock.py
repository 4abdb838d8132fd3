"""ReadWriteLock: shared readers, an exclusive writer, writers first."""

from __future__ import annotations

import threading

from codesearch.server.read_write_lock import ReadWriteLock

TIMEOUT_S = 10.0


def test_readers_share_and_a_writer_waits_for_them() -> None:
    lock = ReadWriteLock()
    both_reading = threading.Barrier(2, timeout=TIMEOUT_S)
    release_readers = threading.Event()
    order: list[str] = []

    def reader() -> None:
        with lock.reading():
            both_reading.wait()  # only passes if two readers hold the lock at once
            release_readers.wait(TIMEOUT_S)
            order.append("read")

    def writer() -> None:
        with lock.writing():
            order.append("write")

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    writer_thread = threading.Thread(target=writer)
    writer_thread.start()
    writer_thread.join(0.2)  # bounded: the writer must still be blocked behind the readers
    assert writer_thread.is_alive() and order == []
    release_readers.set()
    for thread in [*readers, writer_thread]:
        thread.join(TIMEOUT_S)
    assert order == ["read", "read", "write"]


def test_a_waiting_writer_goes_before_new_readers() -> None:
    lock = ReadWriteLock()
    first_reading = threading.Event()
    release_first = threading.Event()
    order: list[str] = []

    def first_reader() -> None:
        with lock.reading():
            first_reading.set()
            release_first.wait(TIMEOUT_S)

    def writer() -> None:
        with lock.writing():
            order.append("write")

    def late_reader() -> None:
        with lock.reading():
            order.append("late read")

    first = threading.Thread(target=first_reader)
    first.start()
    assert first_reading.wait(TIMEOUT_S)
    writer_thread = threading.Thread(target=writer)
    writer_thread.start()
    while not lock._writers_waiting:  # the writer has queued (no sleep: it happens at once)
        writer_thread.join(0.001)
    late = threading.Thread(target=late_reader)
    late.start()
    late.join(0.1)
    assert late.is_alive()  # held back by the waiting writer
    release_first.set()
    for thread in (first, writer_thread, late):
        thread.join(TIMEOUT_S)
    assert order == ["write", "late read"]
