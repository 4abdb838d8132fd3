"""The VS Code extension's client module under Node's test runner, against a real `codesearch serve`.

`npm ci` installs the pinned devDependencies (package-lock.json), `tsc` compiles src/ and test/,
and `node --test` runs editors/vscode/test/*.test.ts: framing unit tests, then the client starting
a server (none runs in this test's runtime folder), searching, overlapping requests, filters,
similar, a user error, a second client reusing the server, and stopping it. Skips only where
node or npm is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.editors.conftest import REPO_ROOT, SERVER_EXIT_TIMEOUT_S, python_env, server_command, wait_for_exit

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None, reason="node and npm are not installed"
    ),
]
EXTENSION = REPO_ROOT / "editors" / "vscode"
NPM_TIMEOUT_S = 300.0
NODE_TEST_TIMEOUT_S = 300.0


def run(command: list[str], env: dict[str, str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=EXTENSION, env=env, capture_output=True, text=True, timeout=timeout_s)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result


def test_client_module_against_a_real_server(indexed_shop: Path, runtime_dir: Path) -> None:
    env = {
        **python_env(),
        "CODESEARCH_TEST_REPO": str(indexed_shop),
        "CODESEARCH_TEST_SERVER_CMD": json.dumps(server_command()),
    }
    run(["npm", "ci", "--no-audit", "--no-fund"], env, NPM_TIMEOUT_S)
    shutil.rmtree(EXTENSION / "out", ignore_errors=True)  # no stale compiled tests
    run(["npx", "--no-install", "tsc", "-p", "."], env, NPM_TIMEOUT_S)
    tests = sorted(str(path.relative_to(EXTENSION)) for path in (EXTENSION / "out" / "test").glob("*.test.js"))
    assert tests == ["out/test/client.test.js", "out/test/framing.test.js"]
    report = run(["node", "--test", *tests], env, NODE_TEST_TIMEOUT_S).stdout
    counts = {name: int(value) for name, value in re.findall(r"^# (\w+) (\d+)$", report, re.MULTILINE)}
    assert counts["fail"] == counts["cancelled"] == counts["skipped"] == counts["todo"] == 0, report
    assert counts["pass"] >= 13, report
    pid = int(re.search(r"# server pid (\d+)", report).group(1))  # type: ignore[union-attr]
    assert wait_for_exit(pid, SERVER_EXIT_TIMEOUT_S), "the server did not end after stopServer()"
