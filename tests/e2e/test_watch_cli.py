"""End to end: `codesearch watch` in a child process keeps the index fresh and stops on SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repos" / "shop"


def read_until(process: subprocess.Popen[str], needle: str) -> str:
    assert process.stderr is not None
    while needle not in (line := process.stderr.readline()):
        assert line, f"`codesearch watch` exited with {process.wait()} before printing {needle!r}"
    return line


def test_watch_updates_on_edits_holds_the_lock_and_stops_on_sigterm(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    shutil.copytree(FIXTURE, repo)
    env = {**os.environ, "CODESEARCH_DEBOUNCE_S": "0.1",
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-m", "codesearch", "watch", str(repo)], env=env,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        assert "7 new" in read_until(process, "updated")  # the catch-up round builds the index
        cart = repo / "server" / "cart.py"
        cart.write_text(cart.read_text() + "\n\ndef apply_coupon(cart, code):\n    return code.upper()\n")
        line = read_until(process, "updated")
        assert "1 changed" in line and "1 embedded" in line, line
        locked = CliRunner().invoke(cli, ["index", str(repo)])
        assert locked.exit_code == 1 and f"process {process.pid}" in locked.output
        process.send_signal(signal.SIGTERM)
        read_until(process, "stopped")
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
