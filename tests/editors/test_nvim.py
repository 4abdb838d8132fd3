"""codesearch.nvim in headless Neovim against a real `codesearch serve` that the plugin starts.

The checks live in editors/nvim/tests/headless_test.lua (the entries handed to Telescope, through
stand-ins of its modules since it is not installed; search through vim.ui.select with the jump to
path:line, the quickfix list, :CodeSearchSimilar, a server error shown to the user, :CodeSearchStop);
this test runs it with the real encoder on the indexed shop fixture and checks that the server the
plugin started has ended. It skips only where `nvim` is not installed
(`.ci/run` installs Debian's neovim package).
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
    pytest.mark.skipif(shutil.which("nvim") is None, reason="nvim is not installed (apt-get install neovim)"),
]
PLUGIN = REPO_ROOT / "editors" / "nvim"
NVIM_TIMEOUT_S = 300.0


def test_headless_neovim_searches_through_a_server_it_started(indexed_shop: Path, runtime_dir: Path) -> None:
    env = {
        **python_env(),
        "CODESEARCH_TEST_REPO": str(indexed_shop),
        "CODESEARCH_TEST_SERVER_CMD": json.dumps(server_command()),
    }
    command = [
        "nvim", "--headless", "-u", "NONE", "-i", "NONE",
        "--cmd", f"set rtp^={PLUGIN}", "--cmd", "runtime! plugin/codesearch.lua",
        "-c", f"luafile {PLUGIN / 'tests' / 'headless_test.lua'}",
    ]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=NVIM_TIMEOUT_S, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "all passed", result.stdout
    pid = int(re.search(r"server pid (\d+)", result.stdout).group(1))  # type: ignore[union-attr]
    assert wait_for_exit(pid, SERVER_EXIT_TIMEOUT_S), "the server did not end after :CodeSearchStop"
    assert not (runtime_dir / "codesearch" / "server.sock").exists()
