"""Real ``codesearch lsp`` and ``codesearch mcp`` processes over a damaged index (no server running).

The damages of tests/e2e/test_damaged_index.py that leave the database in place: bytes flipped in a
stored vector, in a stored path, at the start of three pages; the file truncated. Before any repair
each answer is one protocol error (LSP: a USER_ERROR; MCP: a tool error) of one line, or the clean
build's answer, never another. The LSP process heals the index in its update (``initialized``) and then
answers as the clean build; the MCP process, a reader, answers as the clean build once ``index`` has
healed the index beside it, in the same session. Nothing lands on stderr as a traceback.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codesearch.server.protocol import USER_ERROR, Notification
from tests.cli.test_mcp_stdio import McpProcess
from tests.e2e.test_damaged_index import FIXTURE, QUERIES, answers, flip_inside, run, stored_vector
from tests.lsp.helpers import LspProcess, lsp_environment

pytestmark = pytest.mark.e2e
Symbols = dict[str, Any]  # query -> the LSP's answer: a list of symbols, or ("error", message)


def flip_pages(path: Path, *fractions: float) -> None:
    """Flip the first 64 bytes (b-tree header, cell pointers) of the pages at these fractions of the file:
    bytes flipped at a random offset often land in a page's unused space and change nothing."""
    with sqlite3.connect(path) as conn:
        (page_bytes,) = conn.execute("PRAGMA page_size").fetchone()
    data = bytearray(path.read_bytes())
    for fraction in fractions:
        at = int(len(data) * fraction) // page_bytes * page_bytes
        data[at : at + 64] = bytes(b ^ 0xFF for b in data[at : at + 64])
    path.write_bytes(bytes(data))


def database_damages(db: Path) -> dict[str, Callable[[], None]]:
    return {
        "a stored vector flipped": lambda: flip_inside(db, stored_vector(db)),
        "a stored path flipped": lambda: flip_inside(db, b"server/passwords.py"),
        "three pages flipped": lambda: flip_pages(db, 0.3, 0.55, 0.8),
        "the database truncated to 70%": lambda: db.write_bytes(db.read_bytes()[: int(db.stat().st_size * 0.7)]),
    }


def fresh_copy(clean_repo: Path, into: Path) -> Path:
    """The clean build's repository and index, copied (the machine-wide cache stays the test's)."""
    if into.exists():
        shutil.rmtree(into)
    return shutil.copytree(clean_repo, into)


def built(tmp_path: Path) -> Path:
    repo = shutil.copytree(FIXTURE, tmp_path / "clean" / "shop")
    result = run("index", str(repo))
    assert result.exit_code == 0, result.output
    return repo


def one_line(message: str) -> bool:
    return "\n" not in message.strip() and "Traceback" not in message


# -- LSP -----------------------------------------------------------------------------------------


def lsp_session(repo: Path, *, update: bool) -> tuple[Symbols, Symbols, list[str], str]:
    """Symbols before the update, after it (if ``update``), the update's closing messages, and stderr."""
    lsp = LspProcess([], cwd=repo.parent, env=lsp_environment())
    lsp.initialize({"rootUri": repo.as_uri(), "capabilities": {"window": {"workDoneProgress": True}}})
    before = {query: lsp_symbols(lsp, repo, query) for query in QUERIES}  # before `initialized`: no update yet
    after: Symbols = {}
    ended: list[str] = []
    if update:
        lsp.notify("initialized", {})
        token_request = lsp.next_request()
        assert token_request.method == "window/workDoneProgress/create"
        lsp.respond(token_request.id, None)
        while not ended:
            message = lsp.receive()
            assert message is not None, "the LSP process closed its output"
            if not isinstance(message, Notification):
                continue
            if message.method == "window/showMessage":
                ended.append(message.params["message"])
            elif message.method == "$/progress" and message.params["value"]["kind"] == "end":
                ended.append(message.params["value"]["message"])
        after = {query: lsp_symbols(lsp, repo, query) for query in QUERIES}
    assert lsp.call("shutdown") is None
    lsp.notify("exit")
    code, _, stderr = lsp.finish()
    assert code == 0, stderr
    return before, after, ended, stderr


def lsp_symbols(lsp: LspProcess, repo: Path, query: str) -> Any:
    """The symbols (their file URIs made relative to ``repo``), or ("error", message)."""
    answer = lsp.answer(lsp.send("workspace/symbol", {"query": query}))
    if answer.error is not None:
        assert answer.error.code == USER_ERROR and one_line(answer.error.message), answer.error
        return ("error", answer.error.message)
    return json.loads(json.dumps(answer.result).replace(repo.as_uri(), "repo:"))


def test_lsp_over_a_damaged_index_answers_one_error_or_rightly_then_heals_it(tmp_path: Path) -> None:
    clean_repo = built(tmp_path)
    clean, _, _, stderr = lsp_session(clean_repo, update=False)
    assert all(isinstance(symbols, list) and symbols for symbols in clean.values()), clean
    for name, damage in database_damages(tmp_path / "repo" / "shop" / ".codesearch" / "index.sqlite3").items():
        repo = fresh_copy(clean_repo, tmp_path / "repo" / "shop")
        damage()
        before, after, ended, stderr = lsp_session(repo, update=True)
        for query in QUERIES:
            assert before[query] == clean[query] or before[query][0] == "error", (name, query, before[query])
        assert after == clean, (name, ended, stderr[-3000:])
        assert "Traceback" not in stderr, (name, stderr)
        assert list((repo / ".codesearch").glob("damaged-*")), (name, ended)  # healed: set aside and rebuilt


# -- MCP -----------------------------------------------------------------------------------------


def mcp_answers(mcp: McpProcess, first_id: int) -> list[Any]:
    """Each query's hits as ``answers`` gives them, or ("error", text) for a tool error."""
    found: list[Any] = []
    for offset, query in enumerate(QUERIES):
        call = mcp.call(first_id + offset, "tools/call", {"name": "search", "arguments": {"query": query, "k": 5}})
        assert "error" not in call, call  # a tool error is a result the agent reads, not a broken protocol
        result = call["result"]
        text = result["content"][0]["text"]
        if result.get("isError"):
            assert one_line(text), text
            found.append(("error", text))
            continue
        hits = json.loads(text)["hits"]
        found.append([(hit["path"], hit["start_line"], hit["qualified_name"]) for hit in hits])
    return found


def test_mcp_over_a_damaged_index_answers_one_error_or_rightly_and_recovers_once_healed(tmp_path: Path) -> None:
    clean_repo = built(tmp_path)
    clean = answers(clean_repo)
    for name, damage in database_damages(tmp_path / "repo" / "shop" / ".codesearch" / "index.sqlite3").items():
        repo = fresh_copy(clean_repo, tmp_path / "repo" / "shop")
        damage()
        mcp = McpProcess(repo)
        try:
            mcp.call(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                       "clientInfo": {"name": "test", "version": "1"}})
            assert mcp.process.stdin is not None
            mcp.process.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
            before = mcp_answers(mcp, 10)
            for query, found, right in zip(QUERIES, before, clean, strict=True):
                assert found == right or found[0] == "error", (name, query, found)
            healed = run("index", str(repo))  # beside the MCP process, as a user would
            assert healed.exit_code == 0 and list((repo / ".codesearch").glob("damaged-*")), (name, healed.output)
            assert mcp_answers(mcp, 20) == clean, name  # the same session, now from the rebuilt index
        finally:
            code, stderr = mcp.finish()
        assert code == 0 and "Traceback" not in stderr, (name, stderr)
