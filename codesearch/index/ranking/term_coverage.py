"""Term coverage: a candidate that holds every word of a long query is very likely its answer.

When the words of a query are all in one chunk (its docstring says what the query says, or its
names spell it), BM25 ranks that chunk first but the fusion may not: z-scores reward standing out,
not being complete. A candidate holding every query term (each anywhere in its name, path, code or
doc comment) rises by ``term_coverage_bonus``, for queries of at least ``term_coverage_min_terms``
terms, where holding them all is rare by chance. On the dev halves (docs/quality.md "Ranking constants") this
took the mined set with docstrings in the files from below BM25 alone to above it, and left the
docstring-free set and CoSQA at or above the fusion without it.
"""

from __future__ import annotations

from collections.abc import Set

from codesearch.index.ranking.params import RankingParams


def coverage_boosts(covering: Set[int], term_count: int, params: RankingParams) -> dict[int, float]:
    """``term_coverage_bonus`` for each candidate in ``covering`` (those holding all ``term_count`` terms)."""
    if term_count < params.term_coverage_min_terms:
        return {}
    return dict.fromkeys(covering, params.term_coverage_bonus)
