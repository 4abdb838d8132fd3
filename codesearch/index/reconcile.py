"""Bring the in-memory HNSW index in line with SQLite, the source of truth.

After reconciling, the live labels are exactly the ids of the chunks whose vector is in the
embeddings cache (a chunk without one waits for the embedding stage of a progressive build):
other labels are marked deleted, embedded rows without a live label get their vector from the
cache. Matching by id is enough, and a label present on both sides is known to carry the right
vector, because

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
from codesearch.index.embedding_checksums import check_vectors
from codesearch.index.meta import read_generation
from codesearch.index.records import IndexParams
from codesearch.index.vector_file import expected_vectors, load_vectors_file
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


# A full scan reads the narrow (embed_hash, id) index rather than the wide chunk rows.
_EMBEDDED_CHUNKS = (
    "FROM chunks AS c INDEXED BY chunks_by_embed_hash JOIN embeddings AS e "
    "ON e.model_hash = ? AND e.embed_hash = c.embed_hash"
)
# By id, the chunks outside (CROSS JOIN): SQLite otherwise walked every embedding (exact.py says more).
_EMBEDDED_BY_ID = "FROM chunks AS c CROSS JOIN embeddings AS e ON e.model_hash = ? AND e.embed_hash = c.embed_hash"


def embedded_chunk_ids(conn: sqlite3.Connection, model_hash: str) -> set[int]:
    """The ids of chunks whose vector is in the cache: exactly the labels HNSW must hold live.

    The others are waiting for the embedding stage of a progressive build, searchable by keywords.
    """
    return {row[0] for row in conn.execute(f"SELECT c.id {_EMBEDDED_CHUNKS}", (model_hash,))}


def count_embedded_chunks(conn: sqlite3.Connection, model_hash: str) -> int:
    return int(conn.execute(f"SELECT count(*) {_EMBEDDED_CHUNKS}", (model_hash,)).fetchone()[0])


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
            "SELECT c.id, e.vector, e.checksum FROM chunks AS c LEFT JOIN embeddings AS e "
            f"ON e.model_hash = ? AND e.embed_hash = c.embed_hash WHERE c.id IN ({marks})",
            (model_hash, *part),
        ).fetchall()
        for chunk_id, blob, _ in rows:
            if not isinstance(blob, bytes) or len(blob) != dim * 4:
                raise IndexCorruptError(
                    f"chunk {chunk_id} has no cached embedding of the index's model; {REBUILD_HINT}"
                )
            labels.append(chunk_id)
            blobs.append(blob)
        check_vectors(conn, rows)
    vectors = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(labels), dim).astype(np.float32)
    return labels, vectors  # vectors: (n, dim) float32


def available_vectors(
    conn: sqlite3.Connection, ids: list[int], model_hash: str, dim: int
) -> tuple[list[int], np.ndarray]:
    """Like ``cached_vectors``, for those of ``ids`` that have a cached vector (the rest are skipped)."""
    if not ids:
        return [], np.empty((0, dim), dtype=np.float32)
    present: set[int] = set()
    for start in range(0, len(ids), _FETCH_BATCH):
        part = ids[start : start + _FETCH_BATCH]
        marks = ", ".join("?" * len(part))
        present.update(row[0] for row in conn.execute(f"SELECT c.id {_EMBEDDED_BY_ID} WHERE c.id IN ({marks})",
                                                      (model_hash, *part)))
    return cached_vectors(conn, [i for i in ids if i in present], model_hash, dim)


def reconcile(
    conn: sqlite3.Connection, vectors: VectorIndex, model_hash: str, *, into_graph: bool = True
) -> ReconcileResult:
    """Make ``vectors`` hold exactly the vectors of the embedded chunk rows; run inside one read snapshot.

    ``into_graph=False`` (readers) keeps the missing vectors beside the graph, scored exactly,
    rather than inserting them (see exact_vectors.py): a reader's graph is never saved.
    """
    ids = embedded_chunk_ids(conn, model_hash)
    live = vectors.labels()
    extra = live - ids
    missing = sorted(ids - live)
    removed = vectors.mark_deleted(extra)
    for start in range(0, len(missing), 4096):
        labels, batch = cached_vectors(conn, missing[start : start + 4096], model_hash, vectors.dim)
        if into_graph:
            vectors.add(labels, batch)
        else:
            vectors.add_unindexed(labels, batch)
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
    chunk_count = count_embedded_chunks(conn, params.model_hash)
    loaded = load_vectors_file(index_dir, expected_vectors(params), read_generation(conn), embedded=chunk_count)
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
