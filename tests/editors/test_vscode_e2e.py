"""The VS Code extension in a real VS Code: code-server, driven by headless Chromium (playwright-core).

The .vsix is packaged from editors/vscode (`vsce package`, pinned in editors/vscode/e2e), installed
into a fresh code-server profile, and editors/vscode/e2e/run.mjs uses the workbench as a person
would: "codesearch: Ask" from the Command Palette, a query typed, the QuickPick items checked,
Enter, the editor at the definition; "Find similar" from the editor's context menu; "Stop the
server". The extension starts the real `codesearch serve` (real encoder) in this test's private
runtime folder; this test checks that it ended. Skips only where Chromium or code-server is not
installed: `.ci/run` installs both (Debian's chromium; `npm ci` in editors/vscode/e2e).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.editors.conftest import REPO_ROOT, SERVER_EXIT_TIMEOUT_S, python_env, server_command, wait_for_exit

EXTENSION = REPO_ROOT / "editors" / "vscode"
E2E = EXTENSION / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(
        not (E2E / "node_modules" / ".bin" / "code-server").exists(),
        reason="code-server is not installed (npm ci in editors/vscode/e2e, as .ci/run does)",
    ),
]
NPM_TIMEOUT_S = 300.0
RUN_TIMEOUT_S = 600.0
MIN_SCREENSHOT_BYTES = 20_000  # a blank 1280x760 PNG is a few kB; the workbench with a QuickPick is far more


def run(command: list[str], cwd: Path, env: dict[str, str], timeout_s: float) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout_s)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def vsix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension packaged as users install it (`vsce package` runs `tsc` first)."""
    out = tmp_path_factory.mktemp("vsix") / "codesearch.vsix"
    env = python_env()
    run(["npm", "ci", "--no-audit", "--no-fund"], EXTENSION, env, NPM_TIMEOUT_S)
    vsce = E2E / "node_modules" / ".bin" / "vsce"
    run([str(vsce), "package", "--no-dependencies", "--allow-missing-repository", "--skip-license", "--out", str(out)],
        EXTENSION, env, NPM_TIMEOUT_S)
    return out


def test_ask_and_find_similar_in_code_server(indexed_shop: Path, runtime_dir: Path, vsix: Path, tmp_path: Path) -> None:
    env = {
        **python_env(),
        "CODESEARCH_TEST_REPO": str(indexed_shop),
        "CODESEARCH_TEST_SERVER_CMD": json.dumps(server_command()),
        "CODESEARCH_TEST_VSIX": str(vsix),
        "CODESEARCH_TEST_SCREENSHOTS": str(tmp_path),
        "CODESEARCH_TEST_CHROMIUM": str(CHROMIUM),
    }
    output = run(["node", "run.mjs"], E2E, env, RUN_TIMEOUT_S)
    assert output.splitlines()[-1] == "all passed", output
    assert re.search(r"^ok 1 Ask: \d+ items, first hash_password server/passwords\.py:6$", output, re.M), output
    assert re.search(r"^ok 3 Find similar \(context menu\): \d+ items, verify_password is number \d+$", output, re.M)
    for name in ("vscode-ask.png", "vscode-similar.png"):
        picture = (tmp_path / name).read_bytes()
        assert picture.startswith(b"\x89PNG\r\n\x1a\n") and len(picture) > MIN_SCREENSHOT_BYTES, name
    pid = int(re.search(r"^server pid (\d+)$", output, re.M).group(1))  # type: ignore[union-attr]
    assert wait_for_exit(pid, SERVER_EXIT_TIMEOUT_S), "the server did not end after Stop the server"
    assert not (runtime_dir / "codesearch" / "server.sock").exists()
