"""Fixtures for the parsing tests: real file trees built under tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

TreeMaker = Callable[[Mapping[str, str | bytes]], Path]


@pytest.fixture
def make_tree(tmp_path: Path) -> TreeMaker:
    """Write ``{"rel/path": text or bytes}`` under ``tmp_path / "repo"`` and return that folder."""
    root = tmp_path / "repo"
    root.mkdir()

    def make(files: Mapping[str, str | bytes]) -> Path:
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make
