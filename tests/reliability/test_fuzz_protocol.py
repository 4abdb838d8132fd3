"""Property tests of the server's outside edge: LSP framing, JSON-RPC messages, every method's params.

A real server (in this process, hashing stand-in encoder, serving one fixed repository) gets
hostile byte streams and random well-framed requests over its Unix socket. Whatever arrives,
it answers only with well-formed frames, never with INTERNAL_ERROR (a bug: an exception that
escaped a handler), and keeps serving other clients.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codesearch.errors import ProtocolError
from codesearch.server.protocol import (
    INTERNAL_ERROR,
    MAX_HEADER_LINE_BYTES,
    InvalidMessage,
    Notification,
    Request,
    Response,
    decode_message,
    encode_frame,
    read_frame,
    request_message,
)
from codesearch.server.serve import Server
from tests.reliability.harness import record
from tests.server.helpers import CART, LIMITS, TIMEOUT_S, RawClient, start_server

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
METHODS = ("initialize", "search", "similar", "workspace/symbol", "status", "reindex", "no/such/method")
PARAM_NAMES = ("root", "rootUri", "rootPath", "workspaceFolders", "indexDir", "create", "query", "k", "limit",
               "languages", "path", "line", "includeCode", "full", "ifServed", "exact", "workDoneToken", "token")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Server, Path]]:
    folder = Path(tempfile.mkdtemp(prefix="cs-fuzz-"))
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


def exchange(server: Server, data: bytes) -> list[Any]:
    """Send ``data`` and return every message the server sent back, all its answers included.

    Requests run concurrently on the server's pool and a client that leaves loses its pending
    answers, so the connection stays open until every request the server will have parsed (the
    same parser, run here) is answered; a stream the server must cut off is read to its end.
    """
    expected = answered_ids(data)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT_S)
        sock.connect(str(server.socket_path))
        reader = sock.makefile("rb")
        messages = []
        try:
            sock.sendall(data)
            while expected:  # every answer must be a whole, valid frame
                body = read_frame(reader)
                assert body is not None, f"the server closed with {expected} unanswered"
                messages.append(decode_message(body))
                if isinstance(messages[-1], Response) and messages[-1].id in expected:
                    expected.remove(messages[-1].id)  # (errors about unparsable messages have no id)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            assert expected is None or not expected  # only a stream that breaks the framing is cut off
        while (body := _read_frame_or_reset(reader)) is not None:
            messages.append(decode_message(body))
        reader.close()
    return messages


def answered_ids(data: bytes) -> list[Any] | None:
    """The ids of the requests the server will answer, or None when it will cut the stream off."""
    stream = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    ids = []
    try:
        while (body := read_frame(stream, LIMITS.max_message_bytes)) is not None:
            try:
                message = decode_message(body)
            except InvalidMessage:
                continue  # answered at once, and the connection carries on
            if isinstance(message, Notification) and message.method == "exit":
                return None
            if isinstance(message, Request):
                ids.append(message.id)
    except ProtocolError:
        return None
    return ids


def _read_frame_or_reset(reader: Any) -> bytes | None:
    try:
        return read_frame(reader)
    except ConnectionResetError:
        return None


def assert_no_internal_errors(messages: list[Any]) -> None:
    for message in messages:
        assert isinstance(message, Response | Notification), message
        if isinstance(message, Response) and message.error is not None:
            assert message.error.code != INTERNAL_ERROR, message.error.message


def assert_still_serving(server: Server, repo: Path) -> None:
    client = RawClient(server.socket_path)
    try:
        result = client.call("search", {"root": str(repo), "query": "total price", "k": 2})
        assert result["hits"][0]["qualified_name"] == "Cart.total_price"
    finally:
        client.close()


frames = st.builds(
    lambda message: encode_frame(message),
    st.builds(request_message, st.integers(0, 10**6), st.sampled_from(METHODS), st.none()),
)
header_noise = st.sampled_from([
    b"Content-Length: 5\r\n\r\n", b"Content-Length: -1\r\n\r\n", b"Content-Length: 99999999999\r\n\r\n",
    b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", b"content-length:  3 \n\n{}}", b"\r\n",
    b"X" * (MAX_HEADER_LINE_BYTES + 10) + b"\r\n", b"Content-Type: utf-8\r\n" * 20, b"Content-Length: 1e3\r\n\r\n",
    b"Content-Length: \xff\r\n\r\n",
])


@FUZZ
@given(st.lists(frames | header_noise | st.binary(max_size=200), max_size=6).map(b"".join))
def test_any_byte_stream_gets_well_formed_answers(served: tuple[Server, Path], data: bytes) -> None:
    server, _ = served
    assert_no_internal_errors(exchange(server, data))
    record("protocol byte streams tried")


@FUZZ
@given(
    st.sampled_from(METHODS),
    st.dictionaries(st.sampled_from(PARAM_NAMES), JSON, max_size=5) | JSON,
    st.one_of(st.integers(-5, 10**9), st.text(max_size=8), st.none(), st.booleans(), st.floats()),
)
def test_any_request_gets_an_answer_and_never_an_internal_error(
    served: tuple[Server, Path], method: str, params: Any, request_id: Any
) -> None:
    server, repo = served
    if isinstance(params, dict) and params.get("root") == "@repo":
        params["root"] = str(repo)
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    body = json.dumps(message, allow_nan=True).encode()
    answers = exchange(server, b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    assert_no_internal_errors(answers)
    if isinstance(request_id, int | str) and not isinstance(request_id, bool):
        assert [a.id for a in answers if isinstance(a, Response)] == [request_id]
    record("JSON-RPC requests tried")


@FUZZ
@given(
    st.sampled_from(["search", "similar", "workspace/symbol", "reindex", "status"]),
    st.fixed_dictionaries(
        {"root": st.just("@repo")},
        optional={name: JSON | st.text(alphabet=st.characters(codec="utf-8"), max_size=30) for name in PARAM_NAMES[4:]},
    ),
)
def test_params_of_a_served_repository_never_crash_a_handler(
    served: tuple[Server, Path], method: str, params: dict[str, Any]
) -> None:
    server, repo = served
    params["root"] = str(repo)
    if method == "reindex":
        params.pop("full", None)  # a full reindex re-embeds everything: slow, and covered elsewhere
    body = json.dumps(request_message(1, method, params)).encode()
    answers = exchange(server, b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    assert_no_internal_errors(answers)
    assert [a.id for a in answers if isinstance(a, Response)] == [1]
    record("JSON-RPC requests tried")


def test_the_server_still_serves_after_the_fuzzing(served: tuple[Server, Path]) -> None:
    server, repo = served
    assert_still_serving(server, repo)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_read_frame_and_decode_message_raise_only_protocol_errors(data: bytes) -> None:
    stream = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    with contextlib.suppress(ProtocolError):
        while (body := read_frame(stream, max_bytes=1000)) is not None:
            with contextlib.suppress(InvalidMessage):
                assert isinstance(decode_message(body), Request | Notification | Response)
    record("protocol byte streams tried")


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.dictionaries(st.text(max_size=10), JSON, max_size=4), min_size=1, max_size=5))
def test_frames_round_trip_byte_exact(messages: list[dict[str, Any]]) -> None:
    stream = io.BufferedReader(io.BytesIO(b"".join(encode_frame(m) for m in messages)))  # type: ignore[arg-type]
    for message in messages:
        body = read_frame(stream)
        assert body is not None and json.loads(body) == json.loads(json.dumps(message))
    assert read_frame(stream) is None
    record("protocol byte streams tried")
