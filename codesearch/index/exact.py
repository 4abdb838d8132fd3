"""Exact (brute-force) dense search over the embeddings cache, for small candidate sets.

When a filter leaves few chunks, or the whole index is small, scoring every candidate is both
exact and fast (reading a few thousand 1.5 KiB blobs from SQLite and one matrix product take a
few milliseconds), whereas HNSW would walk the graph calling a Python filter per visited node and
could still miss a node that churn left unreachable. hnswlib's own ``get_items`` is not used here:
it copies vectors through Python lists (tens of microseconds per vector).
"""

from __future__ import annotations

import sqlite3

import numpy as np

from codesearch.index.filters import ChunkFilter, filter_clause
from codesearch.index.records import ScoredId

EXACT_SEARCH_MAX = 4096  # candidates up to which exact search is used


def count_candidates(conn: sqlite3.Connection, chunk_filter: ChunkFilter) -> int:
    """How many chunks pass the filter."""
    where, params = filter_clause(chunk_filter, "c")
    return int(conn.execute(f"SELECT count(*) FROM chunks AS c WHERE 1{where}", params).fetchone()[0])


def exact_search(
    conn: sqlite3.Connection,
    vector: np.ndarray,
    k: int,
    chunk_filter: ChunkFilter,
    model_hash: str,
) -> list[ScoredId]:
    """Top-k chunks passing the filter by cosine similarity to ``vector`` (dim,), best first."""
    where, params = filter_clause(chunk_filter, "c")
    rows = conn.execute(
        "SELECT c.id, e.vector FROM chunks AS c JOIN embeddings AS e "
        f"ON e.model_hash = ? AND e.embed_hash = c.embed_hash WHERE 1{where}",
        (model_hash, *params),
    ).fetchall()
    k = min(k, len(rows))
    if k <= 0:
        return []
    dim = len(vector)
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    stored = np.frombuffer(b"".join(row[1] for row in rows), dtype="<f4").reshape(len(rows), dim)  # (n, dim)
    query = np.asarray(vector, dtype=np.float32)
    norms = np.linalg.norm(stored, axis=1) * max(float(np.linalg.norm(query)), 1e-30)  # (n,)
    similarities = (stored @ query) / np.maximum(norms, 1e-30)  # (n,) cosine, like hnswlib's space
    top = np.argpartition(-similarities, k - 1)[:k]
    top = top[np.argsort(-similarities[top], kind="stable")]
    return [ScoredId(int(ids[i]), float(similarities[i])) for i in top]
