"""Bad command lines get one line on stderr and exit code 1, never a usage block, exit 2 or a traceback.

Real processes (``python -m codesearch``), so the exit code is the one a shell sees; issue "Hostile
input", row 14. A folder that cannot be read needs permission bits to apply: as root, the command runs
as user nobody.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534
IS_ROOT = os.geteuid() == 0  # root reads any folder: the command then runs as nobody, through setpriv
TIMEOUT_S = 60.0


def codesearch(*args: str, cwd: Path, as_nobody: bool = False) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESEARCH_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if as_nobody and IS_ROOT else []
    return subprocess.run([*drop, sys.executable, "-m", "codesearch", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr and "Usage:" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ask", "-k", "abc", "parse json"], ["Invalid value for '-k': 'abc' is not a valid integer", "ask -h"]),
        (["ask", "--queries-file", "missing.txt"], ["'--queries-file'", "missing.txt", "No such file"]),
        (["ask", "--jsn", "q"], ["No such option '--jsn'", "--json"]),
        (["ask"], ["give a QUERY or --queries-file"]),
        (["serach", "q"], ["No such command 'serach'"]),
        (["--verbose"], ["No such option '--verbose'"]),
        (["serve", "--tcp", "99999"], ["99999 is not in the range 0<=x<=65535"]),
        (["mcp", "no-such-folder"], ["no-such-folder", "does not exist"]),
        (["index", "--ray", "x", "."], ["--ray takes an address"]),
        (["ask", "-k", "0", "q"], ["k must be between 1 and 1000"]),  # a ConfigError: the same shape
    ],
)
def test_a_bad_command_line_is_one_line_and_exit_1(tmp_path: Path, args: list[str], expected: list[str]) -> None:
    assert_one_line_error(codesearch(*args, cwd=tmp_path), *expected)


def test_a_path_or_value_in_the_message_is_escaped(tmp_path: Path) -> None:
    line = assert_one_line_error(codesearch("ask", "-k", "\x1b]0;title\x07\n2", "q", cwd=tmp_path))
    assert "\x1b" not in line and "\\x1b]0;title\\x07\\n2" in line
    line = assert_one_line_error(codesearch("mcp", "gone\x1b[2J\nforged line", cwd=tmp_path))
    assert "\x1b" not in line and "gone\\x1b[2J\\nforged line" in line


def test_no_arguments_prints_the_commands_and_exits_1(tmp_path: Path) -> None:
    result = codesearch(cwd=tmp_path)
    assert result.returncode == 1 and "Commands:" in result.stderr and "Traceback" not in result.stderr
    assert codesearch("--help", cwd=tmp_path).returncode == 0  # help asked for is not an error


@pytest.fixture
def locked_folder() -> Iterator[Path]:
    """``shared/locked`` (mode 000) in a folder outside tmp_path (whose parents are private to root)."""
    shared = Path(tempfile.mkdtemp(prefix="codesearch-usage-"))
    shared.chmod(0o777)
    locked = shared / "locked"
    (locked / "sub").mkdir(parents=True)
    (locked / "sub" / "a.py").write_text("def f():\n    return 1\n")
    locked.chmod(0)
    yield locked
    locked.chmod(0o755)
    shutil.rmtree(shared)


@pytest.mark.skipif(IS_ROOT and shutil.which("setpriv") is None, reason="as root, needs setpriv to run as nobody")
@pytest.mark.parametrize(
    "args",
    [["index", "locked"], ["status", "locked"], ["ask", "--repo", "locked", "q"], ["extract", "locked"],
     ["index", "locked/sub"], ["ask", "--repo", "locked/sub", "q"]],
)
def test_a_folder_that_cannot_be_read_is_one_line_and_exit_1(locked_folder: Path, args: list[str]) -> None:
    result = codesearch(*args, cwd=locked_folder.parent, as_nobody=True)
    # "locked" itself is refused by its flag's check; "locked/sub" cannot even be looked into, so reading
    # its codesearch.toml fails (it was a PermissionError traceback).
    assert_one_line_error(result, "locked")
    assert "not readable" in result.stderr or "Permission denied" in result.stderr
