"""Rows of the ``files`` and ``chunks`` tables as records, and the SQL that reads and writes them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from codesearch.index.embedding_checksums import check_vectors
from codesearch.index.lexical import document
from codesearch.index.ranking.candidates import CandidateHead
from codesearch.index.records import FileState, FileUpdate, PendingChunk, StoredChunk
from codesearch.records import Chunk

CHUNK_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Chunk))
_CHUNK_COLUMNS = ", ".join(CHUNK_FIELDS)
_CHUNK_ROW = ("id", *CHUNK_FIELDS, "embed_hash")
_CHUNK_ROW_TYPES = (int, *({"str": str, "int": int}[str(f.type)] for f in fields(Chunk)), str)
_FILE_COLUMNS = "path, language, size_bytes, mtime_ns, content_hash, indexed_at_s"
_FILE_ROW = tuple(_FILE_COLUMNS.split(", "))
_FILE_ROW_TYPES = (str, str, int, int, str, float)
_DOCUMENT_ROW = ("id", "embed_hash", "name", "qualified_name", "path", "code_without_docstring", "docstring")
_ID_BATCH = 512


def checked_row(table: str, columns: Sequence[str], types: Sequence[type], row: Sequence[object]) -> None:
    """Raise when a value of ``row`` is not of its column's type (an int may stand for a float).

    SQLite keeps any value in any column, and a checkout may carry a database it wrote itself: a name
    that was a blob, or a line that was text, made a traceback of `ask`. The error is the one SQLite gives
    for damage (``translate_corruption`` turns it into IndexCorruptError: `index` rebuilds).
    """
    for column, kind, value in zip(columns, types, row, strict=True):
        if type(value) is not kind and not (kind is float and type(value) is int):
            raise sqlite3.DatabaseError(
                f"malformed row: {table}.{column} holds a {type(value).__name__}, not a {kind.__name__}"
            )


def _file_state(row: Sequence[object]) -> FileState:
    checked_row("files", _FILE_ROW, _FILE_ROW_TYPES, row)
    return FileState(*row)  # type: ignore[arg-type]


def _stored_chunk(row: Sequence[object]) -> StoredChunk:
    checked_row("chunks", _CHUNK_ROW, _CHUNK_ROW_TYPES, row)
    return StoredChunk(chunk_id=row[0], chunk=Chunk(*row[1:-1]), embed_hash=row[-1])  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ExistingChunk:
    """What a batch needs to know about a chunk row it may keep, rewrite or delete."""

    chunk_id: int
    embed_hash: str
    document: tuple[str, str, str, str, str]  # its FTS5 values, needed to delete it from chunks_fts


def _chunk_values(chunk: Chunk) -> tuple[object, ...]:
    return tuple(getattr(chunk, name) for name in CHUNK_FIELDS)


def file_state(conn: sqlite3.Connection, path: str) -> FileState | None:
    row = conn.execute(f"SELECT {_FILE_COLUMNS} FROM files WHERE path = ?", (path,)).fetchone()
    return _file_state(row) if row else None


def all_file_states(conn: sqlite3.Connection) -> dict[str, FileState]:
    states = [_file_state(row) for row in conn.execute(f"SELECT {_FILE_COLUMNS} FROM files")]
    return {state.path: state for state in states}


def file_id(conn: sqlite3.Connection, path: str) -> int | None:
    row = conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
    return int(row[0]) if row else None


def upsert_file(conn: sqlite3.Connection, update: FileUpdate, now_s: float) -> int:
    """Insert or update a file row (keeping its id); return the id."""
    row = conn.execute(
        f"INSERT INTO files({_FILE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(path) DO UPDATE SET language = excluded.language, "
        "size_bytes = excluded.size_bytes, mtime_ns = excluded.mtime_ns, "
        "content_hash = excluded.content_hash, indexed_at_s = excluded.indexed_at_s "
        "RETURNING id",
        (update.path, update.language, update.size_bytes, update.mtime_ns, update.content_hash, now_s),
    ).fetchone()
    return int(row[0])


def touch_file(conn: sqlite3.Connection, path: str, size_bytes: int, mtime_ns: int) -> bool:
    cursor = conn.execute(
        "UPDATE files SET size_bytes = ?, mtime_ns = ? WHERE path = ?", (size_bytes, mtime_ns, path)
    )
    return cursor.rowcount > 0


def chunks_of_file(conn: sqlite3.Connection, file_id: int) -> list[ExistingChunk]:
    rows = conn.execute(
        "SELECT id, embed_hash, name, qualified_name, path, code_without_docstring, docstring "
        "FROM chunks WHERE file_id = ? ORDER BY id",
        (file_id,),
    )
    found = []
    for row in rows:
        checked_row("chunks", _DOCUMENT_ROW, (int, *[str] * 6), row)
        found.append(ExistingChunk(row[0], row[1], document(*row[2:])))
    return found


def insert_chunk(conn: sqlite3.Connection, file_id: int, pending: PendingChunk) -> int:
    marks = ", ".join("?" * (len(CHUNK_FIELDS) + 2))
    row = conn.execute(
        f"INSERT INTO chunks(file_id, {_CHUNK_COLUMNS}, embed_hash) VALUES ({marks}) RETURNING id",
        (file_id, *_chunk_values(pending.chunk), pending.embed_hash),
    ).fetchone()
    return int(row[0])


def rewrite_chunk(conn: sqlite3.Connection, chunk_id: int, pending: PendingChunk) -> None:
    """Overwrite a kept row's fields (lines and bytes move when code above it changes)."""
    assignments = ", ".join(f"{name} = ?" for name in CHUNK_FIELDS)
    conn.execute(f"UPDATE chunks SET {assignments} WHERE id = ?", (*_chunk_values(pending.chunk), chunk_id))


def delete_chunks(conn: sqlite3.Connection, chunk_ids: Sequence[int]) -> None:
    conn.executemany("DELETE FROM chunks WHERE id = ?", ((chunk_id,) for chunk_id in chunk_ids))


def stored_chunks(conn: sqlite3.Connection, chunk_ids: Sequence[int]) -> list[StoredChunk]:
    """The chunks with these ids, in the order given; ids without a row are left out."""
    found: dict[int, StoredChunk] = {}
    unique = list(dict.fromkeys(chunk_ids))
    for start in range(0, len(unique), _ID_BATCH):
        part = unique[start : start + _ID_BATCH]
        marks = ", ".join("?" * len(part))
        rows = conn.execute(
            f"SELECT id, {_CHUNK_COLUMNS}, embed_hash FROM chunks WHERE id IN ({marks})", part
        )
        for row in rows:
            found[row[0]] = _stored_chunk(row)
    return [found[chunk_id] for chunk_id in unique if chunk_id in found]


def chunks_in_file(conn: sqlite3.Connection, path: str, kinds: Sequence[str]) -> list[StoredChunk]:
    """The chunks of ``path`` of these kinds, in line order."""
    marks = ", ".join("?" * len(kinds))
    ids = [row[0] for row in conn.execute(
        f"SELECT id FROM chunks WHERE path = ? AND kind IN ({marks}) ORDER BY start_line", [path, *kinds])]
    return stored_chunks(conn, ids)


def chunk_heads(conn: sqlite3.Connection, chunk_ids: Sequence[int]) -> list[CandidateHead]:
    """Where each of these chunks is and what it defines (no code), for ranking; missing ids left out."""
    found: list[CandidateHead] = []
    unique = list(dict.fromkeys(chunk_ids))
    for start in range(0, len(unique), _ID_BATCH):
        part = unique[start : start + _ID_BATCH]
        marks = ", ".join("?" * len(part))
        rows = conn.execute(
            f"SELECT id, path, name, qualified_name, kind, start_line, end_line FROM chunks WHERE id IN ({marks})", part
        )
        for row in rows:
            checked_row("chunks", ("id", "path", "name", "qualified_name", "kind", "start_line", "end_line"),
                        (int, str, str, str, str, int, int), row)
            found.append(CandidateHead(*row))
    return found


def cached_embeddings(
    conn: sqlite3.Connection, embed_hashes: Iterable[str], model_hash: str
) -> dict[str, np.ndarray]:
    """Cached vectors (dim,) float32 of ``model_hash`` by embed_hash, for those hashes that have one."""
    wanted = list(dict.fromkeys(embed_hashes))
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(wanted), _ID_BATCH):
        part = wanted[start : start + _ID_BATCH]
        marks = ", ".join("?" * len(part))
        query = f"SELECT embed_hash, vector, checksum FROM embeddings WHERE model_hash = ? AND embed_hash IN ({marks})"
        rows = conn.execute(query, (model_hash, *part)).fetchall()
        for embed_hash, blob, _ in rows:
            checked_row("embeddings", ("embed_hash", "vector"), (str, bytes), (embed_hash, blob))
        check_vectors(conn, rows, "text")
        found.update((h, np.frombuffer(blob, dtype="<f4").astype(np.float32)) for h, blob, _ in rows)
    return found


def vacuum_cache(conn: sqlite3.Connection, model_hash: str) -> int:
    """Delete cached embeddings that no chunk uses, and any of another model; return how many."""
    cursor = conn.execute(
        "DELETE FROM embeddings WHERE model_hash != ? OR embed_hash NOT IN (SELECT embed_hash FROM chunks)",
        (model_hash,),
    )
    return cursor.rowcount


_UNEMBEDDED = "NOT EXISTS (SELECT 1 FROM embeddings AS e WHERE e.model_hash = ? AND e.embed_hash = c.embed_hash)"


def unembedded_chunks(conn: sqlite3.Connection, model_hash: str, after_id: int, limit: int) -> list[StoredChunk]:
    """Up to ``limit`` chunks whose vector is not cached and whose id is above ``after_id``, by id."""
    rows = conn.execute(
        f"SELECT id, {_CHUNK_COLUMNS}, embed_hash FROM chunks AS c WHERE c.id > ? AND {_UNEMBEDDED} "
        "ORDER BY c.id LIMIT ?",
        (after_id, model_hash, limit),
    )
    return [_stored_chunk(row) for row in rows]


def count_unembedded_texts(conn: sqlite3.Connection, model_hash: str) -> int:
    """Distinct embedded texts (embed hashes) of chunks whose vector is not cached."""
    query = f"SELECT count(DISTINCT embed_hash) FROM chunks AS c WHERE {_UNEMBEDDED}"
    return int(conn.execute(query, (model_hash,)).fetchone()[0])
