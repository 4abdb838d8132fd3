"""Search filters (language, path glob) as SQL, so they apply before any top-k cut.

Path globs use Python's ``fnmatch.fnmatchcase`` semantics, matched against the whole
repo-relative POSIX path: case-sensitive; ``*`` matches any run of characters *including* ``/``
(so ``src/*.py`` also matches ``src/a/b.py``); ``?`` one character; ``[seq]`` and ``[!seq]``
character classes. The match runs as a Python function registered on the connection, over the
``files`` table (one call per file, not per chunk), so the semantics are exactly fnmatch's rather
than SQLite GLOB's (which differs on ``[^...]`` and on unbalanced brackets).
"""

from __future__ import annotations

import fnmatch
import sqlite3
from dataclasses import dataclass

_GLOB_FUNCTION = "codesearch_path_matches"


@dataclass(frozen=True, slots=True)
class ChunkFilter:
    """Restrict a search; None means no restriction, an empty tuple of languages matches nothing."""

    languages: tuple[str, ...] | None = None
    path_glob: str | None = None

    @property
    def is_empty(self) -> bool:
        return self.languages is None and self.path_glob is None

    @property
    def matches_nothing(self) -> bool:
        return self.languages is not None and not self.languages


def _path_matches(pattern: str, path: str) -> bool:
    return fnmatch.fnmatchcase(path, pattern)


def register_functions(conn: sqlite3.Connection) -> None:
    """Make the path-glob function available to this connection's SQL."""
    conn.create_function(_GLOB_FUNCTION, 2, _path_matches, deterministic=True)


def filter_clause(chunk_filter: ChunkFilter, chunks_alias: str) -> tuple[str, tuple[object, ...]]:
    """SQL to AND onto a WHERE over ``chunks AS <alias>`` (starts with " AND "), and its parameters."""
    sql = ""
    params: list[object] = []
    if chunk_filter.languages is not None:
        marks = ", ".join("?" * len(chunk_filter.languages))
        sql += f" AND {chunks_alias}.language IN ({marks})"
        params.extend(chunk_filter.languages)
    if chunk_filter.path_glob is not None:
        sql += f" AND {chunks_alias}.file_id IN (SELECT id FROM files WHERE {_GLOB_FUNCTION}(?, path))"
        params.append(chunk_filter.path_glob)
    return sql, tuple(params)


def allowed_chunk_ids(conn: sqlite3.Connection, chunk_filter: ChunkFilter) -> frozenset[int]:
    """The ids of every chunk the filter lets through."""
    sql, params = filter_clause(chunk_filter, "c")
    rows = conn.execute(f"SELECT c.id FROM chunks AS c WHERE 1{sql}", params)
    return frozenset(row[0] for row in rows)
