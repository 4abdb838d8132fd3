"""The MCP server behind ``codesearch mcp``: the ``search`` and ``similar`` tools, over stdio.

Coding agents start ``codesearch mcp [PATH]`` and call the tools through the Model Context
Protocol (the official ``mcp`` SDK). Each call is answered by a running ``codesearch serve`` when
one serves the repository (the warm path: model and index already loaded there), else by the index
opened read-only in this process (the model loads on the first such call and stays loaded): see
server/repository_search.py. The hits are the objects ``codesearch ask --json`` prints, next to the
repository root they are relative to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from pydantic import Field

from codesearch import __version__
from codesearch.config import Settings
from codesearch.errors import CodesearchError
from codesearch.records import Answers
from codesearch.server.messages import coverage_to_json, hit_to_json
from codesearch.server.protocol import INVALID_PARAMS
from codesearch.server.repository_search import RepositorySearch

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Semantic code search over one indexed repository. `search` finds functions, methods and classes "
    "from a description of what they do (or an identifier), and the code between them, docs and config "
    "files; `similar` finds the definitions most like "
    "the one at a file and line. Paths in results are relative to `root`; lines are 1-based."
)


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
        _refuse_nul(query=query, lang=lang, path=path)
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
        _refuse_nul(file=file)
        return _answer(
            repository,
            lambda: Answers([repository.similar(file, line, k=k, include_code=include_code)], None),
            include_code,
        )

    return server


def _refuse_nul(**arguments: str | list[str] | None) -> None:
    """A NUL is in no text or path anyone means: like a lone surrogate (which mcp_stdio.py refuses),
    it makes the params malformed, a JSON-RPC INVALID_PARAMS error. Anything else wrong with an
    argument (an empty query, an unknown language) is a tool error, written for the agent to read."""
    for name, value in arguments.items():
        if any("\x00" in text for text in (value if isinstance(value, list) else [value or ""])):
            raise MCPError(INVALID_PARAMS, f"{name} contains a NUL character")


def _answer(repository: RepositorySearch, find: Callable[[], Answers], include_code: bool) -> dict[str, Any]:
    """``{"root": ..., "hits": [...]}`` plus ``"semantic": {"embedded": .., "definitions": ..}`` for a
    search; errors meant for users become tool errors the agent reads."""
    try:
        answers = find()
        root = repository.repo_root()
    except CodesearchError as exc:
        raise ToolError(str(exc)) from exc
    result: dict[str, Any] = {
        "root": str(root), "hits": [hit_to_json(hit, include_code=include_code) for hit in answers.hits[0]]
    }
    if answers.coverage is not None:
        result["semantic"] = coverage_to_json(answers.coverage)
    return result


def serve_mcp(start: Path, settings: Settings, *, socket_path: Path | None = None) -> None:
    """Serve the tools over stdin/stdout until the client closes stdin (mcp_stdio.py: every line answered)."""
    import anyio

    from codesearch.cli.mcp_stdio import serve_checked_stdio

    with RepositorySearch(start, settings, socket_path=socket_path) as repository:
        anyio.run(serve_checked_stdio, build_mcp_server(repository))
