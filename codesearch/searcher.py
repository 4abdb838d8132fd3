"""Searcher: an open index plus the encoder that built it, ready to answer queries.

``codesearch ask`` opens one per process; the server keeps one per repository warm.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np

from codesearch.config import DEFAULT_MODEL, Settings
from codesearch.errors import IndexMismatchError
from codesearch.index.ranking import RankingParams
from codesearch.index.search import SearchRequest, search
from codesearch.index.store import IndexStore
from codesearch.locations import find_index_dir, repo_root_of
from codesearch.records import Hit
from codesearch.similar import similar_definitions

logger = logging.getLogger(__name__)


class QueryEncoder(Protocol):
    """What a Searcher needs of an encoder (codesearch.encoder.model.Encoder satisfies it)."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def close(self) -> None: ...


class Searcher:
    """Answers queries over one index. A context manager; thread-safe for concurrent searches."""

    def __init__(self, store: IndexStore, encoder: QueryEncoder, repo_root: Path, index_dir: Path) -> None:
        self._store = store
        self._encoder = encoder
        self.repo_root = repo_root
        self.index_dir = index_dir

    @classmethod
    def open(cls, start: Path, settings: Settings, *, model_given: bool = False) -> Searcher:
        """Open the index for ``start`` read-only and load its encoder.

        Without an explicit ``--model`` (``model_given``), the model the index was built with is
        used. Raises IndexNotFoundError, IndexMismatchError, IndexCorruptError, ModelLoadError.
        """
        from codesearch.encoder.model import Encoder
        from codesearch.encoder.source import DEFAULT_MODEL_ID

        index_dir = find_index_dir(start, settings.index_dir)
        store = IndexStore.open(index_dir, readonly=True)
        try:
            indexed = store.meta.params
            model = settings.model
            if not model_given and settings.model == DEFAULT_MODEL and indexed.model_id != DEFAULT_MODEL_ID:
                model = indexed.model_id
            encoder = Encoder.load(model, threads=settings.threads)
            if encoder.model_hash != indexed.model_hash:
                encoder.close()
                raise IndexMismatchError(
                    f"the index in {index_dir} was built with model {indexed.model_id} "
                    f"({indexed.model_hash[:12]}), not {encoder.model_id} ({encoder.model_hash[:12]}); "
                    f"pass --model {indexed.model_id} or rebuild with `codesearch index --full --model {model}`"
                )
        except BaseException:
            store.close()
            raise
        return cls(store, encoder, repo_root_of(index_dir), index_dir)

    def search(self, request: SearchRequest, params: RankingParams = RankingParams(), ef: int = 64) -> list[Hit]:  # noqa: B008
        """The hits for one request (see index.search.search)."""
        return search(self._store, self._encoder.embed_queries, request, params, ef)

    def similar(self, rel_path: str, line: int, k: int, ef: int = 64) -> list[Hit]:
        """The definitions most like the one around ``rel_path:line`` (see similar.similar_definitions)."""
        return similar_definitions(self._store, rel_path, line, k, ef=ef)

    def refresh(self) -> bool:
        """Pick up commits made by writers since opening; True if anything changed."""
        return self._store.refresh()

    def close(self) -> None:
        try:
            self._store.close()
        finally:
            self._encoder.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
