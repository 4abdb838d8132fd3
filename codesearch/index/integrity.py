"""A full consistency check of an index, for ``codesearch status --check``.

It reads everything (seconds on a large index), so it is never part of opening an index.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Set as AbstractSet
from pathlib import Path

import numpy as np

from codesearch.index.database import is_corruption, snapshot, sqlite_message
from codesearch.index.embedding_checksums import SQL_FUNCTION
from codesearch.index.meta import read_generation
from codesearch.index.reconcile import cached_vectors, chunk_ids, count_embedded_chunks, embedded_chunk_ids
from codesearch.index.records import IndexCounts, IndexParams, IntegrityReport
from codesearch.index.vector_file import expected_vectors, load_vectors_file
from codesearch.index.vectors import VectorIndex

_SHOWN = 5  # ids listed per problem
_VECTORS_CHECKED = 5000  # labels whose HNSW vector is compared with the cache (a sample beyond that)


def count_rows(conn: sqlite3.Connection, vectors: VectorIndex, model_hash: str) -> IndexCounts:
    def scalar(sql: str, *params: object) -> int:
        return int(conn.execute(sql, params).fetchone()[0])

    return IndexCounts(
        files=scalar("SELECT count(*) FROM files"),
        chunks=scalar("SELECT count(*) FROM chunks"),
        live_vectors=vectors.live_count,
        cached_embeddings=scalar("SELECT count(*) FROM embeddings WHERE model_hash = ?", model_hash),
        vector_capacity=vectors.capacity,
        embedded_chunks=count_embedded_chunks(conn, model_hash),
    )


def _sample(ids: AbstractSet[int]) -> str:
    shown = ", ".join(str(i) for i in sorted(ids)[:_SHOWN])
    return f"{len(ids)} (e.g. {shown})"


def sqlite_problems(conn: sqlite3.Connection) -> list[str]:
    """SQLite's own page-level and foreign-key checks."""
    try:
        messages = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # (see database.sqlite_message)
        if not is_corruption(exc):
            raise
        return [f"SQLite: {sqlite_message(exc)}"]
    problems = [] if messages == ["ok"] else [f"SQLite integrity_check: {m}" for m in messages[:_SHOWN]]
    if orphans:
        problems.append(f"{len(orphans)} row(s) point at missing files")
    return problems


def damage_problems(conn: sqlite3.Connection, vectors: VectorIndex, params: IndexParams) -> list[str]:
    """What damage does to a database that still opens: pages or indexes SQLite finds broken, and
    stored embeddings that no longer match their vouched-for HNSW vectors (bytes flipped in a blob).

    Cheaper than ``check_integrity`` (no vectors file reload, a sample of vectors): ``index`` runs it
    before every update (0.4 s on 20,000 records on a loaded 2-core machine, 60 ms of it the checksums:
    python -m bench.checksums).
    """
    (result,) = conn.execute("PRAGMA integrity_check(1)").fetchone()
    if result != "ok":
        return [f"SQLite integrity_check: {result}"]
    with snapshot(conn):
        failing = checksum_failures(conn)
        if failing:
            return [_failing_message(failing)]
        live = sorted(embedded_chunk_ids(conn, params.model_hash) & vectors.labels())
        wrong = _wrong_vectors(conn, vectors, live, params)
    return [f"stored embeddings that differ from their vectors: {_sample(wrong)}"] if wrong else []


def checksum_failures(conn: sqlite3.Connection) -> list[str]:
    """The embed hashes of every stored vector that fails its checksum (embedding_checksums.py).

    Every vector, not a sample, so that ``index`` finds (and repairs) a flipped one wherever it is:
    about 2.5 µs per vector, the CRC computed inside the query (a third faster than in a Python loop).
    """
    query = f"SELECT embed_hash FROM embeddings WHERE {SQL_FUNCTION}(vector) != checksum"
    return [row[0] for row in conn.execute(query)]


def _failing_message(embed_hashes: list[str]) -> str:
    shown = ", ".join(h[:12] for h in embed_hashes[:_SHOWN])
    return f"stored vectors that fail their checksum: {len(embed_hashes)} (e.g. {shown})"


def consistency_problems(conn: sqlite3.Connection, vectors: VectorIndex, params: IndexParams) -> list[str]:
    """Embedded chunks vs live vectors, chunks vs FTS5 rows, vectors vs the cache (one snapshot).

    A chunk without a cached vector is no problem: a progressive build stores it first and embeds
    it later (``semantic_coverage``); it must then have no live vector either.
    """
    problems: list[str] = []
    with snapshot(conn):
        ids = chunk_ids(conn)
        embedded = embedded_chunk_ids(conn, params.model_hash)
        live = vectors.labels()
        fts_ids = {row[0] for row in conn.execute("SELECT id FROM chunks_fts_docsize")}
        failing = checksum_failures(conn)
        # A vector that fails its checksum cannot be compared (reading it raises): reported as such.
        wrong = set() if failing else _wrong_vectors(conn, vectors, sorted(embedded & live), params)
    if failing:
        problems.append(_failing_message(failing))
    if embedded - live:
        problems.append(f"embedded chunks without a live vector: {_sample(embedded - live)}")
    if vectors.slot_count != vectors.graph_live_count + vectors.dead_count:
        problems.append(
            f"HNSW holds {vectors.slot_count} slots for {vectors.graph_live_count + vectors.dead_count} labels"
        )
    if live - embedded:
        problems.append(f"live vectors without an embedded chunk: {_sample(live - embedded)}")
    if ids != fts_ids:
        problems.append(f"chunks and keyword-index rows differ: {_sample(ids ^ fts_ids)}")
    if wrong:
        problems.append(f"live vectors that differ from their chunk's embedding: {_sample(wrong)}")
    try:
        conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('integrity-check')")
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc) and "query_only" not in str(exc):
            problems.append(f"keyword index: {exc}")
    except sqlite3.DatabaseError as exc:
        problems.append(f"keyword index: {exc}")
    return problems


def _wrong_vectors(
    conn: sqlite3.Connection, vectors: VectorIndex, labels: list[int], params: IndexParams
) -> set[int]:
    """Labels whose HNSW vector is not their chunk's cached embedding (checks a sample if many)."""
    if len(labels) > _VECTORS_CHECKED:
        labels = sorted(random.Random(0).sample(labels, _VECTORS_CHECKED))
    order, expected = cached_vectors(conn, labels, params.model_hash, params.dim)  # (n, dim)
    stored = vectors.vectors_of(order)  # (n, dim), normalised by hnswlib
    norms = np.maximum(np.linalg.norm(expected, axis=1), 1e-30)  # (n,)
    cosines = np.einsum("nd,nd->n", stored, expected) / norms  # (n,)
    return {order[i] for i in np.flatnonzero(cosines < 0.999)}


def vectors_file_problems(
    conn: sqlite3.Connection, index_dir: Path, params: IndexParams
) -> tuple[str, list[str]]:
    """Load the vectors file afresh; its status, and a problem unless it loaded and the sidecar vouches for it.

    A stale file is fine (a writer was stopped before saving; opening reconciles it forward). A
    missing one is fine only while the index has no chunks: a writer saves a file before its
    first commit, so after that one must always be there.
    """
    embedded = count_embedded_chunks(conn, params.model_hash)
    loaded = load_vectors_file(index_dir, expected_vectors(params), read_generation(conn), embedded=embedded)
    is_fine = loaded.status.startswith(("current", "stale")) or (
        loaded.status == "missing" and conn.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is None
    )
    return loaded.status, [] if is_fine else [f"vectors file: {loaded.status}"]


def check_integrity(
    conn: sqlite3.Connection, vectors: VectorIndex, index_dir: Path, params: IndexParams
) -> IntegrityReport:
    """Every check: SQLite pages, chunks vs vectors vs FTS5 vs cache, then the vectors file."""
    problems = sqlite_problems(conn)
    if not problems:
        problems += consistency_problems(conn, vectors, params)
    status, file_problems = vectors_file_problems(conn, index_dir, params)
    return IntegrityReport(
        problems=tuple(problems + file_problems),
        counts=count_rows(conn, vectors, params.model_hash),
        vectors_file=status,
    )
