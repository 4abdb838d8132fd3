"""`codesearch lsp` under a real LSP client: headless Neovim's built-in one (vim.lsp, Neovim 0.7+).

The checks live in tests/editors/nvim_lsp_test.lua: Neovim starts `codesearch lsp` on an unindexed
copy of the shop fixture (a git repository), sees the index built with window/workDoneProgress,
runs vim.lsp.buf.workspace_symbol (quickfix list, jump to the definition) and request_sync for
semantic matches, cancels a request, sends didChangeWatchedFiles, gets the error for a folder
without an index, and stops both servers (shutdown, exit: code 0). No `codesearch serve` runs in
the private runtime folder, so the index is built and searched in the LSP process with the real
encoder. Skips only where `nvim` is not installed (`.ci/run` installs Debian's neovim package).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.editors.conftest import FIXTURE, REPO_ROOT, python_env

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("nvim") is None, reason="nvim is not installed (apt-get install neovim)"),
]
NVIM_TIMEOUT_S = 300.0


def test_neovim_finds_symbols_by_meaning_through_codesearch_lsp(tmp_path: Path, runtime_dir: Path) -> None:
    repo = (tmp_path / "shop").resolve()
    shutil.copytree(FIXTURE, repo)
    (repo / ".git").mkdir()  # a git repository: the server may create its index
    plain = (tmp_path / "notes").resolve()
    plain.mkdir()
    (plain / "notes.py").write_text("def remember(thing):\n    return thing\n")
    home = tmp_path / "home"
    env = {
        **python_env(),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "cache"),
        "CODESEARCH_TEST_REPO": str(repo),
        "CODESEARCH_TEST_PLAIN": str(plain),
        "CODESEARCH_TEST_LSP_CMD": json.dumps([sys.executable, "-m", "codesearch", "lsp"]),
    }
    script = Path(__file__).with_name("nvim_lsp_test.lua")
    command = ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {script}"]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=NVIM_TIMEOUT_S, stdin=subprocess.DEVNULL,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "all passed", result.stdout
    assert (repo / ".codesearch" / "index.sqlite3").is_file()
    assert not (plain / ".codesearch").exists()  # a folder that is not a repository gets no index
