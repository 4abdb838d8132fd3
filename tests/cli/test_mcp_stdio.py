"""A real `codesearch mcp` process fed malformed lines (row 11 of "Hostile input", docs/threat-model.md).

Each line gets one JSON-RPC error answer on stdout (before, most got none: the client waited for
ever, and a NUL in a path printed a traceback), nothing lands on stderr, and the next line is served.
No index and no model are needed: every line here is refused before a repository is asked anything.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60.0
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602


class McpProcess:
    """`codesearch mcp FOLDER`, spoken to one raw line at a time."""

    def __init__(self, folder: Path) -> None:
        path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "codesearch", "mcp", str(folder)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0, env={**os.environ, "PYTHONPATH": path},
        )

    def exchange(self, line: bytes) -> dict[str, Any]:
        """Send ``line``; the one answer that follows."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + b"\n")
        ready, _, _ = select.select([self.process.stdout], [], [], TIMEOUT_S)
        assert ready, f"no answer to {line[:80]!r}"
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def call(self, request_id: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.exchange(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
                             .encode())

    def finish(self) -> tuple[int, str]:
        """Close stdin: the exit code and everything on stderr."""
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        stderr = self.process.stderr.read().decode("utf-8", "replace")
        return self.process.wait(TIMEOUT_S), stderr


def tool_call(request_id: int, name: str, arguments_json: str) -> bytes:
    """A tools/call line written by hand, so that it may hold escapes json.dumps would not write."""
    return (f'{{"jsonrpc":"2.0","id":{request_id},"method":"tools/call",'
            f'"params":{{"name":"{name}","arguments":{arguments_json}}}}}').encode()


MALFORMED = [
    (b"{not json", PARSE_ERROR, None),
    (b"[]", INVALID_REQUEST, None),
    (b'[{"jsonrpc":"2.0","id":3,"method":"tools/list"}]', INVALID_REQUEST, None),  # batches: not supported
    (b"\xff\xfe{}", PARSE_ERROR, None),  # not UTF-8
    (b"[" * 200_000, PARSE_ERROR, None),  # nested deeper than the parser's recursion limit
    (b"7", INVALID_REQUEST, None),
    (b'{"jsonrpc":"2.0","id":4,"method":7}', INVALID_REQUEST, 4),
    (b'{"jsonrpc":"2.0","id":"\\udcff","method":"tools/list"}', INVALID_REQUEST, None),
    (tool_call(5, "search", '{"query":"x \\udcff"}'), INVALID_PARAMS, 5),  # a lone surrogate
    (tool_call(6, "similar", '{"file":"server/cart.py\\u0000.txt","line":1}'), INVALID_PARAMS, 6),  # a NUL
    (tool_call(7, "search", '{"query":"cart","path":"src/\\u0000*"}'), INVALID_PARAMS, 7),
]
TOOL_ERRORS = [  # well-formed but wrong: tool errors, written for the agent to read
    (tool_call(11, "search", '{"query":"   "}'), "the query is empty"),
    (tool_call(12, "search", '{"query":"cart","path":"' + "*" * 2000 + '"}'), "the limit is 1,024"),
]


def test_malformed_lines_get_one_error_each_and_the_server_goes_on(tmp_path: Path) -> None:
    mcp = McpProcess(tmp_path)
    try:
        initialized = mcp.call(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                                 "clientInfo": {"name": "test", "version": "1"}})
        assert initialized["result"]["serverInfo"]["name"] == "codesearch"
        mcp.process.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')  # type: ignore[union-attr]
        for line, code, request_id in MALFORMED:
            answer = mcp.exchange(line)
            assert (answer["id"], answer["error"]["code"]) == (request_id, code), (line[:80], answer)
        too_long = mcp.exchange(b'{"jsonrpc":"2.0","id":9,"method":"tools/list","params":{"x":"' + b"a" * (17 << 20)
                                + b'"}}')
        assert (too_long["id"], too_long["error"]["code"]) == (None, INVALID_REQUEST)
        for line, message in TOOL_ERRORS:
            result = mcp.exchange(line)["result"]
            assert result["isError"] and message in result["content"][0]["text"], result
        tools = mcp.call(10, "tools/list", {})["result"]["tools"]  # served as ever
        assert {tool["name"] for tool in tools} == {"search", "similar"}
    finally:
        code, stderr = mcp.finish()
    assert code == 0 and stderr == ""


@pytest.mark.parametrize("blank", [b"", b"   ", b"\r"])
def test_blank_lines_are_skipped(tmp_path: Path, blank: bytes) -> None:
    mcp = McpProcess(tmp_path)
    try:
        assert mcp.process.stdin is not None
        mcp.process.stdin.write(blank + b"\n")
        assert mcp.call(1, "ping", {})["id"] == 1
    finally:
        code, stderr = mcp.finish()
    assert code == 0 and stderr == ""
