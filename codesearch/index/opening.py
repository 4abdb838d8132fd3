"""Opening an index folder's database: creating it, migrating it, and checking it is the index asked for.

Everything here runs before an ``IndexStore`` exists; the store's ``open`` strings it together
with the write lock and the vectors.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import time
from pathlib import Path

from codesearch.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, IndexWriteError
from codesearch.index import lexical
from codesearch.index.database import (
    REBUILD_HINT,
    check_not_truncated,
    connect_readonly,
    connect_writable,
    transaction,
    translate_corruption,
)
from codesearch.index.embedding_checksums import register_checksum
from codesearch.index.filters import register_functions
from codesearch.index.meta import check_compatible, read_meta, set_lexical_version, write_meta
from codesearch.index.migrations import SCHEMA_VERSION, migrate, schema_version
from codesearch.index.records import IndexMeta, IndexParams
from codesearch.index.vector_file import SIDECAR_FILE_NAME, remove_vector_files

log = logging.getLogger(__name__)

DB_FILE_NAME = "index.sqlite3"
INDEX_DIR_NAME = ".codesearch"
_GITIGNORE = "# created by codesearch: the index is derived data, never commit it\n*\n"


def default_index_dir(repo_root: Path) -> Path:
    """Where a repository's index lives unless settings say otherwise: ``<repo>/.codesearch``."""
    return repo_root / INDEX_DIR_NAME


def prepare_index_dir(index_dir: Path) -> None:
    """Create the index folder with a ``.gitignore`` of ``*`` so it never gets committed.

    The ``.gitignore`` is only ever created (``O_EXCL``, which never follows a link): a checkout's
    ``.gitignore`` there that was a link to a file that is not there had that file created.
    """
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(index_dir / ".gitignore", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            return
        try:
            os.write(fd, _GITIGNORE.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise IndexWriteError(f"cannot create the index folder {index_dir}: {exc.strerror}") from exc


def remove_index_files(index_dir: Path) -> None:
    """Delete the database and vector files (for a rebuild); the caller holds the write lock."""
    db_path = index_dir / DB_FILE_NAME
    for path in (
        db_path,
        db_path.with_name(DB_FILE_NAME + "-wal"),
        db_path.with_name(DB_FILE_NAME + "-shm"),
        index_dir / SIDECAR_FILE_NAME,
    ):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    remove_vector_files(index_dir)


def open_database(
    index_dir: Path, *, expected: IndexParams | None, readonly: bool, create: bool
) -> tuple[sqlite3.Connection, IndexMeta]:
    """Connect, migrate (or refuse to), and return the connection with the index's meta."""
    db_path = index_dir / DB_FILE_NAME
    _refuse_odd_files(db_path)
    existed = db_path.exists() and db_path.stat().st_size > 0
    conn = connect_readonly(db_path) if readonly else connect_writable(db_path)
    try:
        if existed:
            check_not_truncated(conn, db_path)
        register_functions(conn)
        register_checksum(conn)
        with translate_corruption(db_path):
            _ensure_schema(conn, index_dir, readonly=readonly, create=create)
            meta = _ensure_meta(conn, index_dir, expected, readonly=readonly, create=create)
            if expected is not None:
                check_compatible(meta, expected, index_dir)
            meta = _ensure_lexical_version(conn, meta, index_dir, readonly=readonly)
    except BaseException:
        conn.close()
        raise
    return conn, meta


def _refuse_odd_files(db_path: Path) -> None:
    """IndexCorruptError if the database or its WAL files are there but not regular files.

    An index folder may come with a checkout, and SQLite waits on a FIFO and follows a link; as damage,
    ``index`` sets such files aside and rebuilds, where SQLite gave a "disk I/O error" that stayed.
    """
    for path in (db_path, db_path.with_name(DB_FILE_NAME + "-wal"), db_path.with_name(DB_FILE_NAME + "-shm")):
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(mode):
            raise IndexCorruptError(f"the index file {path} is not a regular file (a link or a FIFO); {REBUILD_HINT}")


def _ensure_schema(conn: sqlite3.Connection, index_dir: Path, *, readonly: bool, create: bool) -> None:
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise IndexMismatchError(
            f"the index in {index_dir} was written by a newer codesearch (schema {version}, this one "
            f"understands up to {SCHEMA_VERSION}); upgrade codesearch or rebuild it with "
            "`codesearch index --full`"
        )
    if version == 0 and not create:
        if any(index_dir.glob("vectors.*")):
            raise IndexCorruptError(
                f"the index database in {index_dir} is empty but vectors exist; {REBUILD_HINT}"
            )
        raise IndexNotFoundError(f"no index in {index_dir}; run `codesearch index` first")
    if version < SCHEMA_VERSION:
        if readonly:
            raise IndexMismatchError(
                f"the index in {index_dir} has an older schema ({version} < {SCHEMA_VERSION}) and was opened "
                "read-only; run `codesearch index` once to upgrade it"
            )
        migrate(conn)


def _ensure_meta(
    conn: sqlite3.Connection, index_dir: Path, expected: IndexParams | None, *, readonly: bool, create: bool
) -> IndexMeta:
    meta = read_meta(conn, SCHEMA_VERSION)
    if meta is not None:
        return meta
    if readonly or not create:
        raise IndexNotFoundError(
            f"no index in {index_dir} (its creation never finished); run `codesearch index`"
        )
    if expected is None:
        raise ValueError("creating an index needs the expected IndexParams")
    with transaction(conn):
        write_meta(conn, expected, lexical.LEXICAL_VERSION, time.time())
    created = read_meta(conn, SCHEMA_VERSION)
    assert created is not None
    return created


def _ensure_lexical_version(
    conn: sqlite3.Connection, meta: IndexMeta, index_dir: Path, *, readonly: bool
) -> IndexMeta:
    if meta.lexical_version == lexical.LEXICAL_VERSION:
        return meta
    if readonly:
        raise IndexMismatchError(
            f"the keyword index in {index_dir} is from another codesearch version; "
            "run `codesearch index` to update it"
        )
    with transaction(conn):
        count = lexical.rebuild_documents(conn)
        set_lexical_version(conn, lexical.LEXICAL_VERSION)
    log.info("rebuilt the keyword index (%d chunks) for lexical version %d", count, lexical.LEXICAL_VERSION)
    updated = read_meta(conn, SCHEMA_VERSION)
    assert updated is not None
    return updated
