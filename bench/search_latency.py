"""Where a warm search spends its time: query embedding, HNSW, BM25, exact dense scores, fusion.

Opens an existing index read-only (default: the stdlib copy of stdlib_index.py) with its encoder,
then runs every query of bench/queries.jsonl (and, with ``--cosqa``, CoSQA's 500 test queries:
real web queries, a harder mix for BM25) ``--rounds`` times, timing each stage on its own and the
whole ``index.search.search`` call. BM25 is also timed the way it was before stopwords were left
out (every distinct term ORed: ``bm25_all_terms``), interleaved with the current query, so the two
share the machine's load. One JSON line per stage: p50/p95/mean in ms, the goal and the figures
measured before this change beside it.

    python -m bench.search_latency [--index-dir DIR] [--cosqa] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from bench.stdlib_index import DEFAULT_CACHE, stdlib_copy
from codesearch.config import resolve_settings
from codesearch.index import lexical
from codesearch.index.hybrid_search import SearchRequest, search
from codesearch.search.searcher import Searcher

REPO_ROOT = Path(__file__).resolve().parents[1]
POOL = 100  # candidates per side, as RankingParams
# Measured before this change on the same index (issue 5's closing note; 2 cores, load 5-12).
BEFORE = {"search_total": "p50 24 ms, p95 216 ms (load ~4)", "bm25": "55-85 ms per query in the server (load 5-12)",
          "embed": "5.4 ms quiet, 11.5 ms loaded", "hnsw": "0.4 ms"}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def load_queries(with_cosqa: bool) -> list[str]:
    queries = [json.loads(line)["query"] for line in (REPO_ROOT / "bench" / "queries.jsonl").read_text().splitlines()
               if line.strip()]
    if with_cosqa:
        from codesearch.evaluation.cosqa import cosqa_dir, load_cosqa

        queries += list(load_cosqa(cosqa_dir(REPO_ROOT.parent / "shared"), "test").queries.values())
    return queries


def all_terms_bm25(conn: object, query: str) -> None:
    """BM25 as it ran before stopwords were dropped: every distinct term, ORed."""
    terms = list(dict.fromkeys(lexical.tokenize_identifiers(query)))[: lexical.MAX_QUERY_TERMS]
    sql = ("SELECT rowid, bm25(chunks_fts, 10, 5, 1, 3, 2) AS rank FROM chunks_fts "
           "WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?")
    conn.execute(sql, (lexical.match_expression(terms), POOL)).fetchall()  # type: ignore[attr-defined]


def measure(searcher: Searcher, queries: list[str], rounds: int) -> dict[str, list[float]]:
    store = searcher._store
    embed = searcher._encoder.embed_queries
    timings: dict[str, list[float]] = defaultdict(list)

    def timed(stage: str, call: Callable[[], object]) -> object:
        started = time.perf_counter()
        result = call()
        timings[stage].append(1000 * (time.perf_counter() - started))
        return result

    for query in queries[:5]:
        search(store, embed, SearchRequest(query, 10))  # warm-up: page cache, allocations
    for _ in range(rounds):
        for query in queries:
            vector = timed("embed", lambda q=query: embed([q])[0])
            found = timed("hnsw", lambda v=vector: store.dense_search(v, POOL, ef=POOL))
            hits = timed("bm25", lambda q=query: store.lexical_search(q, POOL))
            with store._database() as conn:
                timed("bm25_all_terms", lambda c=conn, q=query: all_terms_bm25(c, q))
            dense_ids = {s.chunk_id for s in found}  # type: ignore[attr-defined]
            missing = [s.chunk_id for s in hits if s.chunk_id not in dense_ids]  # type: ignore[attr-defined]
            if hasattr(store, "dense_scores"):
                timed("exact_dense_scores", lambda v=vector, m=missing: store.dense_scores(v, m))
            timed("search_total", lambda q=query: search(store, embed, SearchRequest(q, 10)))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, help="default: the stdlib copy's .codesearch")
    parser.add_argument("--cosqa", action="store_true", help="add CoSQA's 500 test queries")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="encoder threads (0: the encoder picks)")
    args = parser.parse_args()
    index_dir = (args.index_dir or stdlib_copy(DEFAULT_CACHE) / ".codesearch").resolve()
    settings = resolve_settings(None, {"index_dir": str(index_dir), "threads": args.threads})
    queries = load_queries(args.cosqa)
    with Searcher.open(index_dir.parent, settings) as searcher:
        chunks = searcher._store.counts().chunks
        timings = measure(searcher, queries, args.rounds)
    for stage, values in timings.items():
        print(json.dumps({
            "bench": "search_latency", "stage": stage, "queries": len(queries), "runs": len(values),
            "functions": chunks, "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(percentile(values, 0.95), 2), "mean_ms": round(statistics.fmean(values), 2),
            "goal_p50_ms": 15 if stage == "search_total" else None, "before": BEFORE.get(stage),
            "load_average_1m": round(os.getloadavg()[0], 2), "threads": args.threads,
        }), flush=True)
    print(json.dumps({"settings": str(index_dir), "python": sys.version.split()[0]}), file=sys.stderr)


if __name__ == "__main__":
    main()
