"""Exact names: a query that is an identifier puts the chunks it names above everything else."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

_LIFT_MARGIN = 0.01  # how far the lowest lifted exact match ends above the best other candidate


@dataclass(frozen=True, slots=True)
class ExactNames:
    """Candidates whose name or qualified name is the identifier an identifier-like query names."""

    any_case: frozenset[int] = frozenset()
    same_case: frozenset[int] = frozenset()  # those spelled exactly as typed (``Place``, not ``place``)
    top_level: frozenset[int] = frozenset()  # those whose qualified name is the name typed (a type, not a member)


def lift_exact_names(scores: dict[int, float], exact: ExactNames, min_bonus: float,
                     depth: Mapping[int, int] | None = None) -> None:
    """Put the exact matches above every other candidate, in place: those spelled as typed first,
    and among equals the top-level definition before members of the same name. With ``depth``
    (folders above each candidate's file), equals are ordered by it, shallowest first."""
    _lift(scores, exact.any_case, min_bonus)
    _lift(scores, exact.top_level, 0.0)
    _lift(scores, exact.same_case, 0.0)
    _lift(scores, exact.same_case & exact.top_level, 0.0)
    if depth is not None:
        _shallowest_first(scores, exact, depth)


def _shallowest_first(scores: dict[int, float], exact: ExactNames, depth: Mapping[int, int]) -> None:
    """Among exact matches of one tier, the file nearest the root first: one name defined in
    ``http/request.php`` and in ``http/client/request.php``, ``config.py`` and ``v1/config.py``,
    ``conn.ex`` and ``adapters/test/conn.ex`` is most often asked for as the shallow one, the
    package's own, while the fused scores of identical names tell them apart by noise. A tier
    keeps its scores; only who holds which changes."""
    tiers: dict[tuple[bool, bool], list[int]] = {}
    for chunk_id in exact.any_case:
        if chunk_id in scores:
            tiers.setdefault((chunk_id in exact.same_case, chunk_id in exact.top_level), []).append(chunk_id)
    for members in tiers.values():
        held = sorted((scores[chunk_id] for chunk_id in members), reverse=True)
        ordered = sorted(members, key=lambda chunk_id: (depth.get(chunk_id, 0), -scores[chunk_id]))
        for chunk_id, score in zip(ordered, held, strict=True):
            scores[chunk_id] = score


def _lift(scores: dict[int, float], exact_name_ids: frozenset[int], min_bonus: float) -> None:
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
