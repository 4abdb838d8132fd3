"""The watcher: debouncing, every kind of file-system change, ignore rules, failures.

The index side uses a real IndexStore with the hashing stand-in encoder (tests/fakes.py); tests
wait on the watcher's round counter, never on sleeps.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codesearch.config import Settings
from codesearch.index.store import IndexStore
from codesearch.indexer.live_index import store_updater
from codesearch.indexer.watcher import ChangeBatch, ProgressCallback, Watcher
from codesearch.parsing.text_formats import TextFiles
from codesearch.records import IndexSummary
from tests.fakes import HashingEncoder, hashing_params

TIMEOUT_S = 20.0


def names_by_path(store: IndexStore) -> dict[str, set[str]]:
    """path -> qualified names of the chunks indexed for it."""
    states = store.all_file_states()
    found = store.dense_search(HashingEncoder().embed_queries(["x"])[0], 10_000)
    by_path: dict[str, set[str]] = {path: set() for path in states}
    for stored in store.get_chunks([s.chunk_id for s in found]):
        by_path.setdefault(stored.chunk.path, set()).add(stored.chunk.qualified_name)
    return by_path


def wait_until(watcher: Watcher, condition: Callable[[], bool]) -> None:
    """Wait round by round until ``condition`` holds (it is checked after every round)."""
    while True:
        generation = watcher.generation
        if condition() and not watcher.is_busy:
            return
        assert watcher.wait_for(generation + 1, TIMEOUT_S) is not None, "no update round came"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("build/\n")
    (root / "pkg" / "cart.py").write_text(
        "def total(items):\n    return sum(items)\n\n\ndef empty():\n    return []\n"
    )
    (root / "pkg" / "util.py").write_text("def slugify(title):\n    return title.lower()\n")
    return root


@pytest.fixture
def encoder() -> HashingEncoder:
    return HashingEncoder()


@pytest.fixture
def store(repo: Path) -> Iterator[IndexStore]:
    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as opened:
        yield opened


@pytest.fixture
def watcher(repo: Path, store: IndexStore, encoder: HashingEncoder) -> Iterator[Watcher]:
    updater = store_updater(store, repo, Settings(), lambda: encoder)
    with Watcher(repo, updater, debounce_s=0.05, excluded=[repo / ".codesearch"]) as started:
        first = started.wait_for(1, TIMEOUT_S)
        assert first is not None and first.batch.is_full and first.summary is not None
        yield started


def test_catch_up_round_indexes_what_exists(watcher: Watcher, store: IndexStore) -> None:
    assert names_by_path(store) == {"pkg/cart.py": {"total", "empty"}, "pkg/util.py": {"slugify"}}


def test_edit_re_embeds_only_the_changed_function(
    watcher: Watcher, store: IndexStore, repo: Path, encoder: HashingEncoder
) -> None:
    before = encoder.code_texts_embedded
    (repo / "pkg" / "cart.py").write_text(
        "def total(items):\n    return sum(items)\n\n\ndef refill():\n    return [1]\n"
    )
    wait_until(watcher, lambda: names_by_path(store)["pkg/cart.py"] == {"total", "refill"})
    assert encoder.code_texts_embedded == before + 1


def test_create_delete_and_rename_files(watcher: Watcher, store: IndexStore, repo: Path) -> None:
    (repo / "pkg" / "new.py").write_text("def fresh():\n    return 1\n")
    (repo / "pkg" / "util.py").unlink()
    (repo / "pkg" / "cart.py").rename(repo / "pkg" / "basket.py")
    wait_until(watcher, lambda: set(names_by_path(store)) == {"pkg/new.py", "pkg/basket.py"})
    assert names_by_path(store)["pkg/basket.py"] == {"total", "empty"}


def test_atomic_save_through_a_temporary_file(watcher: Watcher, store: IndexStore, repo: Path) -> None:
    temporary = repo / "pkg" / ".util.py.swp"
    temporary.write_text("def slugify(title):\n    return title\n\n\ndef unslug(slug):\n    return slug\n")
    temporary.replace(repo / "pkg" / "util.py")
    wait_until(watcher, lambda: names_by_path(store).get("pkg/util.py") == {"slugify", "unslug"})
    assert set(names_by_path(store)) == {"pkg/cart.py", "pkg/util.py"}


def test_folder_moves_inside_out_of_and_into_the_repo(
    watcher: Watcher, store: IndexStore, repo: Path, tmp_path: Path
) -> None:
    (repo / "pkg").rename(repo / "lib")
    wait_until(watcher, lambda: set(names_by_path(store)) == {"lib/cart.py", "lib/util.py"})
    shutil.move(repo / "lib", tmp_path / "outside")
    wait_until(watcher, lambda: names_by_path(store) == {})
    shutil.move(tmp_path / "outside", repo / "back")
    wait_until(watcher, lambda: set(names_by_path(store)) == {"back/cart.py", "back/util.py"})


def test_ignored_paths_and_the_index_folder_are_left_out(
    watcher: Watcher, store: IndexStore, repo: Path
) -> None:
    (repo / "build").mkdir()
    (repo / "build" / "gen.py").write_text("def generated():\n    return 0\n")
    (repo / "pkg" / "late.py").write_text("def late():\n    return 0\n")
    wait_until(watcher, lambda: "pkg/late.py" in names_by_path(store))
    assert "build/gen.py" not in names_by_path(store)
    assert watcher.paths.relative_path(str(repo / ".codesearch" / "index.sqlite3")) is None
    assert watcher.paths.relative_path(str(repo / ".git" / "index")) is None
    assert watcher.paths.relative_path(str(repo / ".git" / "info" / "exclude")) == ".git/info/exclude"


def test_a_gitignore_change_runs_a_full_update(watcher: Watcher, store: IndexStore, repo: Path) -> None:
    (repo / ".gitignore").write_text("build/\npkg/util.py\n")
    wait_until(watcher, lambda: set(names_by_path(store)) == {"pkg/cart.py"})
    last = watcher.last_round
    assert last is not None and last.batch.is_full


def test_a_checkout_of_many_files_is_one_round(
    repo: Path, store: IndexStore, encoder: HashingEncoder
) -> None:
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-c", "init.defaultBranch=main"]
    shutil.rmtree(repo / ".git")
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    subprocess.run([*git, "checkout", "-qb", "wide"], cwd=repo, check=True)
    for i in range(1000):
        (repo / "pkg" / f"mod{i}.py").write_text(f"def function_{i}():\n    return {i}\n")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "wide"], cwd=repo, check=True)
    subprocess.run([*git, "checkout", "-q", "main"], cwd=repo, check=True)
    updater = store_updater(store, repo, Settings(), lambda: encoder)
    with Watcher(repo, updater, debounce_s=0.5, excluded=[repo / ".codesearch"]) as watcher:
        assert watcher.wait_for(1, TIMEOUT_S) is not None
        subprocess.run([*git, "checkout", "-q", "wide"], cwd=repo, check=True)
        round_ = watcher.wait_for(2, TIMEOUT_S)
        assert round_ is not None and round_.summary is not None, round_
        assert round_.summary.files_new == 1000 and not watcher.is_busy
        assert watcher.generation == 2


class RecordingUpdater:
    """An updater that records its batches and fails when told to."""

    def __init__(self) -> None:
        self.batches: list[ChangeBatch] = []
        self.failures_left = 0

    def __call__(self, batch: ChangeBatch, on_progress: ProgressCallback | None) -> IndexSummary:
        self.batches.append(batch)
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("disk on fire")
        return IndexSummary(0, 0, 0, 0, 0, 0, 0, 0, (), (), (), 0.0, 0.0)


def test_a_failed_round_is_reported_and_the_watcher_carries_on(repo: Path) -> None:
    updater = RecordingUpdater()
    with Watcher(repo, updater, debounce_s=0.01, catch_up=False) as watcher:
        updater.failures_left = 1
        watcher.record(["pkg/cart.py"])
        failed = watcher.wait_for(1, TIMEOUT_S)
        assert failed is not None and failed.error == "disk on fire" and failed.summary is None
        watcher.record(["pkg/util.py"])
        recovered = watcher.wait_for(2, TIMEOUT_S)
        assert recovered is not None and recovered.error is None
        assert recovered.batch.is_full  # what the failed round lost is caught up by a full one


def test_a_never_quiet_stream_still_gets_a_round_after_max_delay(repo: Path) -> None:
    updater = RecordingUpdater()
    stop = threading.Event()
    with Watcher(repo, updater, debounce_s=0.2, max_delay_s=0.4, catch_up=False) as watcher:

        def keep_writing() -> None:
            while not stop.is_set():
                watcher.record(["pkg/cart.py"])

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            assert watcher.wait_for(1, TIMEOUT_S) is not None
        finally:
            stop.set()
            writer.join()
    assert updater.batches[0].paths == frozenset({"pkg/cart.py"})


def test_run_now_runs_a_full_round_and_returns_it(repo: Path) -> None:
    updater = RecordingUpdater()
    with Watcher(repo, updater, catch_up=False) as watcher:
        round_ = watcher.run_now(timeout_s=TIMEOUT_S)
    assert round_.generation == 1 and round_.batch.is_full and round_.summary is not None
    assert len(updater.batches) == 1


def test_a_failing_listener_does_not_stop_the_watcher(repo: Path) -> None:
    def explode(finished: object) -> None:
        raise RuntimeError("listener bug")

    with Watcher(repo, RecordingUpdater(), debounce_s=0.01, catch_up=False, on_round=explode) as watcher:
        watcher.record(["pkg/cart.py"])
        assert watcher.wait_for(1, TIMEOUT_S) is not None
        watcher.record(["pkg/util.py"])
        assert watcher.wait_for(2, TIMEOUT_S) is not None


def test_text_files_are_watched_when_the_index_takes_them(
    repo: Path, store: IndexStore, encoder: HashingEncoder
) -> None:
    updater = store_updater(store, repo, Settings(), lambda: encoder)
    text_files = TextFiles.from_settings(Settings())
    with Watcher(repo, updater, debounce_s=0.05, excluded=[repo / ".codesearch"], text_files=text_files) as started:
        assert started.wait_for(1, TIMEOUT_S) is not None
        (repo / "docs").mkdir()
        (repo / "docs" / "guide.md").write_text("# Guide\n\n## Refunds\n\nRefunds go back to the original card.\n")
        wait_until(started, lambda: "docs/guide.md" in names_by_path(store))
        assert names_by_path(store)["docs/guide.md"] == {"guide.md > Guide > Refunds"}
        (repo / "docs" / "guide.md").unlink()
        wait_until(started, lambda: "docs/guide.md" not in names_by_path(store))
