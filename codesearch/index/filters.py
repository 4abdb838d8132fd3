"""Search filters (language, path glob) as SQL, so they apply before any top-k cut.

Path globs use Python's ``fnmatch.fnmatchcase`` semantics, matched against the whole
repo-relative POSIX path: case-sensitive; ``*`` matches any run of characters *including* ``/``
(so ``src/*.py`` also matches ``src/a/b.py``); ``?`` one character; ``[seq]`` and ``[!seq]``
character classes. The match runs as a Python function registered on the connection, over the
``files`` table (one call per file, not per chunk), so the semantics are exactly fnmatch's rather
than SQLite GLOB's (which differs on ``[^...]`` and on unbalanced brackets).

A glob comes from whoever asks (a flag, a socket or MCP client), so it is bounded: at most
``MAX_PATH_GLOB_CHARS`` characters (translating a glob of 1 MB took 10 s of CPU), compiled into a
cache of ``_COMPILED_GLOBS`` patterns rather than fnmatch's own, which keeps 32,768 (some 13 MB
each for globs that long).
"""

from __future__ import annotations

import fnmatch
import functools
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from codesearch.errors import QueryError

MAX_PATH_GLOB_CHARS = 1024
_COMPILED_GLOBS = 64
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


def validate_path_glob(glob: str | None) -> str | None:
    """``glob`` as given; QueryError when it is too long or holds a NUL or a lone surrogate."""
    if glob is None:
        return None
    if len(glob) > MAX_PATH_GLOB_CHARS:
        raise QueryError(f"the path glob is {len(glob):,} characters long; the limit is {MAX_PATH_GLOB_CHARS:,}")
    require_plain_text(glob, "the path glob")
    return glob


def require_plain_text(text: str, what: str) -> None:
    """QueryError when ``text`` holds a NUL or a lone surrogate (from a JSON escape or undecodable argv
    bytes), which neither SQLite nor the encoder can take; ``what`` names it ("the query")."""
    if "\x00" in text:
        raise QueryError(f"{what} contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise QueryError(f"{what} holds a character that is not valid Unicode at position {exc.start}") from exc


@functools.lru_cache(maxsize=_COMPILED_GLOBS)
def _compiled(pattern: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(fnmatch.translate(pattern)).match  # what fnmatch.fnmatchcase does, minus its cache


def _path_matches(pattern: str, path: object) -> bool:
    """(SQL) Whether ``path`` matches; a path that is no text (a crafted database) matches nothing."""
    return isinstance(path, str) and _compiled(pattern)(path) is not None


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
