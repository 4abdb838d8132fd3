"""Fuzz target ``frames``: byte streams read as the socket and ``codesearch lsp`` read them (framing, then JSON-RPC).

``read_frame`` then ``decode_message``, over hostile headers (missing, repeated, huge or non-numeric
Content-Length, long and unterminated lines), bodies cut short, bytes that are not UTF-8 and JSON that is
not a JSON-RPC message. Every stream gives messages or a ``ProtocolError``, whose code the server answers.
JSON nested past the parser's limit (issue "Hostile input", row 9) has a target of its own,
deep_nesting.py; live_socket.py and live_lsp.py feed such frames to real processes.
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

from codesearch.errors import ProtocolError
from codesearch.server.protocol import decode_message, read_frame
from tests.fuzz.harness import ANSWERED, REFUSED, Target, World, random_text, register

KEYS = ("jsonrpc", "id", "method", "params", "result", "error", "code", "message", "query", "k")
HEADERS = (b"Content-Length: %d\r\n", b"content-length:%d\n", b"Content-Length: %d\r\nContent-Length: %d\r\n",
           b"Content-Length: -%d\r\n", b"Content-Length: 0x%d\r\n", b"Content-Type: x\r\n", b"Content-Length %d\r\n",
           b"Content-Length: 99999999999999\r\n", b"Content-Length: 5\r\nContent-Type: x\r\n", b"\xff: %d\r\n")
BODIES = (b"{not json", b"[]", b"\xff\xfe", b'{"jsonrpc":"2.0","id":1,"method":"search","params":"x"}', b'"\\udcff"',
          b"\x00", b'{"jsonrpc":"2.0","id":[],"method":"x"}', b'{"jsonrpc":"2.0","method":7}')


def json_value(rng: random.Random, depth: int = 0) -> Any:
    shape = rng.randrange(8 if depth < 3 else 6)
    if shape == 0:
        return None
    if shape == 1:
        return rng.random() < 0.5
    if shape == 2:
        return rng.choice((rng.randint(-(2**70), 2**70), 0, -1, 2**63))
    if shape == 3:
        return rng.choice((rng.uniform(-1e9, 1e9), 1e308, -0.0))
    if shape in (4, 5):
        return random_text(rng, 20)
    if shape == 6:
        return [json_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(KEYS) if rng.random() < 0.7 else random_text(rng, 6): json_value(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


def message(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.6:  # a well-formed request or notification, with any params
        request = {"jsonrpc": "2.0", "method": rng.choice(("search", "initialize", "exit", random_text(rng, 10))),
                   "params": {rng.choice(KEYS): json_value(rng, 1) for _ in range(rng.randint(0, 3))}}
        return request | ({"id": rng.randint(-5, 2**40)} if rng.random() < 0.7 else {})
    found: dict[str, Any] = {"jsonrpc": "2.0" if rng.random() < 0.7 else json_value(rng)}
    for key in rng.sample(("id", "method", "params", "result", "error"), rng.randint(0, 4)):
        found[key] = (rng.choice(("search", "initialize", "", "exit")) if key == "method" and rng.random() < 0.6
                      else rng.randint(-5, 2**40) if key == "id" and rng.random() < 0.6 else json_value(rng, 1))
    return found


def body(rng: random.Random) -> bytes:
    shape = rng.randrange(9)
    if shape <= 4:  # surrogates go out as \\ud800 escapes, which json.loads turns back into lone surrogates
        return json.dumps(message(rng)).encode()
    if shape == 5:
        return json.dumps(json_value(rng)).encode()
    if shape == 6:
        return rng.randbytes(rng.randint(0, 80))
    if shape == 7:
        return b"1" * rng.choice((5000, 70_000))  # past int()'s 4,300 digits
    return rng.choice(BODIES)


def frame(rng: random.Random) -> bytes:
    data = body(rng)
    header = rng.choice(HEADERS) if rng.random() < 0.2 else HEADERS[0]
    if rng.random() < 0.02:
        header = b"X" * 70_000 + b"\r\n"  # a header line past the limit
    framed = header.replace(b"%d", str(len(data)).encode()) + b"\r\n" + data
    return framed[: rng.randint(0, len(framed))] if rng.random() < 0.08 else framed


def stream(world: World, rng: random.Random) -> bytes:
    if rng.random() < 0.05:
        return rng.randbytes(rng.randint(0, 300))
    return b"".join(frame(rng) for _ in range(rng.randint(1, 3))) + (rng.randbytes(8) if rng.random() < 0.05 else b"")


def check_stream(world: World, data: bytes) -> str:
    rfile = io.BytesIO(data)
    try:
        for _ in range(8):  # a stream holds a few frames at most
            found = read_frame(rfile, max_bytes=64 * 1024)
            if found is None:
                return ANSWERED
            decode_message(found)
    except ProtocolError:  # InvalidMessage included: answered with its JSON-RPC code
        return REFUSED
    return ANSWERED


register(Target("frames", stream, check_stream, inputs=2000, timeout_s=10.0))
