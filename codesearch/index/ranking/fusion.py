"""The base of the hybrid ranking: dense (cosine) and lexical (BM25) scores fused as z-scores.

Each side's scores are standardised over its own candidates, so the fusion weight means the same
thing for every query and every corpus: ``score = z_dense + w * z_bm25``. A lexical candidate the
dense search did not return gets its exact cosine (standardised like the dense list), a candidate
missing from one side that side's lowest z-score.

The weight is not one number for every query. The lexical standout: when the best BM25 candidate
stands far above the rest of its list (its z-score over ``standout_from``), the query's words are
in that code (a docstring, a name, a string) and BM25 is the better judge; the weight grows with
the standout, up to ``standout_max_weight``. Chosen on the dev halves of the mined sets, with and
without docstrings, and CoSQA dev (docs/quality.md "Function level").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from codesearch.index.ranking.params import RankingParams

Scored = Sequence[tuple[int, float]]  # (chunk id, similarity), best first


def moments(scores: Sequence[float]) -> tuple[float, float]:
    """Mean and standard deviation (0.0 for fewer than two distinct scores)."""
    if not scores:
        return 0.0, 0.0
    mean = math.fsum(scores) / len(scores)
    return mean, math.sqrt(math.fsum((s - mean) ** 2 for s in scores) / len(scores))


def z_scores(scored: Scored, stats: tuple[float, float]) -> dict[int, float]:
    mean, spread = stats
    return {chunk_id: (s - mean) / spread if spread > 1e-9 else 0.0 for chunk_id, s in scored}


def lexical_weight(lexical_z: Sequence[float], params: RankingParams) -> float:
    """The BM25 weight for one query: ``lexical_weight``, raised by a standout best BM25 candidate.

    >>> lexical_weight([6.0, 1.0], RankingParams(lexical_weight=0.15, standout_from=4.0, standout_gain=0.25))
    0.65
    """
    weight = params.lexical_weight
    if params.lexical_standout and lexical_z:
        excess = max(lexical_z) - params.standout_from
        if excess > 0:
            weight = min(max(weight, params.standout_max_weight), weight + params.standout_gain * excess)
    return weight


def fuse_scores(dense: Scored, lexical: Scored, params: RankingParams, dense_extra: Scored = ()) -> dict[int, float]:
    """The fused score of every candidate of either list (and of ``dense_extra``), by chunk id.

    ``dense_extra`` holds the exact cosines of candidates the dense search did not return
    (lexical ones, looked-up definitions); they are standardised with the dense list's moments,
    so adding them never changes the other candidates' scores.
    """
    dense = dense[: params.candidates_per_side]
    lexical = lexical[: params.candidates_per_side]
    dense_moments = moments([s for _, s in dense])
    dense_z = z_scores(dense, dense_moments)
    extra_z = z_scores(dense_extra, dense_moments)
    lexical_z = z_scores(lexical, moments([s for _, s in lexical]))
    dense_floor = min(dense_z.values(), default=0.0)
    lexical_floor = min(lexical_z.values(), default=0.0)
    weight = lexical_weight(list(lexical_z.values()), params)
    ids = dict.fromkeys([*dense_z, *lexical_z, *extra_z])
    return {
        chunk_id: dense_z.get(chunk_id, extra_z.get(chunk_id, dense_floor))
        + weight * lexical_z.get(chunk_id, lexical_floor)
        for chunk_id in ids
    }
