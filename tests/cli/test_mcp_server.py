"""`codesearch mcp` driven by the official MCP SDK's stdio client, with the real encoder.

A real `codesearch serve` serves an indexed copy of the shop fixture repo for the module. The warm
tests give the MCP process an unusable model, so only the server can answer them, and compare the
tools' answers with the server's own `search`/`similar` answers (which are `ask --json`'s hits).
The in-process test points the MCP process at a runtime folder with no server, so it must open
the index itself, and checks it answers the same.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from codesearch.server.client import ServerConnection

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repos" / "shop"
TIMEOUT_S = 180.0
VERIFY_PASSWORD_BODY_LINE = 13  # tests/fixtures/repos/shop/server/passwords.py


@dataclass
class Served:
    repo: Path
    runtime: Path

    @property
    def socket(self) -> Path:
        return self.runtime / "codesearch" / "server.sock"

    def call(self, method: str, params: dict[str, Any]) -> Any:
        with ServerConnection.connect(self.socket) as connection:
            return connection.call(method, {"root": str(self.repo), **params}, timeout_s=TIMEOUT_S)


def environment(runtime: Path, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path, "XDG_RUNTIME_DIR": str(runtime), **extra}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`codesearch serve REPO` (it indexes the repo in its first round)."""
    repo = (tmp_path_factory.mktemp("mcp") / "shop").resolve()
    shutil.copytree(FIXTURE, repo)
    runtime = Path(tempfile.mkdtemp(prefix="cs-mcp-"))
    home = tmp_path_factory.mktemp("mcp-home")
    env = environment(runtime, HOME=str(home), XDG_CACHE_HOME=str(home / "cache"))
    process = subprocess.Popen(
        [sys.executable, "-m", "codesearch", "serve", str(repo)], env=env, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    try:
        while "serving on" not in (line := process.stderr.readline()):
            assert line, f"the server exited with {process.wait()}"
        served = Served(repo, runtime)
        with ServerConnection.connect(served.socket) as connection:
            connection.call("initialize", {"rootUri": repo.as_uri()})  # so rounds are announced here
            while not connection.call("status")["repos"][0]["generation"]:
                connection.next_notification(TIMEOUT_S)
        yield served
    finally:
        process.terminate()
        process.wait(TIMEOUT_S)
        shutil.rmtree(runtime, ignore_errors=True)


def run_mcp(repo: Path, env: dict[str, str], calls: list[tuple[str, dict[str, Any]]]) -> tuple[Any, list[Any]]:
    """Start `codesearch mcp REPO`, list its tools, make ``calls``; (tools, CallToolResults)."""

    async def session() -> tuple[Any, list[Any]]:
        params = StdioServerParameters(command=sys.executable, args=["-m", "codesearch", "mcp", str(repo)], env=env)
        with anyio.fail_after(TIMEOUT_S), tempfile.TemporaryFile("w+") as errors:
            async with stdio_client(params, errlog=errors) as (read, write), ClientSession(read, write) as client:
                await client.initialize()
                tools = (await client.list_tools()).tools
                return tools, [await client.call_tool(name, arguments) for name, arguments in calls]

    return anyio.run(session)


def warm_env(served: Served) -> dict[str, str]:
    """Searching in the MCP process would fail on this model: only the server can answer."""
    return environment(served.runtime, CODESEARCH_MODEL=str(served.repo / "no-such-model"))


SEARCHES: list[dict[str, Any]] = [
    {"query": "multiply two matrices", "k": 5},
    {"query": "read the settings from a json file", "k": 3, "lang": ["go"]},
    {"query": "hash a password", "k": 4, "path": "web/*"},
]


def server_search(served: Served, arguments: dict[str, Any]) -> Any:
    return served.call(
        "search",
        {"query": arguments["query"], "k": arguments["k"], "languages": arguments.get("lang"),
         "path": arguments.get("path")},
    )


def test_tools_and_their_parameters(served: Served) -> None:
    tools, _ = run_mcp(served.repo, warm_env(served), [])
    schemas = {tool.name: tool.input_schema for tool in tools}
    assert set(schemas["search"]["properties"]) == {"query", "k", "lang", "path", "include_code"}
    assert schemas["search"]["required"] == ["query"]
    assert set(schemas["similar"]["properties"]) == {"file", "line", "k", "include_code"}
    assert sorted(schemas["similar"]["required"]) == ["file", "line"]


def test_warm_tools_answer_exactly_like_the_server(served: Served) -> None:
    similar = {"file": "server/passwords.py", "line": VERIFY_PASSWORD_BODY_LINE, "k": 3}
    _, results = run_mcp(
        served.repo, warm_env(served), [("search", arguments) for arguments in SEARCHES] + [("similar", similar)]
    )
    assert not any(result.is_error for result in results), [r.content for r in results]
    for arguments, result in zip(SEARCHES, results, strict=False):
        assert result.structured_content == server_search(served, arguments)
    expected_similar = served.call("similar", {"path": "server/passwords.py", "line": similar["line"], "k": 3})
    assert results[-1].structured_content == expected_similar
    names = [hit["qualified_name"] for hit in expected_similar["hits"]]
    assert "hash_password" in names and "verify_password" not in names


def test_errors_are_tool_errors_written_for_the_agent(served: Served) -> None:
    _, results = run_mcp(
        served.repo,
        warm_env(served),
        [
            ("search", {"query": "   "}),
            ("search", {"query": "parse json", "lang": ["cobol"]}),
            ("similar", {"file": "server/passwords.py", "line": 2}),
            ("similar", {"file": "../../etc/passwd", "line": 1}),
        ],
    )
    messages = [(result.is_error, result.content[0].text) for result in results]
    assert all(is_error for is_error, _ in messages), messages
    assert "the query is empty" in messages[0][1]
    assert "cobol" in messages[1][1]
    assert "no indexed function, method or class at server/passwords.py:2" in messages[2][1]
    assert "outside" in messages[3][1]


def test_in_process_answers_match_the_server(served: Served) -> None:
    no_server = Path(tempfile.mkdtemp(prefix="cs-mcp-none-"))
    try:
        _, results = run_mcp(
            served.repo,
            environment(no_server),
            [("search", {**SEARCHES[0], "include_code": True}),
             ("similar", {"file": str(served.repo / "server" / "passwords.py"), "line": 13, "k": 3})],
        )
    finally:
        shutil.rmtree(no_server, ignore_errors=True)
    assert not any(result.is_error for result in results), [r.content for r in results]
    search, similar = (result.structured_content for result in results)
    warm_search = server_search(served, SEARCHES[0])
    assert [h["qualified_name"] for h in search["hits"]] == [h["qualified_name"] for h in warm_search["hits"]]
    # query vectors from torch (the server) and from the ONNX export (in-process) agree to cosine >= 0.9999
    assert [h["score"] for h in search["hits"]] == pytest.approx([h["score"] for h in warm_search["hits"]], abs=1e-2)
    assert "public static double[][] multiply" in search["hits"][0]["code"]
    warm_similar = served.call("similar", {"path": "server/passwords.py", "line": 13, "k": 3})
    assert similar["root"] == str(served.repo)
    assert [h["qualified_name"] for h in similar["hits"]] == [h["qualified_name"] for h in warm_similar["hits"]]
