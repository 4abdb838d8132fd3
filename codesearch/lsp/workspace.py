"""The repository of one ``codesearch lsp`` session: its index brought up to date, its symbols.

The editor names a folder (``rootUri``, ``workspaceFolders``); the index is the nearest
``.codesearch`` at or above it, as for ``codesearch ask``. Once the editor is ready
(``initialized``), the index is updated once, through the running server when there is one (the
server then serves the repository and keeps it fresh with its watcher), else in this process. A
folder without an index gets one only where indexing was asked for (``createIndex``) or, by
default, inside a git repository: an editor may open any folder, the home folder included, and
indexing that uninvited would cost minutes of CPU. Searches go through RepositorySearch, the path
``codesearch ask`` takes, so symbols come ranked as ``ask`` ranks them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codesearch.config import Settings
from codesearch.errors import IndexLockedError, IndexNotFoundError
from codesearch.index.locations import find_index_dir, repo_root_of
from codesearch.parsing.ignore_rules import find_repo_root
from codesearch.records import IndexProgress, IndexSummary
from codesearch.server.client import reindex_via_server
from codesearch.server.messages import symbol_information
from codesearch.server.repository_search import RepositorySearch

logger = logging.getLogger(__name__)


class Workspace:
    """Index updates and symbol searches for the repository around ``start``; closes its index."""

    def __init__(
        self, start: Path, settings: Settings, *, create_index: bool | None = None, socket_path: Path | None = None
    ) -> None:
        self.start = start
        self._settings = settings
        self._socket_path = socket_path
        self._search = RepositorySearch(start, settings, socket_path=socket_path)
        # Without an explicit choice, only a git repository gets an index it did not have.
        self.may_create_index = (
            create_index if create_index is not None else (find_repo_root(start) / ".git").exists()
        )

    def has_index(self) -> bool:
        try:
            find_index_dir(self.start, self._settings.index_dir)
        except IndexNotFoundError:
            return False
        return True

    def will_update_index(self) -> bool:
        """Whether ``update_index`` has anything to do: an index to update, or one to create."""
        return self.may_create_index or self.has_index()

    def update_index(self, on_progress: Callable[[IndexProgress], None]) -> IndexSummary | None:
        """Bring the index up to date (create it where allowed); None when there was nothing to do.

        Raises CodesearchError when the update fails (a model that does not load, a full disk).
        """
        from codesearch.indexer.updates import index_repository  # torch and tree-sitter: only when indexing here

        if self.has_index():
            repo_root = repo_root_of(find_index_dir(self.start, self._settings.index_dir))
        elif self.may_create_index:
            repo_root = find_repo_root(self.start)
        else:
            logger.info("no index for %s, and none is created there", self.start)
            return None
        summary = reindex_via_server(
            repo_root, self._settings.index_dir, full=False, on_progress=on_progress,
            socket_path=self._socket_path, if_served=False,
        )
        if summary is not None:
            return summary
        try:
            return index_repository(repo_root, self._settings, on_progress=on_progress)
        except IndexLockedError as exc:  # its writer (`codesearch watch`, `index`) keeps it fresh
            logger.info("not updating the index: %s", exc)
            return None

    def symbols(self, query: str, limit: int) -> list[dict[str, Any]]:
        """LSP SymbolInformation of the best ``limit`` definitions for ``query``, best first.

        Raises IndexNotFoundError where there is no index yet, QueryError for a query too long.
        """
        hits = self._search.search(query, k=limit, languages=None, path_glob=None, include_code=False).hits[0]
        root = self._search.repo_root()
        return [symbol_information(hit, root) for hit in hits]

    def close(self) -> None:
        self._search.close()


def update_message(summary: IndexSummary | None) -> str:
    """The line shown when an update ends."""
    if summary is None:
        return "nothing to update"
    return (
        f"{summary.files_total} files, {summary.chunks_total} definitions "
        f"({summary.files_new + summary.files_changed} files new or changed, {summary.chunks_embedded} embedded)"
    )
