"""RepositorySearch: search and similar over one repository, through the running server or in process.

``codesearch mcp`` and ``codesearch lsp`` answer through it: a running ``codesearch serve`` answers
when it serves the repository (the warm path: model and index already loaded there), else the index
is opened read-only in this process (the model loads on the first such call and stays loaded). Both
paths are the ones ``codesearch ask`` takes, so the hits are ranked as ``ask`` ranks them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from codesearch.config import Settings
from codesearch.errors import QueryError
from codesearch.index.filters import validate_path_glob
from codesearch.index.hybrid_search import SearchRequest, validate_query
from codesearch.index.locations import find_index_dir, repo_root_of
from codesearch.parsing.text_formats import record_language
from codesearch.records import Answers, Hit
from codesearch.search.searcher import Searcher
from codesearch.server.client import search_via_server, similar_via_server

logger = logging.getLogger(__name__)


class RepositorySearch:
    """Search and similar over the repository around ``start``: the server when it answers, else
    in-process. A context manager (closes the in-process index); safe to call from many threads."""

    def __init__(self, start: Path, settings: Settings, *, socket_path: Path | None = None) -> None:
        self._start = start
        self._settings = settings
        self._socket_path = socket_path
        self._lock = threading.Lock()  # guards _searcher (opened on first in-process call)
        self._searcher: Searcher | None = None

    def repo_root(self) -> Path:
        """The indexed repository (looked up per call, so an index built later is found)."""
        return repo_root_of(find_index_dir(self._start, self._settings.index_dir))

    def search(
        self, query: str, *, k: int, languages: Sequence[str] | None, path_glob: str | None, include_code: bool
    ) -> Answers:
        """The hits of ``query`` and the index's semantic coverage (see records.SemanticCoverage)."""
        names = tuple(sorted({record_language(name) for name in languages})) if languages else None
        answers = search_via_server(
            self._start, self._settings.index_dir, [query], k=k, languages=names, path_glob=path_glob,
            include_code=include_code, socket_path=self._socket_path,
        )
        if answers is not None:
            return answers
        validate_query(query)  # before loading the model
        validate_path_glob(path_glob)
        searcher = self._local()
        hits = searcher.search(SearchRequest(query, k, names, path_glob), ef=self._settings.hnsw_ef_search)
        return Answers([hits], searcher.semantic_coverage())

    def similar(self, file: str, line: int, *, k: int, include_code: bool) -> list[Hit]:
        """``file`` is absolute or relative to the repository root; ``line`` is 1-based."""
        root = self.repo_root()
        path = (root / file).resolve()  # an absolute ``file`` replaces root
        if not path.is_relative_to(root):
            raise QueryError(f"{file} is outside the repository {root}")
        hits = similar_via_server(
            path, line, k=k, index_dir=self._settings.index_dir, include_code=include_code,
            socket_path=self._socket_path,
        )
        if hits is not None:
            return hits
        return self._local().similar(path.relative_to(root).as_posix(), line, k, ef=self._settings.hnsw_ef_search)

    def _local(self) -> Searcher:
        with self._lock:
            if self._searcher is not None and self._searcher.is_replaced():
                logger.info("the index was rebuilt since it was opened; opening it again")
                self._searcher.close()
                self._searcher = None
            if self._searcher is None:
                logger.info("no server answered; opening the index in this process")
                self._searcher = Searcher.open(self._start, self._settings)
            else:
                self._searcher.refresh()  # see what the index's writer committed since
            return self._searcher

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def __enter__(self) -> RepositorySearch:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
