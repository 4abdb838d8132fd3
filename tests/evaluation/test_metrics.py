from __future__ import annotations

import math

import pytest

from codesearch.evaluation.metrics import (
    build_report,
    first_relevant_rank,
    mean,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    score_query,
    summarize,
)

RANKED = ["a", "b", "c", "d"]


def test_reciprocal_rank_is_one_over_first_relevant_position() -> None:
    assert reciprocal_rank(RANKED, {"c"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(RANKED, {"d", "b"}) == pytest.approx(1 / 2)
    assert reciprocal_rank(RANKED, {"z"}) == 0.0
    assert first_relevant_rank(RANKED, {"z"}) is None


def test_recall_at_k_counts_relevant_ids_in_the_top_k() -> None:
    assert recall_at_k(RANKED, {"c"}, 1) == 0.0
    assert recall_at_k(RANKED, {"c"}, 3) == 1.0
    assert recall_at_k(RANKED, {"a", "c"}, 1) == 0.5
    assert recall_at_k(RANKED, {"a", "z"}, 10) == 0.5


def test_ndcg_matches_hand_computed_values() -> None:
    # one relevant at rank 3: 1/log2(4) over an ideal of 1
    assert ndcg_at_k(RANKED, {"c"}) == pytest.approx(0.5)
    # ranks 1 and 3: (1 + 1/log2(4)) / (1 + 1/log2(3)) = 1.5 / 1.63093
    assert ndcg_at_k(RANKED, {"a", "c"}) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(RANKED, {"d"}, k=3) == 0.0
    assert ndcg_at_k(RANKED, {"a"}) == 1.0


def test_repeated_ids_count_once() -> None:
    assert reciprocal_rank(["b", "b", "a"], {"a"}) == 0.5
    assert recall_at_k(["a", "a", "b"], {"a", "b"}, 2) == 1.0
    assert ndcg_at_k(["a", "a"], {"a"}) == 1.0


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        recall_at_k(RANKED, set(), 1)
    with pytest.raises(ValueError):
        recall_at_k(RANKED, {"a"}, 0)
    with pytest.raises(ValueError):
        ndcg_at_k(RANKED, set())


def test_mean_of_nothing_is_zero() -> None:
    assert mean([]) == 0.0
    assert mean([1.0, 0.5]) == 0.75


def test_report_scores_overall_and_per_language() -> None:
    outcomes = [
        score_query("q1", "python", ["x", "a"], {"x"}),  # RR 1
        score_query("q2", "python", ["a", "x"], {"x"}),  # RR 1/2
        score_query("q3", "go", ["a", "b"], {"x"}),  # RR 0
    ]
    report = build_report("bench", "bm25", reversed(outcomes), doc_count=7, ks=(1, 5, 10))
    assert report.overall.mrr == pytest.approx(0.5)
    assert report.overall.query_count == 3
    assert report.overall.recall_at(1) == pytest.approx(1 / 3)
    assert report.overall.recall_at(10) == pytest.approx(2 / 3)
    assert [scores.label for scores in report.by_language] == ["go", "python"]
    go, python = report.by_language
    assert go.mrr == 0.0
    assert python.mrr == pytest.approx(0.75)
    assert python.ndcg_at_10 == pytest.approx((1 + 1 / math.log2(3)) / 2)
    assert [outcome.query_id for outcome in report.outcomes] == ["q1", "q2", "q3"]
    assert report.doc_count == 7


def test_recall_at_an_uncomputed_k_raises() -> None:
    scores = summarize("all", [score_query("q", "go", ["x"], {"x"}, ks=(1,))], ks=(1,))
    assert scores.recall_at(1) == 1.0
    with pytest.raises(KeyError):
        scores.recall_at(10)
