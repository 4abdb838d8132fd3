"""The real `codesearch lsp` process over its stdin and stdout.

Without a model: the lifecycle and a folder outside any index. With the real encoder (e2e): a
running `codesearch serve` answers for the LSP process (given an unusable model, so only the server
can answer), and without a server the LSP process opens the index itself; both give exactly the
symbols of `codesearch ask --json`'s hits, in its order.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from codesearch.server.client import ServerConnection
from codesearch.server.messages import hit_from_json, symbol_information
from codesearch.server.protocol import PARSE_ERROR, USER_ERROR, Response
from tests.lsp.helpers import REPO_ROOT, LspProcess, lsp_environment

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repos" / "shop"
E2E_TIMEOUT_S = 180.0
QUERIES = ("hash a password with a random salt", "multiply two matrices", "retry a request with backoff")


def test_a_session_over_stdio_without_an_index(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    lsp = LspProcess([], cwd=tmp_path, env=lsp_environment(XDG_RUNTIME_DIR=str(tmp_path)))
    assert lsp.initialize({"rootUri": folder.as_uri(), "capabilities": {}})["capabilities"] == {
        "workspaceSymbolProvider": True
    }
    lsp.notify("initialized", {})
    answer = lsp.answer(lsp.send("workspace/symbol", {"query": "remember a thing"}))
    assert answer.error is not None and answer.error.code == USER_ERROR
    assert answer.error.message.startswith(f"no index found in {folder.resolve()}")
    assert lsp.call("shutdown") is None
    lsp.notify("exit")
    code, rest, stderr = lsp.finish()
    assert (code, rest) == (0, [])
    assert "Traceback" not in stderr


def test_malformed_frames_get_a_parse_error_and_the_session_goes_on(tmp_path: Path) -> None:
    lsp = LspProcess([], cwd=tmp_path, env=lsp_environment(XDG_RUNTIME_DIR=str(tmp_path)))
    for body in (b"[" * 200_000, b'{"a":' * 50_000, b"\xff\xfe{}", b"{not json"):
        lsp.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        answer = lsp.receive()
        assert isinstance(answer, Response) and answer.id is None and answer.error is not None
        assert answer.error.code == PARSE_ERROR
    assert lsp.initialize({"rootUri": tmp_path.as_uri(), "capabilities": {}})["capabilities"]
    assert lsp.call("shutdown") is None
    lsp.notify("exit")
    code, rest, stderr = lsp.finish()
    assert (code, rest) == (0, [])
    assert "Traceback" not in stderr and "RecursionError" not in stderr


@dataclass
class Served:
    repo: Path
    runtime: Path
    home: Path

    def env(self, runtime: Path | None = None, **extra: str) -> dict[str, str]:
        return lsp_environment(
            XDG_RUNTIME_DIR=str(runtime or self.runtime), HOME=str(self.home), XDG_CACHE_HOME=str(self.home / "c"),
            **extra,
        )

    def ask(self, runtime: Path) -> dict[str, list[object]]:
        """The symbols of `codesearch ask -k 50` (the LSP's limit) for each query, in its order."""
        result = subprocess.run(
            [sys.executable, "-m", "codesearch", "ask", "-k", "50", "--repo", str(self.repo), "--queries-file", "-"],
            input="\n".join(QUERIES) + "\n", env=self.env(runtime), capture_output=True, text=True,
            timeout=E2E_TIMEOUT_S, check=True,
        )
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        return {
            query: [symbol_information(hit_from_json(hit), self.repo) for hit in hits]
            for query, hits in zip(QUERIES, answers, strict=True)
        }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`codesearch serve REPO` on a copy of the shop fixture, its first round (the index) done."""
    repo = (tmp_path_factory.mktemp("lsp") / "shop").resolve()
    shutil.copytree(FIXTURE, repo)
    runtime = Path(tempfile.mkdtemp(prefix="cs-lsp-"))  # Unix socket paths are limited to ~104 bytes
    served = Served(repo, runtime, tmp_path_factory.mktemp("lsp-home"))
    process = subprocess.Popen(
        [sys.executable, "-m", "codesearch", "serve", str(repo)], env=served.env(), stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    try:
        while "serving on" not in (line := process.stderr.readline()):
            assert line, f"the server exited with {process.wait()}"
        with ServerConnection.connect(runtime / "codesearch" / "server.sock") as connection:
            connection.call("initialize", {"rootUri": repo.as_uri()})  # so its rounds are announced here
            while not connection.call("status")["repos"][0]["generation"]:
                connection.next_notification(E2E_TIMEOUT_S)
        yield served
    finally:
        process.terminate()
        process.wait(E2E_TIMEOUT_S)
        shutil.rmtree(runtime, ignore_errors=True)


def symbols_over_stdio(served: Served, runtime: Path, **env: str) -> dict[str, list[object]]:
    lsp = LspProcess([], cwd=served.repo.parent, env=served.env(runtime, **env))
    lsp.initialize({"rootUri": (served.repo / "web").as_uri(), "capabilities": {}})  # a folder inside it
    answers = {query: lsp.call("workspace/symbol", {"query": query}) for query in QUERIES}
    assert lsp.call("shutdown") is None
    lsp.notify("exit")
    code, _, stderr = lsp.finish()
    assert code == 0, stderr
    return answers


@pytest.mark.e2e
def test_through_the_server_the_symbols_are_asks_hits(served: Served) -> None:
    answers = symbols_over_stdio(served, served.runtime, CODESEARCH_MODEL=str(served.home / "no-such-model"))
    assert answers == served.ask(served.runtime)
    assert answers[QUERIES[0]][0]["name"] == "hash_password"  # type: ignore[index]


@pytest.mark.e2e
def test_in_process_the_symbols_are_asks_hits(served: Served) -> None:
    no_server = Path(tempfile.mkdtemp(prefix="cs-lsp-none-"))
    try:
        assert symbols_over_stdio(served, no_server) == served.ask(no_server)
    finally:
        shutil.rmtree(no_server, ignore_errors=True)
