"""Bring the in-memory HNSW index in line with SQLite, the source of truth.

After reconciling, the live labels are exactly the chunk ids: labels without a row are marked
deleted, rows without a live label get their vector from the embeddings cache. Matching by id is
enough, and a label present on both sides is known to carry the right vector, because

- chunk ids come from AUTOINCREMENT, so an id is never given to a second chunk, and a chunk row
  never changes its embedded text while it keeps its id (the store only reuses an id for a chunk
  with the same ``embed_hash``);
- a vectors file is written only after the commits it reflects are fsynced (``make_durable``), so
  no file can hold a label whose commit a power loss later undid and a new chunk then reused.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codesearch.errors import IndexCorruptError
from codesearch.index.database import REBUILD_HINT
from codesearch.index.meta import read_generation
from codesearch.index.records import IndexParams
from codesearch.index.vector_file import load_vectors_file
from codesearch.index.vectors import VectorIndex

log = logging.getLogger(__name__)

_FETCH_BATCH = 512  # ids per IN (...) query, well under SQLite's parameter limit


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    added: int
    removed: int


def chunk_ids(conn: sqlite3.Connection) -> set[int]:
    """Every chunk id (read through the narrow file_id index, not the wide table)."""
    return {row[0] for row in conn.execute("SELECT id FROM chunks INDEXED BY chunks_by_file")}


def cached_vectors(
    conn: sqlite3.Connection, ids: list[int], model_hash: str, dim: int
) -> tuple[list[int], np.ndarray]:
    """The cached vectors of chunks ``ids``: (labels, (n, dim) float32). Every chunk must have one."""
    labels: list[int] = []
    blobs: list[bytes] = []
    for start in range(0, len(ids), _FETCH_BATCH):
        part = ids[start : start + _FETCH_BATCH]
        marks = ", ".join("?" * len(part))
        rows = conn.execute(
            "SELECT c.id, e.vector FROM chunks AS c LEFT JOIN embeddings AS e "
            f"ON e.model_hash = ? AND e.embed_hash = c.embed_hash WHERE c.id IN ({marks})",
            (model_hash, *part),
        )
        for chunk_id, blob in rows:
            if blob is None or len(blob) != dim * 4:
                raise IndexCorruptError(
                    f"chunk {chunk_id} has no cached embedding of the index's model; {REBUILD_HINT}"
                )
            labels.append(chunk_id)
            blobs.append(blob)
    vectors = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(labels), dim).astype(np.float32)
    return labels, vectors  # vectors: (n, dim) float32


def reconcile(conn: sqlite3.Connection, vectors: VectorIndex, model_hash: str) -> ReconcileResult:
    """Make ``vectors`` hold exactly the chunk rows' vectors; run inside one read snapshot."""
    ids = chunk_ids(conn)
    live = vectors.labels()
    extra = live - ids
    missing = sorted(ids - live)
    removed = vectors.mark_deleted(extra)
    for start in range(0, len(missing), 4096):
        labels, batch = cached_vectors(conn, missing[start : start + 4096], model_hash, vectors.dim)
        vectors.add(labels, batch)
    if removed or missing:
        log.info("reconciled vectors with the database: %d added, %d removed", len(missing), removed)
    return ReconcileResult(added=len(missing), removed=removed)


@dataclass(frozen=True, slots=True, eq=False)
class StartingVectors:
    """What ``load_vectors`` found: the index to start from, and how far the file on disk served."""

    index: VectorIndex
    is_current: bool  # the file matched the database: no reconcile needed
    is_file_usable: bool  # a vouched file loaded (maybe stale); False: a writer should save one now


def load_vectors(conn: sqlite3.Connection, index_dir: Path, params: IndexParams) -> StartingVectors:
    """The vectors to start from (the file's, else an empty index) and whether they are current.

    Run inside a snapshot. Vectors that are not current must go through ``reconcile``.
    """
    loaded = load_vectors_file(index_dir, params.dim, read_generation(conn))
    chunk_count = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
    vectors = loaded.index
    if vectors is not None and (vectors.m, vectors.ef_construction) != (
        params.hnsw_m,
        params.hnsw_ef_construction,
    ):
        log.warning("the vectors file has other HNSW parameters than the index; rebuilding it")
        vectors = None
    is_usable = vectors is not None and loaded.status.startswith(("current", "stale"))
    if vectors is not None and loaded.is_current and vectors.live_count == chunk_count:
        return StartingVectors(vectors, is_current=True, is_file_usable=True)
    log.info("vectors file is %s; reconciling it with the database", loaded.status)
    if vectors is None:
        vectors = VectorIndex.create(
            params.dim,
            m=params.hnsw_m,
            ef_construction=params.hnsw_ef_construction,
            capacity=max(1024, chunk_count),
        )
    return StartingVectors(vectors, is_current=False, is_file_usable=is_usable and not loaded.is_current)
