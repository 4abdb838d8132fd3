"""The language server behind ``codesearch lsp``: one editor session over stdio.

LSP frames are read and written with the socket server's framing (codesearch/server/protocol.py),
so a client that breaks the protocol is answered as the socket server answers it: a broken frame
(bad header, over the size limit) gets one error with id null and the server exits with code 1,
since the stream can no longer be trusted; invalid JSON or a non-request in a good frame gets an
error and the session goes on; an unknown method gets METHOD_NOT_FOUND.

Lifecycle (LSP 3.17): requests before ``initialize`` get SERVER_NOT_INITIALIZED; ``initialized``
starts the one index update (with ``window/workDoneProgress``); after ``shutdown`` only ``exit``
is accepted; ``exit`` ends the process with 0 after a shutdown, else 1 (so does the end of stdin).
``workspace/symbol`` requests run on a small pool, so ``$/cancelRequest`` can reach one that is
still queued or waiting for the first index: it is answered REQUEST_CANCELLED. Other
notifications (``workspace/didChangeWatchedFiles``, ``textDocument/didOpen``...) are ignored.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from codesearch import __version__
from codesearch.errors import CodesearchError, IndexNotFoundError, ProtocolError
from codesearch.lsp.progress import WorkDoneProgress
from codesearch.lsp.workspace import update_message
from codesearch.records import IndexProgress, IndexSummary
from codesearch.server.params import required, root_param
from codesearch.server.protocol import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    MAX_MESSAGE_BYTES,
    METHOD_NOT_FOUND,
    REQUEST_CANCELLED,
    SERVER_NOT_INITIALIZED,
    USER_ERROR,
    InvalidMessage,
    MessageWriter,
    Notification,
    Request,
    RequestId,
    Response,
    decode_message,
    error_message,
    notification_message,
    read_frame,
    request_message,
    result_message,
)

logger = logging.getLogger(__name__)

SYMBOL_LIMIT = 50  # symbols per answer, as the socket server's workspace/symbol
MAX_WORKERS = 4
MAX_IN_FLIGHT = 32  # then reading pauses until a request finishes (back-pressure, not an error)
_MESSAGE_ERROR = 1  # LSP's MessageType.Error, for window/showMessage


class SessionWorkspace(Protocol):
    """What the session needs of its repository (codesearch.lsp.workspace.Workspace)."""

    def will_update_index(self) -> bool: ...

    def update_index(self, on_progress: Callable[[IndexProgress], None]) -> IndexSummary | None: ...

    def symbols(self, query: str, limit: int) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


# The folder the editor names, and the client's initializationOptions.
OpenWorkspace = Callable[[Path, Mapping[str, Any]], SessionWorkspace]


class _Cancelled(Exception):
    """The client cancelled the request ($/cancelRequest) before its answer was ready."""


class LanguageServer:
    """Serves one client until ``exit``, the end of its input, or a frame that breaks the protocol.

    ``default_root`` is searched when the client names no folder; ``fixed_root`` (the folder given
    to ``codesearch lsp PATH``) wins over anything the client names.
    """

    def __init__(
        self,
        open_workspace: OpenWorkspace,
        default_root: Path,
        *,
        fixed_root: Path | None = None,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self._open_workspace = open_workspace
        self._default_root = default_root
        self._fixed_root = fixed_root
        self._max_message_bytes = max_message_bytes
        self._send_lock = threading.Lock()  # guards _writer: None once the session has ended
        self._writer: MessageWriter | None = None
        self._workspace: SessionWorkspace | None = None
        self._shows_progress = False
        self._is_shut_down = False
        self._in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._outgoing_ids = itertools.count(1)
        # _changed guards the fields below it: request tickets, the update's state, replies awaited.
        self._changed = threading.Condition()
        self._cancelled: dict[RequestId, bool] = {}  # requests in flight -> cancelled?
        self._is_updating = False
        self._update_thread: threading.Thread | None = None
        self._awaited: dict[str, Future[Any]] = {}  # our requests to the client, by id

    def run(self, rfile: BinaryIO, wfile: BinaryIO) -> int:
        """Serve until the session ends; the exit code LSP asks for (0 after shutdown, else 1)."""
        self._writer = MessageWriter(wfile)
        try:
            with ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="lsp-request") as pool:
                try:
                    return self._serve(rfile, pool)
                finally:
                    self._cancel_everything()  # queued and waiting requests end; running ones finish
        finally:
            with self._send_lock:  # an index update still running says nothing more to a client that left
                self._writer = None
            if self._workspace is not None:
                self._workspace.close()

    # -- the client's messages ---------------------------------------------------------------

    def _serve(self, rfile: BinaryIO, pool: ThreadPoolExecutor) -> int:
        while True:
            try:
                body = read_frame(rfile, self._max_message_bytes)
            except ProtocolError as exc:
                self._send(error_message(None, exc.code, str(exc)))
                return 1
            if body is None:
                logger.info("the client closed its end of the session")
                return 0 if self._is_shut_down else 1
            try:
                message = decode_message(body)
            except InvalidMessage as exc:
                self._send(error_message(exc.request_id, exc.code, str(exc)))
                continue
            if isinstance(message, Notification):
                if message.method == "exit":
                    return 0 if self._is_shut_down else 1
                self._on_notification(message)
            elif isinstance(message, Response):
                self._on_response(message)
            else:
                self._on_request(message, pool)

    def _on_request(self, request: Request, pool: ThreadPoolExecutor) -> None:
        if request.method == "initialize":
            self._answer(request, self._initialize)
        elif self._workspace is None:
            self._send(error_message(request.id, SERVER_NOT_INITIALIZED, "send initialize first"))
        elif self._is_shut_down:
            self._send(error_message(request.id, INVALID_REQUEST, "the server is shut down: send exit"))
        elif request.method == "shutdown":
            self._is_shut_down = True
            self._send(result_message(request.id, None))
        elif request.method == "workspace/symbol":
            self._in_flight.acquire()
            with self._changed:
                is_duplicate = request.id in self._cancelled
                if not is_duplicate:
                    self._cancelled[request.id] = False
            if is_duplicate:
                self._in_flight.release()
                self._send(error_message(request.id, INVALID_REQUEST, "a request with this id is in flight"))
            else:
                pool.submit(self._answer_in_pool, request)
        else:
            self._send(error_message(request.id, METHOD_NOT_FOUND, f"unknown method {request.method!r}"))

    def _on_notification(self, notification: Notification) -> None:
        if notification.method == "initialized" and self._workspace is not None and self._update_thread is None:
            # A daemon: an editor that exits mid-update is not kept waiting, and the index keeps
            # what it had committed (updates are crash-safe: tests/reliability/test_kill_index.py).
            self._update_thread = threading.Thread(target=self._update_index, name="lsp-index", daemon=True)
            with self._changed:
                self._is_updating = True
            self._update_thread.start()
        elif notification.method == "$/cancelRequest" and isinstance(notification.params, dict):
            request_id = notification.params.get("id")
            if not isinstance(request_id, int | str) or isinstance(request_id, bool):
                return  # no request has such an id (a list or an object would not even hash: the session ended)
            with self._changed:
                if request_id in self._cancelled:
                    self._cancelled[request_id] = True
                    self._changed.notify_all()
        else:  # didChangeWatchedFiles, didOpen, $/setTrace...: this server needs none of them
            logger.debug("ignored notification %s", notification.method)

    def _on_response(self, response: Response) -> None:
        with self._changed:
            awaited = self._awaited.pop(str(response.id), None)
        if awaited is None:
            logger.debug("ignored a response to no request of ours: %r", response.id)
        elif response.error is not None:
            awaited.set_exception(CodesearchError(f"the client refused: {response.error.message}"))
        else:
            awaited.set_result(response.result)

    # -- requests ----------------------------------------------------------------------------

    def _initialize(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if self._workspace is not None:
            raise ProtocolError("initialize was already received", INVALID_REQUEST)
        options = params.get("initializationOptions")
        root = self._fixed_root or root_param(params) or self._default_root
        self._workspace = self._open_workspace(root, options if isinstance(options, dict) else {})
        window = _member(_member(params, "capabilities"), "window")
        self._shows_progress = window.get("workDoneProgress") is True
        return {
            "capabilities": {"workspaceSymbolProvider": True},
            "serverInfo": {"name": "codesearch", "version": __version__},
        }

    def _workspace_symbol(self, request_id: RequestId, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        query = required(params, "query", str).strip()
        if not query:
            return []
        assert self._workspace is not None  # requests run only after initialize
        while True:
            try:
                return self._workspace.symbols(query, SYMBOL_LIMIT)
            except IndexNotFoundError:
                with self._changed:  # the first index may be on its way: wait for it, or a cancel
                    if not self._is_updating:
                        raise
                    self._changed.wait_for(lambda: not self._is_updating or self._cancelled[request_id])
                    if self._cancelled[request_id]:
                        raise _Cancelled from None

    def _answer_in_pool(self, request: Request) -> None:
        try:
            with self._changed:
                if self._cancelled[request.id]:
                    raise _Cancelled
            self._answer(request, lambda params: self._workspace_symbol(request.id, params))
        except _Cancelled:
            self._send(error_message(request.id, REQUEST_CANCELLED, "cancelled"))
        finally:
            with self._changed:
                del self._cancelled[request.id]
            self._in_flight.release()

    def _answer(self, request: Request, handler: Callable[[Mapping[str, Any]], Any]) -> None:
        """Run ``handler`` on the params and send its result, or the JSON-RPC error it raised."""
        try:
            if request.params is not None and not isinstance(request.params, dict):
                raise ProtocolError("params must be an object", INVALID_PARAMS)
            result = handler(request.params or {})
        except _Cancelled:
            raise
        except ProtocolError as exc:
            self._send(error_message(request.id, exc.code, str(exc)))
        except CodesearchError as exc:
            self._send(error_message(request.id, USER_ERROR, str(exc)))
        except Exception as exc:  # a bug: the client gets a short message, the log the traceback
            logger.exception("%s failed", request.method)
            self._send(error_message(request.id, INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}"))
        else:
            with self._changed:
                is_cancelled = self._cancelled.get(request.id, False)
            if is_cancelled:
                raise _Cancelled
            self._send(result_message(request.id, result))

    # -- the index update --------------------------------------------------------------------

    def _update_index(self) -> None:
        assert self._workspace is not None
        progress = WorkDoneProgress(self, "codesearch/index", is_supported=self._shows_progress)
        try:
            if not self._workspace.will_update_index():
                return
            progress.begin("codesearch: indexing", "looking for changed files")
            summary = self._workspace.update_index(progress.report_index)
            progress.end(update_message(summary))
        except Exception as exc:  # shown to the user; searches still use what the index has
            if not isinstance(exc, CodesearchError):
                logger.exception("the index update failed")
            progress.end(f"failed: {exc}")
            self.notify("window/showMessage", {"type": _MESSAGE_ERROR, "message": f"codesearch: {exc}"})
        finally:
            with self._changed:
                self._is_updating = False
                self._changed.notify_all()

    # -- ClientChannel: our messages to the client -------------------------------------------

    def request(self, method: str, params: Any, timeout_s: float) -> Any:
        request_id = f"codesearch-{next(self._outgoing_ids)}"
        answer: Future[Any] = Future()
        with self._changed:
            self._awaited[request_id] = answer
        self._send(request_message(request_id, method, params))
        try:
            return answer.result(timeout_s)
        finally:
            with self._changed:
                self._awaited.pop(request_id, None)

    def notify(self, method: str, params: Any) -> None:
        self._send(notification_message(method, params))

    def _send(self, message: dict[str, Any]) -> None:
        with self._send_lock:
            if self._writer is None:
                return
            try:
                self._writer.write(message)
            except (OSError, ValueError) as exc:  # the client closed our stdout: it has left
                logger.info("cannot write to the client: %s", exc)

    def _cancel_everything(self) -> None:
        with self._changed:
            for request_id in self._cancelled:
                self._cancelled[request_id] = True
            for awaited in self._awaited.values():
                awaited.set_exception(CodesearchError("the session ended"))
            self._awaited.clear()
            self._changed.notify_all()


def _member(params: Any, name: str) -> Mapping[str, Any]:
    value = params.get(name) if isinstance(params, Mapping) else None
    return value if isinstance(value, Mapping) else {}
