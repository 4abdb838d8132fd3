"""End to end: a real `codesearch serve` process with the real encoder, used by `codesearch ask`/`index`.

The server process loads the model once for the module; the CLI commands run in this process
through CliRunner and must reach the server (an in-process search here would fail the test: the
fallback is switched off by making Searcher.open raise).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli
from codesearch.server.client import RemoteError, ServerConnection
from codesearch.server.protocol import USER_ERROR

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repos" / "shop"
TIMEOUT_S = 120.0


@dataclass
class Served:
    repo: Path
    runtime: Path
    process: subprocess.Popen[str]

    @property
    def socket(self) -> Path:
        return self.runtime / "codesearch" / "server.sock"


def wait_for_round(connection: ServerConnection, repo: Path, generation: int) -> None:
    """Block until the server's watcher of ``repo`` has finished round ``generation``."""
    connection.call("initialize", {"rootUri": repo.as_uri(), "create": False})  # now rounds are announced
    status = connection.call("status")
    if any(r["root"] == str(repo) and r["generation"] >= generation for r in status["repos"]):
        return
    while True:
        message = connection.next_notification(TIMEOUT_S)
        if message.method == "codesearch/indexUpdated" and message.params["generation"] >= generation:
            return


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    repo = tmp_path_factory.mktemp("serve-e2e") / "shop"
    shutil.copytree(FIXTURE, repo)
    runtime = Path(tempfile.mkdtemp(prefix="cs-e2e-"))
    home = tmp_path_factory.mktemp("serve-home")
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(runtime),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        "CODESEARCH_DEBOUNCE_S": "0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "codesearch", "serve", str(repo)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    try:
        while "serving on" not in (line := process.stderr.readline()):
            assert line, f"the server exited with {process.wait()}"
        served = Served(repo.resolve(), runtime, process)
        with ServerConnection.connect(served.socket) as connection:
            wait_for_round(connection, served.repo, 1)  # the index is built by the server's first round
        yield served
    finally:
        process.terminate()
        process.wait(TIMEOUT_S)
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def warm_only(served: Served, monkeypatch: pytest.MonkeyPatch) -> Served:
    """Point this test's CLI at the server, and make any in-process search fail loudly."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(served.runtime))

    def no_in_process_search(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("ask fell back to searching in-process")

    monkeypatch.setattr("codesearch.search.searcher.Searcher.open", no_in_process_search)
    return served


def ask(repo: Path, *args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["ask", "--repo", str(repo), "--json", *args])
    assert result.exit_code == 0, result.output
    hits: list[dict[str, Any]] = json.loads(result.stdout)
    return hits


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("multiply two matrices", "Matrix.multiply"),
        ("retry an http request with exponential backoff", "fetchWithRetry"),
        ("verify_password", "verify_password"),
    ],
)
def test_warm_ask_answers_from_the_server(warm_only: Served, query: str, expected: str) -> None:
    assert ask(warm_only.repo, query, "-k", "5")[0]["qualified_name"] == expected


def test_warm_ask_renders_code_in_the_terminal(warm_only: Served) -> None:
    result = CliRunner().invoke(
        cli, ["ask", "--repo", str(warm_only.repo), "multiply two matrices", "-k", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "tools/Matrix.java:6-14" in result.stdout and "public static double[][] multiply" in result.stdout


def test_an_edit_is_searchable_after_the_watcher_round(warm_only: Served) -> None:
    with ServerConnection.connect(warm_only.socket) as connection:
        generation = connection.call("status")["repos"][0]["generation"]
        cart = warm_only.repo / "server" / "cart.py"
        cart.write_text(
            cart.read_text() + "\n\ndef apply_coupon(cart, code):\n    return code.strip().upper()\n"
        )
        wait_for_round(connection, warm_only.repo, generation + 1)
    assert ask(warm_only.repo, "apply_coupon", "-k", "1")[0]["name"] == "apply_coupon"


def test_similar_and_workspace_symbols_with_the_real_encoder(warm_only: Served) -> None:
    passwords = warm_only.repo / "server" / "passwords.py"
    line = next(
        i for i, text in enumerate(passwords.read_text().splitlines(), 1) if "def verify_password" in text
    )
    with ServerConnection.connect(warm_only.socket) as connection:
        similar = connection.call("similar", {"path": str(passwords), "line": line, "k": 3})
        names = [hit["qualified_name"] for hit in similar["hits"]]
        assert "verify_password" not in names and "hash_password" in names
        connection.call("initialize", {"rootUri": warm_only.repo.as_uri()})
        symbols = connection.call("workspace/symbol", {"query": "least recently used cache"})
    assert symbols[0]["location"]["uri"] == (warm_only.repo / "tools" / "lru.go").as_uri()


def test_a_megabyte_path_glob_is_refused_at_once(warm_only: Served) -> None:
    """Row 12 of "Hostile input": such a glob cost the server 10 s of CPU and ~13 MB held per glob."""
    with ServerConnection.connect(warm_only.socket) as connection:
        started = time.monotonic()
        with pytest.raises(RemoteError, match="the path glob is 1,000,000 characters long") as refused:
            connection.call("search", {"root": str(warm_only.repo), "query": "cart", "path": "*" * 1_000_000})
        assert refused.value.code == USER_ERROR and time.monotonic() - started < 2.0
        assert connection.call("search", {"root": str(warm_only.repo), "query": "cart", "path": "server/*"})["hits"]
    result = CliRunner().invoke(cli, ["ask", "--repo", str(warm_only.repo), "cart", "--path", "x" * 100_000])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "limit is 1,024" in result.output


def test_index_is_delegated_to_the_server(warm_only: Served) -> None:
    result = CliRunner().invoke(cli, ["index", str(warm_only.repo)])
    assert result.exit_code == 0, result.output  # in-process it would meet the server's writer lock
    assert "0 new, 0 changed, 0 deleted" in result.output


def test_in_process_answers_match_and_stop_works(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """Last: the same questions give the same hits from the server and, once it stopped, in-process."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(served.runtime))
    queries = ["multiply two matrices", "hash a password with a random salt", "turn a title into a url slug"]
    with monkeypatch.context() as patch:
        patch.setattr("codesearch.search.searcher.Searcher.open", lambda *a, **k: pytest.fail("not warm"))
        warm = {query: ask(served.repo, query, "-k", "5") for query in queries}
    assert CliRunner().invoke(cli, ["serve", "--stop"]).exit_code == 0
    assert served.process.wait(TIMEOUT_S) == 0
    assert not served.socket.exists()
    result = CliRunner().invoke(
        cli,
        ["ask", "--repo", str(served.repo), "--queries-file", "-", "-k", "5"],
        input="\n".join(queries) + "\n",
    )
    assert result.exit_code == 0, result.output
    cold = dict(zip(queries, (json.loads(line) for line in result.stdout.splitlines()), strict=True))
    for query in queries:
        assert [h["qualified_name"] for h in cold[query]] == [h["qualified_name"] for h in warm[query]]
        # The server embeds queries with its torch encoder (bfloat16 here), a cold ask with the ONNX
        # export (float32): the vectors agree to cosine >= 0.9999, the standardised scores to ~0.5%.
        assert [h["score"] for h in cold[query]] == pytest.approx([h["score"] for h in warm[query]], abs=1e-2)
