"""RepoRegistry: the repositories one server serves, opened on first use and keyed by index folder."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from codesearch.config import Settings
from codesearch.errors import (
    CodesearchError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    ProtocolError,
)
from codesearch.index.locations import find_index_dir, index_dir_for, repo_root_of
from codesearch.indexer.watcher import WatchRound
from codesearch.parsing.ignore_rules import find_repo_root
from codesearch.server.protocol import REPO_UNAVAILABLE
from codesearch.server.repos import ServedRepo
from codesearch.server.shared_encoder import SharedEncoder

logger = logging.getLogger(__name__)


class RepoRegistry:
    """The repositories a server serves, opened on first use and keyed by index folder."""

    def __init__(
        self,
        encoder: SharedEncoder,
        settings_for: Callable[[Path], Settings],
        *,
        fixed_roots: frozenset[Path] | None = None,
        on_round: Callable[[ServedRepo, WatchRound], None] | None = None,
    ) -> None:
        self._encoder = encoder
        self._settings_for = settings_for
        self._fixed_roots = fixed_roots  # None: any repository a client names
        self._on_round = on_round
        self._repos: dict[Path, ServedRepo] = {}  # written under _lock; read without (one dict lookup)
        self._lock = threading.Lock()  # serialises opening and closing
        self._is_closed = False  # guarded by _lock

    def get(
        self,
        start: Path,
        index_dir: str | None,
        *,
        create: bool = False,
        open_: bool = True,
        exact: bool = False,
    ) -> ServedRepo:
        """The served repository around ``start``, opening it if needed (``open_``).

        ``exact``: ``start`` is the repository root itself (as for ``codesearch index PATH``), not
        a folder from which to look upwards for an index.

        Raises:
            ProtocolError(REPO_UNAVAILABLE): not served here (not open and not ``open_``, outside
                the fixed roots, the index locked by another writer or built with another model).
            IndexNotFoundError: no index around ``start`` and not ``create``.
        """
        if exact:
            found_dir, root = index_dir_for(start.resolve(), index_dir), start.resolve()
        else:
            found_dir, root = self._locate(start, index_dir, create=create)
        repo = self._repos.get(found_dir)
        if repo is not None:
            return repo
        if not open_:
            raise ProtocolError(f"the server does not serve {root}", REPO_UNAVAILABLE)
        if self._fixed_roots is not None and root not in self._fixed_roots:
            raise ProtocolError(f"{root} is not among the repositories this server serves", REPO_UNAVAILABLE)
        with self._lock:
            if self._is_closed:
                raise ProtocolError("the server is shutting down", REPO_UNAVAILABLE)
            repo = self._repos.get(found_dir)
            if repo is None:
                repo = self._open(root, found_dir, create)
                self._repos[found_dir] = repo
        return repo

    def all(self) -> list[ServedRepo]:
        return list(self._repos.values())

    def close(self) -> None:
        with self._lock:
            self._is_closed = True
            repos, self._repos = list(self._repos.values()), {}
        for repo in repos:
            try:
                repo.close()
            except CodesearchError as exc:
                logger.error("closing %s: %s", repo.root, exc)

    def _locate(self, start: Path, index_dir: str | None, *, create: bool) -> tuple[Path, Path]:
        """The index folder for ``start`` and the repository root it indexes."""
        try:
            found = find_index_dir(start, index_dir)
        except IndexNotFoundError:
            if not create:
                raise
            root = find_repo_root(start).resolve()
            return index_dir_for(root, index_dir), root
        return found, repo_root_of(found).resolve()  # never from a file inside the index (locations.py)

    def _open(self, root: Path, index_dir: Path, create: bool) -> ServedRepo:
        try:
            return ServedRepo.open(
                root,
                index_dir,
                self._settings_for(root),
                self._encoder,
                create=create,
                on_round=self._on_round,
            )
        except (IndexLockedError, IndexMismatchError) as exc:
            raise ProtocolError(str(exc), REPO_UNAVAILABLE) from exc
