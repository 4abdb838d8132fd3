"""The machine-wide embedding cache: vectors every index of this user shares, outside any index folder.

A second clone or worktree, a branch switched back, an index rebuilt after damage, or a repository
that vendors files seen elsewhere re-embeds nothing this cache holds. Vectors are keyed by the
model's fingerprint (``model_hash``: the files that decide the embeddings) and the hash of the exact
text embedded (``embed_hash``), with what computed them (``backend``), so a vector is reused only
where the encoder would give the same one.

The cache is a convenience, never a source of truth: every row carries a checksum, and a row that
fails it, or a file SQLite cannot read, is dropped (the file moved aside) and rebuilt as indexes
embed again; no failure of the cache fails an index run. SQLite in WAL mode lets several processes
read and write at once; the least recently used rows go first when it outgrows ``max_bytes``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codesearch import crash_points
from codesearch.index.database import transaction

logger = logging.getLogger(__name__)

FILE_NAME = "embeddings.sqlite3"
SCHEMA_VERSION = 1
# A rowid table, not WITHOUT ROWID: rows of ~1.6 KB would spill every b-tree page of a table keyed
# by text (4.9 KB per 384-dim row that way, 2.2 KB this way: python -m bench.heal).
SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    id INTEGER PRIMARY KEY,
    model_hash TEXT NOT NULL,
    embed_hash TEXT NOT NULL,
    backend TEXT NOT NULL,
    vector BLOB NOT NULL,          -- (dim,) little-endian float32
    checksum INTEGER NOT NULL,     -- crc32 of the four columns above
    used_s INTEGER NOT NULL        -- last use, for least-recently-used eviction
);
CREATE UNIQUE INDEX IF NOT EXISTS vectors_by_key ON vectors (model_hash, embed_hash);
CREATE INDEX IF NOT EXISTS vectors_by_use ON vectors (used_s);
"""
_BATCH = 500  # SQLite's variable limit is 999 or more; a hash list is cut into parts this long
_BUSY_TIMEOUT_MS = 5000
_ROW_OVERHEAD_BYTES = 400  # keys (twice: table and index), checksum, b-tree cells beside the vector


@dataclass(frozen=True, slots=True)
class CachedVector:
    vector: np.ndarray  # (dim,) float32
    backend: str  # what computed it, e.g. "torch-bfloat16"


def checksum(model_hash: str, embed_hash: str, backend: str, blob: bytes) -> int:
    """crc32 over a row's content, so that a flipped byte anywhere in it is caught."""
    return zlib.crc32(blob, zlib.crc32(f"{model_hash}\0{embed_hash}\0{backend}\0".encode()))


class MachineCache:
    """One user's cache file, opened by any number of processes; thread-safe within one."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.path = folder / FILE_NAME
        self.max_bytes = max_bytes
        self.dropped = 0  # rows (or whole files) found damaged and dropped, for reports and tests
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> MachineCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, model_hash: str, embed_hashes: Iterable[str]) -> dict[str, CachedVector]:
        """The cached vectors of ``model_hash`` for those hashes that have a sound one."""
        wanted = list(dict.fromkeys(embed_hashes))
        found: dict[str, CachedVector] = {}
        damaged: list[str] = []
        with self._using() as conn:
            if conn is None:
                return {}
            for start in range(0, len(wanted), _BATCH):
                part = wanted[start : start + _BATCH]
                marks = ", ".join("?" * len(part))
                rows = conn.execute(
                    "SELECT embed_hash, backend, vector, checksum FROM vectors "
                    f"WHERE model_hash = ? AND embed_hash IN ({marks})", (model_hash, *part),
                ).fetchall()
                for embed_hash, backend, blob, stored in rows:
                    if checksum(model_hash, embed_hash, backend, blob) != stored or len(blob) % 4:
                        damaged.append(embed_hash)
                        continue
                    found[embed_hash] = CachedVector(np.frombuffer(blob, dtype="<f4").astype(np.float32), backend)
            now = int(time.time())
            with conn:
                conn.executemany("DELETE FROM vectors WHERE model_hash = ? AND embed_hash = ?",
                                 [(model_hash, h) for h in damaged])
                conn.executemany("UPDATE vectors SET used_s = ? WHERE model_hash = ? AND embed_hash = ?",
                                 [(now, model_hash, h) for h in found])
        if damaged:
            self.dropped += len(damaged)
            logger.warning("embedding cache %s: %d damaged vector(s) dropped", self.path, len(damaged))
        return found

    def put(self, model_hash: str, backend: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Remember ``vectors`` (embed_hash -> (dim,) float32) of ``model_hash``, then evict to size."""
        now = int(time.time())
        rows = []
        for embed_hash, vector in vectors.items():
            blob = np.asarray(vector, dtype="<f4").tobytes()
            rows.append((model_hash, embed_hash, backend, blob, checksum(model_hash, embed_hash, backend, blob), now))
        with self._using() as conn:
            if conn is None or not rows:
                return
            with transaction(conn):  # one commit for all the rows (the connection is in autocommit mode)
                conn.executemany("INSERT OR REPLACE INTO vectors (model_hash, embed_hash, backend, vector, checksum, "
                                 "used_s) VALUES (?, ?, ?, ?, ?, ?)", rows)
                crash_points.reached("cache:written")
            self._evict(conn, len(rows[0][3]))

    def _evict(self, conn: sqlite3.Connection, vector_bytes: int) -> None:
        """Drop the least recently used rows beyond ``max_bytes`` (estimated from the row count)."""
        (count,) = conn.execute("SELECT count(*) FROM vectors").fetchone()
        keep = self.max_bytes // (vector_bytes + _ROW_OVERHEAD_BYTES)
        if count <= keep:
            return
        with conn:
            conn.execute("DELETE FROM vectors WHERE id IN (SELECT id FROM vectors ORDER BY used_s LIMIT ?)",
                         (count - keep,))

    @contextlib.contextmanager
    def _using(self) -> Iterator[sqlite3.Connection | None]:
        """The connection (opened on first use), or None when the cache cannot be used now.

        A damaged file is moved aside and a new one made; a busy, unreadable or unwritable cache is
        skipped for this call. Either way the index run goes on, embedding what the cache could not give.
        """
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self._open()
            except (sqlite3.Error, OSError) as exc:
                self._failed(exc)
            try:
                yield self._conn
            except (sqlite3.Error, OSError) as exc:
                self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, sqlite3.DatabaseError) and _is_damage(exc):
            self._set_aside(exc)
        else:
            logger.info("embedding cache %s skipped: %s", self.path, exc)

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # the user's own (SQLite gives its WAL the same mode)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                               isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # a lost last write costs one re-embedding, no more
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version != SCHEMA_VERSION:  # another layout (or a new file): a cache is rebuilt, not migrated
                conn.executescript(f"DROP TABLE IF EXISTS vectors; PRAGMA user_version = {SCHEMA_VERSION};")
            conn.executescript(SCHEMA)
            (result,) = conn.execute("PRAGMA quick_check(1)").fetchone()
            if result != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed ({result})")
        except BaseException:
            conn.close()
            raise
        return conn

    def _set_aside(self, exc: BaseException) -> None:
        """Move the damaged file (and its WAL) aside; the next use starts a new one."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        aside = self.path.with_name(f"{FILE_NAME}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.path}{suffix}").replace(f"{aside}{suffix}")
        self.dropped += 1
        logger.warning("embedding cache %s was damaged (%s); moved aside to %s, starting a new one",
                       self.path, exc, aside)


def _is_damage(exc: sqlite3.Error) -> bool:
    text = str(exc)
    return any(word in text for word in ("malformed", "not a database", "Could not decode", "disk image"))
