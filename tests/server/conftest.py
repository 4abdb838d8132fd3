"""Fixtures for server tests: a small repository and a real server on a real Unix socket.

The server runs in this process with the hashing stand-in encoder (tests/fakes.py): these tests
are about the protocol, concurrency and hostile clients. tests/e2e/test_serve.py runs the real
`codesearch serve` with the real encoder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codesearch.server.serve import Server
from tests.server.helpers import CART, PASSWORDS, TIMEOUT_S, RawClient, start_server


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path: Unix socket paths are limited to about 104 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="cs-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "server").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "server" / "cart.py").write_text(CART)
    (root / "server" / "passwords.py").write_text(PASSWORDS)
    return root.resolve()


@pytest.fixture
def server(short_dir: Path, repo: Path) -> Iterator[Server]:
    """A started server serving ``repo``, its first (catch-up) round done."""
    started = start_server(short_dir / "server.sock")
    try:
        served = started.registry.get(repo, None, create=True)
        assert served.watcher.wait_for(1, TIMEOUT_S) is not None
        yield started
    finally:
        started.stop()


@pytest.fixture
def connect(server: Server) -> Iterator[Callable[[], RawClient]]:
    clients: list[RawClient] = []

    def make() -> RawClient:
        client = RawClient(server.socket_path)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
