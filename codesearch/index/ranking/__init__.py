"""Hybrid ranking: dense and lexical candidates fused, then refined by one pure function per signal.

Modules: ``params`` (RankingParams, one switch per signal), ``query_shape`` (what the query is),
``candidates`` (candidate records and path helpers), ``fusion`` (z-score fusion and the lexical
standout), ``exact_names``, ``term_coverage``, ``definitions``, ``path_match``, ``path_priors``, ``file_coherence``,
``diversity``, and ``fuse`` (their composition).
"""

from codesearch.index.ranking.candidates import CandidateHead, FusedCandidate
from codesearch.index.ranking.exact_names import ExactNames
from codesearch.index.ranking.fuse import RankingInputs, fuse
from codesearch.index.ranking.params import RankingParams, with_overrides
from codesearch.index.ranking.query_shape import QueryFacts, identifier_text, is_identifier_like, query_facts

__all__ = [
    "CandidateHead",
    "ExactNames",
    "FusedCandidate",
    "QueryFacts",
    "RankingInputs",
    "RankingParams",
    "fuse",
    "identifier_text",
    "is_identifier_like",
    "query_facts",
    "with_overrides",
]
