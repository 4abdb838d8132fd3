"""Test isolation: every test gets its own HOME, cache and runtime folders under tmp_path (ONNX exports shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_onnx_exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of ONNX query-encoder exports for the whole session (an export takes ~10 s)."""
    return tmp_path_factory.mktemp("onnx-exports")


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, shared_onnx_exports: Path
) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    # Every test gets its own cache, except the exports, which depend only on the model: like the
    # model files themselves, they are shared (tests of the export itself use their own folders).
    (home / ".cache" / "codesearch").mkdir(parents=True)
    (home / ".cache" / "codesearch" / "onnx").symlink_to(shared_onnx_exports, target_is_directory=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "run"))
    (home / "run").mkdir()
    for name in ("CODESEARCH_MODEL", "CODESEARCH_INDEX_DIR", "CODESEARCH_K", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return home
