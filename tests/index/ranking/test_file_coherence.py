"""File coherence: the best chunk of a file that holds much of the score mass rises."""

from __future__ import annotations

import math

from codesearch.index.ranking import RankingParams
from codesearch.index.ranking.file_coherence import coherence_boosts
from tests.index.ranking.helpers import heads


def test_the_best_chunk_of_each_file_rises_by_its_share() -> None:
    found = heads((1, "a.py", "x"), (2, "a.py", "y"), (3, "b.py", "z"))
    scores = {1: 1.0, 2: 1.0, 3: 1.0}
    boosts = coherence_boosts(scores, found, RankingParams(coherence_weight=1.5))
    assert set(boosts) == {1, 3}  # one lift per file, to its best (ties: the first seen)
    assert math.isclose(boosts[1], 1.0) and math.isclose(boosts[3], 0.5)


def test_a_coherent_file_can_overtake_a_single_strong_chunk() -> None:
    found = heads((1, "strong.py", "x"), *((i, "coherent.py", f"f{i}") for i in range(2, 8)))
    scores = {1: 2.0, **{i: 1.7 for i in range(2, 8)}}
    boosts = coherence_boosts(scores, found, RankingParams(coherence_weight=1.0))
    assert scores[2] + boosts[2] > scores[1] + boosts[1]


def test_candidates_without_heads_are_ignored() -> None:
    assert coherence_boosts({1: 1.0}, {}, RankingParams()) == {}
