"""The server's methods: plain functions from a request's params to its JSON result.

Each handler takes the RequestContext (the server's state, this connection's Session, a way to
notify this client) and the params, and returns the result or raises. ``call`` turns whatever
it raises into a JSON-RPC error: ProtocolError keeps its code, CodesearchError becomes
USER_ERROR with its message, anything else is a bug: INTERNAL_ERROR, traceback in the log.
PROTOCOL.md beside this file is the reference for clients.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codesearch.errors import CodesearchError, ProtocolError
from codesearch.index.hybrid_search import SearchRequest
from codesearch.parsing.text_formats import record_language
from codesearch.records import IndexProgress, SemanticCoverage
from codesearch.search.multi_repository import merge_ranked, repository_names
from codesearch.server.messages import (
    coverage_to_json,
    hit_to_json,
    progress_to_json,
    summary_to_json,
    symbol_information,
)
from codesearch.server.params import (
    index_dir_param,
    k_param,
    optional,
    path_from,
    required,
    root_param,
    roots_param,
)
from codesearch.server.protocol import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    SERVER_NOT_INITIALIZED,
    USER_ERROR,
    Request,
)
from codesearch.server.registry import RepoRegistry
from codesearch.server.repos import ServedRepo

logger = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
DEFAULT_K = 10
SYMBOL_LIMIT = 50
_PROGRESS_INTERVAL_S = 0.1


@dataclass(frozen=True, slots=True)
class ServerState:
    """What every handler may use of the server."""

    registry: RepoRegistry
    model_id: str
    version: str
    started_at_s: float
    address: str  # the socket path, and the TCP address if any
    token: str | None  # required in initialize when set (TCP)
    connection_count: Callable[[], int]


@dataclass(slots=True)
class Session:
    """One connection's state; only its own reader thread and requests touch it."""

    is_authorized: bool
    root: Path | None = None  # from initialize: the default repository of later requests
    index_dir: str | None = None
    stop_server_after_reply: bool = False
    is_shut_down: bool = False


@dataclass(frozen=True, slots=True)
class RequestContext:
    state: ServerState
    session: Session
    notify: Callable[[str, Any], None] = field(default=lambda method, params: None)


Handler = Callable[[RequestContext, Mapping[str, Any]], Any]


def call(context: RequestContext, request: Request) -> tuple[Any, tuple[int, str] | None]:
    """Run one request: (result, None) or (None, (code, message))."""
    handler = HANDLERS.get(request.method)
    if handler is None:
        return None, (METHOD_NOT_FOUND, f"unknown method {request.method!r}")
    try:
        if request.params is not None and not isinstance(request.params, dict):
            raise ProtocolError("params must be an object", INVALID_PARAMS)
        return handler(context, request.params or {}), None
    except ProtocolError as exc:
        return None, (exc.code, str(exc))
    except CodesearchError as exc:
        return None, (USER_ERROR, str(exc))
    except Exception as exc:  # a bug: the client gets a short message, the log the traceback
        logger.exception("%s failed", request.method)
        return None, (INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}")


# -- methods ---------------------------------------------------------------------------------


def initialize(context: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Authorize (TCP), remember the client's root, and open its index (create it only if asked:
    an editor may open any folder, the home folder included, and indexing that uninvited would
    cost minutes of CPU)."""
    state, session = context.state, context.session
    if state.token is not None:
        given = params.get("token")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), state.token.encode()):
            raise ProtocolError("initialize needs the server's token", SERVER_NOT_INITIALIZED)
        session.is_authorized = True
    session.root = root_param(params)
    session.index_dir = index_dir_param(params)
    repo_info: dict[str, str] | None = None
    repo_error: str | None = None
    if session.root is not None:
        try:
            repo = state.registry.get(
                session.root, session.index_dir, create=optional(params, "create", bool, False)
            )
            repo_info = {"root": str(repo.root), "indexDir": str(repo.index_dir)}
        except CodesearchError as exc:
            repo_error = str(exc)
    return {
        "capabilities": {"workspaceSymbolProvider": True},
        "serverInfo": {"name": "codesearch", "version": state.version},
        "codesearch": {
            "protocolVersion": PROTOCOL_VERSION,
            "model": state.model_id,
            "repo": repo_info,
            "repoError": repo_error,
        },
    }


def search(context: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
    languages = optional(params, "languages", list)
    if languages is not None:
        if not all(isinstance(name, str) for name in languages):
            raise ProtocolError("languages must be a list of strings", INVALID_PARAMS)
        languages = sorted({record_language(name) for name in languages})
    request = SearchRequest(
        required(params, "query", str),
        k_param(params, DEFAULT_K),
        tuple(languages) if languages is not None else None,
        optional(params, "path", str),
    )
    include_code = bool(optional(params, "includeCode", bool, False))
    roots = roots_param(params)
    if roots is not None:
        return _search_many(context, roots, request, include_code)
    repo = _repo(context, params)
    hits = repo.search(request)
    return {"root": str(repo.root), "hits": [hit_to_json(hit, include_code=include_code) for hit in hits],
            "semantic": coverage_to_json(repo.semantic_coverage())}


def _search_many(context: RequestContext, roots: list[Path], request: SearchRequest,
                 include_code: bool) -> dict[str, Any]:
    """One ranking over several served repositories (one server, one model: the scores compare)."""
    repos = [context.state.registry.get(root, None) for root in roots]
    names = repository_names([repo.root for repo in repos])
    hits = merge_ranked([[dataclasses.replace(hit, repository=name) for hit in repo.search(request)]
                         for repo, name in zip(repos, names, strict=True)], request.k)
    coverages = [repo.semantic_coverage() for repo in repos]
    coverage = SemanticCoverage(sum(c.embedded for c in coverages), sum(c.definitions for c in coverages))
    return {"roots": [str(repo.root) for repo in repos],
            "hits": [hit_to_json(hit, include_code=include_code) for hit in hits],
            "semantic": coverage_to_json(coverage)}


def similar(context: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
    raw = required(params, "path", str)
    line = required(params, "line", int)
    if line < 1:
        raise ProtocolError("line is 1-based", INVALID_PARAMS)
    path = path_from(raw)
    if path.is_absolute():
        given_root = root_param(params)
        repo = context.state.registry.get(given_root or path.parent, index_dir_param(params))
        rel = _inside(repo, path)
    else:
        repo = _repo(context, params)
        rel = _inside(repo, repo.root / path)
    include_code = bool(optional(params, "includeCode", bool, False))
    hits = repo.similar(rel, line, k_param(params, DEFAULT_K))
    return {"root": str(repo.root), "hits": [hit_to_json(hit, include_code=include_code) for hit in hits]}


def workspace_symbol(context: RequestContext, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """LSP workspace/symbol answered semantically over the session's repository."""
    query = required(params, "query", str).strip()
    if not query or (context.session.root is None and root_param(params) is None):
        return []
    repo = _repo(context, params)
    hits = repo.search(SearchRequest(query, k_param(params, SYMBOL_LIMIT, name="limit")))
    return [symbol_information(hit, repo.root) for hit in hits]


def status(context: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
    state = context.state
    repos = []
    for repo in state.registry.all():
        repo_state = repo.state()
        repos.append(
            {
                "root": repo_state.root,
                "indexDir": repo_state.index_dir,
                "files": repo_state.files,
                "chunks": repo_state.chunks,
                "generation": repo_state.generation,
                "busy": repo_state.is_busy,
                "lastUpdate": summary_to_json(repo_state.last_summary) if repo_state.last_summary else None,
                "lastError": repo_state.last_error,
                "repaired": repo_state.repaired,
            }
        )
    return {
        "server": {
            "pid": os.getpid(),
            "version": state.version,
            "protocolVersion": PROTOCOL_VERSION,
            "model": state.model_id,
            "address": state.address,
            "connections": state.connection_count(),
            "uptimeS": round(time.time() - state.started_at_s, 3),
        },
        "repos": repos,
    }


def reindex(context: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """A full update of the repository, with ``$/progress`` notifications when a token is given."""
    only_served = bool(optional(params, "ifServed", bool, False))
    start = root_param(params) or context.session.root
    if start is None:
        raise ProtocolError("give root (or initialize with a rootUri)", INVALID_PARAMS)
    index_dir = index_dir_param(params) or context.session.index_dir
    exact = bool(optional(params, "exact", bool, False))
    repo = context.state.registry.get(start, index_dir, create=True, open_=not only_served, exact=exact)
    token = params.get("workDoneToken")
    report = _progress_reporter(context, token) if isinstance(token, str | int) else None
    if report is not None:
        context.notify(
            "$/progress",
            {
                "token": token,
                "value": {"kind": "begin", "title": "Indexing", "cancellable": False, "percentage": 0},
            },
        )
    try:
        summary = repo.reindex(full=bool(optional(params, "full", bool, False)), on_progress=report)
    finally:
        if report is not None:
            context.notify("$/progress", {"token": token, "value": {"kind": "end"}})
    return {"root": str(repo.root), "summary": summary_to_json(summary)}


def shutdown(context: RequestContext, params: Mapping[str, Any]) -> None:
    """LSP shutdown ends this client's session; ``{"server": true}`` stops the whole server."""
    context.session.is_shut_down = True
    if optional(params, "server", bool, False):
        context.session.stop_server_after_reply = True


HANDLERS: dict[str, Handler] = {
    "initialize": initialize,
    "search": search,
    "similar": similar,
    "workspace/symbol": workspace_symbol,
    "status": status,
    "reindex": reindex,
    "shutdown": shutdown,
}


def _repo(context: RequestContext, params: Mapping[str, Any]) -> ServedRepo:
    start = root_param(params) or context.session.root
    if start is None:
        raise ProtocolError("give root (or initialize with a rootUri)", INVALID_PARAMS)
    index_dir = index_dir_param(params) or context.session.index_dir
    return context.state.registry.get(start, index_dir)


def _inside(repo: ServedRepo, path: Path) -> str:
    """``path`` relative to the repository, refusing anything that resolves outside it."""
    try:
        return path.resolve().relative_to(repo.root).as_posix()
    except ValueError:
        raise ProtocolError(f"{path} is outside the served repository {repo.root}", INVALID_PARAMS) from None


def _progress_reporter(context: RequestContext, token: str | int) -> Callable[[IndexProgress], None]:
    last_sent = [0.0]

    def report(progress: IndexProgress) -> None:
        now = time.monotonic()
        is_last = progress.files_done >= progress.files_total
        if now - last_sent[0] < _PROGRESS_INTERVAL_S and not is_last:
            return
        last_sent[0] = now
        percentage = 100 * progress.files_done // progress.files_total if progress.files_total else 100
        value = {
            "kind": "report",
            "percentage": percentage,
            "message": f"{progress.files_done}/{progress.files_total} files, "
            f"{progress.chunks_embedded} embedded",
            "codesearch": progress_to_json(progress),
        }
        context.notify("$/progress", {"token": token, "value": value})

    return report
