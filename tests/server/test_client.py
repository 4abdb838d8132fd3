"""The client: warm answers from a server, None (so the caller works in-process) when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.errors import CodesearchError
from codesearch.index.store import IndexStore
from codesearch.records import IndexProgress
from codesearch.server.client import ServerConnection, reindex_via_server, search_via_server, stop_server
from codesearch.server.serve import Server
from tests.fakes import hashing_params


def search(
    server_socket: Path,
    start: Path,
    *queries: str | None,
    index_dir: str | None = None,
    include_code: bool = False,
) -> list[list[str]] | None:
    answers = search_via_server(
        start,
        index_dir,
        list(queries),
        k=3,
        languages=None,
        path_glob=None,
        include_code=include_code,
        socket_path=server_socket,
    )
    return None if answers is None else [[hit.qualified_name for hit in hits] for hits in answers.hits]


def test_no_server_means_none(short_dir: Path, repo: Path) -> None:
    assert search(short_dir / "nobody.sock", repo, "cart") is None
    assert reindex_via_server(repo, None, full=False, socket_path=short_dir / "nobody.sock") is None
    assert not stop_server(short_dir / "nobody.sock")


def test_hits_come_back_as_records(server: Server, repo: Path) -> None:
    answers = search(server.socket_path, repo, "hash_password", None, "apply_discount")
    assert answers is not None and len(answers) == 3
    assert answers[0][0] == "hash_password" and answers[1] == [] and answers[2][0] == "apply_discount"
    with_code = search_via_server(
        repo,
        None,
        ["hash_password"],
        k=1,
        languages=["python"],
        path_glob="server/*",
        include_code=True,
        socket_path=server.socket_path,
    )
    assert with_code is not None and with_code.hits[0][0].code.startswith("def hash_password")
    assert with_code.coverage is not None and with_code.coverage.is_complete


def test_user_errors_are_raised_and_unservable_repos_fall_back(
    server: Server, repo: Path, tmp_path: Path
) -> None:
    with pytest.raises(CodesearchError, match="empty"):
        search(server.socket_path, repo, "  ")
    unindexed = tmp_path / "bare"
    unindexed.mkdir()
    with pytest.raises(CodesearchError, match="no index"):
        search(server.socket_path, unindexed, "cart")
    locked = tmp_path / "locked"
    locked.mkdir()
    with IndexStore.open(locked / ".codesearch", expected=hashing_params(), create=True):
        assert search(server.socket_path, locked, "cart") is None  # another writer: search in-process


def test_reindex_through_the_server_reports_progress(server: Server, repo: Path, tmp_path: Path) -> None:
    seen: list[IndexProgress] = []
    summary = reindex_via_server(
        repo, None, full=False, on_progress=seen.append, socket_path=server.socket_path
    )
    assert summary is not None and summary.files_total == 2 and summary.files_unchanged == 2
    assert seen and seen[-1].files_done == seen[-1].files_total
    other = tmp_path / "other"
    other.mkdir()
    assert reindex_via_server(other, None, full=False, socket_path=server.socket_path) is None  # not served


def test_stop_server(server: Server) -> None:
    assert stop_server(server.socket_path)
    assert server.wait(10)
    with pytest.raises(OSError):
        ServerConnection.connect(server.socket_path)


def test_a_relative_index_folder_is_resolved_here_before_it_is_sent(
    server: Server, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)  # the client's folder: ".codesearch" is the repository's index
    assert search(server.socket_path, Path("."), "hash_password", index_dir=".codesearch") == [
        ["hash_password", "verify_password", "apply_discount"]
    ]
