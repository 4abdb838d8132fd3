"""What the live targets share: a real ``codesearch serve`` process on a repository of its own, its stderr kept,
a framed connection to it, and the checks every answer passes (one answer per message, nothing from outside).

The server runs ``python -m tests.fuzz.stand_in serve REPO`` (the hashing stand-in for the model) with its
working folder in World.outside, so that a path it resolved against its own folder would land there. The
served repository holds ``leak.py``, a link to World.outside's ``secret.py``: discovery leaves it out, and
``similar`` must refuse it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codesearch.server.protocol import (
    INTERNAL_ERROR,
    Notification,
    Request,
    Response,
    decode_message,
    encode_frame,
    read_frame,
    request_message,
)
from tests.fuzz.harness import MARKER, Failure, World, clipped
from tests.fuzz.repositories import index_with_hashing, write_repo

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30.0  # for a process to start, answer a last search, or end


class StderrKept:
    """Everything a process writes to stderr, read by a thread so that the pipe never fills."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None
        self._stream = process.stderr
        self._lines: list[str] = []
        self._lock = threading.Lock()  # guards _lines
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            with self._lock:
                self._lines.append(line.decode("utf-8", "replace"))

    def text(self) -> str:
        with self._lock:
            return "".join(self._lines)

    def wait_for(self, needle: str, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + WAIT_S
        while needle not in self.text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise Failure(f"no {needle!r} (exit code {process.poll()}): {clipped(self.text())}")
            time.sleep(0.02)

    def close(self) -> str:
        self._thread.join(WAIT_S)
        return self.text()


def environment(world: World, runtime: Path) -> dict[str, str]:
    """A process's environment: this checkout importable, its own home, runtime folder and no CODESEARCH_*."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESEARCH_")}
    home = runtime.parent / "home"
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), XDG_RUNTIME_DIR=str(runtime),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
               CODESEARCH_EMBEDDING_CACHE="false", CODESEARCH_DEBOUNCE_S="0.05")
    return env


@dataclass
class LiveServer:
    """A ``codesearch serve REPO`` process; clients find its socket through ``env``'s runtime folder."""

    repo: Path
    socket_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    stderr: StderrKept
    outside_before: dict[str, tuple[int, int]] = field(default_factory=dict)


def start_client(server: LiveServer, cwd: Path, command: str) -> subprocess.Popen[bytes]:
    """``codesearch COMMAND REPO`` (lsp, mcp) as an editor or an agent starts it, beside ``server``; its stdin
    and stdout are pipes to speak to it, its stderr a pipe for StderrKept."""
    return subprocess.Popen([sys.executable, "-m", "codesearch", command, str(server.repo)], cwd=cwd, env=server.env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def files_of(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time, links not followed."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        found[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return found


@contextmanager
def live_server(world: World, name: str) -> Iterator[LiveServer]:
    """A server of a fresh copy of the shop (``<base>/<name>``, beside World.outside), stopped at exit: it
    must then still be running, World.outside untouched, and nothing on its stderr a traceback."""
    repo = write_repo(world.outside.parent / name)
    (repo / "leak.py").symlink_to(world.outside / "secret.py")
    index_with_hashing(repo)
    runtime = repo.parent / f"{name}-run" / "run"
    runtime.mkdir(parents=True, mode=0o700)
    env = environment(world, runtime)
    process = subprocess.Popen([sys.executable, "-m", "tests.fuzz.stand_in", "serve", str(repo)], cwd=world.outside,
                               env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = StderrKept(process)
    server = LiveServer(repo, runtime / "codesearch" / "server.sock", env, process, stderr, files_of(world.outside))
    try:
        stderr.wait_for("serving on", process)
        yield server
        if process.poll() is not None:
            raise Failure(f"the server ended with exit code {process.poll()}: {clipped(stderr.text())}")
        with FramedSocket(server.socket_path) as client:
            answer = client.call("search", {"root": str(repo), "query": "total price", "k": 3})
            if answer.error is not None or answer.result["hits"][0]["qualified_name"] != "Cart.total_price":
                raise Failure(f"no good search after the fuzzing: {answer}")
            client.call("shutdown", {"server": True})
        if process.wait(WAIT_S) != 0:
            raise Failure(f"the server ended with exit code {process.returncode}: {clipped(stderr.text())}")
        after = files_of(world.outside)
        if any(after.get(name) != before for name, before in server.outside_before.items()):
            raise Failure("a file of the repository outside was changed")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT_S)
        text = stderr.close()
        shutil.rmtree(runtime.parent, ignore_errors=True)
        shutil.rmtree(repo, ignore_errors=True)
    if "Traceback" in text:
        raise Failure(f"a traceback on the server's stderr: {clipped(text)}")


class FramedSocket:
    """One connection to the server, frames by hand; every message read is checked by ``check_message``."""

    def __init__(self, socket_path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(WAIT_S)
        self.sock.connect(str(socket_path))
        self.reader = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive(self) -> Any:
        """The next message, or None once the server closed the connection."""
        try:
            body = read_frame(self.reader)
        except ConnectionResetError:
            return None
        if body is None:
            return None
        return check_message(body)

    def call(self, method: str, params: Any) -> Response:
        self.send(encode_frame(request_message("last", method, params)))
        while (message := self.receive()) is not None:
            if isinstance(message, Response) and message.id == "last":
                return message
        raise Failure(f"the server closed the connection before answering {method}")

    def close(self) -> None:
        with suppress(OSError):
            self.reader.close()
            self.sock.close()

    def __enter__(self) -> FramedSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def check_message(body: bytes) -> Any:
    """``body`` as a message, after the checks every message passes: valid JSON-RPC, nothing from outside
    the repository (World.outside's MARKER), and no INTERNAL_ERROR (an exception that escaped a handler)."""
    if MARKER.encode() in body:
        raise Failure(f"an answer from outside the repository: {body[:2000]!r}")
    message = decode_message(body)
    if isinstance(message, Response) and message.error is not None and message.error.code == INTERNAL_ERROR:
        raise Failure(f"an internal error: {message.error.message}")
    if isinstance(message, Request):
        raise Failure(f"the server sent a request: {message}")
    assert isinstance(message, Response | Notification)
    return message
