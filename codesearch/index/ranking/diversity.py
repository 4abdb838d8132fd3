"""Diversity: the 2nd, 3rd... chunk of one file fall behind the first chunks of other files.

Three methods of one class in the first three slots answer one question three times; the decay
(``diversity_decay`` per chunk of the same file ranked above) lets the next file in. The file's
best chunk never moves, so file-level rankings are unchanged by this signal.
"""

from __future__ import annotations

from collections.abc import Mapping

from codesearch.index.ranking.candidates import CandidateHead
from codesearch.index.ranking.params import RankingParams


def diversity_decays(scores: Mapping[int, float], heads: Mapping[int, CandidateHead],
                     params: RankingParams) -> dict[int, float]:
    """``-decay * n`` for a candidate with ``n`` better candidates from its own file."""
    seen: dict[str, int] = {}
    decays: dict[int, float] = {}
    for chunk_id in sorted(scores, key=lambda i: (-scores[i], i)):
        head = heads.get(chunk_id)
        if head is None:
            continue
        ahead = seen.get(head.path, 0)
        if ahead:
            decays[chunk_id] = -params.diversity_decay * ahead
        seen[head.path] = ahead + 1
    return decays
