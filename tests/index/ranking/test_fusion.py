"""Fusion of dense and lexical candidates: z-scores, exact dense scores for lexical-only candidates,
the lexical standout, and the exact-name lift (candidates without heads, so no path signal acts)."""

from __future__ import annotations

import doctest
from collections.abc import Sequence

from codesearch.index import ranking
from codesearch.index.ranking import ExactNames, RankingInputs, RankingParams, fusion, query_shape
from codesearch.index.ranking import fuse as fuse_inputs

PARAMS = RankingParams()


def fuse(dense: Sequence[tuple[int, float]], lexical: Sequence[tuple[int, float]], params: RankingParams,
         exact: ExactNames = ExactNames(), dense_extra: Sequence[tuple[int, float]] = ()  # noqa: B008
         ) -> list[ranking.FusedCandidate]:
    return fuse_inputs(RankingInputs(dense, lexical, dense_extra, {}, exact), params)


def ids(fused: list[ranking.FusedCandidate]) -> list[int]:
    return [candidate.chunk_id for candidate in fused]


def test_docstring_examples_hold() -> None:
    for module, examples in ((fusion, 1), (query_shape, 4)):
        result = doctest.testmod(module)
        assert result.attempted >= examples
        assert result.failed == 0


def test_candidates_on_both_sides_come_first() -> None:
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    lexical = [(3, 12.0), (4, 11.0), (5, 2.0)]
    fused = fuse(dense, lexical, PARAMS)
    assert ids(fused)[0] == 1
    assert set(ids(fused)) == {1, 2, 3, 4, 5}
    assert [c.score for c in fused] == sorted((c.score for c in fused), reverse=True)
    by_id = {c.chunk_id: c for c in fused}
    assert (by_id[3].dense_rank, by_id[3].lexical_rank) == (3, 1)
    assert by_id[4].dense_rank is None


def test_exact_dense_scores_order_lexical_only_candidates() -> None:
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    lexical = [(4, 5.0), (5, 5.0)]  # a tie on the lexical side
    floor_only = fuse(dense, lexical, PARAMS)
    assert ids(floor_only)[-2:] == [4, 5]  # both at the dense floor: the tie falls to the id
    with_scores = fuse(dense, lexical, PARAMS, dense_extra=[(5, 0.65), (4, 0.1)])
    assert ids(with_scores)[-2:] == [5, 4]  # the nearer one first
    by_id = {c.chunk_id: c.score for c in with_scores}
    assert by_id[5] > by_id[4]


def test_exact_dense_scores_leave_the_dense_list_z_scores_alone() -> None:
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    lexical = [(1, 3.0), (9, 2.0)]
    plain = {c.chunk_id: c.score for c in fuse(dense, lexical, PARAMS)}
    extra = {c.chunk_id: c.score for c in fuse(dense, lexical, PARAMS, dense_extra=[(9, -0.5)])}
    assert all(plain[i] == extra[i] for i in (1, 2, 3))
    assert extra[9] < plain[9]  # far below the dense list: below its floor


def test_exact_names_come_first_in_their_fused_order() -> None:
    dense = [(1, 0.95), (2, 0.9), (4, 0.6), (3, 0.2)]
    lexical = [(5, 9.0), (4, 8.0), (1, 1.0)]
    assert ids(fuse(dense, lexical, PARAMS))[:2] == [1, 2]
    fused = fuse(dense, lexical, PARAMS, ExactNames(frozenset({4, 5})))
    assert ids(fused)[:2] == [4, 5]  # 4 is on both sides, so it leads 5
    assert [c.score for c in fused] == sorted((c.score for c in fused), reverse=True)
    assert fused[1].score - fused[2].score >= 0.0099  # the lowest lifted one, just above the best other


def test_exact_names_not_among_the_candidates_are_ignored() -> None:
    dense, lexical = [(1, 0.9), (2, 0.8)], [(2, 3.0)]
    assert fuse(dense, lexical, PARAMS, ExactNames(frozenset({7}))) == fuse(dense, lexical, PARAMS)


def test_names_spelled_as_typed_come_before_other_exact_matches() -> None:
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    lexical = [(2, 5.0), (3, 4.0)]
    fused = fuse(dense, lexical, PARAMS, ExactNames(frozenset({2, 3}), frozenset({3})))
    assert ids(fused) == [3, 2, 1]
    assert [c.score for c in fused] == sorted((c.score for c in fused), reverse=True)


def test_extra_dense_candidates_join_the_fusion() -> None:
    # An exact name match neither side returned arrives with only its exact cosine.
    fused = fuse([(1, 0.9), (2, 0.8)], [(1, 3.0)], PARAMS, ExactNames(frozenset({9})), dense_extra=[(9, 0.1)])
    assert ids(fused)[0] == 9
    assert fused[0].dense_rank is None and fused[0].lexical_rank is None


def test_a_lexical_standout_raises_the_weight_of_bm25() -> None:
    # Candidate 50 is BM25's clear winner (its words are in that code) but dense's weakest.
    dense = [(i, 0.9 - 0.01 * i) for i in range(1, 51)]
    lexical = [(50, 100.0)] + [(i, 10.0 + 0.1 * i) for i in range(1, 40)]
    calm = RankingParams(lexical_standout=False)
    assert ids(fuse(dense, lexical, calm))[0] != 50
    assert ids(fuse(dense, lexical, PARAMS))[0] == 50


def test_the_weight_grows_with_the_standout_up_to_its_cap() -> None:
    params = RankingParams(lexical_weight=0.15, standout_from=4.0, standout_gain=0.25, standout_max_weight=1.0)
    assert fusion.lexical_weight([3.9, 0.0], params) == 0.15
    assert fusion.lexical_weight([5.0, 0.0], params) == 0.4
    assert fusion.lexical_weight([40.0, 0.0], params) == 1.0
    assert fusion.lexical_weight([40.0], RankingParams(lexical_standout=False)) == PARAMS.lexical_weight


def test_among_exact_matches_of_one_tier_the_shallowest_file_comes_first() -> None:
    from codesearch.index.ranking import CandidateHead

    heads = {1: CandidateHead(1, "src/Http/Client/Request.php", "Request", "Request", "class"),
             2: CandidateHead(2, "src/Http/Request.php", "Request", "Request", "class"),
             3: CandidateHead(3, "src/Http/Kernel.php", "handle", "Kernel.handle", "method"),
             4: CandidateHead(4, "src/request.php", "request", "request", "function")}
    exact = ExactNames(frozenset({1, 2, 4}), frozenset({1, 2}), frozenset({1, 2, 4}))
    inputs = RankingInputs([(1, 0.9), (3, 0.85), (2, 0.8), (4, 0.7)], [(1, 5.0), (2, 4.0)], (), heads, exact)
    off = dict(term_coverage=False, definitions=False, path_match=False, path_priors=False, file_coherence=False,
               diversity=False, header_declarations=False)

    def order(on: bool) -> list[int]:
        return ids(fuse_inputs(inputs, RankingParams(**off, exact_shallowest_first=on), "Request"))

    assert order(False) == [1, 2, 4, 3]
    assert order(True) == [2, 1, 4, 3]  # spelled as typed before any case, then nearest the root
