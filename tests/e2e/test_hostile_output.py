"""A checkout's file names and code cannot drive the terminal (docs/threat-model.md; issue "Hostile input", row 10).

Real processes, the real encoder, and a real terminal: ``codesearch`` runs on the slave side of a
pseudo-terminal, so it colours its output as it would for a person. The checkout holds files named
with an escape sequence, a newline, rich markup and a bidi override, code that sets the window title,
clears the screen and turns text red, and a binary file whose name is an escape sequence (``index``
logs a warning naming it). None of those sequences may reach the terminal raw; each must be shown
escaped. Before the fix, ``ask`` printed them as they were.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300.0
FILES = {
    "evil\x1b[31mname.py": 'def set_window_title():\n    """Set the title of the terminal window."""\n'
                           '    print("\x1b]0;pwned\x07\x1b[2J")\n    return "\x1b[31mred\x9b2J"\n',
    "new\nline.py": 'def load_settings():\n    """Load the settings file."""\n    return 1\n',
    "[bold]x[link=file:e]y.py": 'def open_link():\n    """Open the link in a browser."""\n    return 2\n',
    "ab\u202ecd.py": 'def reverse_text():\n    """Reverse the text of a line."""\n    return 3\n',
}
BINARY_NAME = "bin\x1b]0;logged\x07.py"
# What the checkout holds and a terminal would act on. The CLI's own colours (bold, dim, cyan, yellow)
# never use red, so a raw ESC [ 3 1 m can only come from the checkout.
RAW = ("\x1b]0;", "\x1b[2J", "\x1b[31m", "\x9b", "\u202e", "new\nline", "new\r\nline")


def run_on_terminal(args: list[str], cwd: Path, env: dict[str, str], *, stderr: bool = True) -> tuple[int, str]:
    """Run ``python -m codesearch ARGS`` with stdout (and ``stderr``) on a pseudo-terminal; exit code and output."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "codesearch", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=terminal, stderr=terminal if stderr else subprocess.DEVNULL)
    os.close(terminal)
    output = bytearray()
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not chunk:
                break
            output += chunk
        else:
            raise AssertionError(f"codesearch {args} did not finish in {TIMEOUT_S} s")
        return process.wait(timeout=TIMEOUT_S), output.decode("utf-8")
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], str]:
    """An indexed checkout, its environment, and what ``index`` printed on the terminal."""
    repo = tmp_path_factory.mktemp("hostile-output") / "repo"
    repo.mkdir()
    for name, code in FILES.items():
        (repo / name).write_text(code, encoding="utf-8")
    (repo / BINARY_NAME).write_bytes(b"\x00\x01\x02" * 100)
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESEARCH_") and key != "NO_COLOR"}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
               COLUMNS="200", TERM="xterm-256color")
    code, output = run_on_terminal(["index", str(repo)], repo, env)
    assert code == 0, output
    return repo, env, output


def assert_nothing_raw(output: str) -> None:
    for sequence in RAW:
        assert sequence not in output, (sequence, output)


def test_index_logs_the_binary_file_by_its_escaped_name(checkout: tuple[Path, dict[str, str], str]) -> None:
    _, _, output = checkout
    assert_nothing_raw(output)
    assert "bin\\x1b]0;logged\\x07.py" in output, output


@pytest.mark.parametrize("query", ["set the title of the terminal window", "load the settings file",
                                   "open the link in a browser", "reverse the text of a line"])
def test_ask_shows_names_and_code_escaped(checkout: tuple[Path, dict[str, str], str], query: str) -> None:
    repo, env, _ = checkout
    code, output = run_on_terminal(["ask", query, "-k", "4"], repo, env)
    assert code == 0, output
    assert "\x1b[36m" in output  # coloured: the CLI saw a terminal
    assert_nothing_raw(output)
    for shown in ("evil\\x1b[31mname.py", "new\\nline.py", "[bold]x[link=file:e]y.py", "ab\\u202ecd.py"):
        assert shown in output, (shown, output)  # every file, escaped; rich markup printed as it is
    if "title" in query:
        assert 'print("\\x1b]0;pwned\\x07\\x1b[2J")' in output and "red\\x9b2J" in output


def test_ask_files_and_status_are_escaped(checkout: tuple[Path, dict[str, str], str]) -> None:
    repo, env, _ = checkout
    code, output = run_on_terminal(["ask", "set the title of the terminal window", "--files"], repo, env)
    assert code == 0 and "evil\\x1b[31mname.py" in output, output
    assert_nothing_raw(output)
    code, output = run_on_terminal(["status", str(repo)], repo, env)
    assert code == 0 and "contents:" in output, output
    assert_nothing_raw(output)


def test_ask_json_on_a_terminal_is_exact_json_with_nothing_raw(checkout: tuple[Path, dict[str, str], str]) -> None:
    repo, env, _ = checkout
    code, output = run_on_terminal(["ask", "set the title of the terminal window", "--json", "-k", "4"], repo, env,
                                   stderr=False)
    assert code == 0, output
    assert "\x1b" not in output and "\x9b" not in output and "\u202e" not in output
    hits = json.loads(output)
    assert {hit["path"] for hit in hits} == set(FILES)  # the names exactly, once decoded
