"""Scoring fewer rows with BM25 without changing its top k: a prefilter and the bound that proves it safe.

FTS5 scores every row that holds any query term (~1 µs each), and a common term ("file", "string",
"case": 5,000-10,000 of 70,000 functions) brings thousands of rows that almost never reach the top
100. FTS5's bm25 adds, per query term, at most ``idf * (k1 + 1)`` to a row's score, whatever the
column weights (the weighted term frequency saturates). So a row holding exactly one common term
and no other query term scores at most ``(k1 + 1) * max idf`` over the common terms.

The search therefore first scores only the rows that hold a rare term or at least two common terms
(``prefilter_expression``), with the full query's bm25, so their scores are exact. If k rows come
back and the k-th beats ``single_common_term_bound``, no excluded row could have entered the top k,
and the answer equals the unfiltered one; otherwise the caller runs the unfiltered query. On the
standard library (72,000 functions) with CoSQA's web queries this halved BM25's median time, and
the top 100 was identical for every query (measured; docs/speed.md "Measurements").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

FTS5_BM25_K1 = 1.2  # FTS5's bm25 constants (fts5_aux.c); b = 0.75 does not enter the bound
COMMON_TERM_ROWS = 1000  # a term in more rows is "common": scoring them costs ~1 ms
MAX_COMMON_TERMS = 5  # pairs grow quadratically; past this the prefilter costs more than it saves


def fts5_idf(total_rows: int, rows_with_term: int) -> float:
    """The IDF FTS5's bm25 gives a term: ``ln((N - n + 0.5) / (n + 0.5))``, at least 1e-6.

    >>> round(fts5_idf(70000, 700), 3), fts5_idf(10, 9)
    (4.594, 1e-06)
    """
    idf = math.log((0.5 + total_rows - rows_with_term) / (0.5 + rows_with_term))
    return idf if idf > 0 else 1e-6


def common_terms(terms: Sequence[str], rows_with: Mapping[str, int]) -> list[str]:
    """The terms found in more than COMMON_TERM_ROWS rows, in query order."""
    return [term for term in terms if rows_with[term] > COMMON_TERM_ROWS]


def prefilter_expression(terms: Sequence[str], rows_with: Mapping[str, int]) -> str | None:
    """An FTS5 expression for the rows worth scoring: any rare term, or two common terms together.

    None when it would not help: no common term, too many of them, or no rare term and fewer
    than two common ones. Terms hold only word characters (lexical.tokenize_identifiers).

    >>> prefilter_expression(["csv", "file", "read"], {"csv": 200, "file": 6700, "read": 3500})
    '"csv" OR ("file" AND "read")'
    >>> prefilter_expression(["csv", "rows"], {"csv": 200, "rows": 60}) is None
    True
    """
    common = common_terms(terms, rows_with)
    if not common or len(common) > MAX_COMMON_TERMS:
        return None
    parts = [f'"{term}"' for term in terms if term not in common]
    parts += [f'("{first}" AND "{second}")' for i, first in enumerate(common) for second in common[i + 1 :]]
    return " OR ".join(parts) if parts else None


def single_common_term_bound(total_rows: int, terms: Sequence[str], rows_with: Mapping[str, int]) -> float:
    """The highest bm25 score (positive: higher is better) a row holding just one common term can get."""
    common = common_terms(terms, rows_with)
    return (FTS5_BM25_K1 + 1.0) * max((fts5_idf(total_rows, rows_with[term]) for term in common), default=0.0)
