"""Fixtures of the evaluation tests: the project's shared folder (benchmarks, blocklist)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` next to the repository clone: it holds the benchmarks and the blocklist."""
    shared = REPO_ROOT.parent / "shared"
    if not (shared / "benchmarks" / "cosqa").is_dir() or not (shared / "heldout-blocklist.txt").is_file():
        pytest.fail(
            f"the shared folder is missing or incomplete at {shared}: it must hold benchmarks/cosqa/ and "
            "heldout-blocklist.txt (CI provides it next to the clone)"
        )
    return shared
