"""The client side, for ``codesearch ask``/``index``/``serve --stop``: talk to a running server.

This is the warm path of ``codesearch ask``, so it imports nothing heavy (no numpy, torch,
tree-sitter): the standard library, the protocol and the records. Every ``*_via_server``
function returns None when no server can answer (none running, a broken connection, a timeout,
REPO_UNAVAILABLE), and the caller then does the work in-process; errors meant for the user
(USER_ERROR, e.g. an empty query) are raised as CodesearchError, exactly as in-process.
"""

from __future__ import annotations

import itertools
import logging
import socket
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from codesearch.errors import CodesearchError, ProtocolError
from codesearch.records import Answers, Hit, IndexProgress, IndexSummary
from codesearch.server.address import default_socket_path
from codesearch.server.messages import coverage_from_json, hit_from_json, progress_from_json, summary_from_json
from codesearch.server.protocol import (
    USER_ERROR,
    Notification,
    Response,
    decode_message,
    encode_frame,
    notification_message,
    read_frame,
    request_message,
)

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 0.5
SEARCH_TIMEOUT_S = 60.0  # the first search of a repository opens its index


class RemoteError(CodesearchError):
    """A JSON-RPC error answer; ``code`` says what kind (see protocol.py)."""

    def __init__(self, message: str, code: int, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


class ServerConnection:
    """One connection to the server; a context manager. Not thread-safe: one caller at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._reader = sock.makefile("rb")
        self._ids = itertools.count(1)
        self._notifications: deque[Notification] = deque(maxlen=1000)  # came during calls without a callback

    @classmethod
    def connect(
        cls, socket_path: Path | None = None, *, timeout_s: float = CONNECT_TIMEOUT_S
    ) -> ServerConnection:
        """Connect to the Unix socket. Raises OSError when no server listens there."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout_s)
        try:
            sock.connect(str(socket_path or default_socket_path()))
        except BaseException:
            sock.close()
            raise
        return cls(sock)

    def call(
        self,
        method: str,
        params: Any = None,
        *,
        timeout_s: float | None = SEARCH_TIMEOUT_S,
        on_notification: Callable[[Notification], None] | None = None,
    ) -> Any:
        """Send a request and return its result; notifications meanwhile go to ``on_notification``.

        Raises:
            RemoteError: the server answered with an error.
            OSError (TimeoutError included), ProtocolError: the connection broke or timed out.
        """
        request_id = next(self._ids)
        self._sock.settimeout(timeout_s)
        self._sock.sendall(encode_frame(request_message(request_id, method, params)))
        while True:
            body = read_frame(self._reader)
            if body is None:
                raise ConnectionError("the server closed the connection")
            message = decode_message(body)
            if isinstance(message, Notification):
                if on_notification is not None:
                    on_notification(message)
                else:
                    self._notifications.append(message)  # for next_notification
            elif isinstance(message, Response) and message.id in (request_id, None):
                if message.error is not None:
                    raise RemoteError(message.error.message, message.error.code, message.error.data)
                if message.id is None:
                    raise ProtocolError("an answer without an id")
                return message.result

    def next_notification(self, timeout_s: float | None = SEARCH_TIMEOUT_S) -> Notification:
        """The server's next notification (e.g. ``codesearch/indexUpdated``), kept ones first."""
        if self._notifications:
            return self._notifications.popleft()
        self._sock.settimeout(timeout_s)
        while True:
            body = read_frame(self._reader)
            if body is None:
                raise ConnectionError("the server closed the connection")
            message = decode_message(body)
            if isinstance(message, Notification):
                return message

    def notify(self, method: str, params: Any = None) -> None:
        self._sock.sendall(encode_frame(notification_message(method, params)))

    def close(self) -> None:
        self._reader.close()
        self._sock.close()

    def __enter__(self) -> ServerConnection:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def search_via_server(
    start: Path,
    index_dir: str | None,
    queries: Sequence[str | None],
    *,
    k: int,
    languages: Sequence[str] | None,
    path_glob: str | None,
    include_code: bool,
    socket_path: Path | None = None,
) -> Answers | None:
    """The hits of each query (None queries get no hits) and the coverage the server reported with
    them, or None when no server can answer."""
    params: dict[str, Any] = {
        "root": str(start.resolve()),
        "indexDir": absolute_index_dir(index_dir),
        "k": k,
        "path": path_glob,
        "languages": list(languages) if languages is not None else None,
        "includeCode": include_code,
    }
    try:
        with ServerConnection.connect(socket_path) as connection:
            answers = []
            coverage = None
            for query in queries:
                result = connection.call("search", {**params, "query": query}) if query is not None else None
                answers.append([hit_from_json(hit) for hit in result["hits"]] if result else [])
                if result:
                    coverage = coverage_from_json(result.get("semantic"))
            return Answers(answers, coverage)
    except RemoteError as exc:
        _raise_if_for_user(exc)
        return None
    except (OSError, ProtocolError, KeyError, TypeError) as exc:
        logger.debug("no answer from a server (%s); searching in-process", exc)
        return None


def similar_via_server(
    path: Path,
    line: int,
    *,
    k: int,
    index_dir: str | None,
    include_code: bool,
    socket_path: Path | None = None,
) -> list[Hit] | None:
    """The definitions most like the one around ``path:line`` (absolute path, 1-based line), or
    None when no server can answer."""
    params = {"path": str(path.resolve()), "line": line, "k": k, "indexDir": absolute_index_dir(index_dir),
              "includeCode": include_code}
    try:
        with ServerConnection.connect(socket_path) as connection:
            result = connection.call("similar", params)
        return [hit_from_json(hit) for hit in result["hits"]]
    except RemoteError as exc:
        _raise_if_for_user(exc)
        return None
    except (OSError, ProtocolError, KeyError, TypeError) as exc:
        logger.debug("no answer from a server (%s); working in-process", exc)
        return None


def reindex_via_server(
    start: Path,
    index_dir: str | None,
    *,
    full: bool,
    on_progress: Callable[[IndexProgress], None] | None = None,
    socket_path: Path | None = None,
    if_served: bool = True,
) -> IndexSummary | None:
    """Have the server reindex the repository at ``start`` if it serves it (or, without
    ``if_served``, whenever a server runs: it then serves the repository); None otherwise."""

    def forward(notification: Notification) -> None:
        value = notification.params.get("value") if isinstance(notification.params, dict) else None
        if on_progress is not None and isinstance(value, dict) and "codesearch" in value:
            on_progress(progress_from_json(value["codesearch"]))

    params = {
        "root": str(start.resolve()),
        "indexDir": absolute_index_dir(index_dir),
        "full": full,
        "ifServed": if_served,
        "exact": True,
        "workDoneToken": "index",
    }
    try:
        with ServerConnection.connect(socket_path) as connection:
            result = connection.call("reindex", params, timeout_s=None, on_notification=forward)
    except RemoteError as exc:
        _raise_if_for_user(exc)
        return None
    except (OSError, ProtocolError) as exc:
        logger.debug("no server to reindex (%s); indexing in-process", exc)
        return None
    return summary_from_json(result["summary"])


def stop_server(socket_path: Path | None = None) -> bool:
    """Ask the server to stop; False when none answered."""
    try:
        with ServerConnection.connect(socket_path) as connection:
            connection.call("shutdown", {"server": True}, timeout_s=10.0)
    except (OSError, ProtocolError):
        return False
    return True


def absolute_index_dir(index_dir: str | None) -> str | None:
    """``index_dir`` as the server needs it: resolved here, against this process's folder, as
    index_dir_for would resolve it (the server refuses a relative one)."""
    return str(Path(index_dir).expanduser().resolve()) if index_dir else None


def _raise_if_for_user(exc: RemoteError) -> None:
    """Re-raise errors meant for the user; log the others (the caller then works in-process)."""
    if exc.code == USER_ERROR:
        raise CodesearchError(str(exc)) from None
    logger.info("the server cannot serve this (%s); working in-process", exc)
