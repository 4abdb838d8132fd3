"""The BM25 side of the index: identifier tokenisation, FTS5 documents, and safe FTS5 queries.

Documents and queries are tokenised by the same pure function, ``tokenize_identifiers``, and the
FTS5 table only ever sees its space-joined output. Queries are built from those tokens as quoted
FTS5 strings joined by OR, so no user input can reach FTS5's query syntax (operators, column
filters, ``*``, ``^``, ``NEAR``, unbalanced quotes): whatever the user types, the query is valid.
Descriptive queries leave English function words out (stopwords.py), and rows that provably
cannot reach the top k are not scored (bm25_bound.py).

``chunks_fts`` is contentless (see migrations.py); deleting a row needs the values that were
inserted, which ``document`` regenerates from the chunk's stored fields. ``LEXICAL_VERSION``
is recorded in the index's meta: bump it whenever ``document`` or the tokeniser changes, and
the store rebuilds the FTS table on the next write open.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence

from codesearch.index import bm25_bound
from codesearch.index.filters import ChunkFilter, filter_clause
from codesearch.index.identifiers import WORD, tokenize_identifiers
from codesearch.index.ranking.query_shape import is_identifier_like
from codesearch.index.records import LexicalWeights, ScoredId
from codesearch.index.stopwords import is_stopword

LEXICAL_VERSION = 2  # 2: records without a name leave their location label out
MAX_QUERY_TERMS = 64  # a pasted 10k-character query still makes a bounded, fast FTS5 query

_FTS_COLUMNS = "name, qualified_name, path, identifiers, docstring"


def document(
    name: str, qualified_name: str, path: str, code_without_docstring: str, docstring: str
) -> tuple[str, str, str, str, str]:
    """The FTS5 column values of one chunk, in ``chunks_fts`` column order.

    A record without a name (a block of code between definitions, a window of a text file) has a
    location label for a qualified name (``config.py:1-40``); it is left out, since the path
    column already says where the record is and its line numbers are not words of it.
    """
    return (
        " ".join(tokenize_identifiers(name)),
        " ".join(tokenize_identifiers(qualified_name)) if name else "",
        " ".join(tokenize_identifiers(path)),
        " ".join(tokenize_identifiers(code_without_docstring)),
        " ".join(tokenize_identifiers(docstring)),
    )


def insert_documents(conn: sqlite3.Connection, rows: Iterable[tuple[int, tuple[str, ...]]]) -> None:
    """Index (chunk_id, document) pairs; call inside the transaction that writes the chunks."""
    conn.executemany(
        f"INSERT INTO chunks_fts(rowid, {_FTS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
        ((chunk_id, *values) for chunk_id, values in rows),
    )


def delete_documents(conn: sqlite3.Connection, rows: Iterable[tuple[int, tuple[str, ...]]]) -> None:
    """Un-index (chunk_id, document) pairs; the documents must be exactly those inserted."""
    conn.executemany(
        f"INSERT INTO chunks_fts(chunks_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', ?, ?, ?, ?, ?, ?)",
        ((chunk_id, *values) for chunk_id, values in rows),
    )


def rebuild_documents(conn: sqlite3.Connection) -> int:
    """Re-index every chunk from its stored fields (after a LEXICAL_VERSION change); returns the count."""
    conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('delete-all')")
    rows = conn.execute(
        "SELECT id, name, qualified_name, path, code_without_docstring, docstring FROM chunks"
    ).fetchall()
    for row in rows:  # text, or a crafted database (rows.checked_row, which this module cannot import)
        if not all(isinstance(value, str) for value in row[1:]):
            raise sqlite3.DatabaseError(f"malformed row: chunk {row[0]} holds a field that is no text")
    insert_documents(conn, ((row[0], document(*row[1:])) for row in rows))
    return len(rows)


def query_terms(query: str) -> list[str]:
    """The distinct search terms of a user query, in order, at most MAX_QUERY_TERMS.

    English function words (stopwords.py) are left out, unless the query names code
    (``shutil.which``, ``is_file``) or has no other term.

    >>> query_terms("read a file line by line"), query_terms("shutil.which"), query_terms("the")
    (['read', 'file', 'line'], ['shutil', 'which'], ['the'])
    """
    terms = list(dict.fromkeys(tokenize_identifiers(query)))
    if not is_identifier_like(query):
        terms = [term for term in terms if not is_stopword(term)] or terms
    return terms[:MAX_QUERY_TERMS]


def match_expression(terms: Sequence[str]) -> str:
    """Quoted terms joined by OR. Terms hold only word characters, so no quote can close early;
    doubling quotes anyway keeps this correct if the tokeniser ever changes."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def build_match_query(query: str) -> str | None:
    """The FTS5 MATCH expression for a user query; None if it has no terms.

    >>> build_match_query('parseJSON "NEAR" x* ^col:')
    '"parse" OR "json" OR "parsejson" OR "near" OR "x" OR "col"'
    """
    terms = query_terms(query)
    return match_expression(terms) if terms else None


def rows_with_terms(conn: sqlite3.Connection, terms: Sequence[str]) -> dict[str, int]:
    """How many rows hold each term (its document frequency).

    Counted with MATCH: ~0.04 µs per row, about twice as fast as the ``chunks_fts_vocab`` table
    (which indexes created before it joined the schema also lack).
    """
    return {
        term: int(conn.execute("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (match_expression([term]),))
                  .fetchone()[0])
        for term in terms
    }


def selective_terms(terms: Sequence[str], rows_with: Mapping[str, int], total_rows: int) -> list[str]:
    """Drop terms that cannot change the ranking but make FTS5 score most rows.

    FTS5's bm25 sets the IDF of a term found in at least half of the rows to 1e-6, so such a term
    ("self", "return") adds nothing to any score, yet every row holding it gets scored and sorted
    (~1 µs each). Terms in no row are dropped too. If every term is that common, all are kept.

    >>> selective_terms(["self", "parse", "zzz"], {"self": 60, "parse": 5, "zzz": 0}, 100)
    ['parse']
    """
    kept = [term for term in terms if rows_with[term] > 0 and 2 * rows_with[term] < total_rows]
    return kept or [term for term in terms if rows_with[term]]


def rows_with_all_terms(conn: sqlite3.Connection, terms: Sequence[str], chunk_ids: Sequence[int]) -> set[int]:
    """Those of ``chunk_ids`` whose document holds every one of ``terms`` (in any column).

    One FTS5 AND query: FTS5 intersects the terms' posting lists, so the cost follows the rarest term.
    """
    if not terms or not chunk_ids:
        return set()
    expression = " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)
    wanted = set(chunk_ids)
    rows = conn.execute("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?", (expression,))
    return {row[0] for row in rows if row[0] in wanted}


def rows_named(conn: sqlite3.Connection, name: str, limit: int, chunk_filter: ChunkFilter) -> list[int]:
    """Up to ``limit`` chunk ids whose name holds ``name`` as one whole identifier (any case).

    A superset of the chunks named exactly ``name`` (``join`` also finds ``join_all``), found in the
    name column alone: for exact-name lookups, whatever BM25 thinks of the rest of the chunk. Shortest
    names first (FTS5's rank: BM25 over the name column), so that a name in many longer names
    (``Handler`` in 900 ``*Handler`` methods) keeps its own definition inside the limit.
    """
    term = name.lower()
    if not WORD.fullmatch(term) or limit <= 0 or chunk_filter.matches_nothing:
        return []
    where, params = filter_clause(chunk_filter, "c")
    restrict = "" if chunk_filter.is_empty else f" AND rowid IN (SELECT c.id FROM chunks AS c WHERE 1{where})"
    sql = f"SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?{restrict} ORDER BY rank LIMIT ?"
    return [row[0] for row in conn.execute(sql, ("name : " + match_expression([term]), *params, limit))]


def search(
    conn: sqlite3.Connection,
    query: str,
    k: int,
    chunk_filter: ChunkFilter,
    weights: LexicalWeights,
) -> list[ScoredId]:
    """Top-k chunks by BM25 with column weights; filters apply in the WHERE, before the LIMIT.

    Rows that cannot reach the top k are skipped when that is provably safe (bm25_bound.py).
    """
    terms = query_terms(query)
    if not terms or k <= 0 or chunk_filter.matches_nothing:
        return []
    total_rows = int(conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
    rows_with = rows_with_terms(conn, terms)
    terms = selective_terms(terms, rows_with, total_rows)
    if not terms:
        return []
    prefilter = bm25_bound.prefilter_expression(terms, rows_with)
    if prefilter is not None:
        found = _ranked(conn, terms, k, chunk_filter, weights, prefilter)
        if len(found) == k and found[-1].score > bm25_bound.single_common_term_bound(total_rows, terms, rows_with):
            return found
    return _ranked(conn, terms, k, chunk_filter, weights, None)


def _ranked(
    conn: sqlite3.Connection,
    terms: Sequence[str],
    k: int,
    chunk_filter: ChunkFilter,
    weights: LexicalWeights,
    prefilter: str | None,
) -> list[ScoredId]:
    where, params = filter_clause(chunk_filter, "c")
    # The filter reads the narrow chunks indexes (language, file_id), never the wide chunk rows.
    restrict = "" if chunk_filter.is_empty else f" AND rowid IN (SELECT c.id FROM chunks AS c WHERE 1{where})"
    # The unary + keeps SQLite from running the whole MATCH once per prefiltered rowid.
    only = "" if prefilter is None else " AND +rowid IN (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?)"
    sql = (
        "SELECT rowid, bm25(chunks_fts, ?, ?, ?, ?, ?) AS rank FROM chunks_fts "
        f"WHERE chunks_fts MATCH ?{restrict}{only} ORDER BY rank LIMIT ?"
    )
    column_weights = (
        weights.name,
        weights.qualified_name,
        weights.path,
        weights.identifiers,
        weights.docstring,
    )
    extra = () if prefilter is None else (prefilter,)
    rows = conn.execute(sql, (*column_weights, match_expression(terms), *params, *extra, k))
    return [ScoredId(chunk_id=row[0], score=-float(row[1])) for row in rows]
