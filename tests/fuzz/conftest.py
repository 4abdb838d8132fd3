"""The fuzz suite's world (a small real repository, indexed twice, and one outside it) and its counts at the end
of the run."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from codesearch.index.store import IndexStore
from codesearch.search.searcher import Searcher
from tests.fakes import HashingEncoder
from tests.fuzz.harness import COUNTS, World
from tests.fuzz.repositories import index_by_keywords, index_with_hashing, write_outside, write_repo


def _fast_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder in memory where there is one: thousands of inputs each write or open a file, and a disk's
    /tmp took 3.4 ms per write and read of a small file here, /dev/shm 0.08 ms."""
    shm = Path("/dev/shm")
    if shm.is_dir() and shm.stat().st_mode & 0o777 == 0o777:
        return Path(tempfile.mkdtemp(prefix="codesearch-fuzz-", dir=shm))
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="session")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = _fast_folder(tmp_path_factory)
    try:
        yield from _world(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _world(base: Path) -> Iterator[World]:
    repo = write_repo(base / "repo")
    index_by_keywords(repo)
    hashed = write_repo(base / "hashed")
    index_with_hashing(hashed)
    outside = write_outside(base / "outside")
    (base / "scratch").mkdir()
    (base / "nowhere").mkdir()
    inputs = base / "inputs"
    inputs.mkdir()
    (inputs / "queries.txt").write_text("total price\n\nhash a password\n\x1b[2J\n")
    (inputs / "not-utf8.txt").write_bytes(b"ok\n\xff\xfe\n")
    (inputs / "nul.txt").write_bytes(b"a\x00b\n")
    (inputs / "long.txt").write_text("word " * 3000 + "\n")
    (inputs / "empty.txt").write_bytes(b"")
    store = IndexStore.open(hashed / ".codesearch", readonly=True)
    with Searcher(store, HashingEncoder, hashed, hashed / ".codesearch") as searcher:
        yield World(repo, hashed, searcher, base / "scratch", base / "nowhere", inputs, outside)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if COUNTS:
        terminalreporter.section("fuzz inputs")
        total = 0
        for name, outcomes in sorted(COUNTS.items()):
            inputs = sum(outcomes.values())
            total += inputs
            shown = ", ".join(f"{outcome} {count}" for outcome, count in sorted(outcomes.items()))
            terminalreporter.write_line(f"{name}: {inputs} inputs ({shown})")
        terminalreporter.write_line(f"total: {total} inputs")
