"""The LSP Workspace against a real server on a real Unix socket (hashing stand-in encoder).

With a server running, the index update and the searches go through it, as `codesearch index` and
`codesearch ask` do; the symbols are the server's `search` hits as LSP SymbolInformation. Without
one, nothing here loads a model: a folder without an index is refused before that.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from codesearch.config import Settings
from codesearch.errors import IndexNotFoundError
from codesearch.lsp.workspace import Workspace, update_message
from codesearch.records import IndexProgress
from codesearch.server.client import ServerConnection
from codesearch.server.messages import hit_from_json, symbol_information
from codesearch.server.serve import Server
from tests.server.helpers import CART, PASSWORDS, start_server


@pytest.fixture
def short_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="cs-lsp-"))  # Unix socket paths are limited to ~104 bytes
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def server(short_dir: Path) -> Iterator[Server]:
    started = start_server(short_dir / "s.sock")
    yield started
    started.stop()


def make_repo(folder: Path, *, is_git: bool) -> Path:
    (folder / "server").mkdir(parents=True)
    if is_git:
        (folder / ".git").mkdir()
    (folder / "server" / "cart.py").write_text(CART)
    (folder / "server" / "passwords.py").write_text(PASSWORDS)
    return folder.resolve()


def test_a_git_repository_is_indexed_and_searched_through_the_server(server: Server, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", is_git=True)
    workspace = Workspace(repo / "server", Settings(), socket_path=server.socket_path)  # a folder inside it
    assert workspace.may_create_index and not workspace.has_index()
    reports: list[IndexProgress] = []
    summary = workspace.update_index(reports.append)
    assert summary is not None and summary.files_total == 2 and summary.chunks_total == 6
    assert reports  # the server's $/progress, forwarded (what it counts depends on its own first round)
    assert workspace.has_index() and (repo / ".codesearch").is_dir()

    symbols = workspace.symbols("hash a password", 4)
    with ServerConnection.connect(server.socket_path) as connection:
        hits = connection.call("search", {"root": str(repo), "query": "hash a password", "k": 4})["hits"]
    assert symbols == [symbol_information(hit_from_json(hit), repo) for hit in hits]
    assert symbols[0]["name"] == "hash_password"
    assert symbols[0]["location"]["uri"] == (repo / "server" / "passwords.py").as_uri()
    workspace.close()


def test_an_index_is_updated_again_without_re_embedding(server: Server, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", is_git=True)
    workspace = Workspace(repo, Settings(), socket_path=server.socket_path)
    workspace.update_index(lambda progress: None)
    summary = workspace.update_index(lambda progress: None)
    assert summary is not None and summary.files_unchanged == 2 and summary.chunks_embedded == 0
    workspace.close()


def test_a_plain_folder_gets_no_index_unless_asked(tmp_path: Path) -> None:
    folder = make_repo(tmp_path / "notes", is_git=False)
    workspace = Workspace(folder, Settings(), socket_path=tmp_path / "no-server.sock")
    assert not workspace.may_create_index and not workspace.will_update_index()
    assert workspace.update_index(lambda progress: None) is None
    assert update_message(None) == "nothing to update"
    with pytest.raises(IndexNotFoundError, match="run `codesearch index`"):
        workspace.symbols("hash a password", 5)  # refused before any model loads
    workspace.close()
    assert Workspace(folder, Settings(), create_index=True).may_create_index


def test_create_index_false_keeps_a_git_repository_unindexed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", is_git=True)
    workspace = Workspace(repo, Settings(), create_index=False, socket_path=tmp_path / "no-server.sock")
    assert not workspace.will_update_index()
    assert workspace.update_index(lambda progress: None) is None
    assert not (repo / ".codesearch").exists()
    workspace.close()
