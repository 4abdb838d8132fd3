"""Helpers for LSP tests: a session run in a thread over real pipes, and a stand-in workspace.

The stand-in replaces the repository (index updates and searches) so these tests are about the
protocol: lifecycle, cancellation, progress. tests/lsp/test_workspace.py tests the real Workspace
against a real server; tests/lsp/test_stdio.py and tests/editors/test_nvim_lsp.py the real process.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from codesearch.errors import CodesearchError, IndexNotFoundError
from codesearch.lsp.session import LanguageServer, OpenWorkspace
from codesearch.records import IndexProgress, IndexSummary
from codesearch.server.protocol import (
    Notification,
    Request,
    Response,
    decode_message,
    encode_frame,
    notification_message,
    read_frame,
    request_message,
    result_message,
)

TIMEOUT_S = 20.0
REPO_ROOT = Path(__file__).resolve().parents[2]
SUMMARY = IndexSummary(
    files_total=2, files_new=2, files_changed=0, files_deleted=0, files_unchanged=0, chunks_total=3,
    chunks_embedded=3, chunks_cached=0, skipped_by_reason=(), syntax_error_files=(), failures=(), seconds=0.1,
    embed_seconds=0.05,
)


class StandInWorkspace:
    """A repository whose first index is built when the test says so (``finish_update``)."""

    def __init__(self, root: Path, options: Mapping[str, Any], *, has_index: bool = True) -> None:
        self.root = root
        self.options = dict(options)
        self.has_index = has_index
        self.update_started = threading.Event()
        self.update_may_end = threading.Event()
        self.update_error: Exception | None = None
        self.is_closed = False

    def will_update_index(self) -> bool:
        return True

    def update_index(self, on_progress: Any) -> IndexSummary | None:
        self.update_started.set()
        on_progress(IndexProgress(1, 2, 1, 0.01))
        assert self.update_may_end.wait(TIMEOUT_S)
        on_progress(IndexProgress(2, 2, 3, 0.02))
        if self.update_error is not None:
            raise self.update_error
        self.has_index = True
        return SUMMARY

    def finish_update(self, error: Exception | None = None) -> None:
        self.update_error = error
        self.update_may_end.set()

    def symbols(self, query: str, limit: int) -> list[dict[str, Any]]:
        if not self.has_index:
            raise IndexNotFoundError(f"no index found in {self.root}")
        if query == "too long":
            raise CodesearchError("the query is too long")
        return [{"name": query, "kind": 12, "limit": limit}]

    def close(self) -> None:
        self.is_closed = True


class FramedPeer:
    """The client's end of an LSP session: frames written to ``writer``, read from ``reader``."""

    def __init__(self, writer: BinaryIO, reader: BinaryIO) -> None:
        self._writer = writer
        self._reader = reader
        self._next_id = 1
        self.kept: list[Any] = []  # messages that arrived while waiting for an answer

    def send_raw(self, data: bytes) -> None:
        self._writer.write(data)
        self._writer.flush()

    def send(self, method: str, params: Any = None) -> int:
        request_id = self._next_id
        self._next_id += 1
        self.send_raw(encode_frame(request_message(request_id, method, params)))
        return request_id

    def notify(self, method: str, params: Any = None) -> None:
        self.send_raw(encode_frame(notification_message(method, params)))

    def respond(self, request_id: Any, result: Any) -> None:
        self.send_raw(encode_frame(result_message(request_id, result)))

    def receive(self) -> Any:
        """The next message from the server (kept ones first); None once it closed its output."""
        if self.kept:
            return self.kept.pop(0)
        body = read_frame(self._reader)
        return None if body is None else decode_message(body)

    def answer(self, request_id: Any) -> Response:
        """The answer to ``request_id``; the messages before it are kept for ``receive``."""
        for message in self.kept:
            if isinstance(message, Response) and message.id == request_id:
                self.kept.remove(message)
                return message
        while True:
            body = read_frame(self._reader)
            assert body is not None, "the server closed its output"
            message = decode_message(body)
            if isinstance(message, Response) and message.id == request_id:
                return message
            self.kept.append(message)

    def call(self, method: str, params: Any = None) -> Any:
        answer = self.answer(self.send(method, params))
        assert answer.error is None, answer.error
        return answer.result

    def next_request(self) -> Request:
        while not isinstance(message := self.receive(), Request):
            assert message is not None, "the server closed its output"
        return message

    def notifications(self, method: str) -> list[Any]:
        return [m.params for m in self.kept if isinstance(m, Notification) and m.method == method]

    def initialize(self, params: Any = None) -> Any:
        return self.call("initialize", {"capabilities": {}} if params is None else params)

    def rest(self) -> list[Any]:
        """Every message still to come, until the server closes its output."""
        messages = list(self.kept)
        self.kept.clear()
        while (message := self.receive()) is not None:
            messages.append(message)
        return messages


class PipeSession(FramedPeer):
    """A LanguageServer serving over a pair of real pipes in a thread, and the client's end of them."""

    def __init__(self, open_workspace: OpenWorkspace, default_root: Path, **kwargs: Any) -> None:
        to_server_r, to_server_w = os.pipe()
        from_server_r, from_server_w = os.pipe()
        super().__init__(os.fdopen(to_server_w, "wb", buffering=0), os.fdopen(from_server_r, "rb"))
        server_in, server_out = os.fdopen(to_server_r, "rb"), os.fdopen(from_server_w, "wb")
        self.server = LanguageServer(open_workspace, default_root, **kwargs)
        self.exit_code: int | None = None

        def serve() -> None:
            with server_in, server_out:
                self.exit_code = self.server.run(server_in, server_out)

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()

    def close_input(self) -> int | None:
        """Close the server's stdin and return its exit code (None if it did not end in time)."""
        self._writer.close()
        return self.wait()

    def wait(self) -> int | None:
        self._thread.join(TIMEOUT_S)
        return self.exit_code

    def close(self) -> None:
        if not self._writer.closed:
            self._writer.close()
        self._thread.join(TIMEOUT_S)
        self._reader.close()


class LspProcess(FramedPeer):
    """A real `codesearch lsp` process and the client's end of its stdin and stdout."""

    def __init__(self, args: list[str], *, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "codesearch", "lsp", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        super().__init__(self.process.stdin, self.process.stdout)

    def finish(self) -> tuple[int, list[Any], str]:
        """Close stdin; the exit code, every message not yet read, and stderr."""
        with contextlib.suppress(BrokenPipeError):
            self._writer.close()
        messages = self.rest()
        assert self.process.stderr is not None
        stderr = self.process.stderr.read().decode("utf-8", "replace")
        return self.process.wait(TIMEOUT_S), messages, stderr


def lsp_environment(**extra: str) -> dict[str, str]:
    """The environment of a `codesearch lsp` subprocess: this checkout importable."""
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path, **extra}
