"""IndexStore: one index folder — SQLite metadata and BM25, the HNSW vectors, the writer lock.

Layout of the folder (default ``<repo>/.codesearch``)::

    .gitignore          "*": the index is never committed
    index.sqlite3       files, chunks, embeddings cache, FTS5 (WAL mode; -wal/-shm beside it)
    vectors.<g>.hnsw    the HNSW graph as of vectors generation g (see vector_file.py)
    vectors.json        sidecar: which generation's file is current, its size and CRC-32
    lock                flock'ed by the one writer

Progressive: a chunk row may exist before its vector (``index`` commits every file first, then
embeds in rounds). The live HNSW labels are exactly the chunks whose vector is in the cache; the
others are found by keywords until theirs arrives (``semantic_coverage`` says how many).

Crash safety: SQLite is the source of truth, vectors included (the embeddings cache). A batch is
one transaction; its vector changes are applied to the in-memory HNSW index right after the
commit, and the HNSW file is saved only later (``save_vectors``, ``close``, and every
AUTOSAVE_VECTOR_CHANGES), after fsyncing the database. Opening an index whose file is missing,
stale, unverifiable or damaged reconciles the in-memory index against the chunk rows (in memory
only for read-only opens), so after any crash every chunk row has exactly one live vector and
every live vector a row.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from pathlib import Path
from types import TracebackType

import numpy as np

from codesearch import crash_points
from codesearch.errors import CodesearchError, IndexCorruptError, IndexNotFoundError
from codesearch.index import lexical, rows
from codesearch.index.batch import write_batch
from codesearch.index.database import (
    REBUILD_HINT,
    make_durable,
    snapshot,
    transaction,
    translate_corruption,
    translate_write_failure,
)
from codesearch.index.exact import EXACT_SEARCH_MAX, exact_search
from codesearch.index.file_names import chunks_in_files_named
from codesearch.index.filters import ChunkFilter, allowed_chunk_ids
from codesearch.index.integrity import check_integrity, count_rows, damage_problems
from codesearch.index.locations import refuse_linked_index_dir
from codesearch.index.locking import IndexWriteLock
from codesearch.index.meta import read_generation, read_meta, set_records_version
from codesearch.index.opening import DB_FILE_NAME, open_database, prepare_index_dir, remove_index_files
from codesearch.index.ranking.candidates import CandidateHead
from codesearch.index.reconcile import count_embedded_chunks, load_vectors, reconcile
from codesearch.index.records import (
    BatchResult,
    FileState,
    IndexBatch,
    IndexCounts,
    IndexMeta,
    IndexParams,
    IntegrityReport,
    LexicalWeights,
    ScoredId,
    StoredChunk,
)
from codesearch.index.vector_file import save_vectors_file
from codesearch.index.vectors import VectorIndex
from codesearch.records import SemanticCoverage

log = logging.getLogger(__name__)

# A writer saves the vectors file after this many vector changes, so that a crash costs at most
# this many re-insertions on the next open (~2-3 s per 1,000 at dim 384, ef_construction 200).
AUTOSAVE_VECTOR_CHANGES = 10_000


class IndexStore:
    """An open index folder. Thread-safe; a context manager. Open with ``IndexStore.open``."""

    def __init__(
        self, index_dir: Path, conn: sqlite3.Connection, meta: IndexMeta, lock: IndexWriteLock | None
    ) -> None:
        self.index_dir = index_dir
        self._conn = conn
        self._meta = meta
        self._lock = lock
        self._db_lock = threading.RLock()  # guards _conn and _meta; one connection serves all threads
        self._vectors = VectorIndex.create(
            meta.params.dim, m=meta.params.hnsw_m, ef_construction=meta.params.hnsw_ef_construction
        )
        self._vectors_generation = -1  # the generation the in-memory vectors reflect exactly
        self._saved_generation = -1  # the generation of the vectors file on disk, if current
        self._unsaved_changes = 0  # vectors added or deleted since the file was last saved
        self._coverage: tuple[int, SemanticCoverage] | None = None  # (generation, coverage at it)
        self._is_closed = False

    @classmethod
    def open(
        cls,
        index_dir: Path,
        *,
        expected: IndexParams | None = None,
        readonly: bool = False,
        create: bool = False,
        reset: bool = False,
        lock_wait: bool = False,
        lock_timeout_s: float | None = None,
    ) -> IndexStore:
        """Open (or create) the index in ``index_dir``.

        Args:
            expected: the model and HNSW parameters the caller needs; None accepts any (readers).
                Required to create an index.
            readonly: search only; takes no lock, writes nothing (a stale vectors file is
                reconciled in memory).
            create: create the folder and index if missing. ``reset``: discard any existing index
                first (``index --full``, or after IndexCorruptError/IndexMismatchError).
            lock_wait, lock_timeout_s: whether, and how long, to wait for another writer.

        Raises:
            IndexNotFoundError, IndexMismatchError, IndexCorruptError, IndexLockedError,
            CodesearchError (e.g. opening a read-only folder for writing).
        """
        if readonly and (create or reset):
            raise ValueError("a read-only open cannot create or reset an index")
        refuse_linked_index_dir(index_dir)
        if not create and not (index_dir / DB_FILE_NAME).exists():
            raise IndexNotFoundError(f"no index in {index_dir}; run `codesearch index` first")
        lock = None
        if not readonly:
            if create:
                prepare_index_dir(index_dir)
            lock = IndexWriteLock(index_dir, wait=lock_wait, timeout_s=lock_timeout_s)
            lock.acquire()
        try:
            with contextlib.nullcontext() if readonly else translate_write_failure(index_dir):
                if reset:
                    remove_index_files(index_dir)
                conn, meta = open_database(index_dir, expected=expected, readonly=readonly, create=create)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        store = cls(index_dir, conn, meta, lock)
        try:
            is_file_usable = store._load_vectors()
            if not readonly and not is_file_usable:
                # A new index, or a vectors file that is missing or damaged: save one before any
                # commit, so that from now on a loadable, vouched file is always on disk.
                store.save_vectors()
        except BaseException:
            store._close_quietly()
            raise
        return store

    @property
    def is_readonly(self) -> bool:
        return self._lock is None

    @property
    def meta(self) -> IndexMeta:
        with self._db_lock:
            return self._meta

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.close()
            return
        try:
            self.close()
        except Exception as close_error:  # the error already on its way says more (a full disk fails both)
            log.debug("closing the index in %s failed too: %s", self.index_dir, close_error)

    def close(self) -> None:
        """Save the vectors if they changed (writers), then release the database and the lock."""
        if self._is_closed:
            return
        try:
            if not self.is_readonly and self._saved_generation != self.meta.vectors_generation:
                self.save_vectors()
        finally:
            self._close_quietly()

    # -- reading ---------------------------------------------------------------------------

    def file_state(self, path: str) -> FileState | None:
        with self._database() as conn:
            return rows.file_state(conn, path)

    def all_file_states(self) -> Mapping[str, FileState]:
        """Every indexed file by repo-relative path."""
        with self._database() as conn:
            return rows.all_file_states(conn)

    def cached_embeddings(self, embed_hashes: Iterable[str]) -> Mapping[str, np.ndarray]:
        """Cached vectors (dim,) float32 of this index's model, for those hashes that have one."""
        with self._database() as conn:
            return rows.cached_embeddings(conn, embed_hashes, self._meta.params.model_hash)

    def get_chunks(self, chunk_ids: Sequence[int]) -> list[StoredChunk]:
        """The chunks with these ids in the order given; ids no longer stored are left out."""
        with self._database() as conn:
            return rows.stored_chunks(conn, chunk_ids)

    def chunks_in_file(self, path: str, kinds: Sequence[str]) -> list[StoredChunk]:
        """The chunks of one file of these kinds, in line order."""
        with self._database() as conn:
            return rows.chunks_in_file(conn, path, kinds)

    def chunk_heads(self, chunk_ids: Sequence[int]) -> list[CandidateHead]:
        """Path, name and kind of each of these chunks (no code), for ranking."""
        with self._database() as conn:
            return rows.chunk_heads(conn, chunk_ids)

    def chunks_in_files_named(
        self, keys: Set[str], *, per_file: int, max_files: int,
        languages: Sequence[str] | None = None, path_glob: str | None = None,
    ) -> list[int]:
        """Chunk ids of files whose stem matches one of ``keys`` (see file_names.py)."""
        chunk_filter = ChunkFilter(None if languages is None else tuple(languages), path_glob)
        with self._database() as conn:
            return chunks_in_files_named(conn, keys, chunk_filter, per_file, max_files)

    def lexical_search(
        self,
        query: str,
        k: int,
        *,
        languages: Sequence[str] | None = None,
        path_glob: str | None = None,
        weights: LexicalWeights = LexicalWeights(),  # noqa: B008 - frozen, so sharing it is safe
    ) -> list[ScoredId]:
        """Top-k chunks by weighted BM25 (score = -bm25, higher is better); any query string is valid."""
        chunk_filter = ChunkFilter(None if languages is None else tuple(languages), path_glob)
        with self._database() as conn:
            return lexical.search(conn, query, k, chunk_filter, weights)

    def chunks_with_all_terms(self, terms: Sequence[str], chunk_ids: Sequence[int]) -> set[int]:
        """Those of ``chunk_ids`` whose lexical document holds every term (lexical.rows_with_all_terms)."""
        with self._database() as conn:
            return lexical.rows_with_all_terms(conn, terms, chunk_ids)

    def chunks_named(
        self, name: str, limit: int, *, languages: Sequence[str] | None = None, path_glob: str | None = None
    ) -> list[int]:
        """Up to ``limit`` ids of chunks whose name holds ``name`` as a whole identifier (see lexical.rows_named)."""
        chunk_filter = ChunkFilter(None if languages is None else tuple(languages), path_glob)
        with self._database() as conn:
            return lexical.rows_named(conn, name, limit, chunk_filter)

    def chunk_ids_matching(self, path_glob: str) -> frozenset[int]:
        """The ids of every chunk whose path matches ``path_glob``, with a vector or not."""
        with self._database() as conn:
            return allowed_chunk_ids(conn, ChunkFilter(None, path_glob))

    def dense_search(
        self,
        vector: np.ndarray,
        k: int,
        *,
        ef: int = 64,
        languages: Sequence[str] | None = None,
        path_glob: str | None = None,
    ) -> list[ScoredId]:
        """Top-k chunks by cosine similarity to ``vector`` (dim,); filters apply before the cut.

        Up to EXACT_SEARCH_MAX candidates are scored exactly from the embeddings cache (which a
        read-only store sees as of each query); beyond that, HNSW answers with ``ef``.
        """
        if np.shape(vector) != (self._meta.params.dim,):
            raise ValueError(
                f"query vector must have shape ({self._meta.params.dim},), got {np.shape(vector)}"
            )
        chunk_filter = ChunkFilter(None if languages is None else tuple(languages), path_glob)
        if chunk_filter.matches_nothing or k <= 0:
            return []
        model_hash = self._meta.params.model_hash
        with self._database() as conn:
            # Few candidates (a narrow filter, or a small index): exact search, see exact.py.
            if chunk_filter.is_empty:
                if self._vectors.live_count <= EXACT_SEARCH_MAX:
                    return exact_search(conn, vector, k, model_hash)
                allowed = None
            else:
                allowed = allowed_chunk_ids(conn, chunk_filter)
                if len(allowed) <= EXACT_SEARCH_MAX:
                    return exact_search(conn, vector, k, model_hash, allowed)
        return self._vectors.search(vector, k, ef=ef, allowed_labels=allowed)

    def dense_scores(self, vector: np.ndarray, chunk_ids: Iterable[int]) -> list[ScoredId]:
        """Exact cosine similarity of ``vector`` (dim,) to each of ``chunk_ids`` with a live vector, best first."""
        return self._vectors.similarities(vector, chunk_ids)

    def semantic_coverage(self) -> SemanticCoverage:
        """Chunks with a vector, of all chunks, as of the last commit this store has seen.

        Counted once per vectors generation (every commit that adds or drops chunks or vectors
        bumps it), so asking on every search costs nothing.
        """
        with self._database() as conn:
            generation = self._meta.vectors_generation
            if self._coverage is None or self._coverage[0] != generation:
                definitions = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
                embedded = count_embedded_chunks(conn, self._meta.params.model_hash)
                self._coverage = (generation, SemanticCoverage(embedded, definitions))
            return self._coverage[1]

    def unembedded_chunks(self, after_id: int, limit: int) -> list[StoredChunk]:
        """Up to ``limit`` chunks without a cached vector whose id is above ``after_id``, by id."""
        with self._database() as conn:
            return rows.unembedded_chunks(conn, self._meta.params.model_hash, after_id, limit)

    def count_unembedded_texts(self) -> int:
        """How many distinct texts the chunks without a vector need embedded."""
        with self._database() as conn:
            return rows.count_unembedded_texts(conn, self._meta.params.model_hash)

    def counts(self) -> IndexCounts:
        with self._database() as conn:
            return count_rows(conn, self._vectors, self._meta.params.model_hash)

    def check_damage(self) -> None:
        """Raise IndexCorruptError for damage the database shows while it still opens
        (integrity.damage_problems): broken pages, or stored embeddings flipped."""
        with self._database() as conn:
            problems = damage_problems(conn, self._vectors, self._meta.params)
        if problems:
            raise IndexCorruptError(
                f"the index database {self.index_dir / DB_FILE_NAME} is damaged ({problems[0]}); {REBUILD_HINT}"
            )

    def check_integrity(self) -> IntegrityReport:
        """Check everything: SQLite pages, chunks vs vectors vs FTS5 vs cache, the vectors file."""
        with self._database() as conn:
            return check_integrity(conn, self._vectors, self.index_dir, self._meta.params)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """One consistent view for a whole search: every read inside sees the same commit.

        Without it, a search's dense, keyword and chunk reads are separate statements, and a
        writer's commit between them would mix two states (hits dropped, or old beside new). A
        read-only store also brings its in-memory vectors to that commit first (catching up).
        Other threads' reads of this store wait until the block ends.
        """
        with self._database() as conn, snapshot(conn):
            if self.is_readonly and read_generation(conn) != self._vectors_generation:
                self._reconcile_locked(conn)
                self._meta = self._read_meta_locked(conn)
            yield

    def refresh(self) -> bool:
        """Catch up with commits made since opening (for long-lived readers); True if anything changed."""
        with self._database() as conn, snapshot(conn):
            if read_generation(conn) == self._vectors_generation:
                return False
            self._reconcile_locked(conn)
            self._meta = self._read_meta_locked(conn)
        return True

    # -- writing ---------------------------------------------------------------------------

    def apply_batch(self, batch: IndexBatch) -> BatchResult:
        """Commit ``batch`` in one transaction, then apply its vector changes to the HNSW index."""
        with self._writing() as conn:
            with transaction(conn):
                result, added_ids, added_vectors, deleted_ids = write_batch(
                    conn, batch, self._meta.params, time.time()
                )
                generation = read_generation(conn)
                crash_points.reached("batch:written")
            crash_points.reached("batch:committed")
            self._meta = self._read_meta_locked(conn)
            try:
                self._vectors.mark_deleted(deleted_ids)
                self._vectors.add(added_ids, added_vectors)
            except BaseException:
                self._vectors_generation = -1  # unknown: save_vectors reconciles before saving
                raise
            crash_points.reached("batch:applied")
            if (added_ids or deleted_ids) and self._vectors_generation == generation - 1:
                self._vectors_generation = generation
            self._unsaved_changes += len(added_ids) + len(deleted_ids)
            if self._unsaved_changes >= AUTOSAVE_VECTOR_CHANGES:
                self.save_vectors()
        return result

    def touch_file(self, path: str, size_bytes: int, mtime_ns: int) -> bool:
        """Record a new stat for a file whose content hash did not change; False if unknown."""
        with self._writing() as conn, transaction(conn):
            return rows.touch_file(conn, path, size_bytes, mtime_ns)

    def set_records_version(self, version: int) -> None:
        """Record that every file's chunks were extracted by records version ``version`` (see IndexMeta)."""
        with self._writing() as conn:
            with transaction(conn):
                set_records_version(conn, version)
            self._meta = self._read_meta_locked(conn)

    def vacuum_cache(self) -> int:
        """Drop cached embeddings no chunk uses (and any of other models); returns how many."""
        with self._writing() as conn, transaction(conn):
            return rows.vacuum_cache(conn, self._meta.params.model_hash)

    def save_vectors(self) -> None:
        """Write the HNSW file for the current generation (atomic; the database is fsynced first)."""
        with self._writing() as conn:
            generation = read_generation(conn)
            if self._vectors_generation != generation:
                with snapshot(conn):
                    self._reconcile_locked(conn)
            make_durable(conn)
            save_vectors_file(self.index_dir, self._vectors, generation)
            self._saved_generation = generation
            self._unsaved_changes = 0

    # -- internals -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _database(self) -> Iterator[sqlite3.Connection]:
        with self._db_lock, translate_corruption(self.index_dir / DB_FILE_NAME):
            yield self._conn

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The connection, for a writer; a full disk or read-only folder becomes IndexWriteError."""
        with self._database() as conn, translate_write_failure(self.index_dir):
            self._require_writer()
            yield conn

    def _require_writer(self) -> None:
        if self._lock is None:
            raise CodesearchError(f"the index in {self.index_dir} was opened read-only")

    def _read_meta_locked(self, conn: sqlite3.Connection) -> IndexMeta:
        meta = read_meta(conn, self._meta.schema_version)
        assert meta is not None
        return meta

    def _load_vectors(self) -> bool:
        """Load (and reconcile) the vectors; whether the file on disk served (current or stale)."""
        with self._database() as conn, snapshot(conn):
            starting = load_vectors(conn, self.index_dir, self._meta.params)
            self._vectors = starting.index
            if starting.is_current:
                self._vectors_generation = self._saved_generation = read_generation(conn)
            else:
                self._reconcile_locked(conn)
        return starting.is_file_usable

    def _reconcile_locked(self, conn: sqlite3.Connection) -> None:
        """Inside a snapshot: make the in-memory vectors match the chunk rows exactly.

        A reader keeps the vectors its file lacks beside the graph (scored exactly, cheap); a
        writer inserts them, since its graph is what gets saved.
        """
        reconcile(conn, self._vectors, self._meta.params.model_hash, into_graph=not self.is_readonly)
        self._vectors_generation = read_generation(conn)

    def _close_quietly(self) -> None:
        with self._db_lock:
            self._is_closed = True
            self._conn.close()
        if self._lock is not None:
            self._lock.release()
