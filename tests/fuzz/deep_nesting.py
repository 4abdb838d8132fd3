"""Fuzz target ``deep nesting``: JSON nested past the parser's limit (issue "Hostile input", row 9), and nested
almost to it, through the socket server's, the language server's and the MCP transport's reading of a message.

A message is arrays, objects or both opened up to 200 KB deep (``[[[[``, ``{"a":{"a":``), closed or not, alone
or inside the params of a request. Past the limit (1,200 levels and more) every path answers exactly
``{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "..."}}`` and goes on serving: the
socket server (in this process, on a Unix socket), a ``codesearch lsp`` session (LanguageServer over
pipes, in a thread, its workspace answered by that server) and ``codesearch mcp``'s line reader
(``checked_message``). Up to 800 levels the message parses, and whatever it is gets its one answer (a
request whose params hold the nesting is answered as usual; nothing walks a message recursively). The live
targets send such frames to real processes too.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mcp_types

from codesearch.cli.mcp_stdio import checked_message
from codesearch.config import Settings
from codesearch.lsp.workspace import Workspace
from codesearch.server.connection import ConnectionLimits
from codesearch.server.protocol import PARSE_ERROR, Response, encode_frame, request_message
from codesearch.server.serve import Server
from tests.fuzz.harness import ANSWERED, REFUSED, Failure, Target, World, random_text, register
from tests.fuzz.live import FramedSocket
from tests.fuzz.repositories import index_with_hashing, write_repo
from tests.lsp.helpers import PipeSession
from tests.server.helpers import start_server

OPENINGS = ((b"[", b"]"), (b'{"a":', b"}"), (b'[{"a":', b"}]"), (b'{"":[', b"]}"))
SHALLOWEST_REFUSED = 1_200  # the parser's limit is about 1,000 levels, less the caller's own frames
DEEPEST_PARSED = 800
SERVED = "served-deep"


@dataclass(frozen=True)
class Nested:
    body: bytes
    is_deep: bool  # past the parser's limit: -32700
    request_id: int | None  # the id of the request that holds the nesting, or None for a bare value


def nested(rng: random.Random, root: Path | None = None) -> Nested:
    opening, closing = rng.choice(OPENINGS)
    is_deep = rng.random() < 0.7
    if is_deep:
        depth = rng.choice((SHALLOWEST_REFUSED, rng.randint(SHALLOWEST_REFUSED, 60_000), 200_000 // len(opening)))
    else:
        depth = rng.choice((1, 2, rng.randint(1, DEEPEST_PARSED), DEEPEST_PARSED))
    units = max(1, depth // (opening.count(b"[") + opening.count(b"{")))  # levels per opening: 1 or 2
    inner = b"1" if opening.endswith(b":") else rng.choice((b"", b"1", b'"x"'))
    is_closed = rng.random() < 0.6
    value = opening * units + inner + (closing * units if is_closed else b"")
    if rng.random() < 0.4 or not (is_closed or is_deep):  # JSON that is not closed is no request
        return Nested(value, is_deep, None)
    request_id = rng.getrandbits(40)
    where = b'"query":"total price","x":' if rng.random() < 0.5 else b'"query":'
    rooted = b'"root":%s,' % json.dumps(str(root)).encode() if root is not None else b""
    envelope = b'{"jsonrpc":"2.0","id":%d,"method":"workspace/symbol","params":{%s%s' % (request_id, rooted, where)
    return Nested(envelope + value + b"}}", is_deep, request_id)


def nested_json(rng: random.Random) -> bytes:
    """Just the bytes, for the live targets."""
    return nested(rng).body


def hostile_message_bytes(rng: random.Random, message: Callable[[], Mapping[str, Any]],
                          odd: tuple[bytes, ...]) -> bytes:
    """One message body of a live target: mostly ``message()`` as JSON (escaped or raw, lone surrogates
    kept), else nesting past the parser's limit, one of ``odd``, or junk bytes or text."""
    shape = rng.random()
    if shape < 0.86:
        text = json.dumps(message(), ensure_ascii=rng.random() < 0.85, allow_nan=True)
        return text.encode("utf-8", "surrogatepass")
    if shape < 0.9:
        return nested_json(rng)
    if shape < 0.97:
        return rng.choice(odd)
    return rng.randbytes(rng.randint(1, 60)) if rng.random() < 0.5 else random_text(rng, 40).encode("utf-8", "replace")


@dataclass
class Paths:
    server: Server
    repo: Path
    client: FramedSocket  # a connection to the server
    language_server: PipeSession  # a session of `codesearch lsp`, in a thread
    sentinels: int = 0

    def next_sentinel(self) -> str:
        """The id of a request sent after an input: its answer closes the input's."""
        self.sentinels += 1
        return f"sentinel-{self.sentinels}"


@contextmanager
def live(world: World) -> Iterator[Paths]:
    repo = write_repo(world.outside.parent / SERVED)
    index_with_hashing(repo)
    server = start_server(world.outside.parent / f"{SERVED}.sock", limits=ConnectionLimits(), fixed_roots=[repo])

    def open_workspace(root: Path, options: Mapping[str, Any]) -> Workspace:
        return Workspace(root, Settings(), create_index=False, socket_path=server.socket_path)

    language_server = PipeSession(open_workspace, repo, fixed_root=repo)
    try:
        language_server.initialize()
        with FramedSocket(server.socket_path) as client:
            yield Paths(server, repo, client, language_server)
        language_server.call("shutdown")
        language_server.notify("exit")
        if language_server.wait() != 0:
            raise Failure("the language server did not end cleanly")
    finally:
        language_server.close()
        server.stop()
        shutil.rmtree(repo, ignore_errors=True)


def generate(world: World, rng: random.Random) -> Nested:
    return nested(rng, world.outside.parent / SERVED)


def check_nested(paths: Paths, given: Nested) -> str:
    outcome = _over_the_socket(paths, given)
    for path, answers in (("codesearch lsp", _in_a_language_server(paths, given)), ("mcp", _in_mcp(given))):
        if given.is_deep and answers != [PARSE_ERROR]:
            raise Failure(f"{path} answered {answers}, not one -32700")
    return outcome


def _over_the_socket(paths: Paths, given: Nested) -> str:
    sentinel = paths.next_sentinel()
    paths.client.send(b"Content-Length: %d\r\n\r\n%s" % (len(given.body), given.body)
                      + encode_frame(request_message(sentinel, "fuzz/sentinel")))
    mine = _answers_until(paths.client.receive, sentinel, given)[0]
    if given.is_deep:
        _parse_error_only(mine)
        return REFUSED
    if len(mine) != 1 or mine[0].id != given.request_id:
        raise Failure(f"a message nested {len(given.body)} bytes deep answered with {mine}")
    return ANSWERED if mine[0].error is None else REFUSED


def _answers_until(receive: Callable[[], Any], sentinel: str, given: Nested) -> tuple[list[Response], Response]:
    """The answers to ``given`` and the sentinel's, read until both arrived (requests are answered in any order)."""
    mine: list[Response] = []
    last = None
    while last is None or (not given.is_deep and given.request_id is not None and not mine):
        answer = receive()
        if answer is None:
            raise Failure("the connection or session ended")
        if isinstance(answer, Response) and answer.id == sentinel:
            last = answer
        elif isinstance(answer, Response):
            mine.append(answer)
    return mine, last


def _parse_error_only(answers: list[Response]) -> None:
    if len(answers) != 1 or answers[0].id is not None or answers[0].error is None:
        raise Failure(f"answered with {answers}, not one -32700")
    if answers[0].error.code != PARSE_ERROR or answers[0].result is not None:
        raise Failure(f"answered with {answers[0]}, not -32700")


def _in_a_language_server(paths: Paths, given: Nested) -> list[int]:
    """The error codes the session answered ``given`` with; the search sent after it must be answered."""
    sentinel = paths.next_sentinel()
    session = paths.language_server
    session.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(given.body), given.body)
                     + encode_frame(request_message(sentinel, "workspace/symbol", {"query": "total price"})))
    mine, last = _answers_until(session.receive, sentinel, given)
    if not last.result:
        raise Failure(f"the session did not answer the search after it: {last}")
    if given.is_deep:
        _parse_error_only(mine)
    elif given.request_id is not None and [answer.id for answer in mine] != [given.request_id]:
        raise Failure(f"the session answered {mine}")
    return [answer.error.code for answer in mine if answer.id is None and answer.error is not None]


def _in_mcp(given: Nested) -> list[int]:
    checked = checked_message(given.body)
    if isinstance(checked, mcp_types.JSONRPCError):
        if checked.id is not None and given.is_deep:
            raise Failure(f"mcp answered {checked}")
        return [checked.error.code]
    return []


register(Target("deep nesting", generate, check_nested, inputs=400, timeout_s=20.0, live=live))
