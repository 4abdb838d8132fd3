"""The server: listens on a Unix socket (and, if asked, on 127.0.0.1), one thread per connection.

Requests run on a shared thread pool; the repositories, their watchers and the one encoder live
in a RepoRegistry (registry.py, repos.py). The socket folder is this user's, writable by no one
else (address.py), and the socket 0600, so only this user can connect; TCP, being open to every
local user, needs the token from a file of this user's in ``initialize``, and TCP connections that
have not sent it yet have a cap of their own (besides a deadline and a small frame limit:
connection.py), so other users cannot crowd out the owner's clients. A flock on
``<socket>.lock`` makes a second server on the same socket fail instead of stealing it, and lets
a new server remove a dead one's socket file safely.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from codesearch import __version__
from codesearch.config import Settings
from codesearch.errors import CodesearchError
from codesearch.indexer.watcher import WatchRound
from codesearch.server.address import (
    MAX_UNIX_SOCKET_PATH,
    bind_unix_socket,
    info_path_for,
    prepare_private_dir,
    remove_quietly,
    take_server_lock,
    write_info,
)
from codesearch.server.connection import Connection, ConnectionLimits
from codesearch.server.handlers import PROTOCOL_VERSION, ServerState
from codesearch.server.messages import summary_to_json
from codesearch.server.protocol import SERVER_BUSY, error_message, notification_message
from codesearch.server.registry import RepoRegistry
from codesearch.server.repos import ServedRepo
from codesearch.server.shared_encoder import ServerEncoder, SharedEncoder

logger = logging.getLogger(__name__)

MAX_CONNECTIONS = 128  # of each listener: Unix-socket clients never wait for TCP ones, nor the reverse
MAX_UNAUTHENTICATED = 8  # TCP connections that have not yet sent initialize with the token
DEFAULT_LIMITS = ConnectionLimits()
WORKERS = 16


class Server:
    """A running server; ``start``/``stop`` or a context manager. Thread-safe.

    Args:
        encoder: the loaded encoder every served index must have been built with.
        settings_for: the Settings of a repository root (its codesearch.toml, the environment, flags).
        socket_path: the Unix socket to listen on.
        tcp_port: also listen on 127.0.0.1:<port> (0: any free port); needs ``token``.
        fixed_roots: serve only these repositories (None: any repository a client names).
        max_connections: connections at once on each listener (Unix socket, TCP); more are refused.
        max_unauthenticated: TCP connections at once that have not yet sent initialize with the token.
    """

    def __init__(
        self,
        encoder: ServerEncoder,
        settings_for: Callable[[Path], Settings],
        socket_path: Path,
        *,
        tcp_port: int | None = None,
        token: str | None = None,
        fixed_roots: Iterable[Path] | None = None,
        limits: ConnectionLimits = DEFAULT_LIMITS,
        max_connections: int = MAX_CONNECTIONS,
        max_unauthenticated: int = MAX_UNAUTHENTICATED,
    ) -> None:
        if tcp_port is not None and not token:
            raise CodesearchError("listening on TCP needs a token")
        if len(os.fsencode(socket_path)) > MAX_UNIX_SOCKET_PATH:
            raise CodesearchError(f"the socket path {socket_path} is too long for a Unix socket")
        self.socket_path = socket_path
        self.encoder = SharedEncoder(encoder)
        roots = None if fixed_roots is None else frozenset(root.resolve() for root in fixed_roots)
        self.registry = RepoRegistry(
            self.encoder, settings_for, fixed_roots=roots, on_round=self._broadcast_round
        )
        self._tcp_port = tcp_port
        self._token = token
        self._limits = limits
        self._max_connections = max_connections
        self._max_unauthenticated = max_unauthenticated
        self._executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="codesearch-request")
        self._lock = threading.Lock()  # guards _connections, _unauthenticated, _listeners, _is_stopping
        self._connections: set[Connection] = set()
        self._unauthenticated: set[Connection] = set()  # TCP, before initialize with the token
        self._listeners: list[socket.socket] = []
        self._is_stopping = False
        self._stopped = threading.Event()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._lock_fd: int | None = None
        self._acceptor: threading.Thread | None = None
        self.tcp_address: tuple[str, int] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Bind the sockets and start accepting. Raises CodesearchError if a server already runs."""
        prepare_private_dir(self.socket_path.parent)
        self._take_server_lock()
        try:
            self._listeners.append(bind_unix_socket(self.socket_path))
            if self._tcp_port is not None:
                tcp = socket.create_server(("127.0.0.1", self._tcp_port), backlog=64)
                self.tcp_address = tcp.getsockname()[:2]
                self._listeners.append(tcp)
        except OSError as exc:
            self._close_listeners()
            self._release_server_lock()
            raise CodesearchError(f"cannot listen: {exc}") from exc
        self._state = ServerState(
            self.registry,
            self.encoder.model_id,
            __version__,
            time.time(),
            self.address,
            self._token,
            self.connection_count,
        )
        self._acceptor = threading.Thread(target=self._accept_loop, name="codesearch-accept", daemon=True)
        self._acceptor.start()
        write_info(info_path_for(self.socket_path), self._info())
        logger.info("listening on %s", self.address)

    def stop(self) -> None:
        """Stop accepting, end every connection, finish running requests, close the repositories."""
        with self._lock:
            if self._is_stopping:
                return
            self._is_stopping = True
            connections = list(self._connections)
        self._wake_writer.send(b"x")
        if self._acceptor is not None:
            self._acceptor.join()
        for connection in connections:
            connection.close()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.registry.close()
        self._close_listeners()
        remove_quietly(info_path_for(self.socket_path))
        remove_quietly(self.socket_path)
        self._release_server_lock()
        self._wake_reader.close()
        self._wake_writer.close()
        self._stopped.set()
        logger.info("stopped")

    def request_stop(self) -> None:
        """Stop from a request's thread (stop waits for the pool, so it runs on its own thread)."""
        threading.Thread(target=self.stop, name="codesearch-stop", daemon=True).start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until the server has stopped; False on timeout."""
        return self._stopped.wait(timeout_s)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        tcp = f" and 127.0.0.1:{self.tcp_address[1]}" if self.tcp_address else ""
        return f"{self.socket_path}{tcp}"

    def connection_count(self) -> int:
        with self._lock:
            return len(self._connections)

    # -- accepting ---------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        listeners = list(self._listeners)
        while True:
            ready, _, _ = select.select([*listeners, self._wake_reader], [], [])
            if self._wake_reader in ready:
                return
            for listener in ready:
                try:
                    sock, _ = listener.accept()
                except OSError as exc:
                    logger.debug("accept failed: %s", exc)
                    continue
                self._start_connection(sock, is_tcp=listener.family != socket.AF_UNIX)

    def _start_connection(self, sock: socket.socket, *, is_tcp: bool) -> None:
        connection = Connection(
            sock, self._state, self._executor, self._limits, is_tcp=is_tcp, on_stop_request=self.request_stop,
            on_authorized=self._authorized,
        )
        with self._lock:
            is_refused = (
                self._is_stopping
                or sum(c.is_tcp == is_tcp for c in self._connections) >= self._max_connections
                or (is_tcp and len(self._unauthenticated) >= self._max_unauthenticated)
            )
            if not is_refused:
                self._connections.add(connection)
                if is_tcp:
                    self._unauthenticated.add(connection)
        if is_refused:
            connection.send(error_message(None, SERVER_BUSY, "too many connections; try again later"))
            connection.close()
            connection.release()
            return
        threading.Thread(
            target=self._serve, args=(connection,), name="codesearch-connection", daemon=True
        ).start()

    def _serve(self, connection: Connection) -> None:
        try:
            connection.run()
        finally:
            with self._lock:
                self._connections.discard(connection)
                self._unauthenticated.discard(connection)
            connection.release()

    def _authorized(self, connection: Connection) -> None:
        with self._lock:
            self._unauthenticated.discard(connection)

    def _broadcast_round(self, repo: ServedRepo, finished: WatchRound) -> None:
        """Tell the clients whose root is in ``repo`` that its index changed."""
        params: dict[str, Any] = {
            "root": str(repo.root),
            "generation": finished.generation,
            "error": finished.error,
            "summary": summary_to_json(finished.summary) if finished.summary else None,
        }
        with self._lock:
            listeners = [
                c
                for c in self._connections
                if c.session.root is not None and c.session.root.is_relative_to(repo.root)
            ]
        for connection in listeners:
            connection.send(notification_message("codesearch/indexUpdated", params))

    # -- the socket files --------------------------------------------------------------------

    def _take_server_lock(self) -> None:
        self._lock_fd = take_server_lock(self.socket_path)

    def _release_server_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _close_listeners(self) -> None:
        with self._lock:
            listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener.close()

    def _info(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "socket": str(self.socket_path),
            "tcpPort": self.tcp_address[1] if self.tcp_address else None,
            "version": __version__,
            "protocolVersion": PROTOCOL_VERSION,
            "model": self.encoder.model_id,
        }


def run_server(
    settings: Settings,
    settings_for: Callable[[Path], Settings],
    *,
    repos: Iterable[Path] = (),
    socket_path: Path | None = None,
    tcp_port: int | None = None,
    token_path: Path | None = None,
    on_ready: Callable[[Server], None] | None = None,
) -> None:
    """Load the encoder and serve until a ``shutdown {"server": true}`` or KeyboardInterrupt.

    With ``repos``, the server opens (creating if needed) those repositories' indexes at once and
    serves nothing else; without, it serves any indexed repository a client names.
    """
    from codesearch.encoder.model import Encoder
    from codesearch.server.address import default_socket_path, tcp_token

    socket_path = socket_path or default_socket_path()
    prepare_private_dir(socket_path.parent)  # before the model loads: a refusal is one line, at once
    token = tcp_token(token_path) if tcp_port is not None else None
    roots = [root.resolve() for root in repos]
    with (
        Encoder.load(settings.model, threads=settings.threads) as encoder,
        Server(
            encoder,
            settings_for,
            socket_path,
            tcp_port=tcp_port,
            token=token,
            fixed_roots=roots or None,
        ) as server,
    ):
        for root in roots:
            server.registry.get(root, settings.index_dir, create=True)
        if on_ready is not None:
            on_ready(server)
        while not server.wait(1.0):  # wake up now and then so Ctrl-C is handled promptly
            pass
