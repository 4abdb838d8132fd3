"""Hybrid ranking: fusing dense (HNSW cosine) and lexical (BM25) candidates into one list.

Each side's scores are standardised over its own candidates (z-scores), so the fusion weight means
the same thing for every query and every corpus: ``score = z_dense + lexical_weight * z_bm25``.
A lexical candidate the dense search did not return gets its exact cosine (standardised like the
dense list), a dense candidate missing from the lexical side that side's lowest z-score. Queries
that look like an identifier (``parseConfig``, ``Store.open``, ``fmt::Display``) put exact name
matches first.
The weight (0.15) was chosen on CoSQA dev (0.10-0.30 all within 0.001 MRR there); see README, Search quality.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

_LIFT_MARGIN = 0.01  # how far the lowest lifted exact match ends above the best other candidate
_IDENTIFIER_QUERY = re.compile(r"^[A-Za-z_$][\w$]*(?:(?:\.|::|#|->)[A-Za-z_$][\w$]*)*\(?\)?$")


@dataclass(frozen=True, slots=True)
class RankingParams:
    """Knobs of the fusion; defaults are the tuned values."""

    lexical_weight: float = 0.15
    candidates_per_side: int = 100
    exact_name_bonus: float = 3.0  # in z-units, at least: exact matches end above every other candidate


@dataclass(frozen=True, slots=True)
class ExactNames:
    """Candidates whose name or qualified name is the identifier an identifier-like query names."""

    any_case: frozenset[int] = frozenset()
    same_case: frozenset[int] = frozenset()  # those spelled exactly as typed (``Place``, not ``place``)


@dataclass(frozen=True, slots=True)
class FusedCandidate:
    """One candidate after fusion."""

    chunk_id: int
    score: float
    dense_rank: int | None  # 1-based, None if the dense side did not return it
    lexical_rank: int | None


def is_identifier_like(query: str) -> bool:
    """True for a query that names code rather than describing it.

    >>> is_identifier_like("parseConfig"), is_identifier_like("Store.open"), is_identifier_like("parse json")
    (True, True, False)
    >>> is_identifier_like("load_config()"), is_identifier_like("parse")
    (True, False)
    """
    text = query.strip()
    if not _IDENTIFIER_QUERY.match(text):
        return False
    # A plain lower-case word ("parse") is as much English as code: only mixed case, separators
    # or underscores make it an identifier.
    return any(mark in text for mark in ("_", ".", "::", "#", "->", "(")) or text != text.lower()


def identifier_text(query: str) -> str:
    """The identifier an identifier-like query names: ``Store.open()`` -> ``Store.open``."""
    return query.strip().rstrip("()")


def _moments(scores: Sequence[float]) -> tuple[float, float]:
    """Mean and standard deviation (0.0 for fewer than two distinct scores)."""
    if not scores:
        return 0.0, 0.0
    mean = sum(scores) / len(scores)
    return mean, math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))


def _z_scores(scored: Sequence[tuple[int, float]], moments: tuple[float, float]) -> dict[int, float]:
    mean, spread = moments
    return {chunk_id: (s - mean) / spread if spread > 1e-9 else 0.0 for chunk_id, s in scored}


def fuse(
    dense: Sequence[tuple[int, float]],
    lexical: Sequence[tuple[int, float]],
    params: RankingParams,
    exact: ExactNames = ExactNames(),
    dense_extra: Sequence[tuple[int, float]] = (),
) -> list[FusedCandidate]:
    """Fuse (id, similarity) lists, best first on each side, into one list sorted by fused score.

    ``dense`` holds cosine similarities, ``lexical`` BM25 scores (higher is better on both).
    ``dense_extra`` holds the exact cosines of further candidates the dense search did not return
    (lexical ones, exact name matches); they are standardised with the dense list's mean and
    spread, so the z-scores of the dense list do not depend on them. A candidate with no dense
    score at all gets the dense list's lowest z-score, one missing from the lexical list that
    list's lowest. Exact name matches come first, those spelled as typed before the others.
    """
    dense = dense[: params.candidates_per_side]
    lexical = lexical[: params.candidates_per_side]
    dense_moments = _moments([s for _, s in dense])
    dense_z = _z_scores(dense, dense_moments)
    extra_z = _z_scores(dense_extra, dense_moments)
    lexical_z = _z_scores(lexical, _moments([s for _, s in lexical]))
    dense_floor = min(dense_z.values(), default=0.0)
    lexical_floor = min(lexical_z.values(), default=0.0)
    dense_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(dense, start=1)}
    lexical_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(lexical, start=1)}
    scores = {
        chunk_id: dense_z.get(chunk_id, extra_z.get(chunk_id, dense_floor))
        + params.lexical_weight * lexical_z.get(chunk_id, lexical_floor)
        for chunk_id in dense_rank.keys() | lexical_rank.keys() | extra_z.keys()
    }
    _lift_exact_names(scores, exact.any_case, params.exact_name_bonus)
    _lift_exact_names(scores, exact.same_case, 0.0)
    fused = [
        FusedCandidate(chunk_id, score, dense_rank.get(chunk_id), lexical_rank.get(chunk_id))
        for chunk_id, score in scores.items()
    ]
    fused.sort(key=lambda c: (-c.score, c.dense_rank or math.inf, c.chunk_id))
    return fused


def _lift_exact_names(scores: dict[int, float], exact_name_ids: frozenset[int], min_bonus: float) -> None:
    """Put ``exact_name_ids`` above every other candidate, keeping their fused order.

    A fixed bonus was not enough: a function whose name is the query but whose code the encoder
    does not place near it (a new ``freshness_probe_7`` among 70,000 functions) lost to the best
    dense candidates about half the time. All matches get the same shift, so scores stay sorted.
    """
    lifted = [chunk_id for chunk_id in exact_name_ids if chunk_id in scores]
    if not lifted:
        return
    others = [score for chunk_id, score in scores.items() if chunk_id not in exact_name_ids]
    lowest_lifted = min(scores[chunk_id] for chunk_id in lifted)
    shift = max(min_bonus, max(others, default=-math.inf) - lowest_lifted + _LIFT_MARGIN)
    for chunk_id in lifted:
        scores[chunk_id] += shift
