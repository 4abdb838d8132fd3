"""Operations on a Benchmark: consistency checks, query languages, and candidate pools.

The corpus protocol ranks each query only against the documents of its gold document's group
(the package it was mined from); ``split_by_group`` turns one benchmark into one per pool.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from codesearch.errors import DataError
from codesearch.evaluation.records import Benchmark


def check_benchmark(benchmark: Benchmark) -> None:
    """Raise DataError unless every query has relevant docs that exist, with a language and a group."""
    if not benchmark.queries:
        raise DataError(f"benchmark {benchmark.name!r} has no queries")
    for doc_id in benchmark.corpus:
        if doc_id not in benchmark.doc_language or doc_id not in benchmark.doc_group:
            raise DataError(f"benchmark {benchmark.name!r}: document {doc_id!r} has no language or group")
    for query_id in benchmark.queries:
        relevant = benchmark.relevant.get(query_id)
        if not relevant:
            raise DataError(f"benchmark {benchmark.name!r}: query {query_id!r} has no relevant document")
        missing = sorted(relevant - benchmark.corpus.keys())
        if missing:
            raise DataError(
                f"benchmark {benchmark.name!r}: query {query_id!r} names documents not in the corpus: "
                + ", ".join(missing[:5])
            )
        if len({benchmark.doc_group[doc_id] for doc_id in relevant}) != 1:
            raise DataError(
                f"benchmark {benchmark.name!r}: query {query_id!r} has relevant docs in several pools"
            )


def query_language(benchmark: Benchmark, query_id: str) -> str:
    """The language of a query: that of its relevant document(s) (the smallest id wins a tie)."""
    return benchmark.doc_language[min(benchmark.relevant[query_id])]


def query_group(benchmark: Benchmark, query_id: str) -> str:
    """The candidate pool of a query: the group of its relevant document(s)."""
    return benchmark.doc_group[min(benchmark.relevant[query_id])]


def split_by_group(benchmark: Benchmark) -> list[Benchmark]:
    """One benchmark per candidate pool, holding that pool's documents and the queries whose gold is
    in it; sorted by group name. Pools without queries are left out."""
    queries_by_group: defaultdict[str, list[str]] = defaultdict(list)
    for query_id in benchmark.queries:
        queries_by_group[query_group(benchmark, query_id)].append(query_id)
    docs_by_group: defaultdict[str, list[str]] = defaultdict(list)
    for doc_id in benchmark.corpus:
        docs_by_group[benchmark.doc_group[doc_id]].append(doc_id)
    return [
        Benchmark(
            name=f"{benchmark.name}/{group}",
            queries={qid: benchmark.queries[qid] for qid in queries_by_group[group]},
            corpus={doc_id: benchmark.corpus[doc_id] for doc_id in docs_by_group[group]},
            relevant={qid: benchmark.relevant[qid] for qid in queries_by_group[group]},
            doc_language={doc_id: benchmark.doc_language[doc_id] for doc_id in docs_by_group[group]},
            doc_group={doc_id: group for doc_id in docs_by_group[group]},
        )
        for group in sorted(queries_by_group)
    ]


def split_queries(benchmark: Benchmark, part: str) -> Benchmark:
    """The ``"dev"`` or ``"test"`` half of the queries (by a stable hash of the query id); the
    corpus stays whole, so both halves rank against the same candidate pools. ``"all"`` keeps all.

    Ranking constants are chosen on dev and reported on test.
    """
    if part == "all":
        return benchmark
    if part not in ("dev", "test"):
        raise ValueError(f"part must be 'dev', 'test' or 'all', got {part!r}")
    keep = 0 if part == "dev" else 1
    query_ids = [qid for qid in benchmark.queries
                 if hashlib.sha256(qid.encode("utf-8")).digest()[0] % 2 == keep]
    return Benchmark(
        name=f"{benchmark.name}-{part}",
        queries={qid: benchmark.queries[qid] for qid in query_ids},
        corpus=benchmark.corpus,
        relevant={qid: benchmark.relevant[qid] for qid in query_ids},
        doc_language=benchmark.doc_language,
        doc_group=benchmark.doc_group,
    )
