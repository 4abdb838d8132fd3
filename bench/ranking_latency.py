"""What the ranking layer costs a warm search: the default ranking against every signal off, same index.

Opens indexes of the repo-level dev set (built by ``bench/repo_level.py``) read-only, and runs each
repository's queries through ``Searcher.search`` with the default RankingParams and with every
signal of the ranking layer off (the plain z-score fusion of before), alternating query by query so
both share the machine's load. Model load and the first query are excluded. Prints p50/p95 per
repository and over all queries, with ``uptime``'s load average.

    python -m bench.ranking_latency --repos abseil-cpp laravel-framework tokio --rounds 2
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench.repo_level import DEFAULT_DATA, unpack
from codesearch.config import resolve_settings
from codesearch.evaluation.repo_level import load_queries, load_repos
from codesearch.index.hybrid_search import SearchRequest
from codesearch.index.ranking import RankingParams, with_overrides
from codesearch.search.searcher import Searcher

SIGNALS = ("lexical_standout", "term_coverage", "definitions", "path_match", "path_priors", "header_declarations",
           "file_coherence", "diversity")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "codesearch-bench" / "repo-level")
    parser.add_argument("--repos", nargs="*", default=["abseil-cpp", "laravel-framework", "tokio", "cats"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args()
    signals_off = with_overrides(RankingParams(), dict.fromkeys(SIGNALS, "false"))
    configs = {"default": RankingParams(), "signals off": signals_off}
    overall: dict[str, list[float]] = {name: [] for name in configs}
    repos = {repo.name: repo for repo in load_repos(args.data)}
    for name in args.repos:
        root = unpack(args.data, repos[name], args.work)
        queries = [query.text for query in load_queries(args.data, name)]
        times: dict[str, list[float]] = {label: [] for label in configs}
        with Searcher.open(root, resolve_settings(root)) as searcher:
            searcher.search(SearchRequest(queries[0], args.k))  # warm: model, caches
            for _ in range(args.rounds):
                for text in queries:
                    for label, params in configs.items():
                        started = time.perf_counter()
                        searcher.search(SearchRequest(text, args.k), params)
                        times[label].append((time.perf_counter() - started) * 1000)
            chunks = searcher.semantic_coverage().definitions
        cells = "  ".join(f"{label}: p50 {percentile(v, 0.5):5.1f} ms, p95 {percentile(v, 0.95):5.1f} ms"
                          for label, v in times.items())
        print(f"{name:20} {chunks:7,} records  {cells}")
        for label, values in times.items():
            overall[label] += values
    cells = "  ".join(f"{label}: p50 {percentile(v, 0.5):5.1f} ms, p95 {percentile(v, 0.95):5.1f} ms"
                      for label, v in overall.items())
    print(f"{'all':20} {'':15}  {cells}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
