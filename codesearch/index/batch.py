"""The body of one ``apply_batch`` transaction: files, chunks, FTS5 documents and the embeddings cache.

A changed file's old chunks are matched to its new ones by ``embed_hash``: a match keeps its row
id (hence its HNSW label and vector) and only has its fields rewritten, so editing one function
in a file re-inserts one vector, not the whole file's.

A chunk gets a vector (an HNSW label) as soon as its ``embed_hash`` is in the embeddings cache:
when it is stored, if the cache has it, or when a later batch brings the embedding (the embedding
stage of a progressive build). Until then it is found by keywords only.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from codesearch.index import lexical, rows
from codesearch.index.embedding_checksums import vector_checksum
from codesearch.index.meta import record_batch
from codesearch.index.reconcile import available_vectors
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

    Returns the result, the ids of chunk rows that now have a vector they lacked (new rows with a
    cached embedding, and rows whose embedding this batch brought), those vectors (n, dim)
    float32, and the ids of deleted chunk rows.
    """
    provided = checked_embeddings(batch, params.dim)
    arriving = _not_cached(conn, list(provided), params.model_hash)
    blobs = {h: provided[h].astype("<f4").tobytes() for h in arriving}
    conn.executemany(
        "INSERT OR IGNORE INTO embeddings(model_hash, embed_hash, vector, backend, checksum) VALUES (?, ?, ?, ?, ?)",
        ((params.model_hash, h, blob, batch.embeddings_backend, vector_checksum(blob)) for h, blob in blobs.items()),
    )
    changes = BatchChanges()
    deleted_files = sum(_delete_file(conn, path, changes) for path in batch.deletions)
    for update in batch.upserts:
        file_id = rows.upsert_file(conn, update, now_s)
        _replace_chunks(conn, file_id, update.chunks, changes)
    lexical.delete_documents(conn, changes.fts_deletes)
    lexical.insert_documents(conn, changes.fts_inserts)
    # Rows of an earlier batch whose embedding arrives now; new rows are in added_ids already.
    candidates = list(dict.fromkeys([*changes.added_ids, *_chunks_embedding(conn, arriving)]))
    vector_ids, vectors = available_vectors(conn, candidates, params.model_hash, params.dim)
    record_batch(conn, now_s, vectors_changed=bool(changes.added_ids or changes.deleted_ids or vector_ids))
    result = BatchResult(
        files_upserted=len(batch.upserts),
        files_deleted=deleted_files,
        chunks_added=len(changes.added_ids),
        chunks_kept=changes.kept,
        chunks_deleted=len(changes.deleted_ids),
        embeddings_cached=len(arriving),
        vectors_added=len(vector_ids),
    )
    return result, vector_ids, vectors, changes.deleted_ids


def _not_cached(conn: sqlite3.Connection, embed_hashes: list[str], model_hash: str) -> list[str]:
    """Those of ``embed_hashes`` the cache lacks, in order (a vector already cached is kept as it is)."""
    found: set[str] = set()
    for start in range(0, len(embed_hashes), _ID_BATCH):
        part = embed_hashes[start : start + _ID_BATCH]
        marks = ", ".join("?" * len(part))
        query = f"SELECT embed_hash FROM embeddings WHERE model_hash = ? AND embed_hash IN ({marks})"
        found.update(row[0] for row in conn.execute(query, (model_hash, *part)))
    return [embed_hash for embed_hash in embed_hashes if embed_hash not in found]


def _chunks_embedding(conn: sqlite3.Connection, embed_hashes: list[str]) -> list[int]:
    """Ids of the chunk rows whose embedded text is one of ``embed_hashes``."""
    ids: list[int] = []
    for start in range(0, len(embed_hashes), _ID_BATCH):
        part = embed_hashes[start : start + _ID_BATCH]
        marks = ", ".join("?" * len(part))
        ids.extend(row[0] for row in conn.execute(f"SELECT id FROM chunks WHERE embed_hash IN ({marks})", part))
    return sorted(ids)


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
