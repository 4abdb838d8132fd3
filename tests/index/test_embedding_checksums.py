"""Every stored vector carries its CRC-32: a flipped one is never searched, reconciled or compared silently."""

from __future__ import annotations

import shutil
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from codesearch.errors import IndexCorruptError
from codesearch.index import migrations
from codesearch.index.opening import DB_FILE_NAME, default_index_dir
from codesearch.index.store import IndexStore
from tests.index.fakes import PARAMS, batch_of, file_update, make_chunk, vector_for


@pytest.fixture
def index_dir(tmp_path: Path) -> Iterator[Path]:
    index_dir = default_index_dir(tmp_path)
    with IndexStore.open(index_dir, expected=PARAMS, create=True) as store:
        store.apply_batch(batch_of([file_update(f"m{i}.py", [make_chunk(f"m{i}.py", f"fn_{i}_{j}") for j in range(5)])
                                    for i in range(4)]))
    yield index_dir


def flip_one_stored_vector(index_dir: Path, *, with_checksum: bool = False) -> str:
    """Flip one byte of one stored vector (as a disk does: the checksum stays, unless told); its embed hash."""
    with sqlite3.connect(index_dir / DB_FILE_NAME) as conn:
        embed_hash, blob = conn.execute("SELECT embed_hash, vector FROM embeddings ORDER BY embed_hash").fetchone()
        flipped = blob[:7] + bytes([blob[7] ^ 0x20]) + blob[8:]  # an exponent bit of the second component
        conn.execute("UPDATE embeddings SET vector = ? WHERE embed_hash = ?", (flipped, embed_hash))
        if with_checksum:
            conn.execute("UPDATE embeddings SET checksum = ? WHERE embed_hash = ?", (zlib.crc32(flipped), embed_hash))
    return str(embed_hash)


def test_every_row_is_written_with_the_crc32_of_its_vector(index_dir: Path) -> None:
    with sqlite3.connect(index_dir / DB_FILE_NAME) as conn:
        rows = conn.execute("SELECT vector, checksum FROM embeddings").fetchall()
    assert len(rows) == 20 and all(zlib.crc32(blob) == checksum for blob, checksum in rows)


def test_a_flipped_vector_fails_every_read_from_the_database_in_one_line(index_dir: Path) -> None:
    embed_hash = flip_one_stored_vector(index_dir)
    with IndexStore.open(index_dir, readonly=True) as reader:  # the vectors file is current: not read
        query = vector_for("anything", PARAMS.dim)
        with pytest.raises(IndexCorruptError, match="fails its checksum"):  # exact search: a small index
            reader.dense_search(query, 5)
        with pytest.raises(IndexCorruptError, match=f"text {embed_hash}.*fails its checksum"):
            reader.cached_embeddings([embed_hash])  # `similar`'s target vector
        with pytest.raises(IndexCorruptError, match=r"is damaged \(stored vectors that fail their checksum: 1"):
            reader.check_damage()
        assert any("fail their checksum: 1" in problem for problem in reader.check_integrity().problems)
    for path in index_dir.glob("vectors.*"):  # no vectors file: opening rebuilds the graph from the rows
        path.unlink()
    for readonly in (True, False):
        with pytest.raises(IndexCorruptError, match=f"{DB_FILE_NAME} is damaged .*fails its checksum") as raised:
            IndexStore.open(index_dir, readonly=readonly, expected=None if readonly else PARAMS)
        assert "\n" not in str(raised.value) and str(raised.value).endswith("rebuild it with `codesearch index --full`")


def test_a_reader_catching_up_checks_the_vectors_it_loads(index_dir: Path) -> None:
    with IndexStore.open(index_dir, readonly=True) as reader, IndexStore.open(index_dir, expected=PARAMS) as writer:
        writer.apply_batch(batch_of([file_update("late.py", [make_chunk("late.py", "arrived_later")])]))
        with sqlite3.connect(index_dir / DB_FILE_NAME) as conn:
            (late,) = conn.execute("SELECT embed_hash FROM chunks WHERE name = 'arrived_later'").fetchone()
            (blob,) = conn.execute("SELECT vector FROM embeddings WHERE embed_hash = ?", (late,)).fetchone()
            conn.execute("UPDATE embeddings SET vector = ? WHERE embed_hash = ?", (bytes(len(blob)), late))
        with pytest.raises(IndexCorruptError, match="fails its checksum"), reader.reading():
            pass  # the catch-up into exact_vectors.py reads the new row


def test_a_vector_flipped_with_a_matching_checksum_still_differs_from_the_vouched_graph(index_dir: Path) -> None:
    """What the migration cannot tell (a vector damaged before it computed the checksum): the sampled
    comparison with the HNSW vectors, vouched for by the sidecar's CRC, still catches it."""
    flip_one_stored_vector(index_dir, with_checksum=True)
    with IndexStore.open(index_dir, expected=PARAMS) as store:
        with pytest.raises(IndexCorruptError, match="stored embeddings that differ from their vectors: 1"):
            store.check_damage()
        assert any("differ from their chunk's embedding" in p for p in store.check_integrity().problems)


def test_migrating_schema_2_computes_the_checksum_of_every_stored_vector(tmp_path: Path, index_dir: Path) -> None:
    old = tmp_path / "schema-2"
    shutil.copytree(index_dir, old)
    with sqlite3.connect(old / DB_FILE_NAME) as conn:  # as codesearch before schema 3 left it
        conn.execute("ALTER TABLE embeddings DROP COLUMN checksum")
        conn.execute("PRAGMA user_version = 2")
    with IndexStore.open(old, expected=PARAMS) as store:
        assert store.meta.schema_version == migrations.SCHEMA_VERSION == 3
        store.check_damage()
        query = vector_for("fn_1_2", PARAMS.dim)
        assert [hit.chunk_id for hit in store.dense_search(query, 5)]
    with sqlite3.connect(old / DB_FILE_NAME) as conn:
        rows = conn.execute("SELECT vector, checksum FROM embeddings").fetchall()
    assert len(rows) == 20 and all(zlib.crc32(blob) == checksum for blob, checksum in rows)


def test_a_row_written_without_a_checksum_never_passes(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    migrations.migrate(conn)
    blob = np.ones(4, dtype="<f4").tobytes()
    conn.execute("INSERT INTO embeddings(model_hash, embed_hash, vector) VALUES ('m', 'h', ?)", (blob,))
    (checksum,) = conn.execute("SELECT checksum FROM embeddings").fetchone()
    assert checksum == -1 and checksum != zlib.crc32(blob)
