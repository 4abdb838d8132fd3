"""Files by name: the chunks of files whose stem a query names, found in the whole index.

A symbol query (``StrSplit``) is often answered by a file named after it (``str_split.h``) whose
chunks neither retriever returned. Stems are compared by ``ranking.candidates.name_key`` (case and
separators ignored). The files table is scanned in Python (one regex per file, ~1 µs), the same
cost model as the path-glob filter; chunks are then read through the file id index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Set

from codesearch.index.filters import ChunkFilter, filter_clause
from codesearch.index.ranking.candidates import file_stem, name_key


def chunks_in_files_named(conn: sqlite3.Connection, keys: Set[str], chunk_filter: ChunkFilter,
                          per_file: int, max_files: int) -> list[int]:
    """Up to ``per_file`` chunk ids (in line order) of at most ``max_files`` files whose stem key is in ``keys``."""
    if not keys or chunk_filter.matches_nothing or per_file <= 0 or max_files <= 0:
        return []
    file_ids = [file_id for file_id, path in conn.execute("SELECT id, path FROM files ORDER BY path")
                if isinstance(path, str) and name_key(file_stem(path)) in keys][:max_files]  # (str: rows.py)
    found: list[int] = []
    where, params = filter_clause(chunk_filter, "c")
    for file_id in file_ids:
        rows = conn.execute(f"SELECT c.id FROM chunks AS c WHERE c.file_id = ?{where} ORDER BY c.start_line LIMIT ?",
                            (file_id, *params, per_file))
        found.extend(row[0] for row in rows)
    return found
