"""The MCP server behind ``codesearch mcp``: the ``search`` and ``similar`` tools, over stdio.

Coding agents start ``codesearch mcp [PATH]`` and call the tools through the Model Context
Protocol (the official ``mcp`` SDK). Each call is answered by a running ``codesearch serve`` when
one serves the repository (the warm path: model and index already loaded there), else by the index
opened read-only in this process (the model loads on the first such call and stays loaded). The
hits are the objects ``codesearch ask --json`` prints, next to the repository root they are
relative to.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from codesearch import __version__
from codesearch.config import Settings
from codesearch.errors import CodesearchError, QueryError
from codesearch.index.search import SearchRequest, validate_query
from codesearch.locations import find_index_dir, repo_root_of
from codesearch.parsing.text_formats import record_language
from codesearch.records import Hit
from codesearch.searcher import Searcher
from codesearch.server.client import search_via_server, similar_via_server
from codesearch.server.messages import hit_to_json

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Semantic code search over one indexed repository. `search` finds functions, methods and classes "
    "from a description of what they do (or an identifier), and the code between them, docs and config "
    "files; `similar` finds the definitions most like "
    "the one at a file and line. Paths in results are relative to `root`; lines are 1-based."
)


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
    ) -> list[Hit]:
        names = tuple(sorted({record_language(name) for name in languages})) if languages else None
        answers = search_via_server(
            self._start, self._settings.index_dir, [query], k=k, languages=names, path_glob=path_glob,
            include_code=include_code, socket_path=self._socket_path,
        )
        if answers is not None:
            return answers[0]
        validate_query(query)  # before loading the model
        return self._local().search(SearchRequest(query, k, names, path_glob), ef=self._settings.hnsw_ef_search)

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


def build_mcp_server(repository: RepositorySearch) -> MCPServer[Any]:
    """An MCP server with the ``search`` and ``similar`` tools over ``repository``."""
    server: MCPServer[Any] = MCPServer(
        name="codesearch", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    @server.tool(name="search")
    def search(
        query: Annotated[str, Field(description="What the code does, in plain words, or an identifier.")],
        k: Annotated[int, Field(ge=1, le=1000, description="Number of results.")] = 10,
        lang: Annotated[list[str] | None, Field(description="Only these languages, e.g. ['py', 'md'].")] = None,
        path: Annotated[str | None, Field(description="Only repo-relative paths matching this glob.")] = None,
        include_code: Annotated[bool, Field(description="Add each definition's source code.")] = False,
    ) -> dict[str, Any]:
        """Find functions, methods and classes by meaning, best first (hybrid semantic + keyword ranking)."""
        return _answer(
            repository,
            lambda: repository.search(query, k=k, languages=lang, path_glob=path, include_code=include_code),
            include_code,
        )

    @server.tool(name="similar")
    def similar(
        file: Annotated[str, Field(description="A file of the repository: absolute, or relative to its root.")],
        line: Annotated[int, Field(ge=1, description="A 1-based line inside a function, method or class.")],
        k: Annotated[int, Field(ge=1, le=1000, description="Number of results.")] = 10,
        include_code: Annotated[bool, Field(description="Add each definition's source code.")] = False,
    ) -> dict[str, Any]:
        """Find the definitions most like the innermost function, method or class at file:line."""
        return _answer(
            repository, lambda: repository.similar(file, line, k=k, include_code=include_code), include_code
        )

    return server


def _answer(repository: RepositorySearch, find: Callable[[], list[Hit]], include_code: bool) -> dict[str, Any]:
    """``{"root": ..., "hits": [...]}``; errors meant for users become tool errors the agent reads."""
    try:
        hits = find()
        root = repository.repo_root()
    except CodesearchError as exc:
        raise ToolError(str(exc)) from exc
    return {"root": str(root), "hits": [hit_to_json(hit, include_code=include_code) for hit in hits]}


def serve_mcp(start: Path, settings: Settings, *, socket_path: Path | None = None) -> None:
    """Serve the tools over stdin/stdout until the client closes stdin."""
    with RepositorySearch(start, settings, socket_path=socket_path) as repository:
        build_mcp_server(repository).run("stdio")
