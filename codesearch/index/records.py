"""Typed records of the index package: what callers hand to the store and what it hands back.

They live here rather than in ``codesearch/records.py`` because only the indexer, the search code
and the CLI's status command deal in them; ``Chunk`` itself stays the shared contract.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codesearch.records import Chunk


@dataclass(frozen=True, slots=True)
class IndexParams:
    """What the caller expects of an index: a mismatch in any field but model_id is an error."""

    model_id: str  # informational: the name the user gave (--model)
    model_hash: str  # identity of the encoder weights; the embeddings cache is keyed by it
    dim: int
    hnsw_m: int = 16
    hnsw_ef_construction: int = 200


@dataclass(frozen=True, slots=True)
class IndexMeta:
    """The parameters an index was built with, plus its bookkeeping."""

    params: IndexParams
    schema_version: int
    created_at_s: float  # unix time
    updated_at_s: float  # unix time of the last committed batch
    vectors_generation: int  # bumped by every batch that adds or deletes chunk rows
    lexical_version: int  # version of the FTS5 document format (see lexical.LEXICAL_VERSION)
    records_version: int = 0  # what extraction made the rows (parsing.file_records.RECORDS_VERSION); 0: unknown


@dataclass(frozen=True, slots=True)
class FileState:
    """What the index knows about one source file, used to skip unchanged files."""

    path: str  # repo-relative POSIX path
    language: str
    size_bytes: int
    mtime_ns: int
    content_hash: str  # sha256 hex of the file's bytes
    indexed_at_s: float  # unix time


@dataclass(frozen=True, slots=True)
class PendingChunk:
    """A chunk about to be stored, with the hash of the exact text the encoder embeds for it."""

    chunk: Chunk
    embed_hash: str


@dataclass(frozen=True, slots=True)
class FileUpdate:
    """A file whose chunks are replaced by ``chunks`` (an empty tuple is allowed)."""

    path: str
    language: str
    size_bytes: int
    mtime_ns: int
    content_hash: str
    chunks: tuple[PendingChunk, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Embedding:
    """A freshly computed vector for the embeddings cache."""

    embed_hash: str
    vector: np.ndarray  # (dim,) float32, L2-normalised


@dataclass(frozen=True, slots=True)
class IndexBatch:
    """Everything one ``IndexStore.apply_batch`` call commits in a single transaction.

    A chunk whose ``embed_hash`` has no vector in ``embeddings`` or in the cache is stored without
    one: searchable by keywords until a later batch brings its embedding (progressive indexing).
    """

    upserts: tuple[FileUpdate, ...] = ()
    deletions: tuple[str, ...] = ()  # repo-relative paths of files to drop
    embeddings: tuple[Embedding, ...] = ()
    embeddings_backend: str = ""  # what computed ``embeddings``, e.g. "torch-bfloat16" (recorded per vector)


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a batch changed."""

    files_upserted: int
    files_deleted: int
    chunks_added: int  # new rows
    chunks_kept: int  # rows of changed files whose embedded text did not change (row id and vector kept)
    chunks_deleted: int
    embeddings_cached: int  # new entries in the embeddings cache
    vectors_added: int = 0  # rows that got their vector: new rows with a cached one, or rows it just arrived for


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A chunk as stored: its id is the SQLite rowid and the HNSW label."""

    chunk_id: int
    chunk: Chunk
    embed_hash: str


@dataclass(frozen=True, slots=True)
class ScoredId:
    """One search result before fusion; higher scores are better in both searches.

    Dense: cosine similarity (1 - hnswlib's cosine distance). Lexical: -bm25() (FTS5's bm25 is
    negative, more negative is better).
    """

    chunk_id: int
    score: float


@dataclass(frozen=True, slots=True)
class LexicalWeights:
    """BM25 column weights; defaults rank name > qualified name > identifiers > docstring > path."""

    name: float = 10.0
    qualified_name: float = 5.0
    path: float = 1.0
    identifiers: float = 3.0
    docstring: float = 2.0


@dataclass(frozen=True, slots=True)
class IndexCounts:
    """Sizes of the index."""

    files: int
    chunks: int
    live_vectors: int  # vectors searchable in the in-memory HNSW index
    cached_embeddings: int
    vector_capacity: int  # HNSW max_elements
    embedded_chunks: int = 0  # chunks whose vector is in the cache (the rest still wait to be embedded)


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    """The outcome of ``IndexStore.check_integrity``; ``problems`` is empty when all is well."""

    problems: tuple[str, ...]
    counts: IndexCounts
    vectors_file: str  # "current", "stale (generation a < b)", "missing", or why it did not load

    @property
    def is_ok(self) -> bool:
        return not self.problems
