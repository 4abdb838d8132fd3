"""File coherence: a file that holds much of the query's score mass is a better answer than its best chunk says.

Questions about how something works ("how are URL routes matched") are answered by a file in
which many chunks match a little, not by one chunk of an unrelated file that matches well. Each
candidate's weight is ``exp(score - best)``; a file's share is its candidates' weight over the
total, and the file's best chunk rises by ``coherence_weight`` times that share (at most
``coherence_weight``, when one file holds all the mass). Other chunks of the file keep their score,
so the lift never crowds one file into every slot of the top k.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from codesearch.index.ranking.candidates import CandidateHead
from codesearch.index.ranking.params import RankingParams


def coherence_boosts(scores: Mapping[int, float], heads: Mapping[int, CandidateHead],
                     params: RankingParams) -> dict[int, float]:
    """The lift of each file's best candidate (chunk id -> bonus); candidates without a head are left out."""
    known = {chunk_id: score for chunk_id, score in scores.items() if chunk_id in heads}
    if not known:
        return {}
    top = max(known.values())
    mass: dict[str, float] = {}
    best: dict[str, int] = {}
    for chunk_id, score in known.items():
        path = heads[chunk_id].path
        mass[path] = mass.get(path, 0.0) + math.exp(score - top)
        if path not in best or score > known[best[path]]:
            best[path] = chunk_id
    total = math.fsum(mass.values())
    return {best[path]: params.coherence_weight * file_mass / total for path, file_mass in mass.items()}
