"""Term coverage: candidates holding every term of a long query rise; short queries are left alone."""

from __future__ import annotations

from codesearch.index.ranking import RankingInputs, RankingParams, fuse
from codesearch.index.ranking.term_coverage import coverage_boosts

PARAMS = RankingParams(term_coverage_bonus=3.0, term_coverage_min_terms=4)


def test_only_queries_with_enough_terms_get_the_bonus() -> None:
    assert coverage_boosts({1, 2}, 4, PARAMS) == {1: 3.0, 2: 3.0}
    assert coverage_boosts({1, 2}, 3, PARAMS) == {}


def test_a_covering_candidate_overtakes_the_dense_favourite() -> None:
    dense = [(1, 0.9), (2, 0.85), (3, 0.5)]
    lexical = [(3, 9.0), (1, 8.5)]
    plain = fuse(RankingInputs(dense, lexical), PARAMS)
    assert plain[0].chunk_id == 1
    covered = fuse(RankingInputs(dense, lexical, covering=frozenset({3}), term_count=5), PARAMS)
    assert covered[0].chunk_id == 3
    switched_off = RankingParams(term_coverage=False)
    assert fuse(RankingInputs(dense, lexical, covering=frozenset({3}), term_count=5), switched_off)[0].chunk_id == 1
