"""Diversity: the n-th chunk of a file falls by n - 1 decays; each file's best never moves."""

from __future__ import annotations

from codesearch.index.ranking import RankingParams
from codesearch.index.ranking.diversity import diversity_decays
from tests.index.ranking.helpers import heads


def test_later_chunks_of_a_file_decay() -> None:
    found = heads((1, "a.py", "x"), (2, "a.py", "y"), (3, "a.py", "z"), (4, "b.py", "w"))
    decays = diversity_decays({1: 3.0, 2: 2.9, 3: 2.8, 4: 2.5}, found, RankingParams(diversity_decay=0.3))
    assert decays == {2: -0.3, 3: -0.6}
