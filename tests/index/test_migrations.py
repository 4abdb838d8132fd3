"""Numbered migrations: from empty, idempotent, atomic, and how older/newer schemas are met."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codesearch.errors import IndexMismatchError
from codesearch.index import migrations
from codesearch.index.opening import DB_FILE_NAME
from codesearch.index.store import IndexStore
from tests.index.fakes import PARAMS


def tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")}


def test_migrate_from_empty(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    assert migrations.schema_version(conn) == 0
    assert migrations.migrate(conn) == migrations.SCHEMA_VERSION
    assert migrations.schema_version(conn) == migrations.SCHEMA_VERSION
    assert {"meta", "files", "chunks", "embeddings", "chunks_fts", "chunks_by_file", "chunks_by_embed_hash"} <= tables(
        conn
    )
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
        migrations.SCHEMA_VERSION
    )
    migrations.migrate(conn)  # nothing left to do
    assert migrations.schema_version(conn) == migrations.SCHEMA_VERSION


def test_failed_migration_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    migrations.migrate(conn)
    broken = "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);"
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, broken))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", len(migrations.MIGRATIONS))
    with pytest.raises(sqlite3.OperationalError):
        migrations.migrate(conn)
    assert migrations.schema_version(conn) == len(migrations.MIGRATIONS) - 1
    assert "half_done" not in tables(conn)


def test_older_schema_is_migrated_by_writers_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir = tmp_path / "index"
    IndexStore.open(index_dir, expected=PARAMS, create=True).close()
    from codesearch.index import opening

    newer = (*migrations.MIGRATIONS, "CREATE TABLE added_later (x INTEGER);")
    monkeypatch.setattr(migrations, "MIGRATIONS", newer)
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", len(newer))
    monkeypatch.setattr(opening, "SCHEMA_VERSION", len(newer))
    with pytest.raises(IndexMismatchError, match=r"older schema.*run `codesearch index`"):
        IndexStore.open(index_dir, readonly=True)
    with IndexStore.open(index_dir, expected=PARAMS) as store:
        assert store.meta.schema_version == len(newer)
    with sqlite3.connect(index_dir / DB_FILE_NAME) as conn:
        assert "added_later" in tables(conn)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    IndexStore.open(index_dir, expected=PARAMS, create=True).close()
    with sqlite3.connect(index_dir / DB_FILE_NAME) as conn:
        conn.execute("PRAGMA user_version = 99")
    for readonly in (True, False):
        with pytest.raises(IndexMismatchError, match="newer codesearch"):
            IndexStore.open(index_dir, readonly=readonly, expected=None if readonly else PARAMS)


def test_schema_1_gains_the_backend_column_and_the_embed_hash_index(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    conn.executescript(migrations.MIGRATIONS[0] + "PRAGMA user_version = 1;")
    conn.execute("INSERT INTO embeddings(model_hash, embed_hash, vector) VALUES ('m', 'h', x'00')")
    migrations.migrate(conn)
    assert conn.execute("SELECT embed_hash, backend FROM embeddings").fetchall() == [("h", "")]
    assert "chunks_by_embed_hash" in tables(conn)
