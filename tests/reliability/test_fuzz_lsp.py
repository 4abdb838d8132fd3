"""Property tests of `codesearch lsp`'s outside edge: LSP framing, JSON-RPC messages, lifecycle.

The language server (in this process, its repository served by a real socket server with the
hashing stand-in encoder) reads hostile byte streams and random well-framed messages. Whatever
arrives, it ends with exit code 0 or 1 and never raises, writes only well-formed frames, never
answers INTERNAL_ERROR, and answers every request it parsed exactly once. The same streams, fed to
a real `codesearch lsp` process over its stdin, end it cleanly with no traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codesearch.config import Settings
from codesearch.errors import ProtocolError
from codesearch.lsp.session import LanguageServer
from codesearch.lsp.workspace import Workspace
from codesearch.server.protocol import (
    INTERNAL_ERROR,
    InvalidMessage,
    Notification,
    Request,
    Response,
    decode_message,
    encode_frame,
    notification_message,
    read_frame,
    request_message,
)
from codesearch.server.serve import Server
from tests.lsp.helpers import LspProcess, lsp_environment
from tests.reliability.harness import record
from tests.reliability.test_fuzz_protocol import JSON, header_noise
from tests.server.helpers import CART, TIMEOUT_S, start_server

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
MAX_MESSAGE_BYTES = 64 * 1024
REQUESTS = ("initialize", "workspace/symbol", "shutdown", "textDocument/definition", "exit")
NOTIFICATIONS = ("initialized", "exit", "$/cancelRequest", "workspace/didChangeWatchedFiles", "textDocument/didOpen")
PARAM_NAMES = ("rootUri", "rootPath", "workspaceFolders", "capabilities", "initializationOptions", "query", "id",
               "changes", "processId")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Server, Path]]:
    folder = Path(tempfile.mkdtemp(prefix="cs-fuzz-lsp-"))
    repo = (folder / "repo").resolve()
    (repo / ".git").mkdir(parents=True)
    (repo / "cart.py").write_text(CART)
    server = start_server(folder / "s.sock", fixed_roots=[repo])  # never indexes a path it is sent
    try:
        served_repo = server.registry.get(repo, None, create=True)
        assert served_repo.watcher.wait_for(1, TIMEOUT_S) is not None
        yield server, repo
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def serve_bytes(served: tuple[Server, Path], data: bytes) -> tuple[int, list[Any]]:
    """Run a session of the real Workspace (searching through the server) on ``data``."""
    server, repo = served

    def open_workspace(root: Path, options: Mapping[str, Any]) -> Workspace:
        return Workspace(root, Settings(), create_index=False, socket_path=server.socket_path)

    language_server = LanguageServer(open_workspace, repo, fixed_root=repo, max_message_bytes=MAX_MESSAGE_BYTES)
    output = io.BytesIO()
    code = language_server.run(io.BufferedReader(io.BytesIO(data)), output)  # type: ignore[arg-type]
    return code, frames_of(output.getvalue())


def frames_of(data: bytes) -> list[Any]:
    """Every message in ``data``, which must be whole, valid frames and nothing else."""
    stream = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    messages = []
    while (body := read_frame(stream)) is not None:
        messages.append(decode_message(body))
    return messages


def parsed_request_ids(data: bytes) -> Counter[Any]:
    """The ids of the requests the server reads before the stream ends, breaks the framing, or exits."""
    stream = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    ids: Counter[Any] = Counter()
    with contextlib.suppress(ProtocolError):
        while (body := read_frame(stream, MAX_MESSAGE_BYTES)) is not None:
            try:
                message = decode_message(body)
            except InvalidMessage:
                continue
            if isinstance(message, Notification) and message.method == "exit":
                break
            if isinstance(message, Request):
                ids[message.id] += 1
    return ids


def assert_well_answered(data: bytes, code: int, messages: list[Any]) -> None:
    assert code in (0, 1)
    answered: Counter[Any] = Counter()
    for message in messages:
        assert isinstance(message, Response | Notification | Request), message
        if isinstance(message, Response):
            assert message.error is None or message.error.code != INTERNAL_ERROR, message.error.message
            if message.id is not None:
                answered[message.id] += 1
    assert answered == parsed_request_ids(data)


lsp_params = st.dictionaries(st.sampled_from(PARAM_NAMES), JSON | st.text(max_size=20), max_size=4)
messages = st.one_of(
    st.builds(request_message, st.integers(0, 20) | st.text(max_size=3), st.sampled_from(REQUESTS), lsp_params),
    st.builds(notification_message, st.sampled_from(NOTIFICATIONS), lsp_params),
    st.builds(lambda query: request_message(7, "workspace/symbol", {"query": query}), st.text(max_size=30)),
    st.builds(lambda request_id: notification_message("$/cancelRequest", {"id": request_id}), st.integers(0, 20)),
)
INITIALIZE = encode_frame(request_message(0, "initialize", {"capabilities": {}}))
streams = st.lists(messages.map(encode_frame) | header_noise | st.binary(max_size=120), max_size=8).map(b"".join)


@FUZZ
@given(streams)
def test_any_byte_stream_gets_well_formed_answers_and_a_clean_exit(served: tuple[Server, Path], data: bytes) -> None:
    code, messages = serve_bytes(served, data)
    assert_well_answered(data, code, messages)
    record("LSP byte streams tried")


@FUZZ
@given(streams)
def test_after_initialize_any_stream_gets_well_formed_answers(served: tuple[Server, Path], data: bytes) -> None:
    code, messages = serve_bytes(served, INITIALIZE + data)
    assert_well_answered(INITIALIZE + data, code, messages)
    record("LSP byte streams tried")


@FUZZ
@given(st.text(max_size=60) | JSON)
def test_any_symbol_query_is_answered(served: tuple[Server, Path], query: Any) -> None:
    data = INITIALIZE + encode_frame(request_message(5, "workspace/symbol", {"query": query}))
    code, messages = serve_bytes(served, data)
    assert_well_answered(data, code, messages)
    [answer] = [m for m in messages if isinstance(m, Response) and m.id == 5]
    assert answer.error is not None or isinstance(answer.result, list)
    record("LSP requests tried")


HOSTILE_STREAMS = {
    "bad header": b"Content-Length: twelve\r\n\r\n{}",
    "no Content-Length": b"Content-Type: application/vscode-jsonrpc\r\n\r\n{}",
    "huge message": b"Content-Length: 99999999999\r\n\r\n",
    "ends inside a frame": b'Content-Length: 100\r\n\r\n{"jsonrpc":',
    "binary garbage": bytes(range(256)) * 4,
    "invalid JSON, then requests": b"Content-Length: 5\r\n\r\n{nope" + INITIALIZE
    + encode_frame(request_message(1, "no/such/method", {}))
    + encode_frame(request_message(2, "workspace/symbol", {"query": "total price"})),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_STREAMS))
def test_the_real_process_exits_cleanly_on_hostile_input(name: str, tmp_path: Path) -> None:
    data = HOSTILE_STREAMS[name]
    lsp = LspProcess([], cwd=tmp_path, env=lsp_environment(XDG_RUNTIME_DIR=str(tmp_path)))
    with contextlib.suppress(BrokenPipeError):  # a process that already exited: its answers still count
        lsp.send_raw(data)
    code, messages, stderr = lsp.finish()
    assert code == 1, stderr  # no shutdown came: LSP's exit code 1
    assert "Traceback" not in stderr, stderr
    assert_well_answered(data, code, messages)
    record("LSP byte streams tried")


def test_a_huge_message_is_refused_without_reading_it(served: tuple[Server, Path]) -> None:
    body = json.dumps(request_message(1, "workspace/symbol", {"query": "x" * MAX_MESSAGE_BYTES})).encode()
    code, messages = serve_bytes(served, INITIALIZE + b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    assert code == 1
    assert [m.error.code for m in messages if isinstance(m, Response) and m.error] == [-32011]
