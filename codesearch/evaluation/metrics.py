"""Ranking metrics: reciprocal rank, Recall@k and NDCG@k of one ranked list, and their means.

All functions take a ranked list of document ids (best first) and the set of relevant ids.
Repeated ids in a ranked list count once, at their first position, so a ranker that returns a
document twice cannot inflate Recall or NDCG. Relevance is binary.

>>> reciprocal_rank(["a", "b", "c"], {"b"})
0.5
>>> recall_at_k(["a", "b", "c"], {"b", "z"}, k=2)
0.5
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet

from codesearch.evaluation.records import QueryOutcome, RetrievalReport, Scores

DEFAULT_KS = (1, 5, 10)
ALL_LANGUAGES = "all"


def _unique(ranked: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    unique: list[str] = []
    for doc_id in ranked:
        if doc_id not in seen:
            seen.add(doc_id)
            unique.append(doc_id)
    return unique


def first_relevant_rank(ranked: Sequence[str], relevant: AbstractSet[str]) -> int | None:
    """The 1-based position of the first relevant id in ``ranked``, or None if there is none."""
    for position, doc_id in enumerate(_unique(ranked), start=1):
        if doc_id in relevant:
            return position
    return None


def reciprocal_rank(ranked: Sequence[str], relevant: AbstractSet[str]) -> float:
    """1 / (rank of the first relevant id); 0.0 when no relevant id was returned.

    No cutoff is applied: pass the full ranking for the CoSQA protocol, or a top-k list for MRR@k.
    """
    rank = first_relevant_rank(ranked, relevant)
    return 0.0 if rank is None else 1.0 / rank


def recall_at_k(ranked: Sequence[str], relevant: AbstractSet[str], k: int) -> float:
    """The fraction of the relevant ids found in the first ``k`` (distinct) results."""
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    if not relevant:
        raise ValueError("a query needs at least one relevant id")
    found = sum(1 for doc_id in _unique(ranked)[:k] if doc_id in relevant)
    return found / len(relevant)


def ndcg_at_k(ranked: Sequence[str], relevant: AbstractSet[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain with binary gains: DCG@k / ideal DCG@k.

    A relevant id at rank r contributes 1 / log2(r + 1); the ideal ranking puts all relevant ids
    first. Example: relevant {"b"} at rank 2 gives 1 / log2(3) = 0.6309.
    """
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    if not relevant:
        raise ValueError("a query needs at least one relevant id")
    dcg = sum(
        1.0 / math.log2(position + 1)
        for position, doc_id in enumerate(_unique(ranked)[:k], start=1)
        if doc_id in relevant
    )
    ideal = sum(1.0 / math.log2(position + 1) for position in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def mean(values: Iterable[float]) -> float:
    """The arithmetic mean; 0.0 for no values (an empty language scores nothing)."""
    items = list(values)
    return math.fsum(items) / len(items) if items else 0.0


def score_query(
    query_id: str,
    language: str,
    ranked: Sequence[str],
    relevant: AbstractSet[str],
    ks: Sequence[int] = DEFAULT_KS,
) -> QueryOutcome:
    """Every metric of one query's ranked list."""
    return QueryOutcome(
        query_id=query_id,
        language=language,
        first_relevant_rank=first_relevant_rank(ranked, relevant),
        reciprocal_rank=reciprocal_rank(ranked, relevant),
        recall=tuple(recall_at_k(ranked, relevant, k) for k in ks),
        ndcg_at_10=ndcg_at_k(ranked, relevant, 10),
    )


def summarize(label: str, outcomes: Sequence[QueryOutcome], ks: Sequence[int] = DEFAULT_KS) -> Scores:
    """Mean metrics over ``outcomes``, whose ``recall`` tuples must be aligned with ``ks``."""
    return Scores(
        label=label,
        query_count=len(outcomes),
        mrr=mean(outcome.reciprocal_rank for outcome in outcomes),
        ks=tuple(ks),
        recall=tuple(mean(outcome.recall[i] for outcome in outcomes) for i in range(len(ks))),
        ndcg_at_10=mean(outcome.ndcg_at_10 for outcome in outcomes),
    )


def build_report(
    benchmark: str,
    system: str,
    outcomes: Iterable[QueryOutcome],
    doc_count: int,
    ks: Sequence[int] = DEFAULT_KS,
) -> RetrievalReport:
    """Scores overall and per language from per-query outcomes (in any order)."""
    ordered = sorted(outcomes, key=lambda outcome: outcome.query_id)
    by_language: defaultdict[str, list[QueryOutcome]] = defaultdict(list)
    for outcome in ordered:
        by_language[outcome.language].append(outcome)
    return RetrievalReport(
        benchmark=benchmark,
        system=system,
        doc_count=doc_count,
        ks=tuple(ks),
        overall=summarize(ALL_LANGUAGES, ordered, ks),
        by_language=tuple(summarize(lang, by_language[lang], ks) for lang in sorted(by_language)),
        outcomes=tuple(ordered),
    )
