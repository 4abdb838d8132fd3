"""One client's connection: read frames under deadlines, run requests on the pool, write answers.

Hostile or broken clients are answered and cut off without disturbing anyone else:
- a frame that breaks the framing (bad header, over ``max_message_bytes``) gets one error with
  id null, then the connection closes, since the stream can no longer be trusted;
- invalid JSON or a non-request in a good frame gets an error and the connection carries on;
- a frame must arrive whole within ``frame_timeout_s`` of its first byte (slow or stalled
  clients), and a client that stops reading its answers for ``send_timeout_s`` is dropped;
- a client that disconnects mid-request: its answer fails to send and is dropped;
- a TCP client, until ``initialize`` has checked its token, may send frames of at most
  ``unauthenticated_message_bytes`` and must be through within ``auth_timeout_s`` of connecting:
  any local user can connect to the port, and must not make the server hold 16 MiB frames or
  threads for long without knowing the token (the server also caps how many wait: serve.py).

Requests of one connection run concurrently on the server's pool, at most ``max_in_flight`` at
a time (then reading pauses: back-pressure, not an error). ``initialize`` runs inline, so later
requests see its session.
"""

from __future__ import annotations

import contextlib
import io
import logging
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from codesearch.errors import ProtocolError
from codesearch.server.handlers import RequestContext, ServerState, Session, call
from codesearch.server.protocol import (
    INVALID_REQUEST,
    MAX_MESSAGE_BYTES,
    REQUEST_CANCELLED,
    SERVER_NOT_INITIALIZED,
    InvalidMessage,
    MessageWriter,
    Notification,
    Request,
    decode_message,
    error_message,
    notification_message,
    read_frame,
    result_message,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """How much a client may ask of the server."""

    max_message_bytes: int = MAX_MESSAGE_BYTES
    frame_timeout_s: float = 10.0  # from a frame's first byte to its last
    idle_timeout_s: float | None = None  # between frames; None: an idle editor stays connected
    send_timeout_s: float = 10.0  # a client must take its answers
    max_in_flight: int = 32
    auth_timeout_s: float = 5.0  # TCP: from connecting to initialize with the right token
    unauthenticated_message_bytes: int = 64 * 1024  # TCP before the token: enough for any initialize


class _DeadlineReader(io.RawIOBase):
    """A socket's bytes, raising TimeoutError once ``deadline`` (time.monotonic) has passed."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._poller = select.poll()
        self._poller.register(sock, select.POLLIN)
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is not None:
            wait_ms = int((self.deadline - time.monotonic()) * 1000)
            if wait_ms <= 0 or not self._poller.poll(wait_ms):
                raise TimeoutError("the client was too slow")
        else:
            self._poller.poll()
        try:
            return self._sock.recv_into(buffer)
        except ConnectionResetError:
            return 0


class _SocketWriter:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def write(self, data: bytes) -> int:
        self._sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        pass


class Connection:
    """Serves one client until it leaves, breaks the protocol, or the server stops."""

    def __init__(
        self,
        sock: socket.socket,
        state: ServerState,
        executor: Executor,
        limits: ConnectionLimits,
        *,
        is_tcp: bool,
        on_stop_request: Callable[[], None],
        on_authorized: Callable[[Connection], None] = lambda connection: None,
    ) -> None:
        self._sock = sock
        self._state = state
        self._executor = executor
        self._limits = limits
        self._on_stop_request = on_stop_request
        self._on_authorized = on_authorized
        self.is_tcp = is_tcp
        self.session = Session(is_authorized=not is_tcp)
        self._auth_deadline = time.monotonic() + limits.auth_timeout_s
        self._source = _DeadlineReader(sock)
        self._reader = io.BufferedReader(self._source, 65536)
        self._writer = MessageWriter(_SocketWriter(sock))
        self._in_flight = threading.BoundedSemaphore(limits.max_in_flight)
        seconds = int(limits.send_timeout_s)
        sock.setsockopt(
            socket.SOL_SOCKET,
            socket.SO_SNDTIMEO,
            struct.pack("ll", seconds, int((limits.send_timeout_s - seconds) * 1e6)),
        )

    def run(self) -> None:
        """Read and dispatch frames until the connection ends; always closes the socket."""
        try:
            while self._next_frame():
                pass
        except (OSError, ValueError) as exc:  # a reset, a timeout, or the server closing the socket
            logger.debug("connection ended: %s", exc)
        finally:
            self.close()

    def send(self, message: dict[str, Any]) -> bool:
        """Write one message; False (and the connection closes) when the client cannot take it."""
        try:
            self._writer.write(message)
            return True
        except (OSError, ValueError) as exc:
            logger.debug("dropping a client that does not read: %s", exc)
            self.close()
            return False

    def notify(self, method: str, params: Any) -> None:
        self.send(notification_message(method, params))

    def close(self) -> None:
        """Shut the socket down (the reader then ends); safe from any thread, more than once."""
        with contextlib.suppress(OSError):  # already shut down, or never connected
            self._sock.shutdown(socket.SHUT_RDWR)

    def release(self) -> None:
        """Free the socket once the reader has ended."""
        self._sock.close()

    def _next_frame(self) -> bool:
        is_authorized = self.session.is_authorized
        limit = self._limits.max_message_bytes if is_authorized else self._limits.unauthenticated_message_bytes
        try:
            self._source.deadline = self._deadline(self._limits.idle_timeout_s, is_authorized)
            if not self._reader.peek(1):
                return False  # the client closed the connection between frames
            self._source.deadline = self._deadline(self._limits.frame_timeout_s, is_authorized)
            body = read_frame(self._reader, limit)
        except ProtocolError as exc:
            self.send(error_message(None, exc.code, str(exc) + ("" if is_authorized else " before initialize")))
            return False
        except TimeoutError:
            if not is_authorized and self._source.deadline == self._auth_deadline:  # the deadline that ran out
                message = f"send initialize with the token within {self._limits.auth_timeout_s:g} s"
            else:  # idle for idle_timeout_s between frames, or a frame too slow
                message = "the message did not arrive in time"
            self.send(error_message(None, INVALID_REQUEST, message))
            return False
        return body is not None and self._dispatch(body)

    def _deadline(self, span_s: float | None, is_authorized: bool) -> float | None:
        """When the next read must have finished: ``span_s`` from now, and for a client that has not
        authorized yet never later than its authorization deadline."""
        deadline = None if span_s is None else time.monotonic() + span_s
        if is_authorized:
            return deadline
        return self._auth_deadline if deadline is None else min(deadline, self._auth_deadline)

    def _dispatch(self, body: bytes) -> bool:
        try:
            message = decode_message(body)
        except InvalidMessage as exc:
            return self.send(error_message(exc.request_id, exc.code, str(exc)))
        if isinstance(message, Notification):
            return message.method != "exit"
        if not isinstance(message, Request):
            return True  # a response: the server never asks, so there is nothing to match
        if not self.session.is_authorized and message.method != "initialize":
            self.send(
                error_message(message.id, SERVER_NOT_INITIALIZED, "send initialize with the token first")
            )
            return False
        if message.method == "initialize":
            was_authorized = self.session.is_authorized
            self._answer(message)
            if self.session.is_authorized and not was_authorized:
                self._on_authorized(self)
            return self.session.is_authorized
        self._in_flight.acquire()
        try:
            self._executor.submit(self._answer_and_release, message)
        except RuntimeError:  # the pool is shutting down
            self._in_flight.release()
            return self.send(error_message(message.id, REQUEST_CANCELLED, "the server is shutting down"))
        return True

    def _answer_and_release(self, request: Request) -> None:
        try:
            self._answer(request)
        finally:
            self._in_flight.release()

    def _answer(self, request: Request) -> None:
        context = RequestContext(self._state, self.session, self.notify)
        result, error = call(context, request)
        if error is None:
            self.send(result_message(request.id, result))
        else:
            self.send(error_message(request.id, *error))
        if self.session.stop_server_after_reply:
            self.session.stop_server_after_reply = False
            self._on_stop_request()
