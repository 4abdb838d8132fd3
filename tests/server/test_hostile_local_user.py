"""Another local user against `codesearch serve` (docs/threat-model.md, rows 6 and 7 of "Hostile input").

Real processes: `codesearch serve` pointed at a shared folder, or at a folder or token file that
user nobody made (through ``setpriv``, as that user), refuses in one line before it loads a model,
and leaves what it was pointed at as it found it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60.0
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
needs_nobody = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="acting as user nobody needs root and setpriv",
)


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder like /tmp (mode 1777, sticky), outside tmp_path, whose parents nobody may enter."""
    folder = Path(tempfile.mkdtemp(prefix="cs-shared-"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder)


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    """`codesearch serve ARGS` to its end (a refusal comes before the model loads, so it is quick)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-m", "codesearch", "serve", *args], env=env, capture_output=True, text=True,
        timeout=TIMEOUT_S, stdin=subprocess.DEVNULL,
    )


def assert_refused_in_one_line(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and reason in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_socket_in_a_shared_folder_is_refused_and_the_folder_keeps_its_mode(shared: Path) -> None:
    result = serve("--socket", str(shared / "s.sock"))
    assert_refused_in_one_line(result, "is writable by other users")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777  # sticky bit and all: never chmod-ed
    assert list(shared.iterdir()) == []  # no socket, lock or info file left there


@needs_nobody
def test_a_socket_in_a_folder_of_another_user_is_refused(shared: Path) -> None:
    theirs = shared / "theirs"
    subprocess.run([*AS_NOBODY, "mkdir", "-m", "700", str(theirs)], check=True, timeout=TIMEOUT_S)
    result = serve("--socket", str(theirs / "s.sock"))
    assert_refused_in_one_line(result, "belongs to another user")
    assert stat.S_IMODE(theirs.stat().st_mode) == 0o700 and list(theirs.iterdir()) == []


@needs_nobody
def test_a_token_file_another_user_wrote_is_refused(shared: Path) -> None:
    """Before, the server took this token, and with it nobody could search (and read, with
    includeCode) any repository the server's user may read."""
    token = shared / "token"
    subprocess.run([*AS_NOBODY, "sh", "-c", f"umask 077 && echo theirs > {token}"], check=True, timeout=TIMEOUT_S)
    assert token.stat().st_uid != os.getuid() and stat.S_IMODE(token.stat().st_mode) == 0o600
    private = Path(tempfile.mkdtemp(prefix="cs-"))  # a short path: Unix socket paths are limited
    try:
        result = serve("--tcp", "0", "--token-file", str(token), "--socket", str(private / "s.sock"))
        assert_refused_in_one_line(result, "belongs to another user")
        link = private / "token"
        link.symlink_to(token)
        result = serve("--tcp", "0", "--token-file", str(link), "--socket", str(private / "s.sock"))
        assert_refused_in_one_line(result, "it is a link")
    finally:
        shutil.rmtree(private)
