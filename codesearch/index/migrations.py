"""The SQLite schema, as numbered migrations that are only ever appended.

``MIGRATIONS[i]`` takes a database from schema version ``i`` to ``i + 1``; ``PRAGMA user_version``
holds the version (it is part of the database header, so it commits or rolls back with the
migration's transaction). Never edit a migration that has shipped: add a new one.

Schema notes:
- ``chunks.id`` is ``INTEGER PRIMARY KEY AUTOINCREMENT`` and is the HNSW label. AUTOINCREMENT
  (rather than plain rowid) guarantees an id is never handed out twice, so a label left live in
  a stale HNSW file can never be mistaken for a newer chunk (see reconcile.py).
- ``chunks_fts`` is a contentless FTS5 table (``content=''``): it keeps only the inverted index,
  not a second copy of the text. Rows are removed with FTS5's 'delete' command, which needs the
  exact values that were inserted; lexical.py regenerates them from the chunk row, which never
  changes while its id lives. ``tokenchars '_'`` keeps ``read_file_v2`` one token, so whole
  identifiers match exactly as well as by their parts.
- ``chunks_fts_vocab`` exposes each term's document frequency. Queries no longer read it
  (lexical.rows_with_terms counts with MATCH, faster, and indexes created before the table was
  added to this migration lack it); it stays because shipped migrations never change.
- ``embeddings`` is keyed by content, not path: a renamed or moved function is never re-embedded.
- 2: ``embeddings.backend`` records what computed each vector ("torch-bfloat16", "onnx-float32";
  "" for vectors stored before it existed, all made by torch). ``chunks_by_embed_hash`` finds the
  chunks an embedding arriving later belongs to: since the index is built progressively, a chunk
  row may exist (searchable by keywords) before its vector does.
- 3: ``embeddings.checksum``, the CRC-32 of each vector, checked on every read (embedding_checksums.py).
  The migration computes it for the rows already there: it cannot tell whether a vector was flipped
  before, but such a row no longer matches its vouched-for HNSW vector, which ``index`` compares for
  a sample before every update (integrity.damage_problems) and ``status --check`` for up to 5,000.
"""

from __future__ import annotations

import logging
import sqlite3

from codesearch.index.embedding_checksums import register_checksum

log = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    # 1: initial schema
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        language TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        indexed_at_s REAL NOT NULL
    );
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        language TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        qualified_name TEXT NOT NULL,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        signature_line INTEGER NOT NULL,
        start_byte INTEGER NOT NULL,
        end_byte INTEGER NOT NULL,
        signature TEXT NOT NULL,
        docstring_raw TEXT NOT NULL,
        docstring TEXT NOT NULL,
        docstring_summary TEXT NOT NULL,
        code TEXT NOT NULL,
        code_without_docstring TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        embed_hash TEXT NOT NULL
    );
    CREATE INDEX chunks_by_file ON chunks(file_id);
    CREATE INDEX chunks_by_language ON chunks(language);
    CREATE TABLE embeddings (
        model_hash TEXT NOT NULL,
        embed_hash TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model_hash, embed_hash)
    );
    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        name, qualified_name, path, identifiers, docstring,
        content='',
        tokenize="unicode61 remove_diacritics 2 tokenchars '_'"
    );
    CREATE VIRTUAL TABLE chunks_fts_vocab USING fts5vocab(chunks_fts, 'row');
    """,
    # 2: progressive indexing (chunks before their vectors) and the backend of each vector
    """
    ALTER TABLE embeddings ADD COLUMN backend TEXT NOT NULL DEFAULT '';
    CREATE INDEX chunks_by_embed_hash ON chunks(embed_hash);
    """,
    # 3: a checksum of every stored vector, computed here for the rows already stored. No CRC-32 is
    # negative, so a row ever written without one fails its first read instead of passing unchecked.
    """
    ALTER TABLE embeddings ADD COLUMN checksum INTEGER NOT NULL DEFAULT -1;
    UPDATE embeddings SET checksum = codesearch_crc32(vector);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database (0 for an empty database)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration the database lacks, each in its own transaction; return the new version.

    The caller checks beforehand that the database is not newer than the code.
    """
    version = schema_version(conn)
    register_checksum(conn)
    for target in range(version + 1, SCHEMA_VERSION + 1):
        log.info("migrating index schema %d -> %d", target - 1, target)
        script = MIGRATIONS[target - 1]
        try:
            # executescript runs the whole script; BEGIN/COMMIT make it one transaction with the
            # version bump, so a failed migration leaves the previous version intact.
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\n"
                f"INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', '{target}');\n"
                f"PRAGMA user_version = {target};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.rollback()
            raise
    return SCHEMA_VERSION
