"""IndexStore: create/open errors, batches, the embeddings cache, searches with filters, read-only use."""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from codesearch.errors import CodesearchError, IndexCorruptError, IndexMismatchError, IndexNotFoundError
from codesearch.index import store as store_module
from codesearch.index.migrations import SCHEMA_VERSION
from codesearch.index.opening import DB_FILE_NAME, default_index_dir
from codesearch.index.records import Embedding, IndexBatch, PendingChunk
from codesearch.index.store import IndexStore
from tests.index.fakes import PARAMS, batch_of, embed_text, file_update, make_chunk, pending, vector_for


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return default_index_dir(tmp_path)


@pytest.fixture
def store(index_dir: Path) -> Iterator[IndexStore]:
    with IndexStore.open(index_dir, expected=PARAMS, create=True) as opened:
        yield opened


def two_files() -> IndexBatch:
    return batch_of(
        [
            file_update(
                "a.py", [make_chunk("a.py", "load_config", docstring="Load it."), make_chunk("a.py", "save")]
            ),
            file_update("b.py", [make_chunk("b.py", "helper", line=3)]),
        ]
    )


def ids_by_name(store: IndexStore) -> dict[str, int]:
    with sqlite3.connect(store.index_dir / DB_FILE_NAME) as conn:
        return dict(conn.execute("SELECT name, id FROM chunks").fetchall())


def test_missing_index_is_reported_in_both_modes(index_dir: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="codesearch index"):
        IndexStore.open(index_dir, readonly=True)
    with pytest.raises(IndexNotFoundError):
        IndexStore.open(index_dir, expected=PARAMS)
    with pytest.raises(ValueError):
        IndexStore.open(index_dir, create=True)  # creating needs the parameters
    with pytest.raises(ValueError):
        IndexStore.open(index_dir, readonly=True, create=True)


def test_close_is_idempotent(index_dir: Path) -> None:
    store = IndexStore.open(index_dir, expected=PARAMS, create=True)
    store.apply_batch(two_files())
    store.close()
    store.close()
    assert (index_dir / "vectors.json").exists()


def test_create_lays_out_the_folder(store: IndexStore, index_dir: Path) -> None:
    assert index_dir.name == ".codesearch"
    assert (index_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    # the vectors file exists from the start, so a crash at any later point leaves one to load
    expected = {".gitignore", "index.sqlite3", "lock", "vectors.0.hnsw", "vectors.json"}
    assert {p.name for p in index_dir.iterdir()} >= expected
    assert store.check_integrity().vectors_file == "current"
    meta = store.meta
    assert meta.params == PARAMS and meta.schema_version == SCHEMA_VERSION and meta.vectors_generation == 0
    with sqlite3.connect(index_dir / DB_FILE_NAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    "change",
    [
        {"model_hash": "0" * 64},
        {"dim": 32},
        {"hnsw_m": 32},
        {"hnsw_ef_construction": 100},
    ],
)
def test_other_parameters_raise_mismatch(index_dir: Path, change: dict[str, object]) -> None:
    IndexStore.open(index_dir, expected=PARAMS, create=True).close()
    other = dataclasses.replace(PARAMS, **change)  # type: ignore[arg-type]
    with pytest.raises(IndexMismatchError, match=r"codesearch index --full.*--model fake-model"):
        IndexStore.open(index_dir, expected=other)
    with pytest.raises(IndexMismatchError):
        IndexStore.open(index_dir, expected=other, readonly=True)
    with IndexStore.open(index_dir, expected=other, create=True, reset=True) as rebuilt:
        assert rebuilt.meta.params == other


def test_model_id_alone_is_not_a_mismatch(index_dir: Path) -> None:
    IndexStore.open(index_dir, expected=PARAMS, create=True).close()
    with IndexStore.open(index_dir, expected=dataclasses.replace(PARAMS, model_id="default"), readonly=True):
        pass


def test_chunks_round_trip_with_every_field(store: IndexStore) -> None:
    batch = two_files()
    result = store.apply_batch(batch)
    assert (result.files_upserted, result.chunks_added, result.embeddings_cached) == (2, 3, 3)
    expected = [item for update in batch.upserts for item in update.chunks]
    ids = ids_by_name(store)
    stored = store.get_chunks([ids["helper"], 999, ids["load_config"], ids["save"]])
    assert [s.chunk for s in stored] == [expected[2].chunk, expected[0].chunk, expected[1].chunk]
    assert [s.embed_hash for s in stored] == [
        expected[2].embed_hash,
        expected[0].embed_hash,
        expected[1].embed_hash,
    ]
    state = store.file_state("a.py")
    assert (
        state is not None
        and state.content_hash == batch.upserts[0].content_hash
        and state.language == "python"
    )
    assert set(store.all_file_states()) == {"a.py", "b.py"}
    assert store.file_state("nope.py") is None
    counts = store.counts()
    assert (counts.files, counts.chunks, counts.live_vectors, counts.cached_embeddings) == (2, 3, 3, 3)


def test_unchanged_function_keeps_its_id_when_its_file_changes(store: IndexStore) -> None:
    store.apply_batch(two_files())
    before = ids_by_name(store)
    moved = make_chunk("a.py", "save", line=40)  # same text, new position
    result = store.apply_batch(batch_of([file_update("a.py", [make_chunk("a.py", "fresh"), moved])]))
    assert (result.chunks_added, result.chunks_kept, result.chunks_deleted) == (1, 1, 1)
    after = ids_by_name(store)
    assert after["save"] == before["save"] and "load_config" not in after
    assert store.get_chunks([after["save"]])[0].chunk.start_line == 40
    assert store.check_integrity().is_ok


def test_kept_row_with_new_searchable_fields_is_reindexed(store: IndexStore) -> None:
    store.apply_batch(two_files())
    old = pending(make_chunk("b.py", "helper", line=3))
    # Same embedded text (say the encoder ignores names), but every searchable field differs.
    renamed = PendingChunk(make_chunk("b.py", "assistant", line=3), old.embed_hash)
    store.apply_batch(IndexBatch(upserts=(dataclasses.replace(file_update("b.py", []), chunks=(renamed,)),)))
    assert store.lexical_search("helper", 5) == []
    assert [h.chunk_id for h in store.lexical_search("assistant", 5)] == [ids_by_name(store)["assistant"]]
    assert store.check_integrity().is_ok


def test_renamed_file_reuses_cached_embeddings(store: IndexStore) -> None:
    store.apply_batch(two_files())
    chunks = [make_chunk("c.py", "load_config", docstring="Load it."), make_chunk("c.py", "save")]
    hashes = frozenset(pending(c).embed_hash for c in chunks)
    assert set(store.cached_embeddings(hashes)) == hashes
    result = store.apply_batch(batch_of([file_update("c.py", chunks)], ("a.py",), skip_embeddings=hashes))
    assert (result.files_deleted, result.chunks_added, result.embeddings_cached) == (1, 2, 0)
    assert set(store.all_file_states()) == {"b.py", "c.py"}
    top = store.dense_search(vector_for(embed_text(chunks[1])), 1)[0]
    assert store.get_chunks([top.chunk_id])[0].chunk.path == "c.py"
    assert top.score == pytest.approx(1.0, abs=1e-5)


def test_a_chunk_without_an_embedding_waits_searchable_by_keywords(store: IndexStore) -> None:
    store.apply_batch(two_files())
    novel = make_chunk("d.py", "novel_parser", docstring="Parse novel things.")
    novel_hash = pending(novel).embed_hash
    result = store.apply_batch(batch_of([file_update("d.py", [novel])], skip_embeddings=frozenset({novel_hash})))
    assert (result.chunks_added, result.vectors_added) == (1, 0)
    assert (store.semantic_coverage().embedded, store.semantic_coverage().definitions) == (3, 4)
    assert store.count_unembedded_texts() == 1
    [waiting] = store.unembedded_chunks(0, 10)
    assert (waiting.chunk.name, waiting.embed_hash) == ("novel_parser", novel_hash)
    novel_id = ids_by_name(store)["novel_parser"]
    assert [s.chunk_id for s in store.lexical_search("novel parser", 5)] == [novel_id]
    assert novel_id not in {s.chunk_id for s in store.dense_search(vector_for(embed_text(novel)), 10)}
    assert store.check_integrity().is_ok  # waiting for a vector is not damage
    generation = store.meta.vectors_generation

    embedding = Embedding(novel_hash, vector_for(embed_text(novel)))
    arrived = store.apply_batch(IndexBatch(embeddings=(embedding,), embeddings_backend="test-backend"))
    assert (arrived.vectors_added, arrived.embeddings_cached) == (1, 1)
    assert store.meta.vectors_generation == generation + 1
    assert store.dense_search(vector_for(embed_text(novel)), 1)[0].chunk_id == novel_id
    assert store.semantic_coverage().is_complete and store.unembedded_chunks(0, 10) == []
    assert store.check_integrity().is_ok
    with sqlite3.connect(store.index_dir / DB_FILE_NAME) as conn:
        assert conn.execute("SELECT backend FROM embeddings WHERE embed_hash = ?", (novel_hash,)).fetchone() == (
            "test-backend",
        )


def test_a_readonly_store_reconciles_only_embedded_chunks(store: IndexStore, index_dir: Path) -> None:
    novel = make_chunk("d.py", "novel")
    store.apply_batch(batch_of([file_update("d.py", [novel, make_chunk("d.py", "other")])],
                               skip_embeddings=frozenset({pending(novel).embed_hash})))
    with IndexStore.open(index_dir, readonly=True) as reader:
        counts = reader.counts()
        assert (counts.chunks, counts.live_vectors, counts.embedded_chunks) == (2, 1, 1)
        assert reader.check_integrity().is_ok


def test_a_batch_naming_a_file_twice_writes_nothing(store: IndexStore) -> None:
    store.apply_batch(two_files())
    before = store.counts()
    with pytest.raises(ValueError, match="once"):
        store.apply_batch(batch_of([file_update("a.py", [])], ("a.py",)))
    assert store.counts() == before


def test_touch_file_and_vacuum_cache(store: IndexStore) -> None:
    store.apply_batch(two_files())
    assert store.touch_file("a.py", 123, 456)
    state = store.file_state("a.py")
    assert state is not None and (state.size_bytes, state.mtime_ns) == (123, 456)
    assert not store.touch_file("missing.py", 1, 1)
    store.apply_batch(batch_of([], ("a.py",)))
    assert store.counts().cached_embeddings == 3  # kept for a rename or a revert
    assert store.vacuum_cache() == 2
    assert store.counts().cached_embeddings == 1


@pytest.mark.parametrize("exact_max", [store_module.EXACT_SEARCH_MAX, -1], ids=["exact", "hnsw"])
def test_dense_filters_apply_before_the_top_k_cut(
    store: IndexStore, exact_max: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "EXACT_SEARCH_MAX", exact_max)
    updates = [file_update(f"src/m{i}.py", [make_chunk(f"src/m{i}.py", f"f{i}")]) for i in range(30)]
    updates.append(
        file_update("web/x.ts", [make_chunk("web/x.ts", "g", language="typescript")], language="typescript")
    )
    store.apply_batch(batch_of(updates))
    query = vector_for(embed_text(make_chunk("src/m0.py", "f0")))
    assert len(store.dense_search(query, 100)) == 31
    only_ts = store.dense_search(query, 1, languages=["typescript"])
    assert [store.get_chunks([h.chunk_id])[0].chunk.name for h in only_ts] == ["g"]
    assert len(store.dense_search(query, 10, path_glob="src/m1*.py")) == 10  # m1, m10..m19 = 11 files
    assert store.dense_search(query, 10, languages=[]) == []
    with pytest.raises(ValueError):
        store.dense_search(np.zeros(3, dtype=np.float32), 1)


def test_readonly_store_refuses_writes(store: IndexStore, index_dir: Path) -> None:
    store.apply_batch(two_files())
    store.save_vectors()
    with IndexStore.open(index_dir, readonly=True) as reader:
        assert reader.is_readonly and reader.counts().chunks == 3
        assert reader.check_integrity().vectors_file == "current"
        for write in (lambda: reader.apply_batch(two_files()), reader.save_vectors, reader.vacuum_cache):
            with pytest.raises(CodesearchError, match="read-only"):
                write()


def test_reader_refresh_sees_later_commits(
    store: IndexStore, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "EXACT_SEARCH_MAX", -1)  # HNSW only: exact reads SQLite afresh
    with IndexStore.open(index_dir, readonly=True) as reader:
        assert not reader.refresh()
        store.apply_batch(two_files())
        assert reader.dense_search(vector_for("x"), 10) == []
        assert reader.refresh()
        assert len(reader.dense_search(vector_for("x"), 10)) == 3


@pytest.mark.parametrize("exact", [True, False])
def test_reading_sees_one_commit_throughout_and_catches_up_after(
    store: IndexStore, index_dir: Path, monkeypatch: pytest.MonkeyPatch, exact: bool
) -> None:
    if not exact:
        monkeypatch.setattr(store_module, "EXACT_SEARCH_MAX", -1)  # HNSW in memory, not the cache
    with IndexStore.open(index_dir, readonly=True) as reader:
        with reader.reading():
            assert reader.dense_search(vector_for("x"), 10) == []
            store.apply_batch(two_files())  # another connection commits in the middle of the search
            assert reader.dense_search(vector_for("x"), 10) == []
            assert reader.lexical_search("helper", 5) == [] and reader.counts().chunks == 0
        with reader.reading():
            found = reader.dense_search(vector_for("x"), 10)
            assert len(found) == 3 and len(reader.get_chunks([s.chunk_id for s in found])) == 3
            assert len(reader.lexical_search("helper", 5)) == 1


def test_the_database_file_is_only_ever_opened_by_sqlite(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Closing any descriptor of the database drops every POSIX lock this process holds on it, so
    # other connections here lose their read snapshots (readers saw half-updated files) and another
    # process may delete the WAL under a live writer: https://sqlite.org/howtocorrupt.html 2.2
    opened: list[str] = []
    real_open = os.open

    def spy(path: object, *args: object, **kwargs: object) -> int:
        opened.append(os.fspath(path))  # type: ignore[arg-type]
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    def spy_io(path: object, *args: object, **kwargs: object) -> object:
        opened.append(os.fspath(path))  # type: ignore[arg-type]
        return real_io_open(path, *args, **kwargs)  # type: ignore[call-overload]

    real_io_open = io.open
    monkeypatch.setattr(os, "open", spy)
    monkeypatch.setattr(io, "open", spy_io)
    with IndexStore.open(index_dir, expected=PARAMS, create=True) as writer:
        writer.apply_batch(two_files())
        writer.save_vectors()
        with IndexStore.open(index_dir, readonly=True) as reader:
            assert reader.check_integrity().is_ok
    with IndexStore.open(index_dir, expected=PARAMS) as writer:
        writer.apply_batch(two_files())
    assert opened and not [path for path in opened if Path(path).name.startswith(DB_FILE_NAME)]


def test_integrity_check_catches_a_vector_gone_missing(store: IndexStore) -> None:
    store.apply_batch(two_files())
    store._vectors.mark_deleted([ids_by_name(store)["save"]])  # behind the store's back
    report = store.check_integrity()
    assert not report.is_ok and "chunks without a live vector: 1" in report.problems[0]


@pytest.mark.parametrize("damage", ["delete the file", "delete the sidecar"])
def test_a_writer_replaces_a_missing_or_unvouched_vectors_file_at_once(index_dir: Path, damage: str) -> None:
    with IndexStore.open(index_dir, expected=PARAMS, create=True) as writer:
        writer.apply_batch(two_files())
    if damage == "delete the file":
        for path in index_dir.glob("vectors.*.hnsw"):
            path.unlink()
    else:
        (index_dir / "vectors.json").unlink()
    with IndexStore.open(index_dir, readonly=True) as reader:
        report = reader.check_integrity()
        assert len(report.problems) == 1 and report.problems[0].startswith("vectors file: ")
    with IndexStore.open(index_dir, expected=PARAMS) as writer:
        assert writer.check_integrity().problems == ()  # saved on open, before any commit


def test_lexical_version_change_rebuilds_fts_on_write_open(index_dir: Path) -> None:
    with IndexStore.open(index_dir, expected=PARAMS, create=True) as writer:
        writer.apply_batch(two_files())
    with sqlite3.connect(index_dir / DB_FILE_NAME) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'lexical_version'")
        conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('delete-all')")
    with pytest.raises(IndexMismatchError, match="keyword index"):
        IndexStore.open(index_dir, readonly=True)
    with IndexStore.open(index_dir, expected=PARAMS) as writer:
        assert len(writer.lexical_search("helper", 5)) == 1
        assert writer.check_integrity().is_ok


def run_unprivileged(action: Callable[[], None]) -> None:
    """Run ``action`` in a forked child as user nobody (root ignores file permissions)."""
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        code = 1
        try:
            os.setgid(65534)
            os.setuid(65534)
            action()
            code = 0
        except BaseException as exc:
            os.write(2, f"unprivileged action failed: {exc!r}\n".encode())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.fixture
def readonly_index() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="codesearch-ro-"))  # under /tmp so user nobody can reach it
    index_dir = base / ".codesearch"
    with IndexStore.open(index_dir, expected=PARAMS, create=True) as writer:
        writer.apply_batch(two_files())
    for path in [index_dir, *index_dir.iterdir()]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    base.chmod(0o755)
    yield index_dir
    index_dir.chmod(0o755)
    shutil.rmtree(base)


def test_readonly_folder_opens_for_reading_only(readonly_index: Path) -> None:
    def check() -> None:
        with IndexStore.open(readonly_index, readonly=True) as reader:
            assert reader.counts().chunks == 3
            assert len(reader.lexical_search("helper", 3)) == 1
            assert len(reader.dense_search(vector_for("q"), 3)) == 3
        try:
            IndexStore.open(readonly_index, expected=PARAMS)
        except CodesearchError as exc:
            assert "read-only" in str(exc)
        else:
            raise AssertionError("opening a read-only folder for writing must fail")

    if os.geteuid() == 0:
        run_unprivileged(check)
    else:
        check()


@pytest.mark.parametrize(("table", "column", "value"), [
    ("chunks", "language", b"\xff\xfe"), ("chunks", "start_line", "x"), ("chunks", "path", b"a.py"),
    ("chunks", "code", b"x"), ("files", "size_bytes", "big"), ("embeddings", "vector", "text"),
])
def test_a_row_of_another_type_is_damage(index_dir: Path, table: str, column: str, value: object) -> None:
    """SQLite keeps a blob in any column (and text in an INTEGER one), and a checkout may craft its database:
    found by tests/fuzz/index_files.py, a language that was a blob made `ask --json` a TypeError traceback.
    Such a row is read as damage (IndexCorruptError: one line; `index` rebuilds), never handed on."""
    with IndexStore.open(index_dir, expected=PARAMS, create=True) as writer:
        writer.apply_batch(two_files())
    connection = sqlite3.connect(index_dir / DB_FILE_NAME)
    connection.execute(f"UPDATE {table} SET {column} = ?", (value,))
    connection.commit()
    connection.close()
    with IndexStore.open(index_dir, readonly=True) as reader:
        ids = sorted(ids_by_name(reader).values())
        readers = {"chunks": [lambda: reader.get_chunks(ids), lambda: reader.chunk_heads(ids)],
                   "files": [lambda: reader.all_file_states()], "embeddings": [
                       lambda: reader.cached_embeddings([s.embed_hash for s in reader.get_chunks(ids)])]}[table]
        if column in ("language", "start_line", "code"):
            readers = readers[:1]
        for read in readers:
            with pytest.raises(IndexCorruptError, match=rf"is corrupt \(malformed row: {table}\.{column} holds a "):
                read()


def test_a_schema_that_lacks_what_its_version_promises_is_damage(index_dir: Path) -> None:
    """Found by tests/fuzz/index_files.py: bytes of sqlite_master damaged so that `embeddings.checksum` was gone
    while the version said it was there; `ask --json` was an OperationalError traceback ("no such column")."""
    with IndexStore.open(index_dir, expected=PARAMS, create=True) as writer:
        writer.apply_batch(two_files())
    connection = sqlite3.connect(index_dir / DB_FILE_NAME)
    connection.execute("ALTER TABLE embeddings DROP COLUMN checksum")
    connection.commit()
    connection.close()
    with IndexStore.open(index_dir, readonly=True) as reader:
        ids = sorted(ids_by_name(reader).values())
        with pytest.raises(IndexCorruptError, match="no such column"):
            reader.cached_embeddings([s.embed_hash for s in reader.get_chunks(ids)])
