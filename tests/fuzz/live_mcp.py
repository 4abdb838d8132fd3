"""Fuzz target ``live MCP``: one real ``codesearch mcp REPO`` process fed hostile lines on its stdin.

Its tools answer through a live ``codesearch serve REPO`` (live.py), so no model loads. The session is
initialized before the first input. Each input is one line: ``tools/call`` of ``search`` and ``similar``
(and of tools that do not exist) with arguments right, wrong in type, out of range, or naming files outside
the repository (World.outside by ``..``, by absolute path and URI, through a link in the repository), NULs
and lone surrogates in every text; other methods, notifications, responses, envelopes that are no JSON-RPC,
lines that are not JSON, not UTF-8, or nested past the parser's limit. After each input a ``ping`` closes
it. A line that is no JSON object must have had one error with id null; a request with a usable id one
answer with that id; anything else at most one answer. No answer holds World.outside's MARKER, and every
tool result's root is the repository and its hits' paths are inside it. At the end the process still
answers a search, ends with exit code 0 when its stdin closes, and has written nothing on stderr.
"""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fuzz import hostile_values
from tests.fuzz.deep_nesting import hostile_message_bytes
from tests.fuzz.harness import ANSWERED, MARKER, REFUSED, Failure, Target, World, clipped, register
from tests.fuzz.live import WAIT_S, LiveServer, StderrKept, live_server, start_client
from tests.fuzz.live_socket import request_id

SERVED = "served-mcp"
TOOLS: dict[str, tuple[str, ...]] = {
    "search": ("query", "k", "lang", "path", "include_code"),
    "similar": ("file", "line", "k", "include_code"),
    "no_such_tool": ("query",),
}
METHODS = ("tools/call",) * 8 + ("tools/list", "ping", "initialize", "resources/list", "prompts/get", "")
ODD_LINES = (b"{not json", b"[]", b"[{}]", b"7", b'"x"', b"null", b"\xff\xfe{}", b"{}", b'{"jsonrpc":"2.0"}',
             b'{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}', b'{"jsonrpc":"2.0","id":"\\udcff","method":"ping"}')


def tool_call(world: World, rng: random.Random) -> dict[str, Any]:
    repo = world.outside.parent / SERVED
    name = rng.choice(("search", "search", "similar", "similar", "no_such_tool"))
    arguments: Any = hostile_values.params(rng, world, repo, TOOLS[name])
    if name == "search" and rng.random() < 0.8:
        arguments["query"] = hostile_values.sensible("query", rng, world, repo)
    if name == "similar" and rng.random() < 0.7:
        arguments.setdefault("file", hostile_values.sensible("file", rng, world, repo))
        arguments.setdefault("line", hostile_values.sensible("line", rng, world, repo))
    if rng.random() < 0.05:
        arguments = hostile_values.value(rng, world, repo)
    return {"name": name if rng.random() < 0.95 else hostile_values.value(rng, world, repo), "arguments": arguments}


def message(world: World, rng: random.Random) -> dict[str, Any]:
    method = rng.choice(METHODS)
    found: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if rng.random() < 0.9:
        found["id"] = request_id(rng)
    if method == "tools/call":
        found["params"] = tool_call(world, rng)
    elif rng.random() < 0.5:
        found["params"] = hostile_values.value(rng, world, world.outside.parent / SERVED)
    if rng.random() < 0.06:
        found[rng.choice(("jsonrpc", "method", "id", "params"))] = hostile_values.value(rng, world, world.outside)
    return found


def line(world: World, rng: random.Random) -> bytes:
    # One line each: a newline in junk would make two messages of one input.
    return hostile_message_bytes(rng, lambda: message(world, rng), ODD_LINES).replace(b"\n", b" ").replace(b"\r", b" ")


@dataclass
class Session:
    server: LiveServer
    process: subprocess.Popen[bytes]
    stderr: StderrKept
    sentinels: int = 0

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data + b"\n")
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        """The next answer, checked: nothing from World.outside; a tool's result about the repository."""
        assert self.process.stdout is not None
        data = self.process.stdout.readline()  # (the input's deadline stops a wait for ever)
        if not data:
            raise Failure(f"the MCP server ended: {clipped(self.stderr.text())}")
        if MARKER.encode() in data:
            raise Failure(f"an answer from outside the repository: {data[:2000]!r}")
        answer: dict[str, Any] = json.loads(data)
        _check_tool_result(self.server.repo, answer.get("result"))
        return answer

    def answer(self, request_id: str) -> dict[str, Any]:
        while (found := self.receive()).get("id") != request_id:
            pass
        return found


def _check_tool_result(repo: Path, result: Any) -> None:
    if not isinstance(result, dict) or result.get("isError") or "structuredContent" not in result:
        return
    found = result["structuredContent"]
    hits = found.get("hits", [])
    if found.get("root") != str(repo) or any(hit["path"].startswith("/") or ".." in hit["path"] for hit in hits):
        raise Failure(f"a tool's answer about another folder: {json.dumps(found)[:2000]}")


@contextmanager
def live(world: World) -> Iterator[Session]:
    with live_server(world, SERVED) as server:
        process = start_client(server, world.outside, "mcp")
        session = Session(server, process, StderrKept(process))
        try:
            session.send(json.dumps({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}
            }).encode())
            session.answer("init")
            session.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}')
            yield session
            _end(session)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(WAIT_S)
            text = session.stderr.close()
        if text:
            raise Failure(f"the MCP server wrote on stderr: {clipped(text)}")


def _end(session: Session) -> None:
    session.send(json.dumps({"jsonrpc": "2.0", "id": "last", "method": "tools/call", "params": {
        "name": "search", "arguments": {"query": "total price", "k": 3}}}).encode())
    found = session.answer("last")["result"]
    if found.get("isError") or found["structuredContent"]["hits"][0]["qualified_name"] != "Cart.total_price":
        raise Failure(f"no good search after the fuzzing: {found}")
    with suppress(BrokenPipeError):
        assert session.process.stdin is not None
        session.process.stdin.close()
    if session.process.wait(WAIT_S) != 0:
        raise Failure(f"the MCP server ended with exit code {session.process.returncode}")


def due_answer(data: bytes) -> tuple[Any, int]:
    """(the id a request's one answer must have, or None; how many errors with id null are due: 1 for a
    line that is no JSON object, -1 for "at most one answer of any id"); a blank line is skipped."""
    if not data.strip():
        return None, 0
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, 1
    if not isinstance(parsed, dict):
        return None, 1
    raw_id = parsed.get("id")
    is_usable = isinstance(raw_id, int) and not isinstance(raw_id, bool)
    if isinstance(raw_id, str):
        is_usable = not any("\ud800" <= char <= "\udfff" for char in raw_id)  # no lone surrogate
    if is_usable and "method" in parsed:
        return raw_id, 0
    return None, -1


def check_line(session: Session, sent: bytes) -> str:
    session.sentinels += 1
    sentinel = f"sentinel-{session.sentinels}"
    session.send(sent)
    session.send(json.dumps({"jsonrpc": "2.0", "id": sentinel, "method": "ping"}).encode())
    due_id, due_errors = due_answer(sent)
    answers: list[dict[str, Any]] = []
    while not any(found.get("id") == sentinel for found in answers) or (
            due_id is not None and not any(found.get("id") == due_id for found in answers)):
        answers.append(session.receive())
    mine = [found for found in answers if found.get("id") != sentinel]
    if due_id is not None and [found.get("id") for found in mine] != [due_id]:
        raise Failure(f"a request answered with {mine}")
    if due_errors == 1 and [(found.get("id"), "error" in found) for found in mine] != [(None, True)]:
        raise Failure(f"a line that is no JSON object answered with {mine}")
    if len(mine) > 1:
        raise Failure(f"{len(mine)} answers: {mine}")
    if not mine:
        return ANSWERED  # a notification or a response: nothing to answer
    found = mine[0]
    return REFUSED if "error" in found or found.get("result", {}).get("isError") else ANSWERED


register(Target("live MCP", line, check_line, inputs=800, timeout_s=30.0, live=live))
