"""Test isolation: every test gets its own HOME, cache and runtime folders under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "run"))
    (home / "run").mkdir()
    for name in ("CODESEARCH_MODEL", "CODESEARCH_INDEX_DIR", "CODESEARCH_K", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return home
