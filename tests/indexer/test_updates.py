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
from codesearch.indexer.updates import update_paths, update_repository
from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.file_records import RECORDS_VERSION
from codesearch.parsing.languages import get_language
from codesearch.records import FileExtraction, IndexProgress
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


def test_module_level_code_is_indexed_as_blocks(repo: Path, store: IndexStore) -> None:
    (repo / "routes.py").write_text(
        "from pkg import a\n\nROUTES = {'/orders': a.fn_a, '/refunds': a.fn_a}\n\ndef serve():\n    return ROUTES\n"
    )
    update_repository(store, repo, Settings(), HashingEncoder)
    found = store.get_chunks([hit.chunk_id for hit in store.lexical_search("refunds", 5)])
    assert [(s.chunk.path, s.chunk.kind, s.chunk.start_line, s.chunk.end_line) for s in found] == [
        ("routes.py", "block", 1, 3)
    ]
    assert store.check_integrity().problems == ()


def test_an_index_made_by_an_older_extraction_is_re_extracted_once(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "consts.py").write_text("import os\n\nSHOP_HOME = os.environ.get('SHOP_HOME', '/srv/shop')\n")

    def definitions_only(path: str, source: bytes, language: str) -> FileExtraction:
        return extract_chunks(path, source, get_language(language))

    with IndexStore.open(tmp_path / "index", expected=hashing_params(), create=True) as old:
        with monkeypatch.context() as patched:  # what a codesearch that indexed definitions only made
            patched.setattr("codesearch.indexer.updates.extract_records", definitions_only)
            update_repository(old, repo, Settings(), HashingEncoder)
        old.set_records_version(1)
        assert old.counts().chunks == 4
        encoder = HashingEncoder()
        summary = update_repository(old, repo, Settings(), lambda: encoder)
        assert summary.files_unchanged == 5 and summary.files_changed == summary.files_new == 0
        assert encoder.code_texts_embedded == 1 and old.counts().chunks == 5  # the new block, nothing else
        assert old.meta.records_version == RECORDS_VERSION
        again = update_repository(old, repo, Settings(), lambda: encoder)
        assert again.files_unchanged == 5 and encoder.code_texts_embedded == 1
        assert old.check_integrity().problems == ()


def test_text_files_are_indexed_updated_and_dropped(repo: Path, store: IndexStore) -> None:
    (repo / "README.md").write_text("# Shop\n\n## Refunds\n\nRefunds go back to the card they came from.\n")
    (repo / "package-lock.json").write_text('{"name": "shop", "lockfileVersion": 3}\n')
    summary = update_repository(store, repo, Settings(), HashingEncoder)
    assert dict(summary.skipped_by_reason)["lock_file"] == 1
    assert indexed(store) == {"README.md", "pkg/a.py", "pkg/sub/b.py", "pkgx/c.py", "top.py"}
    (found,) = store.get_chunks([hit.chunk_id for hit in store.lexical_search("refunds card", 1)])
    assert (found.chunk.kind, found.chunk.language, found.chunk.qualified_name) == (
        "section", "markdown", "README.md > Shop > Refunds"
    )
    assert store.lexical_search("refunds", 5, languages=["python"]) == []
    (repo / "README.md").write_text("# Shop\n\n## Returns\n\nReturned parcels are refunded within a week.\n")
    update_paths(store, repo, ["README.md"], Settings(), HashingEncoder)
    (found,) = store.get_chunks([hit.chunk_id for hit in store.lexical_search("parcels", 1)])
    assert found.chunk.qualified_name == "README.md > Shop > Returns"
    update_repository(store, repo, Settings(index_text_files=False), HashingEncoder)
    assert "README.md" not in indexed(store) and store.check_integrity().problems == ()


MACROS_H = "#ifndef MACROS_H\n#define MACROS_H\n#define TWICE(x) ((x) * 2)\nint twice(int x);\n#endif\n"


def test_a_header_is_rejudged_when_the_sources_beside_it_change(repo: Path, store: IndexStore) -> None:
    """A macros-only .h file is C beside a .c file and C++ beside a .cc file (header_language.py):
    replacing util.c by util.cc re-extracts the unchanged header under its new language."""
    (repo / "native").mkdir()
    (repo / "native" / "macros.h").write_text(MACROS_H)
    (repo / "native" / "util.c").write_text("int twice(int x) { return x * 2; }\n")
    update_paths(store, repo, ["native"], Settings(), HashingEncoder)
    assert store.all_file_states()["native/macros.h"].language == "c"
    (repo / "native" / "util.c").rename(repo / "native" / "util.cc")
    summary = update_paths(store, repo, ["native/util.c", "native/util.cc"], Settings(), HashingEncoder)
    assert store.all_file_states()["native/macros.h"].language == "cpp"
    assert summary.files_changed == 1 and summary.files_new == 1 and summary.files_deleted == 1
    assert store.check_integrity().problems == ()


def test_a_full_walk_rejudges_headers_the_watcher_did_not_report(repo: Path, store: IndexStore) -> None:
    (repo / "native").mkdir()
    (repo / "native" / "macros.h").write_text(MACROS_H)
    (repo / "native" / "util.cc").write_text("int twice(int x) { return x * 2; }\n")
    update_repository(store, repo, Settings(), HashingEncoder)
    assert store.all_file_states()["native/macros.h"].language == "cpp"
    (repo / "native" / "util.cc").rename(repo / "native" / "util.c")  # no update_paths call
    summary = update_repository(store, repo, Settings(), HashingEncoder)
    assert store.all_file_states()["native/macros.h"].language == "c"
    assert (summary.files_new, summary.files_changed, summary.files_deleted) == (1, 1, 1)
    again = update_repository(store, repo, Settings(), HashingEncoder)
    assert (again.files_new, again.files_changed, again.files_deleted) == (0, 0, 0)
