"""SQLite connections for the index: pragmas, transactions, and turning corruption into IndexCorruptError.

Pragmas and why:
- ``journal_mode=WAL``: readers keep a consistent snapshot while the single writer commits, so
  ``ask`` never blocks on ``index``/``watch`` and needs no lock.
- ``synchronous=NORMAL``: in WAL mode a commit is then atomic and ordered, and survives a crash of
  the process (kill -9) because the WAL is in the OS page cache; only a power loss or OS crash may
  drop the last few commits, never corrupt the file nor reorder commits. The one place that needs
  more, writing an HNSW file that reflects those commits, first makes them durable with a
  checkpoint (``make_durable``), so a vectors file on disk never describes commits that could
  still vanish.
- ``foreign_keys=ON``: deleting a file row cascades to its chunk rows.
- ``busy_timeout``: a reader may briefly meet a checkpoint; wait rather than fail.
- ``page_size=16384`` for new databases, see ``PAGE_SIZE_BYTES``.

Only SQLite opens the database and WAL files: POSIX locks belong to the process, and closing any
descriptor of a file drops all of them, so a stray open-and-close would silently end other
connections' read snapshots and let another process delete the WAL under a live writer.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from codesearch.errors import IndexCorruptError, IndexWriteError

log = logging.getLogger(__name__)

# Chunk rows and cached embeddings are ~1.7 KiB each: 4 KiB pages fit two (2 KiB per row), 16 KiB
# pages fit nine (1.8 KiB per row), about 9% less on disk in total (measured with bench/store.py).
PAGE_SIZE_BYTES = 16384
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_NOTADB = 26
_NEARLY_FULL_BYTES = 1 << 20  # an I/O error with less free space than this is a full disk
# What a write can meet that is the machine's state, not a bug: primary codes and errnos.
_SQLITE_WRITE_FAILURES = {8: "the folder is read-only", 10: "an I/O error", 13: "the disk is full",
                          14: "a file cannot be opened"}
_ERRNO_WRITE_FAILURES = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
                         errno.EFBIG: "a file is over the size limit", errno.EROFS: "the folder is read-only",
                         errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                         errno.EIO: "an I/O error"}
REBUILD_HINT = "rebuild it with `codesearch index --full`"


def connect_writable(db_path: Path) -> sqlite3.Connection:
    """Open (or create) the database for the single writer."""
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    with translate_corruption(db_path):
        conn.execute(f"PRAGMA page_size={PAGE_SIZE_BYTES}")  # no-op once the database exists
        conn.execute("PRAGMA journal_mode=WAL")
        _common_pragmas(conn)
    return conn


def connect_readonly(db_path: Path) -> sqlite3.Connection:
    """Open the database for reading only; works in a read-only folder too."""
    uri = f"file:{urllib.parse.quote(str(db_path))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        with translate_corruption(db_path):
            conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.OperationalError as exc:
        conn.close()
        if not os.access(db_path.parent, os.W_OK):
            # A WAL database needs its -shm file, which a reader cannot create in a read-only folder
            # after the writer removed it on close. Nobody can be writing there, so immutable is true.
            log.debug("read-only folder: opening %s as immutable", db_path)
            conn = sqlite3.connect(f"{uri}&immutable=1", uri=True, isolation_level=None, check_same_thread=False)
        elif _sqlite_code(exc) in (_SQLITE_IOERR, _SQLITE_FULL):
            # A full disk: the reader cannot create the -shm file either, and immutable would miss
            # the commits still in the WAL. In exclusive locking mode SQLite keeps the WAL index in
            # memory instead (it then keeps other connections out, but a full disk stops writers).
            log.warning("cannot create the WAL index of %s (%s); reading it in exclusive mode", db_path, exc)
            conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        else:
            raise
    with translate_corruption(db_path):
        conn.execute("PRAGMA query_only=ON")
        _common_pragmas(conn)
    return conn


def _common_pragmas(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA cache_size=-16384")  # 16 MiB
    conn.execute("PRAGMA temp_store=MEMORY")


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction; BEGIN IMMEDIATE takes the write lock up front (no upgrade deadlocks)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (a full disk during COMMIT)
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: every query inside sees the same committed state."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def is_corruption(exc: sqlite3.Error | UnicodeDecodeError) -> bool:
    """Whether an SQLite error means a damaged database (rather than a busy or misused one)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return True
    text = sqlite_message(exc)
    # "Could not decode to UTF-8": a stored text whose bytes were damaged (SQLite reads them fine).
    # "no such column/table": a schema that lacks what its version number promises (damaged bytes of
    # sqlite_master or of the version); migrations have run by then, so it is never an old index.
    return any(mark in text for mark in ("malformed", "not a database", "Could not decode", "no such column",
                                         "no such table"))


def sqlite_message(exc: sqlite3.Error | UnicodeDecodeError) -> str:
    """What SQLite said. Python's sqlite3 decodes SQLite's message as UTF-8 and raises UnicodeDecodeError
    in its place when it is not: a message that quotes a damaged schema (``malformed database schema
    (chunks) - near "REF\\xd8RENCES"``), the bytes of which a checkout may have crafted."""
    if isinstance(exc, UnicodeDecodeError):
        return exc.object.decode("utf-8", "replace") if isinstance(exc.object, bytes) else ""
    return str(exc)


@contextlib.contextmanager
def translate_corruption(db_path: Path) -> Iterator[None]:
    """Re-raise SQLite corruption errors as IndexCorruptError with a message for the user.

    Within the block only SQLite decodes bytes, so a UnicodeDecodeError is SQLite's message that is not
    UTF-8 (``sqlite_message``).
    """
    try:
        yield
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        if is_corruption(exc):
            raise IndexCorruptError(
                f"the index database {db_path} is corrupt ({sqlite_message(exc)}); {REBUILD_HINT}"
            ) from exc
        raise


@contextlib.contextmanager
def translate_write_failure(index_dir: Path) -> Iterator[None]:
    """Re-raise a full disk, a read-only folder or an I/O error met while writing as IndexWriteError.

    SQLite rolls the transaction back and the HNSW file is replaced atomically, so the index
    stays as of its last commit; the message says so.
    """
    try:
        yield
    except sqlite3.OperationalError as exc:
        reason = _SQLITE_WRITE_FAILURES.get(_sqlite_code(exc))
        if reason is None:
            raise
        raise IndexWriteError(_write_failure_message(index_dir, reason, str(exc))) from exc
    except OSError as exc:
        reason = _ERRNO_WRITE_FAILURES.get(exc.errno or 0)
        if reason is None:
            raise
        raise IndexWriteError(_write_failure_message(index_dir, reason, exc.strerror or str(exc))) from exc


def _sqlite_code(exc: sqlite3.Error) -> int:
    """The primary result code (extended codes carry it in their low byte)."""
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF


def _write_failure_message(index_dir: Path, reason: str, detail: str) -> str:
    if reason == "an I/O error" and _free_bytes(index_dir) < _NEARLY_FULL_BYTES:
        reason = "the disk is full"  # SQLite reports a failed WAL or -shm write as an I/O error
    return (
        f"cannot write the index in {index_dir}: {reason} ({detail}). It still holds everything "
        "indexed before; fix that and run `codesearch index` again"
    )


def _free_bytes(folder: Path) -> int:
    try:
        stats = os.statvfs(folder)
    except OSError:
        return 1 << 62
    return stats.f_bavail * stats.f_frsize


def check_not_truncated(conn: sqlite3.Connection, db_path: Path) -> None:
    """Cheap open-time check that the database file is whole: SQLite compares the page count its
    header records with the file's length on the first read, and reports a short file as corrupt.

    A full ``PRAGMA integrity_check`` reads every page (seconds on a large index); this reads one.
    The header is read through SQLite, never through a descriptor of our own: closing any
    descriptor of the database file drops every POSIX lock this process holds on it, which other
    connections in the process rely on (https://sqlite.org/howtocorrupt.html, section 2.2).
    """
    with translate_corruption(db_path):
        conn.execute("PRAGMA page_count").fetchone()


def make_durable(conn: sqlite3.Connection) -> None:
    """Make every commit so far survive a power loss (``synchronous=NORMAL`` defers that).

    A passive checkpoint fsyncs the WAL before copying what it can into the database (and the
    database after a complete copy), so every committed frame is on disk afterwards; it never
    waits for readers. Through SQLite, because opening and closing the database file ourselves
    would drop this process's POSIX locks on it (see ``check_not_truncated``).
    """
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
