"""Fuzz target ``live socket server``: one real ``codesearch serve REPO`` process fed hostile messages over its
Unix socket (live.py starts it, with the hashing stand-in for the model).

Each input is one frame: a request of every method with params right, wrong in type, out of range, or
naming places outside the repository (World.outside by ``..``, by absolute path, by URI, through a link in
the repository; relative roots; NULs and lone surrogates), a notification, an envelope that is no JSON-RPC,
bytes that are not JSON or not UTF-8, JSON nested past the parser's limit, and now and then a header that
breaks the framing. After it comes a request of a method that does not exist, whose answer closes the
input: by then the frame must have had exactly the answers it is due (one for a request or a broken
message, with its id or null; none for a notification), and a broken frame one error and the end of the
connection, after which the next input connects again. No answer holds World.outside's MARKER or names
a root other than the served repository; the server never answers -32603. At the end (live.py) the
server still answers a good search, ends cleanly, and wrote no traceback.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesearch.server.protocol import (
    InvalidMessage,
    Notification,
    Request,
    Response,
    decode_message,
    encode_frame,
    request_message,
)
from tests.fuzz import hostile_values
from tests.fuzz.deep_nesting import nested_json
from tests.fuzz.harness import ANSWERED, REFUSED, Failure, Target, World, random_text, register
from tests.fuzz.live import FramedSocket, LiveServer, live_server

SERVED = "served-socket"  # the served repository: <base>/served-socket, beside World.outside
PARAMS: dict[str, tuple[str, ...]] = {
    "initialize": ("root", "rootUri", "rootPath", "workspaceFolders", "indexDir", "create", "token"),
    "search": ("root", "rootUri", "roots", "indexDir", "query", "k", "languages", "path", "includeCode"),
    "similar": ("path", "line", "k", "includeCode", "root", "rootUri", "indexDir"),
    "workspace/symbol": ("query", "limit", "root"),
    "reindex": ("root", "rootUri", "indexDir", "full", "ifServed", "exact", "workDoneToken"),
    "status": (),
    "shutdown": (),  # never {"server": true}: that ends the server, which the target checks at the end
    "$/cancelRequest": ("id",),
    "initialized": (),
    "no/such/method": ("query",),
}
METHODS = ("search",) * 6 + ("similar",) * 5 + ("initialize", "reindex") * 2 + tuple(PARAMS)
BREAKING_HEADERS = (b"Content-Length: -3\r\n\r\n", b"Content-Length: 0x10\r\n\r\n", b"Content-Type: x\r\n\r\n",
                    b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n", b"X" * 2000 + b"\r\n\r\n",
                    b"Content-Length: 99999999999\r\n\r\n", b"\xff\r\n\r\n", b"Content-Length 5\r\n\r\n")
ODD_BODIES = (b"{not json", b"[]", b"[1, 2]", b"7", b'"x"', b"null", b"\xff\xfe{}", b"", b"{}",
              b'{"jsonrpc":"2.0","id":1,"id":2,"method":"status"}',
              b'{"jsonrpc":"2.0","id":"\\udcff","method":"status"}')


@dataclass(frozen=True)
class Frame:
    """What one input sends: a frame of ``body``, after ``header`` when that breaks the framing."""

    body: bytes
    header: bytes | None = None


def served_repo(world: World) -> Path:
    return world.outside.parent / SERVED


def request_id(rng: random.Random) -> Any:
    """Unique per input (a late or repeated answer then shows as one nobody asked for), now and then of a
    type no id may have."""
    shape = rng.random()
    if shape < 0.45:
        return rng.getrandbits(62) - (2**61)
    if shape < 0.9:
        return f"r{rng.getrandbits(60)}" + rng.choice(("", " é", "\x1b[2J", "\u202e"))
    return rng.choice((1.5, True, [], {}, f"s{rng.getrandbits(60)}\udcff"))


def message(world: World, rng: random.Random) -> dict[str, Any]:
    method = rng.choice(METHODS)
    shape = rng.random()
    found: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if shape < 0.85:
        found["id"] = request_id(rng)
    if rng.random() < 0.9:
        found["params"] = hostile_values.params(rng, world, served_repo(world), PARAMS[method])
    elif rng.random() < 0.5:
        found["params"] = hostile_values.value(rng, world, served_repo(world))
    if rng.random() < 0.08:  # an envelope that is no JSON-RPC request
        key = rng.choice(("jsonrpc", "method", "result", "error", "id"))
        found[key] = hostile_values.value(rng, world, served_repo(world))
    return found


def body(world: World, rng: random.Random) -> bytes:
    shape = rng.random()
    if shape < 0.86:
        text = json.dumps(message(world, rng), ensure_ascii=rng.random() < 0.85, allow_nan=True)
        return text.encode("utf-8", "surrogatepass")  # a lone surrogate written raw is not UTF-8
    if shape < 0.9:
        return nested_json(rng)
    if shape < 0.97:
        return rng.choice(ODD_BODIES)
    return rng.randbytes(rng.randint(1, 60)) if rng.random() < 0.5 else random_text(rng, 40).encode("utf-8", "replace")


def frame(world: World, rng: random.Random) -> Frame:
    if rng.random() < 0.025:
        return Frame(b'{"jsonrpc":"2.0","id":1,"method":"status"}', rng.choice(BREAKING_HEADERS))
    if rng.random() < 0.01:
        return Frame(b'{"jsonrpc":"2.0","method":"exit"}')
    return Frame(body(world, rng))


class Session:
    """The connection the inputs go through, opened again after the server closes it."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.client = FramedSocket(server.socket_path)
        self.sentinels = 0

    def reconnect(self) -> None:
        self.client.close()
        self.client = FramedSocket(self.server.socket_path)


@contextmanager
def live(world: World) -> Iterator[Session]:
    with live_server(world, SERVED) as server:
        session = Session(server)
        try:
            yield session
        finally:
            session.client.close()


def check_frame(session: Session, sent: Frame) -> str:
    client = session.client
    if sent.header is not None:  # one error, id null, then the server closes the connection
        client.send(sent.header + sent.body)
        answers = _until_closed(client)
        if len(answers) != 1 or answers[0].id is not None or answers[0].error is None:
            raise Failure(f"a broken frame answered with {answers}")
        session.reconnect()
        return REFUSED
    due_id, due_error = due_answers(sent.body)
    if due_id == "exit":
        client.send(b"Content-Length: %d\r\n\r\n%s" % (len(sent.body), sent.body))
        if answers := _until_closed(client):
            raise Failure(f"exit answered with {answers}")
        session.reconnect()
        return ANSWERED
    session.sentinels += 1
    sentinel = f"sentinel-{session.sentinels}"
    client.send(b"Content-Length: %d\r\n\r\n%s" % (len(sent.body), sent.body)
                + encode_frame(request_message(sentinel, "fuzz/sentinel")))
    outcome = _answers(session, sentinel, due_id, due_error)
    if outcome == "shut down":
        session.reconnect()
        return ANSWERED
    return outcome


def _until_closed(client: FramedSocket) -> list[Response]:
    """The answers that come before the server closes the connection (notifications left out)."""
    answers = []
    while (answer := client.receive()) is not None:
        if isinstance(answer, Response):
            answers.append(answer)
    return answers


def due_answers(data: bytes) -> tuple[Any, bool]:
    """(the id of the one answer ``data`` is due, or None for none or null; whether one error with id null is
    due), by the parser the server uses; ("exit", False) for the notification that ends the connection."""
    try:
        parsed = decode_message(data)
    except InvalidMessage as exc:
        return exc.request_id, exc.request_id is None
    if isinstance(parsed, Notification):
        return ("exit" if parsed.method == "exit" else None), False
    return (parsed.id if isinstance(parsed, Request) else None), False


def _answers(session: Session, sentinel: str, due_id: Any, due_error: bool) -> str:
    outcome = ANSWERED
    has_due = due_id is None
    has_sentinel = False
    null_errors = 0
    while not (has_due and has_sentinel):
        answer = session.client.receive()
        if answer is None:
            raise Failure(f"the server closed the connection (due: {due_id!r}, sentinel {has_sentinel})")
        if isinstance(answer, Notification):
            continue  # $/progress, codesearch/indexUpdated
        if answer.id == sentinel and not has_sentinel:
            has_sentinel = True
        elif due_id is not None and answer.id == due_id and not has_due:
            has_due = True
            outcome = REFUSED if answer.error is not None else checked_result(session.server.repo, answer)
        elif answer.id is None and answer.error is not None and not has_sentinel:
            null_errors += 1
            outcome = REFUSED
        else:
            raise Failure(f"an answer nobody was due: {answer}")
    if null_errors != due_error:
        raise Failure(f"{null_errors} errors with id null, {int(due_error)} due")
    return outcome


def checked_result(repo: Path, answer: Response) -> str:
    """ANSWERED, after checking that every root, URI and hit path in the result is the repository's. (An index
    kept elsewhere, ``indexDir``, may be any folder the client names: the socket is its user's alone.)"""
    pending = [answer.result]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                _check_place(repo, key, value)
                pending.append(value)
    return "shut down" if answer.result is None else ANSWERED  # only shutdown answers null: the session is over


def _check_place(repo: Path, key: str, value: Any) -> None:
    if key in ("root", "roots") and value not in (str(repo), [str(repo)]):
        raise Failure(f"an answer about {value!r}, not the served repository")
    if key == "uri" and not str(value).startswith(repo.as_uri() + "/"):
        raise Failure(f"a symbol outside the repository: {value!r}")
    if key == "path" and isinstance(value, str) and (value.startswith("/") or ".." in value.split("/")):
        raise Failure(f"a hit outside the repository: {value!r}")


register(Target("live socket server", frame, check_frame, inputs=1500, timeout_s=30.0, live=live))
