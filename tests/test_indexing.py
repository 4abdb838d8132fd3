"""Incremental updates of named paths (``indexing.update_paths``), as the watcher and server call them.

The index side is a real IndexStore; the encoder is the hashing stand-in (tests/fakes.py),
since these tests are about which files end up indexed, not about ranking.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from codesearch.config import Settings
from codesearch.index.store import IndexStore
from codesearch.indexing import update_paths, update_repository
from codesearch.records import IndexProgress
from tests.fakes import HashingEncoder, hashing_params


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel in ("pkg/a.py", "pkg/sub/b.py", "pkgx/c.py", "top.py"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"def fn_{path.stem}():\n    return 1\n")
    (root / ".git").mkdir()
    return root


@pytest.fixture
def store(repo: Path) -> Iterator[IndexStore]:
    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as opened:
        update_repository(opened, repo, Settings(), HashingEncoder)
        yield opened


def indexed(store: IndexStore) -> set[str]:
    return set(store.all_file_states())


def test_a_deleted_folder_drops_every_file_under_it(repo: Path, store: IndexStore) -> None:
    shutil.rmtree(repo / "pkg")
    summary = update_paths(store, repo, ["pkg"], Settings(), HashingEncoder)
    assert indexed(store) == {"pkgx/c.py", "top.py"}  # pkgx/ shares the prefix "pkg" but not the folder
    assert summary.files_deleted == 2
    assert store.check_integrity().problems == ()


def test_a_folder_moved_out_of_the_repository_is_dropped(repo: Path, store: IndexStore, tmp_path: Path) -> None:
    shutil.move(repo / "pkg" / "sub", tmp_path / "elsewhere")
    update_paths(store, repo, ["pkg/sub/"], Settings(), HashingEncoder)
    assert indexed(store) == {"pkg/a.py", "pkgx/c.py", "top.py"}


def test_a_folder_moved_inside_the_repository_is_dropped_and_replanned(repo: Path, store: IndexStore) -> None:
    (repo / "pkg").rename(repo / "lib")
    update_paths(store, repo, ["pkg", "lib"], Settings(), HashingEncoder)
    assert indexed(store) == {"lib/a.py", "lib/sub/b.py", "pkgx/c.py", "top.py"}


def test_a_folder_that_became_ignored_is_dropped(repo: Path, store: IndexStore) -> None:
    (repo / ".gitignore").write_text("pkg/sub/\n")
    update_paths(store, repo, ["pkg/sub"], Settings(), HashingEncoder)
    assert indexed(store) == {"pkg/a.py", "pkgx/c.py", "top.py"}


def test_a_deleted_file_and_a_file_replaced_by_a_folder(repo: Path, store: IndexStore) -> None:
    (repo / "top.py").unlink()
    (repo / "top.py").mkdir()
    (repo / "top.py" / "inner.py").write_text("def inner():\n    return 2\n")
    (repo / "pkgx" / "c.py").unlink()
    update_paths(store, repo, ["top.py", "pkgx/c.py"], Settings(), HashingEncoder)
    assert indexed(store) == {"pkg/a.py", "pkg/sub/b.py", "top.py/inner.py"}


def test_an_extraction_limit_is_counted_and_the_file_not_retried(repo: Path, store: IndexStore) -> None:
    (repo / "deep.js").write_text("function f(){\n" * 5000 + "}\n" * 5000)  # lines: else "minified"
    summary = update_repository(store, repo, Settings(), HashingEncoder)
    assert dict(summary.skipped_by_reason)["nested_too_deep"] == 1
    assert "deep.js" in indexed(store) and store.counts().chunks == 4 + 51
    again = update_repository(store, repo, Settings(), HashingEncoder)
    assert "nested_too_deep" not in dict(again.skipped_by_reason) and again.files_unchanged == 5


class Interrupted(Exception):
    """Stands for Ctrl-C or a kill in the middle of the embedding stage."""


class StopsAfter(HashingEncoder):
    """Embeds ``rounds`` calls' worth of code, then is 'interrupted'."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds_left = rounds

    def embed_code(self, texts, *, batch_size=32, on_progress=None):  # type: ignore[no-untyped-def]
        if self.rounds_left == 0:
            raise Interrupted
        self.rounds_left -= 1
        return super().embed_code(texts, batch_size=batch_size, on_progress=on_progress)


def many_functions(root: Path, files: int = 6, per_file: int = 5) -> Path:
    root.mkdir()
    for index in range(files):
        body = "".join(f"def task_{index}_{n}(value):\n    return value + {n}\n\n" for n in range(per_file))
        (root / f"mod_{index}.py").write_text(body)
    (root / ".git").mkdir()
    return root


def test_every_file_is_committed_before_anything_is_embedded(tmp_path: Path) -> None:
    repo = many_functions(tmp_path / "repo")
    seen: list[tuple[int, int]] = []

    def encoder_when_needed() -> HashingEncoder:
        with IndexStore.open(repo / ".codesearch", readonly=True) as reader:  # what `ask` would see now
            coverage = reader.semantic_coverage()
            seen.append((coverage.embedded, coverage.definitions))
            assert reader.lexical_search("task_5_4", 1), "the last file is searchable by keywords"
        return HashingEncoder()

    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store:
        summary = update_repository(store, repo, Settings(round_chunks=8), encoder_when_needed)
        assert store.semantic_coverage().is_complete
    assert seen == [(0, 30)] and summary.chunks_embedded == 30


def test_an_interrupted_embedding_stage_keeps_its_rounds_and_the_next_run_finishes(tmp_path: Path) -> None:
    repo = many_functions(tmp_path / "repo")
    settings = Settings(round_chunks=8)
    progress: list[IndexProgress] = []
    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store:
        with pytest.raises(Interrupted):
            update_repository(store, repo, settings, lambda: StopsAfter(rounds=2), progress.append)
        coverage = store.semantic_coverage()
        assert (coverage.embedded, coverage.definitions) == (16, 30)
        assert store.check_integrity().problems == ()
        assert progress[-1].chunks_to_embed == 30 and progress[-1].files_done == 6
        resumed = HashingEncoder()
        summary = update_repository(store, repo, settings, lambda: resumed)
        assert summary.files_unchanged == 6 and resumed.code_texts_embedded == 14  # only what was left
        assert store.semantic_coverage().is_complete and store.check_integrity().problems == ()


def test_a_text_shared_by_two_definitions_is_embedded_once(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".git").mkdir()
    (repo / "a.py").write_text("def same():\n    return 1\n\n\ndef same():\n    return 1\n")
    encoder = HashingEncoder()
    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store:
        update_repository(store, repo, Settings(), lambda: encoder)
        coverage = store.semantic_coverage()
        assert (coverage.embedded, coverage.definitions) == (2, 2) and store.check_integrity().problems == ()
    assert encoder.code_texts_embedded == 1
