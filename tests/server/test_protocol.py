"""Framing and JSON-RPC messages over BytesIO."""

from __future__ import annotations

import io
import json
import threading

import pytest

from codesearch.errors import ProtocolError
from codesearch.server.protocol import (
    INVALID_REQUEST,
    MESSAGE_TOO_LARGE,
    PARSE_ERROR,
    InvalidMessage,
    MessageWriter,
    Notification,
    Request,
    Response,
    decode_message,
    encode_frame,
    error_message,
    notification_message,
    read_frame,
    request_message,
    result_message,
)


def frames(*chunks: bytes) -> io.BytesIO:
    return io.BytesIO(b"".join(chunks))


def test_frames_round_trip_and_count_bytes_not_characters() -> None:
    message = request_message(1, "search", {"query": "héllo wörld ✓"})
    frame = encode_frame(message)
    body = frame.split(b"\r\n\r\n", 1)[1]
    assert frame.startswith(b"Content-Length: %d\r\n\r\n" % len(body))
    assert len(body) > len(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
    stream = frames(frame, encode_frame(notification_message("exit")))
    assert decode_message(read_frame(stream) or b"") == Request(1, "search", {"query": "héllo wörld ✓"})
    assert decode_message(read_frame(stream) or b"") == Notification("exit", None)
    assert read_frame(stream) is None


def test_a_lone_surrogate_a_client_sent_is_written_back_as_an_escape() -> None:
    """An id read from ``"\\udcff"`` holds a lone surrogate, which UTF-8 cannot carry: the frame escapes it
    (found by tests/fuzz/live_socket.py: the write failed, and the server dropped the connection unanswered)."""
    message = result_message("r1 \udcff", {"root": "/é", "query": "x \ud800"})
    frame = encode_frame(message)
    assert frame.isascii() and b"\\udcff" in frame and b"\\u00e9" in frame
    assert decode_message(read_frame(frames(frame)) or b"") == Response("r1 \udcff", message["result"])
    assert b"\xc3\xa9" in encode_frame(result_message(1, "é"))  # no lone surrogate: UTF-8 as before


def test_other_headers_are_ignored_and_names_are_case_insensitive() -> None:
    stream = frames(b"content-type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: 2\r\n\r\n{}")
    assert read_frame(stream) == b"{}"
    assert read_frame(frames(b"Content-Length: 2\n\n{}")) == b"{}"


@pytest.mark.parametrize(
    "raw",
    [
        b"Content-Type: x\r\n\r\n{}",  # no length
        b"Content-Length: ten\r\n\r\n",
        b"Content-Length: -1\r\n\r\n",
        b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
        b"Garbage without a colon\r\n\r\n",
        b"Content-Length: 10\r\n\r\n{}",  # the stream ends inside the body
        b"Content-Length: 2\r\n",  # ... or inside the header
        b"X: " + b"a" * 5000 + b"\r\n\r\n",  # an endless header line
        b"X: y\r\n" * 40 + b"\r\n",  # endless header lines
    ],
)
def test_broken_frames_raise_protocol_error(raw: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        read_frame(frames(raw))
    assert caught.value.code == INVALID_REQUEST


def test_a_frame_over_the_limit_is_refused_before_its_body_is_read() -> None:
    stream = frames(b"Content-Length: 1000001\r\n\r\n")  # no body at all: it must not be waited for
    with pytest.raises(ProtocolError) as caught:
        read_frame(stream, max_bytes=1_000_000)
    assert caught.value.code == MESSAGE_TOO_LARGE


@pytest.mark.parametrize(
    ("body", "code", "request_id"),
    [
        (b"{not json", PARSE_ERROR, None),
        (b"\xff\xfe", PARSE_ERROR, None),
        (b"[" * 200_000, PARSE_ERROR, None),  # deeper than the parser's recursion limit
        (b'{"a":' * 200_000, PARSE_ERROR, None),
        (b"[1, 2]", INVALID_REQUEST, None),
        (b'{"jsonrpc": "1.0", "id": 4, "method": "x"}', INVALID_REQUEST, 4),
        (b'{"jsonrpc": "2.0", "id": 5, "method": 7}', INVALID_REQUEST, 5),
        (b'{"jsonrpc": "2.0", "id": 6, "method": "x", "params": 3}', INVALID_REQUEST, 6),
        (b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "x"}', INVALID_REQUEST, None),
        (b'{"jsonrpc": "2.0", "id": 7}', INVALID_REQUEST, 7),
    ],
)
def test_invalid_messages_carry_their_code_and_id(body: bytes, code: int, request_id: int | None) -> None:
    with pytest.raises(InvalidMessage) as caught:
        decode_message(body)
    assert (caught.value.code, caught.value.request_id) == (code, request_id)


def test_responses_decode_with_results_or_errors() -> None:
    assert decode_message(json.dumps(result_message(3, {"a": 1})).encode()) == Response(3, {"a": 1})
    failed = decode_message(json.dumps(error_message("x", -32000, "no index", {"k": 1})).encode())
    assert isinstance(failed, Response) and failed.error is not None
    assert (failed.id, failed.error.code, failed.error.message, failed.error.data) == (
        "x",
        -32000,
        "no index",
        {"k": 1},
    )


def test_concurrent_writers_never_interleave_frames() -> None:
    out = io.BytesIO()
    writer = MessageWriter(out)
    threads = [
        threading.Thread(target=lambda n=n: [writer.write(result_message(n, "x" * 5000)) for _ in range(20)])
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.seek(0)
    decoded = []
    while (body := read_frame(out)) is not None:
        decoded.append(decode_message(body))
    assert len(decoded) == 160 and all(isinstance(m, Response) and m.result == "x" * 5000 for m in decoded)
