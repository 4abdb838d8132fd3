"""Served repositories: each one's index held open for writing, its watcher, and the lock between them.

Lock ownership: the server is the one writer of every index it serves. It opens the index with
the writer lock (``index/locking.py``) and holds it for as long as it serves the repository, so
the HNSW graph stays in memory and a watcher round costs only its own work. ``codesearch index``
on a served index therefore delegates to the server (``reindex``); run in-process it would get
IndexLockedError naming the server's pid. The other way round, a server asked to serve an index
that an in-process ``codesearch index`` is writing answers REPO_UNAVAILABLE, and the client then
searches in-process.

Inside the server, one ReadWriteLock per repository guards its index: a search holds the read
side from its first read to its last, a commit (``apply_batch``) the write side, so a search sees
the index before a commit or after it, never half of it. Embedding (the slow part of an update)
happens outside the write side, so searches go on while an update embeds.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codesearch.config import Settings
from codesearch.errors import CodesearchError, IndexCorruptError
from codesearch.index import lexical, rows
from codesearch.index.database import connect_readonly, translate_corruption
from codesearch.index.filters import ChunkFilter, register_functions, validate_path_glob
from codesearch.index.hybrid_search import SearchRequest, search, validate_query
from codesearch.index.locations import record_repo_root
from codesearch.index.opening import DB_FILE_NAME
from codesearch.index.records import (
    BatchResult,
    IndexBatch,
    IndexParams,
    LexicalWeights,
    ScoredId,
    StoredChunk,
)
from codesearch.index.store import IndexStore
from codesearch.indexer.healing import set_aside
from codesearch.indexer.live_index import store_updater
from codesearch.indexer.watcher import ChangeBatch, ProgressCallback, Watcher, WatchRound
from codesearch.parsing.text_formats import TextFiles
from codesearch.records import Hit, IndexSummary, SemanticCoverage
from codesearch.search.similar import similar_definitions
from codesearch.server.read_write_lock import ReadWriteLock
from codesearch.server.shared_encoder import SharedEncoder

logger = logging.getLogger(__name__)

DEFAULT_WEIGHTS = LexicalWeights()
READER_CACHE_KIB = 4096  # SQLite page cache of each per-thread reader (the writer keeps 16 MiB)


class _GuardedStore(IndexStore):
    """The served IndexStore: commits take the write side of the repository's ReadWriteLock, and
    the keyword search, exact-name lookups and chunk reads of searches run on per-thread read-only
    connections.

    IndexStore serves every thread through one connection under one lock, so BM25, the costly
    part of a search (tens of ms on 70,000 functions), would run one query at a time; SQLite
    releases the GIL while it works, so separate connections let searches use every core. They
    read what the writer last committed, and since commits happen only under the write side of
    ``guard``, all the reads of one search (which holds the read side) see the same commit.
    """

    guard: ReadWriteLock  # set right after opening, before anyone else sees the store
    _readers: threading.local
    _reader_connections: list[sqlite3.Connection]

    def lexical_search(
        self,
        query: str,
        k: int,
        *,
        languages: Sequence[str] | None = None,
        path_glob: str | None = None,
        weights: LexicalWeights = DEFAULT_WEIGHTS,
    ) -> list[ScoredId]:
        chunk_filter = ChunkFilter(None if languages is None else tuple(languages), path_glob)
        with translate_corruption(self._db_path):
            return lexical.search(self._reader(), query, k, chunk_filter, weights)

    def get_chunks(self, chunk_ids: Sequence[int]) -> list[StoredChunk]:
        with translate_corruption(self._db_path):
            return rows.stored_chunks(self._reader(), chunk_ids)

    def chunks_named(
        self, name: str, limit: int, *, languages: Sequence[str] | None = None, path_glob: str | None = None
    ) -> list[int]:
        chunk_filter = ChunkFilter(None if languages is None else tuple(languages), path_glob)
        with translate_corruption(self._db_path):
            return lexical.rows_named(self._reader(), name, limit, chunk_filter)

    def apply_batch(self, batch: IndexBatch) -> BatchResult:
        with self.guard.writing():
            return super().apply_batch(batch)

    def close(self) -> None:
        try:
            super().close()
        finally:
            for conn in self._reader_connections:
                conn.close()

    @property
    def _db_path(self) -> Path:
        return self.index_dir / DB_FILE_NAME

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        if conn is None:
            conn = connect_readonly(self._db_path)
            conn.execute(f"PRAGMA cache_size=-{READER_CACHE_KIB}")  # one per request thread: keep them small
            register_functions(conn)
            self._readers.conn = conn
            self._reader_connections.append(conn)  # list.append is atomic: no lock needed
        return conn


def _open_repairing(index_dir: Path, params: IndexParams, create: bool) -> tuple[_GuardedStore, str | None]:
    """The served store; a damaged index is moved aside first (indexer/healing.py), and the watcher's
    catch-up round rebuilds it from the files and the machine-wide embedding cache."""
    try:
        store = _guarded(_GuardedStore.open(index_dir, expected=params, create=create))
        try:
            store.check_damage()
        except BaseException:
            store.close()
            raise
    except IndexCorruptError as exc:
        aside = set_aside(index_dir)
        repaired: str | None = f"{exc.args[0].split(';')[0]}: moved the damaged index to {aside} and rebuilt it"
        logger.warning("%s", repaired)
        store = _guarded(_GuardedStore.open(index_dir, expected=params, create=True))
    else:
        repaired = None
    return store, repaired


def _guarded(store: IndexStore) -> _GuardedStore:
    assert isinstance(store, _GuardedStore)
    store.guard = ReadWriteLock()
    store._readers = threading.local()
    store._reader_connections = []
    return store


@dataclass(frozen=True, slots=True)
class RepoState:
    """A served repository as ``status`` reports it."""

    root: str
    index_dir: str
    files: int
    chunks: int
    generation: int  # watcher rounds finished
    is_busy: bool
    last_summary: IndexSummary | None
    last_error: str | None
    repaired: str | None = None  # the damage found when the server opened the index, and where it went


class ServedRepo:
    """One repository the server keeps warm. Thread-safe; close it once."""

    def __init__(
        self,
        root: Path,
        store: _GuardedStore,
        settings: Settings,
        encoder: SharedEncoder,
        on_round: Callable[[ServedRepo, WatchRound], None] | None,
    ) -> None:
        """Use ``ServedRepo.open``."""
        self.root = root
        self.index_dir = store.index_dir
        self.repaired: str | None = None
        self._store = store
        self._guard = store.guard
        self._settings = settings
        self._encoder = encoder
        self._on_round = on_round
        self._watcher = Watcher(
            root,
            self._update,
            debounce_s=settings.debounce_s,
            excluded=(store.index_dir,),
            text_files=TextFiles.from_settings(settings),
            on_round=self._round_done,
        )

    @classmethod
    def open(
        cls,
        root: Path,
        index_dir: Path,
        settings: Settings,
        encoder: SharedEncoder,
        *,
        create: bool,
        on_round: Callable[[ServedRepo, WatchRound], None] | None = None,
    ) -> ServedRepo:
        """Open the index with its writer lock and start watching (the first round is a catch-up).

        Raises IndexNotFoundError (without ``create``), IndexLockedError, IndexMismatchError and
        the store's other errors.
        """
        params = IndexParams(
            encoder.model_id, encoder.model_hash, encoder.dim, settings.hnsw_m, settings.hnsw_ef_construction
        )
        store, repaired = _open_repairing(index_dir, params, create)
        try:
            record_repo_root(index_dir, root)
            repo = cls(root, store, settings, encoder, on_round)
            repo.repaired = repaired
            repo._watcher.start()
        except BaseException:
            store.close()
            raise
        return repo

    def search(self, request: SearchRequest) -> list[Hit]:
        """Like ``codesearch ask``: the query is embedded before the index is locked for reading."""
        validate_path_glob(request.path_glob)
        vector = self._encoder.embed_query(validate_query(request.query))  # (dim,)
        with self._guard.reading():
            return search(
                self._store, lambda texts: vector[np.newaxis, :], request, ef=self._settings.hnsw_ef_search
            )

    def semantic_coverage(self) -> SemanticCoverage:
        """Definitions with a vector, of all (the rest are found by keywords until embedded)."""
        with self._guard.reading():
            return self._store.semantic_coverage()

    def similar(self, rel_path: str, line: int, k: int) -> list[Hit]:
        """The k definitions whose vectors are nearest the innermost one around ``rel_path:line``."""
        with self._guard.reading():
            return similar_definitions(self._store, rel_path, line, k, ef=self._settings.hnsw_ef_search)

    def reindex(self, *, full: bool, on_progress: ProgressCallback | None = None) -> IndexSummary:
        """A full update on the watcher's thread (``full``: every file re-extracted and re-embedded)."""
        finished = self._watcher.run_now(reset=full, on_progress=on_progress)
        if finished.summary is None:
            raise CodesearchError(f"reindexing {self.root} failed: {finished.error}")
        return finished.summary

    def state(self) -> RepoState:
        counts = self._store.counts()
        last = self._watcher.last_round
        return RepoState(
            str(self.root),
            str(self.index_dir),
            counts.files,
            counts.chunks,
            self._watcher.generation,
            self._watcher.is_busy,
            last.summary if last else None,
            last.error if last else None,
            self.repaired,
        )

    @property
    def watcher(self) -> Watcher:
        return self._watcher

    def close(self) -> None:
        """Stop watching, save the vectors and release the writer lock."""
        try:
            self._watcher.stop()
        finally:
            self._store.close()

    def _update(self, batch: ChangeBatch, on_progress: ProgressCallback | None) -> IndexSummary:
        """The watcher's Updater; ``reset`` drops every file and cached vector first, keeping the lock."""
        if batch.reset:
            self._store.apply_batch(IndexBatch(deletions=tuple(self._store.all_file_states())))
            self._store.vacuum_cache()
        updater = store_updater(self._store, self.root, self._settings, lambda: self._encoder)
        summary = updater(ChangeBatch(batch.paths, batch.is_full), on_progress)
        if batch.is_full and (summary.files_new or summary.files_changed or summary.files_deleted):
            self._store.save_vectors()  # so a later cold start loads, rather than rebuilds, the graph
        return summary

    def _round_done(self, finished: WatchRound) -> None:
        if finished.summary is not None:
            s = finished.summary
            logger.info(
                "%s: round %d: %d new, %d changed, %d deleted files; %d embedded in %.2f s",
                self.root,
                finished.generation,
                s.files_new,
                s.files_changed,
                s.files_deleted,
                s.chunks_embedded,
                s.seconds,
            )
        if self._on_round is not None:
            self._on_round(self, finished)
