"""Fixtures for the editor plugins' tests: an indexed copy of the shop fixture repo, a private
runtime folder for the server those plugins start, and cleanup of any server left running."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repos" / "shop"
SERVER_EXIT_TIMEOUT_S = 60.0


def python_env() -> dict[str, str]:
    """The environment for subprocesses: this checkout importable, whatever is installed."""
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path}


def server_command() -> list[str]:
    return [sys.executable, "-m", "codesearch", "serve"]


@pytest.fixture(scope="session")
def indexed_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop fixture repo, indexed once per session (the model loads in a subprocess)."""
    repo = tmp_path_factory.mktemp("editors") / "shop"
    shutil.copytree(FIXTURE, repo)
    home = tmp_path_factory.mktemp("index-home")
    env = {**python_env(), "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")}
    result = subprocess.run(
        [sys.executable, "-m", "codesearch", "index", str(repo)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return repo.resolve()


@pytest.fixture
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short XDG_RUNTIME_DIR (socket paths are limited to ~104 bytes); no server is left behind."""
    folder = Path(tempfile.mkdtemp(prefix="cs-ed-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    try:
        yield folder
    finally:
        pid = server_pid(folder)
        if pid is not None and is_alive(pid):
            os.kill(pid, signal.SIGTERM)
            wait_for_exit(pid, SERVER_EXIT_TIMEOUT_S)
        shutil.rmtree(folder, ignore_errors=True)


def server_pid(runtime: Path) -> int | None:
    try:
        info = json.loads((runtime / "codesearch" / "server.json").read_text())
    except (OSError, ValueError):
        return None
    return int(info["pid"])


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_exit(pid: int, timeout_s: float) -> bool:
    """Wait for a process that is not our child (a plugin started it detached); True once it ended."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([handle], [], [], timeout_s)
        return bool(readable)
    finally:
        os.close(handle)
