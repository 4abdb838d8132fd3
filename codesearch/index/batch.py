"""The body of one ``apply_batch`` transaction: files, chunks, FTS5 documents and the embeddings cache.

A changed file's old chunks are matched to its new ones by ``embed_hash``: a match keeps its row
id (hence its HNSW label and vector) and only has its fields rewritten, so editing one function
in a file re-inserts one vector, not the whole file's.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from codesearch.index import lexical, rows
from codesearch.index.meta import record_batch
from codesearch.index.reconcile import cached_vectors
from codesearch.index.records import BatchResult, IndexBatch, IndexParams, PendingChunk

_ID_BATCH = 512


@dataclass(eq=False)
class BatchChanges:
    """What the transaction changed, for the vector index to follow after the commit."""

    added_ids: list[int] = field(default_factory=list)
    deleted_ids: list[int] = field(default_factory=list)
    kept: int = 0
    fts_deletes: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    fts_inserts: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)


def checked_embeddings(batch: IndexBatch, dim: int) -> dict[str, np.ndarray]:
    """The batch's new vectors by embed_hash, validated: (dim,) float32, finite. Also checks paths."""
    vectors: dict[str, np.ndarray] = {}
    for embedding in batch.embeddings:
        vector = np.asarray(embedding.vector, dtype=np.float32)
        if vector.shape != (dim,) or not np.isfinite(vector).all():
            raise ValueError(
                f"embedding {embedding.embed_hash} must be a finite ({dim},) vector, got {vector.shape}"
            )
        vectors[embedding.embed_hash] = vector
    paths = [update.path for update in batch.upserts] + list(batch.deletions)
    if len(set(paths)) != len(paths):
        raise ValueError("a batch must name each file once")
    for update in batch.upserts:
        if any(pending.chunk.path != update.path for pending in update.chunks):
            raise ValueError(f"every chunk of {update.path} must carry that path")
    return vectors


def write_batch(
    conn: sqlite3.Connection, batch: IndexBatch, params: IndexParams, now_s: float
) -> tuple[BatchResult, list[int], np.ndarray, list[int]]:
    """Apply ``batch`` inside the caller's transaction.

    Returns the result, the ids of new chunk rows, their vectors (n, dim) float32, and the ids
    of deleted chunk rows.
    """
    provided = checked_embeddings(batch, params.dim)
    _require_cached(conn, batch, provided, params.model_hash)
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO embeddings(model_hash, embed_hash, vector) VALUES (?, ?, ?)",
        ((params.model_hash, h, v.astype("<f4").tobytes()) for h, v in provided.items()),
    )
    cached = conn.total_changes - before
    changes = BatchChanges()
    deleted_files = sum(_delete_file(conn, path, changes) for path in batch.deletions)
    for update in batch.upserts:
        file_id = rows.upsert_file(conn, update, now_s)
        _replace_chunks(conn, file_id, update.chunks, changes)
    lexical.delete_documents(conn, changes.fts_deletes)
    lexical.insert_documents(conn, changes.fts_inserts)
    record_batch(conn, now_s, vectors_changed=bool(changes.added_ids or changes.deleted_ids))
    vectors = _vectors_for(conn, changes, params)
    result = BatchResult(
        files_upserted=len(batch.upserts),
        files_deleted=deleted_files,
        chunks_added=len(changes.added_ids),
        chunks_kept=changes.kept,
        chunks_deleted=len(changes.deleted_ids),
        embeddings_cached=cached,
    )
    return result, changes.added_ids, vectors, changes.deleted_ids


def _require_cached(
    conn: sqlite3.Connection, batch: IndexBatch, provided: dict[str, np.ndarray], model_hash: str
) -> None:
    needed = {p.embed_hash for u in batch.upserts for p in u.chunks} - provided.keys()
    wanted = sorted(needed)
    found: set[str] = set()
    for start in range(0, len(wanted), _ID_BATCH):
        part = wanted[start : start + _ID_BATCH]
        marks = ", ".join("?" * len(part))
        query = f"SELECT embed_hash FROM embeddings WHERE model_hash = ? AND embed_hash IN ({marks})"
        found.update(row[0] for row in conn.execute(query, (model_hash, *part)))
    if needed - found:
        example = sorted(needed - found)[0]
        raise ValueError(
            f"{len(needed - found)} chunk(s) have no embedding in the batch or the cache (e.g. {example})"
        )


def _delete_file(conn: sqlite3.Connection, path: str, changes: BatchChanges) -> int:
    file_id = rows.file_id(conn, path)
    if file_id is None:
        return 0
    existing = rows.chunks_of_file(conn, file_id)
    changes.fts_deletes.extend((old.chunk_id, old.document) for old in existing)
    changes.deleted_ids.extend(old.chunk_id for old in existing)
    conn.execute("DELETE FROM files WHERE id = ?", (file_id,))  # cascades to the chunk rows
    return 1


def _replace_chunks(
    conn: sqlite3.Connection, file_id: int, chunks: tuple[PendingChunk, ...], changes: BatchChanges
) -> None:
    reusable: dict[str, list[rows.ExistingChunk]] = defaultdict(list)
    for old in rows.chunks_of_file(conn, file_id):
        reusable[old.embed_hash].append(old)
    for pending in chunks:
        chunk = pending.chunk
        new_document = lexical.document(
            chunk.name, chunk.qualified_name, chunk.path, chunk.code_without_docstring, chunk.docstring
        )
        candidates = reusable.get(pending.embed_hash)
        if candidates:
            old = candidates.pop(0)
            rows.rewrite_chunk(conn, old.chunk_id, pending)
            changes.kept += 1
            if new_document != old.document:
                changes.fts_deletes.append((old.chunk_id, old.document))
                changes.fts_inserts.append((old.chunk_id, new_document))
            continue
        chunk_id = rows.insert_chunk(conn, file_id, pending)
        changes.added_ids.append(chunk_id)
        changes.fts_inserts.append((chunk_id, new_document))
    leftovers = [old for group in reusable.values() for old in group]
    changes.fts_deletes.extend((old.chunk_id, old.document) for old in leftovers)
    changes.deleted_ids.extend(old.chunk_id for old in leftovers)
    rows.delete_chunks(conn, [old.chunk_id for old in leftovers])


def _vectors_for(conn: sqlite3.Connection, changes: BatchChanges, params: IndexParams) -> np.ndarray:
    """The vectors of the new rows (n, dim) float32, read back from the cache.

    Reading them back (rather than taking the batch's) keeps HNSW and the cache bit-identical
    even when the batch re-sends an embedding the cache already had (INSERT OR IGNORE kept that).
    """
    labels, found = cached_vectors(conn, changes.added_ids, params.model_hash, params.dim)
    position = {label: row for row, label in enumerate(labels)}
    return found[[position[chunk_id] for chunk_id in changes.added_ids]]  # (n, dim)
