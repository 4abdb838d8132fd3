"""Fuzz target ``live LSP``: one real ``codesearch lsp REPO`` process fed hostile messages over its stdin.

Its searches go to a live ``codesearch serve REPO`` (live.py; the LSP process finds it through its
runtime folder, as an editor's would), so no model loads in either. The session is initialized and
told ``initialized`` (the index update then runs through the server) before the first input. Each input
is one frame: ``workspace/symbol`` with any query (NULs, lone surrogates, a megabyte, no string at all),
requests of methods the server does not have, a second ``initialize``, ``$/cancelRequest`` and other
notifications with any params, responses nobody asked for, envelopes that are no JSON-RPC, bytes that are
not JSON or not UTF-8, and JSON nested past the parser's limit. ``shutdown`` and ``exit`` end the session,
and a frame that breaks the framing ends it too (LSP's answer: exit code 1), so they come only at the end.
After each input a ``workspace/symbol`` search closes it: by then it must have had exactly the answers it
is due, checked as live_socket.py checks them (no -32603, nothing from World.outside, every symbol's URI
in the repository). At the end the session still answers a search, then ends with exit code 0 after
``shutdown`` and ``exit``, no traceback on its stderr; the server behind it is checked as live.py does.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from codesearch.server.protocol import Notification, Response, encode_frame, notification_message, read_frame
from codesearch.server.protocol import request_message as request
from tests.fuzz import hostile_values
from tests.fuzz.deep_nesting import hostile_message_bytes
from tests.fuzz.harness import ANSWERED, REFUSED, Failure, Target, World, clipped, register
from tests.fuzz.live import WAIT_S, LiveServer, StderrKept, check_message, live_server, start_client
from tests.fuzz.live_socket import ODD_BODIES, checked_result, due_answers, request_id

SERVED = "served-lsp"
REQUESTS = ("workspace/symbol",) * 6 + ("initialize", "textDocument/definition", "no/such/method", "")
NOTIFICATIONS = ("initialized", "$/cancelRequest", "workspace/didChangeWatchedFiles", "textDocument/didOpen",
                 "$/setTrace", "window/workDoneProgress/cancel")
PARAMS = ("query", "limit", "rootUri", "rootPath", "workspaceFolders", "capabilities", "initializationOptions", "id",
          "processId", "changes")


def message(world: World, rng: random.Random) -> dict[str, Any]:
    repo = world.outside.parent / SERVED
    shape = rng.random()
    if shape < 0.75:
        found: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id(rng), "method": rng.choice(REQUESTS)}
    elif shape < 0.9:
        found = {"jsonrpc": "2.0", "method": rng.choice(NOTIFICATIONS)}
    else:  # a response, to a request the server never sent, or to one it did ("codesearch-1")
        found = {"jsonrpc": "2.0", "id": rng.choice(("codesearch-1", request_id(rng))),
                 rng.choice(("result", "error")): hostile_values.value(rng, world, repo)}
    if "method" in found and rng.random() < 0.9:
        found["params"] = hostile_values.params(rng, world, repo, PARAMS)
        if found["method"] == "workspace/symbol" and rng.random() < 0.8:
            found["params"]["query"] = hostile_values.sensible("query", rng, world, repo)
    if rng.random() < 0.06:
        found[rng.choice(("jsonrpc", "method", "id"))] = hostile_values.value(rng, world, repo)
    return found


def body(world: World, rng: random.Random) -> bytes:
    return hostile_message_bytes(rng, lambda: message(world, rng), ODD_BODIES)


@dataclass
class Session:
    server: LiveServer
    process: subprocess.Popen[bytes]
    stderr: StderrKept
    sentinels: int = 0

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def receive(self) -> Any:
        """The next message (checked as every answer is), or None once the session closed its output."""
        assert self.process.stdout is not None
        data = read_frame(self.process.stdout)
        return None if data is None else check_message(data)

    def answer(self, request_id: str) -> Response:
        while (found := self.receive()) is not None:
            if isinstance(found, Response) and found.id == request_id:
                return found
        raise Failure(f"the session ended before answering {request_id}: {clipped(self.stderr.text())}")


@contextmanager
def live(world: World) -> Iterator[Session]:
    with live_server(world, SERVED) as server:
        process = start_client(server, world.outside, "lsp")
        session = Session(server, process, StderrKept(process))
        try:
            session.send(encode_frame(request("init", "initialize", {"rootUri": world.outside.as_uri()})))
            session.answer("init")
            session.send(encode_frame(notification_message("initialized", {})))
            yield session
            _end(session)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(WAIT_S)
            text = session.stderr.close()
        if "Traceback" in text:
            raise Failure(f"a traceback on the language server's stderr: {clipped(text)}")


def _end(session: Session) -> None:
    if session.process.poll() is not None:
        raise Failure(f"the language server ended with exit code {session.process.poll()}")
    session.send(encode_frame(request("last", "workspace/symbol", {"query": "total price"})))
    if not session.answer("last").result:
        raise Failure("no symbols for a good search after the fuzzing")
    session.send(encode_frame(request("bye", "shutdown")) + encode_frame(notification_message("exit")))
    session.answer("bye")
    with suppress(BrokenPipeError):
        assert session.process.stdin is not None
        session.process.stdin.close()
    if session.process.wait(WAIT_S) != 0:
        raise Failure(f"the language server ended with exit code {session.process.returncode}")


def check_message_sent(session: Session, sent: bytes) -> str:
    session.sentinels += 1
    sentinel = f"sentinel-{session.sentinels}"
    session.send(b"Content-Length: %d\r\n\r\n%s" % (len(sent), sent)
                 + encode_frame(request(sentinel, "workspace/symbol", {"query": "total price"})))
    due_id, due_error = due_answers(sent)
    outcome = ANSWERED
    has_due, last, null_errors = due_id is None, None, 0
    while not (has_due and last is not None):
        found = session.receive()
        if found is None:
            raise Failure(f"the session ended (due: {due_id!r}): {clipped(session.stderr.text())}")
        if isinstance(found, Notification):
            continue  # window/showMessage, $/progress
        if found.id == sentinel and last is None:
            last = found
        elif due_id is not None and found.id == due_id and not has_due:
            has_due = True
            outcome = REFUSED if found.error is not None else checked_result(session.server.repo, found)
        elif found.id is None and found.error is not None and last is None:
            null_errors += 1
            outcome = REFUSED
        else:
            raise Failure(f"an answer nobody was due: {found}")
    if null_errors != due_error or not last.result:
        raise Failure(f"{null_errors} errors with id null ({int(due_error)} due); the search after: {last}")
    return outcome


register(Target("live LSP", body, check_message_sent, inputs=800, timeout_s=30.0, live=live))
