"""Searcher: an open index plus the encoder that built it, ready to answer queries.

``codesearch ask`` opens one per process; the server keeps one per repository warm.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import numpy as np

from codesearch.config import DEFAULT_MODEL, Settings
from codesearch.encoder.query_encoder import QueryEncoder, load_query_encoder
from codesearch.encoder.shared_query_encoders import SharedQueryEncoders
from codesearch.index.hybrid_search import SearchRequest, search, validate_query
from codesearch.index.locations import find_index_dir, repo_root_of
from codesearch.index.opening import DB_FILE_NAME
from codesearch.index.ranking import RankingParams
from codesearch.index.store import IndexStore
from codesearch.records import Hit, SemanticCoverage
from codesearch.search.similar import similar_definitions

logger = logging.getLogger(__name__)


def database_identity(index_dir: Path) -> tuple[int, int] | None:
    """(device, inode) of the index's database file, None when there is none; a stat, never an open
    (opening and closing it would drop this process's SQLite locks on it: index/database.py)."""
    try:
        found = (index_dir / DB_FILE_NAME).stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


class Searcher:
    """Answers queries over one index. A context manager; thread-safe for concurrent searches.

    The encoder is loaded for the first query that needs it: while an index holds no vector yet
    (the first seconds of a progressive build) every answer is by keywords, without any model.
    """

    def __init__(
        self, store: IndexStore, load_encoder: Callable[[], QueryEncoder], repo_root: Path, index_dir: Path
    ) -> None:
        self._store = store
        self._load_encoder = load_encoder
        self._encoder: QueryEncoder | None = None
        self._encoder_lock = threading.Lock()  # guards _encoder
        self.repo_root = repo_root
        self.index_dir = index_dir
        self._database_identity = database_identity(index_dir)  # see is_replaced

    @classmethod
    def open(
        cls, start: Path, settings: Settings, *, model_given: bool = False, encoders: SharedQueryEncoders | None = None
    ) -> Searcher:
        """Open the index for ``start`` read-only and load its encoder (borrowed from ``encoders`` if given).

        Without an explicit ``--model`` (``model_given``), the model the index was built with is
        used; queries are embedded by its verified ONNX export when there is one, else by torch
        (see encoder/query_encoder.py). Raises IndexNotFoundError, IndexMismatchError,
        IndexCorruptError, ModelLoadError.
        """
        from codesearch.encoder.source import DEFAULT_MODEL_ID

        index_dir = find_index_dir(start, settings.index_dir)
        identity = database_identity(index_dir)  # before opening: a replacement in between reads as one
        store = IndexStore.open(index_dir, readonly=True)
        indexed = store.meta.params
        model = settings.model
        if not model_given and settings.model == DEFAULT_MODEL and indexed.model_id != DEFAULT_MODEL_ID:
            model = indexed.model_id

        def load_own_encoder() -> QueryEncoder:
            return load_query_encoder(model, indexed.model_hash, indexed.model_id, index_dir=index_dir,
                                      threads=settings.threads)

        def load_encoder() -> QueryEncoder:
            if encoders is None:
                return load_own_encoder()
            return encoders.get(indexed.model_hash, load_own_encoder)

        searcher = cls(store, load_encoder, repo_root_of(index_dir), index_dir)
        searcher._database_identity = identity
        try:
            if store.semantic_coverage().embedded > 0:
                searcher._query_encoder()  # fail now (wrong model, missing files), before any search
        except BaseException:
            searcher.close()
            raise
        return searcher

    def search(self, request: SearchRequest, params: RankingParams = RankingParams(), ef: int = 64) -> list[Hit]:  # noqa: B008
        """The hits for one request (see index.search.search), all read from one commit of the index.

        The query is embedded before the index is held, so concurrent searches only wait for
        each other's reads. An index without any vector yet is searched by keywords only.
        """
        query = validate_query(request.query)
        if request.mode != "lexical" and self._store.semantic_coverage().embedded == 0:
            request = dataclasses.replace(request, mode="lexical")
        if request.mode == "lexical":
            with self._store.reading():
                return search(self._store, None, request, params, ef)
        vector = self._query_encoder().embed_queries([query])[0]  # (dim,)
        with self._store.reading():
            return search(self._store, lambda texts: vector[np.newaxis, :], request, params, ef)

    def semantic_coverage(self) -> SemanticCoverage:
        """How many definitions the dense search saw, as of the last search (the rest by keywords)."""
        return self._store.semantic_coverage()

    def similar(self, rel_path: str, line: int, k: int, ef: int = 64) -> list[Hit]:
        """The definitions most like the one around ``rel_path:line`` (see similar.similar_definitions)."""
        return similar_definitions(self._store, rel_path, line, k, ef=ef)

    def refresh(self) -> bool:
        """Pick up commits made by writers since opening; True if anything changed."""
        return self._store.refresh()

    def is_replaced(self) -> bool:
        """Whether the index folder's database is no longer the file this searcher reads: ``index`` set a
        damaged index aside and rebuilt it, or ``index --full`` started anew. A long-lived reader (LSP,
        MCP) then opens the index again; ``refresh`` would only ever see the old file."""
        return database_identity(self.index_dir) != self._database_identity

    def close(self) -> None:
        try:
            self._store.close()
        finally:
            with self._encoder_lock:
                if self._encoder is not None:
                    self._encoder.close()

    def _query_encoder(self) -> QueryEncoder:
        with self._encoder_lock:
            if self._encoder is None:
                self._encoder = self._load_encoder()
            return self._encoder

    def __enter__(self) -> Searcher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
