"""The fuzz suite's world (a small real repository, indexed twice) and its counts at the end of the run."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from codesearch.config import Settings
from codesearch.index.store import IndexStore
from codesearch.indexer.updates import update_repository
from codesearch.search.searcher import Searcher
from tests.fakes import HashingEncoder, hashing_params
from tests.fuzz.harness import COUNTS, World
from tests.server.helpers import CART, PASSWORDS

README = "# Shop\n\n## Prices\n\nHow a cart adds up its items.\n"
SETTINGS = Settings(embedding_cache=False)


class _NoModel(Exception):
    """Raised where the encoder would be loaded: the index stops after its keyword stage."""


def _no_model() -> HashingEncoder:
    raise _NoModel


def _write_repo(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / "cart.py").write_text(CART)
    (root / "passwords.py").write_text(PASSWORDS)
    (root / "README.md").write_text(README)
    return root.resolve()


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
    repo = _write_repo(base / "repo")
    # As after an `index` interrupted once every file was committed: files, records and BM25, no vector
    # yet. `ask` answers it by keywords and loads no model, so thousands of command lines stay fast.
    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store:
        with pytest.raises(_NoModel):
            update_repository(store, repo, SETTINGS, _no_model)
        assert store.counts().chunks > 0 and store.semantic_coverage().embedded == 0
    hashed = _write_repo(base / "hashed")
    with IndexStore.open(hashed / ".codesearch", expected=hashing_params(), create=True) as store:
        update_repository(store, hashed, SETTINGS, HashingEncoder)
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
        yield World(repo, hashed, searcher, base / "scratch", base / "nowhere", inputs)


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
