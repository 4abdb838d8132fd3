"""fuse(): the whole ranking, composed from the base fusion and one pure function per signal.

Order matters and is fixed: the base z-score fusion; the additive signals that judge a candidate
by itself (term coverage, definitions, path match, path priors, line records); file coherence, which
reads the scores those produced; diversity, which reads the final order within each file; the
exact-name lift, which puts the chunks an identifier query names above everything; and last, inside
the ranks each file holds, its definitions before its line records. Each signal has its switch in
RankingParams, so an ablation turns one off and keeps the rest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from codesearch.index.ranking.candidates import CandidateHead, FusedCandidate
from codesearch.index.ranking.definitions import definition_boosts
from codesearch.index.ranking.diversity import diversity_decays
from codesearch.index.ranking.exact_names import ExactNames, lift_exact_names
from codesearch.index.ranking.file_coherence import coherence_boosts
from codesearch.index.ranking.fusion import Scored, fuse_scores
from codesearch.index.ranking.header_declarations import header_penalties
from codesearch.index.ranking.line_records import definitions_first, line_record_penalties
from codesearch.index.ranking.members_first import members_first
from codesearch.index.ranking.params import RankingParams
from codesearch.index.ranking.path_match import path_boosts
from codesearch.index.ranking.path_priors import prior_penalties
from codesearch.index.ranking.query_shape import QueryFacts, query_facts
from codesearch.index.ranking.term_coverage import coverage_boosts


@dataclass(frozen=True, slots=True)
class RankingInputs:
    """Everything one query's ranking reads: both retrievers' lists and what is known of the candidates."""

    dense: Scored  # (chunk id, cosine), best first
    lexical: Scored  # (chunk id, BM25 score), best first
    dense_extra: Scored = ()  # exact cosines of candidates the dense search did not return
    heads: Mapping[int, CandidateHead] = field(default_factory=dict)  # candidates without one skip path signals
    exact: ExactNames = field(default_factory=ExactNames)
    covering: frozenset[int] = frozenset()  # candidates that hold every BM25 term of the query
    term_count: int = 0  # how many BM25 terms the query has


def _add(scores: dict[int, float], deltas: Mapping[int, float]) -> None:
    for chunk_id, delta in deltas.items():
        if chunk_id in scores:
            scores[chunk_id] += delta


def fuse(inputs: RankingInputs, params: RankingParams, query: QueryFacts | str = "") -> list[FusedCandidate]:
    """Every candidate of either list (and of ``dense_extra``), best first."""
    facts = query if isinstance(query, QueryFacts) else query_facts(query)
    scores = fuse_scores(inputs.dense, inputs.lexical, params, inputs.dense_extra)
    heads = inputs.heads
    if params.term_coverage:
        _add(scores, coverage_boosts(inputs.covering, inputs.term_count, params))
    if params.definitions:
        _add(scores, definition_boosts(facts, heads, params))
    if params.path_match:
        _add(scores, path_boosts(facts, heads, params))
    if params.path_priors:
        _add(scores, prior_penalties(facts, heads, params))
    if params.header_declarations:
        _add(scores, header_penalties(facts, heads, params))
    if params.line_record_demotion:
        _add(scores, line_record_penalties(facts, heads, params))
    if params.file_coherence:
        _add(scores, coherence_boosts(scores, heads, params))
    if params.diversity:
        _add(scores, diversity_decays(scores, heads, params))
    depth = ({chunk_id: head.path.count("/") for chunk_id, head in heads.items()}
             if params.exact_shallowest_first and inputs.exact.any_case else None)
    lift_exact_names(scores, inputs.exact, params.exact_name_bonus, depth)
    dense_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(inputs.dense, start=1)}
    lexical_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(inputs.lexical, start=1)}
    fused = [FusedCandidate(chunk_id, score, dense_rank.get(chunk_id), lexical_rank.get(chunk_id))
             for chunk_id, score in scores.items()]
    fused.sort(key=lambda c: (-c.score, c.dense_rank or math.inf, c.chunk_id))
    if params.members_first and not facts.is_identifier:
        fused = members_first(fused, heads)
    return definitions_first(fused, heads) if params.definitions_first else fused
