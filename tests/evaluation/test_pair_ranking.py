"""The csn and corpus protocols over pairs, with a toy embedding whose rankings are known."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from codesearch.evaluation.pair_ranking import evaluate_pairs
from codesearch.evaluation.pairs import Pair

WORDS = ("alpha", "beta", "gamma", "delta", "omega")


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    """One dimension per known word: (n, 5) float32, L2-normalised; zero rows stay zero."""
    vectors = np.array([[text.count(word) for word in WORDS] for text in texts], dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def pair(query: str, code: str, language: str = "python", repo: str = "r") -> Pair:
    return Pair(query, code, language, repo, "f.py", "f")


def test_perfect_embeddings_rank_every_gold_first() -> None:
    pairs = [pair(word, f"def {word}(): {word}") for word in WORDS]
    report = evaluate_pairs(pairs, bag_of_words, bag_of_words, "csn")
    assert report.overall.mrr == pytest.approx(1.0)
    assert report.overall.query_count == 5


def test_ties_rank_the_gold_below_the_distractors() -> None:
    pairs = [pair("alpha", "x"), pair("beta", "y"), pair("gamma", "z")]  # every code embeds to zero
    report = evaluate_pairs(pairs, bag_of_words, bag_of_words, "csn")
    assert report.overall.mrr == pytest.approx(1 / 3)


def test_csn_draws_distractors_from_the_same_language_only() -> None:
    pairs = [pair("alpha", "alpha"), pair("beta", "alpha beta", language="go"), pair("gamma", "gamma")]
    report = evaluate_pairs(pairs, bag_of_words, bag_of_words, "csn", distractors=999)
    ranks = {outcome.query_id: outcome.first_relevant_rank for outcome in report.outcomes}
    assert ranks == {"q00000000": 1, "q00000001": 1, "q00000002": 1}
    assert [scores.label for scores in report.by_language] == ["go", "python"]


def test_csn_distractor_draw_is_seeded_and_capped() -> None:
    pairs = [pair(WORDS[i % 5], f"{WORDS[(i + 1) % 5]} {i}") for i in range(40)]
    first = evaluate_pairs(pairs, bag_of_words, bag_of_words, "csn", distractors=3, seed=7)
    again = evaluate_pairs(pairs, bag_of_words, bag_of_words, "csn", distractors=3, seed=7)
    assert first == again
    assert all(
        outcome.first_relevant_rank is not None and outcome.first_relevant_rank <= 4
        for outcome in first.outcomes
    )


def test_corpus_ranks_within_the_repository_and_copies_are_relevant() -> None:
    pairs = [
        pair("alpha", "alpha beta", repo="a"),
        pair("alpha", "alpha", repo="b"),
        pair("beta", "alpha beta", repo="a"),
    ]
    report = evaluate_pairs(pairs, bag_of_words, bag_of_words, "corpus")
    ranks = [outcome.first_relevant_rank for outcome in report.outcomes]
    assert ranks == [1, 1, 1]  # pair 0 and 2 are copies; in repo b the only code is the gold


def test_unknown_protocol_is_refused() -> None:
    with pytest.raises(ValueError, match="protocol"):
        evaluate_pairs([pair("a", "b")], bag_of_words, bag_of_words, "nope")
