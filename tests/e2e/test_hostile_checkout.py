"""A checkout's own ``.codesearch/repo_root`` cannot move the repository (docs/threat-model.md, row 1).

Real processes and the real encoder: ``codesearch index`` builds the index of a copy of the shop
fixture, then another folder's path (a folder holding a "private key") is written into the index's
``repo_root`` file, as a checkout that commits its ``.codesearch/`` could do. Neither a running
``codesearch serve`` (asked through the warm ``ask --json`` path and over its socket with
``includeCode``) nor ``codesearch lsp`` without a server may watch, index or return that folder;
before the fix, the server indexed it into this index and returned its code, and the LSP process
created an index inside it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from codesearch.server.client import ServerConnection
from tests.lsp.helpers import LspProcess

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repos" / "shop"
TIMEOUT_S = 180.0
SECRET = "PRIVATE-KEY-4f1c9e"
VAULT = f'''\
def read_private_key(path):
    """Read the private SSH key of the deploy user."""
    return "{SECRET}"
'''
QUERY = "read the private ssh key of the deploy user"


@dataclass
class Checkout:
    repo: Path  # the checkout, indexed
    elsewhere: Path  # the folder its repo_root file names
    runtime: Path  # XDG_RUNTIME_DIR: where a server's socket is
    env: dict[str, str]

    def tamper(self) -> None:
        (self.repo / ".codesearch" / "repo_root").write_text(f"{self.elsewhere}\n", encoding="utf-8")

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "codesearch", *args], cwd=cwd or self.repo, env=self.env, capture_output=True,
            text=True, timeout=TIMEOUT_S, check=False,
        )

    def assert_elsewhere_untouched(self) -> None:
        assert sorted(path.name for path in self.elsewhere.iterdir()) == ["vault.py"]


@pytest.fixture
def checkout(tmp_path: Path) -> Iterator[Checkout]:
    repo = (tmp_path / "shop").resolve()
    shutil.copytree(FIXTURE, repo)
    elsewhere = (tmp_path / "elsewhere").resolve()
    elsewhere.mkdir()
    (elsewhere / "vault.py").write_text(VAULT, encoding="utf-8")
    runtime = Path(tempfile.mkdtemp(prefix="cs-hostile-"))  # Unix socket paths are limited to ~104 bytes
    home = tmp_path / "home"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESEARCH_")}
    env.update(
        HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), XDG_RUNTIME_DIR=str(runtime),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        CODESEARCH_DEBOUNCE_S="0.1",
    )
    checkout = Checkout(repo, elsewhere, runtime, env)
    built = checkout.run("index", str(repo))
    assert built.returncode == 0, built.stderr
    checkout.tamper()
    try:
        yield checkout
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def paths_of(hits: list[dict[str, object]]) -> set[str]:
    return {str(hit["path"]) for hit in hits}


def test_a_running_server_serves_the_folder_that_holds_the_index(checkout: Checkout) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "codesearch", "serve"], env=checkout.env, stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL, text=True,
    )
    assert server.stderr is not None
    try:
        while "serving on" not in (line := server.stderr.readline()):
            assert line, f"the server exited with {server.wait()}"
        asked = checkout.run("ask", "--json", QUERY)  # the warm path: the server opens the repository
        assert asked.returncode == 0, asked.stderr
        hits = json.loads(asked.stdout)
        assert hits and "vault.py" not in paths_of(hits)
        assert all((checkout.repo / path).is_file() for path in paths_of(hits))

        with ServerConnection.connect(checkout.runtime / "codesearch" / "server.sock") as connection:
            connection.call("initialize", {"rootUri": checkout.repo.as_uri(), "create": False})
            while not connection.call("status")["repos"][0]["generation"]:  # its first watcher round is done
                connection.next_notification(TIMEOUT_S)
            (repo,) = connection.call("status")["repos"]
            assert repo["root"] == str(checkout.repo)
            found = connection.call("search", {"root": str(checkout.repo), "query": QUERY, "k": 50,
                                               "includeCode": True})
        assert found["root"] == str(checkout.repo)
        assert "vault.py" not in paths_of(found["hits"])
        assert not any(SECRET in str(hit.get("code", "")) for hit in found["hits"])
        checkout.assert_elsewhere_untouched()
    finally:
        server.terminate()
        server.wait(TIMEOUT_S)
    status = checkout.run("status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["repo_root"] == str(checkout.repo)


def test_the_language_server_without_a_server_indexes_only_the_checkout(checkout: Checkout) -> None:
    lsp = LspProcess([], cwd=checkout.repo, env=checkout.env)  # no server runs: it opens the index itself
    lsp.initialize({"rootUri": checkout.repo.as_uri(), "capabilities": {}})
    lsp.notify("initialized", {})
    symbols = lsp.call("workspace/symbol", {"query": QUERY})
    assert lsp.call("shutdown") is None
    lsp.notify("exit")
    code, _, stderr = lsp.finish()
    assert code == 0, stderr
    assert symbols and not any("vault.py" in symbol["location"]["uri"] for symbol in symbols)
    assert all(symbol["location"]["uri"].startswith(checkout.repo.as_uri()) for symbol in symbols)
    checkout.assert_elsewhere_untouched()
