"""Crash windows: after any of them, reopening gives one live vector per chunk row and vice versa.

A kill -9 leaves the files exactly as they were at that instant (the OS keeps what the process
wrote), so most windows are simulated by copying the index folder at that instant and opening the
copy. One test kills a real writer process at an arbitrary point.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sqlite3
from multiprocessing.synchronize import Event
from pathlib import Path

import numpy as np
import pytest

from codesearch.errors import IndexCorruptError
from codesearch.index import vector_file
from codesearch.index.opening import DB_FILE_NAME
from codesearch.index.store import IndexStore
from codesearch.index.vectors import VectorIndex
from tests.index.fakes import PARAMS, batch_of, file_update, make_chunk

TIMEOUT_S = 60.0


def batch_number(n: int, files: int = 3, per_file: int = 4):  # type: ignore[no-untyped-def]
    """Batch n rewrites files f0..f{files-1} with new functions and deletes what batch n-1 had extra."""
    updates = [
        file_update(f"f{i}.py", [make_chunk(f"f{i}.py", f"fn_{n}_{i}_{j}") for j in range(per_file)])
        for i in range(files)
    ]
    updates.append(file_update(f"extra{n}.py", [make_chunk(f"extra{n}.py", f"extra_{n}")]))
    return batch_of(updates, (f"extra{n - 1}.py",) if n > 0 else ())


def crash_copy(index_dir: Path, into: Path) -> Path:
    """The folder as a kill -9 at this instant would leave it."""
    shutil.copytree(index_dir, into)
    return into


def assert_one_live_vector_per_row(index_dir: Path, *, readonly: bool = False) -> str:
    """Open, check the invariant, return the status the vectors file had before any repair."""
    status = vector_file.load_vectors_file(index_dir, PARAMS.dim, _generation(index_dir)).status
    store = IndexStore.open(index_dir, readonly=readonly, expected=None if readonly else PARAMS)
    with store:
        report = store.check_integrity()
        # A damaged file on disk is reported until a writer's close replaces it; the in-memory
        # index was rebuilt from SQLite, which is what every other check looks at.
        assert [p for p in report.problems if not p.startswith("vectors file")] == []
        assert report.counts.chunks == report.counts.live_vectors
        # check_integrity compared label sets, slot counts and every vector with the cache; the
        # searches below go through HNSW and the exact path and must agree on the rows.
        ids = _chunk_ids(index_dir)
        assert len(ids) == report.counts.chunks
        query = np.ones(PARAMS.dim, dtype=np.float32)
        assert sorted(hit.chunk_id for hit in store._vectors.search(query, len(ids) + 5)) == ids
        assert sorted(hit.chunk_id for hit in store.dense_search(query, len(ids) + 5)) == ids
    return status


def _chunk_ids(index_dir: Path) -> list[int]:
    with sqlite3.connect(index_dir / DB_FILE_NAME) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM chunks ORDER BY id")]


def _generation(index_dir: Path) -> int:
    with sqlite3.connect(index_dir / DB_FILE_NAME) as conn:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'vectors_generation'").fetchone()[0])


@pytest.fixture
def saved_index(tmp_path: Path) -> Path:
    index_dir = tmp_path / "index"
    with IndexStore.open(index_dir, expected=PARAMS, create=True) as store:
        for n in range(3):
            store.apply_batch(batch_number(n))
    return index_dir


def test_clean_close_leaves_a_current_vectors_file(saved_index: Path) -> None:
    assert assert_one_live_vector_per_row(saved_index) == "current"


def test_commit_done_but_vectors_not_saved(saved_index: Path, tmp_path: Path) -> None:
    with IndexStore.open(saved_index, expected=PARAMS) as store:
        store.apply_batch(batch_number(3))
        store.apply_batch(batch_number(4))
        crashed = crash_copy(saved_index, tmp_path / "crashed")
    assert assert_one_live_vector_per_row(crashed, readonly=True).startswith("stale")
    assert assert_one_live_vector_per_row(crashed).startswith("stale")  # repaired in memory, saved on close
    assert assert_one_live_vector_per_row(crashed) == "current"


def test_vectors_saved_but_sidecar_not(
    saved_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def die(path: Path, data: bytes) -> None:
        raise KeyboardInterrupt("killed between the two renames")

    with IndexStore.open(saved_index, expected=PARAMS) as store:
        store.apply_batch(batch_number(3))
        monkeypatch.setattr(vector_file, "write_bytes_atomically", die)
        with pytest.raises(KeyboardInterrupt):
            store.save_vectors()
        crashed = crash_copy(saved_index, tmp_path / "crashed")
        monkeypatch.undo()
    assert len(list(crashed.glob("vectors.*.hnsw"))) == 2  # the new file, and the old one the sidecar names
    assert assert_one_live_vector_per_row(crashed).startswith("stale")


def test_sidecar_lost_falls_back_to_newest_file(saved_index: Path) -> None:
    (saved_index / vector_file.SIDECAR_FILE_NAME).unlink()
    assert assert_one_live_vector_per_row(saved_index).startswith("unverified")


@pytest.mark.parametrize("damage", ["truncate", "flip_bytes", "delete"])
def test_damaged_or_missing_vectors_file_is_rebuilt(saved_index: Path, damage: str) -> None:
    (path,) = saved_index.glob("vectors.*.hnsw")
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip_bytes":
        data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
        path.write_bytes(bytes(data))
    else:
        path.unlink()
    status = assert_one_live_vector_per_row(saved_index)
    assert status.startswith({"truncate": "damaged", "flip_bytes": "damaged", "delete": "missing"}[damage])
    assert assert_one_live_vector_per_row(saved_index) == "current"  # the writer's close saved it


def test_folders_and_links_where_vector_files_go_are_replaced_not_followed(saved_index: Path, tmp_path: Path) -> None:
    """Found by tests/fuzz/index_files.py: a checkout's folder named like the vectors file or the sidecar made
    the writer's save an IsADirectoryError traceback; a link at the temporary name would be written through."""
    (path,) = saved_index.glob("vectors.*.hnsw")
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("x")
    (saved_index / vector_file.SIDECAR_FILE_NAME).unlink()
    (saved_index / vector_file.SIDECAR_FILE_NAME).mkdir()
    (saved_index / "vectors.1.hnsw").mkdir()  # another generation's: removed with the old files
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's own file\n")
    (saved_index / f".{path.name}.{os.getpid()}.tmp").symlink_to(victim)  # the name this process writes first
    assert assert_one_live_vector_per_row(saved_index) == "missing"  # no file the sidecar vouches for
    assert assert_one_live_vector_per_row(saved_index) == "current"  # the writer's close saved it
    assert path.is_file() and not (saved_index / "vectors.1.hnsw").exists()
    assert victim.read_text() == "the user's own file\n"


@pytest.mark.parametrize("keep", ["half", "header_only", "garbage"])
def test_damaged_database_raises_index_corrupt(saved_index: Path, keep: str) -> None:
    db = saved_index / DB_FILE_NAME
    data = db.read_bytes()
    if keep == "half":
        db.write_bytes(data[: len(data) // 2])
    elif keep == "header_only":
        db.write_bytes(data[:50])
    else:
        db.write_bytes(b"\x00garbage" * 100)
    for readonly in (True, False):
        with pytest.raises(IndexCorruptError, match="codesearch index --full"):
            IndexStore.open(saved_index, readonly=readonly, expected=None if readonly else PARAMS)
    db.write_bytes(b"")  # an empty database beside existing vectors: damage too, not "no index"
    with pytest.raises(IndexCorruptError):
        IndexStore.open(saved_index, readonly=True)
    with IndexStore.open(saved_index, expected=PARAMS, create=True, reset=True) as store:
        assert store.counts().chunks == 0


def test_failed_batch_rolls_back_everything(saved_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from codesearch.index import lexical

    def fail(*args: object) -> None:
        raise RuntimeError("disk full, say")

    with IndexStore.open(saved_index, expected=PARAMS) as store:
        before = store.counts()
        monkeypatch.setattr(lexical, "insert_documents", fail)
        with pytest.raises(RuntimeError):
            store.apply_batch(batch_number(3))
        monkeypatch.undo()
        assert store.counts() == before
    assert assert_one_live_vector_per_row(saved_index) == "current"


def test_vector_update_failing_after_commit_is_repaired_before_saving(
    saved_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: VectorIndex, labels: object, vectors: object) -> None:
        raise MemoryError("out of memory while inserting")

    with IndexStore.open(saved_index, expected=PARAMS) as store:
        monkeypatch.setattr(VectorIndex, "add", fail)
        with pytest.raises(MemoryError):
            store.apply_batch(batch_number(3))
        monkeypatch.undo()
    assert assert_one_live_vector_per_row(saved_index) == "current"


def write_forever(index_dir: str, progress: Event) -> None:
    """Apply batches (saving the vectors every other one) until killed; signal after each."""
    with IndexStore.open(Path(index_dir), expected=PARAMS) as store:
        for n in range(3, 10_000):
            store.apply_batch(batch_number(n, files=4, per_file=8))
            if n % 2:
                store.save_vectors()
            progress.set()


@pytest.mark.parametrize("batches_before_kill", [1, 4, 9])
def test_kill_9_of_a_real_writer(saved_index: Path, batches_before_kill: int) -> None:
    spawn = multiprocessing.get_context("spawn")
    progress = spawn.Event()
    writer = spawn.Process(target=write_forever, args=(str(saved_index), progress))
    writer.start()
    try:
        for _ in range(batches_before_kill):
            assert progress.wait(TIMEOUT_S), "the writer made no progress"
            progress.clear()
    finally:
        assert writer.pid is not None
        os.kill(writer.pid, signal.SIGKILL)  # lands wherever the writer happens to be
        writer.join(TIMEOUT_S)
    assert writer.exitcode == -signal.SIGKILL
    assert_one_live_vector_per_row(saved_index, readonly=True)
    assert_one_live_vector_per_row(saved_index)
    assert assert_one_live_vector_per_row(saved_index) == "current"
