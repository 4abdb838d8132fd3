"""The evaluation harness: run a ranking function over a benchmark's queries and score the result.

A ranker is any function from a batch of query texts to, for each query, the ids of the corpus
documents ranked best first. The harness owns batching, progress and scoring; the caller owns the
index (BM25, dense, hybrid) that the ranker searches. For MRR without a cutoff (the CoSQA
protocol) the ranker must return the full ranking; a top-k list gives MRR@k.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from codesearch.evaluation.benchmark import check_benchmark, query_language, split_by_group
from codesearch.evaluation.metrics import DEFAULT_KS, build_report, score_query
from codesearch.evaluation.records import Benchmark, QueryOutcome, RetrievalReport

Ranker = Callable[[list[str]], list[list[str]]]  # query texts -> ranked doc ids per query
ProgressCallback = Callable[[int, int], None]  # (queries done, queries in total)


def score_benchmark(
    benchmark: Benchmark,
    rank: Ranker,
    ks: Sequence[int] = DEFAULT_KS,
    batch_size: int = 64,
    on_progress: Callable[[int], None] | None = None,
) -> list[QueryOutcome]:
    """Rank every query of ``benchmark`` in batches (in query id order) and score each ranking.

    ``on_progress`` receives the number of queries finished after each batch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    query_ids = sorted(benchmark.queries)
    outcomes: list[QueryOutcome] = []
    for start in range(0, len(query_ids), batch_size):
        batch = query_ids[start : start + batch_size]
        rankings = rank([benchmark.queries[query_id] for query_id in batch])
        if len(rankings) != len(batch):
            raise ValueError(f"the ranker returned {len(rankings)} rankings for {len(batch)} queries")
        for query_id, ranked in zip(batch, rankings, strict=True):
            language = query_language(benchmark, query_id)
            outcomes.append(score_query(query_id, language, ranked, benchmark.relevant[query_id], ks))
        if on_progress is not None:
            on_progress(len(outcomes))
    return outcomes


def evaluate(
    benchmark: Benchmark,
    rank: Ranker,
    system: str,
    ks: Sequence[int] = DEFAULT_KS,
    batch_size: int = 64,
    on_progress: ProgressCallback | None = None,
) -> RetrievalReport:
    """Score ``rank`` on the whole benchmark as one candidate pool (the CoSQA protocol)."""
    check_benchmark(benchmark)
    progress = _shifted(on_progress, 0, len(benchmark.queries))
    outcomes = score_benchmark(benchmark, rank, ks, batch_size, progress)
    return build_report(benchmark.name, system, outcomes, len(benchmark.corpus), ks)


def evaluate_by_group(
    benchmark: Benchmark,
    make_ranker: Callable[[Benchmark], Ranker],
    system: str,
    ks: Sequence[int] = DEFAULT_KS,
    batch_size: int = 64,
    on_progress: ProgressCallback | None = None,
) -> RetrievalReport:
    """Score under the corpus protocol: each query is ranked only against its own group's documents.

    ``make_ranker`` is called once per group with that group's benchmark (its corpus is what the
    ranker must index) and returns the ranker for that group's queries.
    """
    check_benchmark(benchmark)
    total = len(benchmark.queries)
    outcomes: list[QueryOutcome] = []
    for pool in split_by_group(benchmark):
        progress = _shifted(on_progress, len(outcomes), total)
        outcomes.extend(score_benchmark(pool, make_ranker(pool), ks, batch_size, progress))
    return build_report(benchmark.name, system, outcomes, len(benchmark.corpus), ks)


def _shifted(on_progress: ProgressCallback | None, offset: int, total: int) -> Callable[[int], None] | None:
    """A per-pool progress callback that reports overall (done, total) to ``on_progress``."""
    if on_progress is None:
        return None
    callback = on_progress
    return lambda done: callback(offset + done, total)
