"""One search over several repositories: how well the merge of per-index rankings holds up.

The repo-level dev set (../shared/benchmarks/repo-level, indexes built by bench/repo_level.py)
asked across repositories: each query goes to its own repository plus ``--distractors`` others
(drawn with a seeded generator, the same for every strategy), each index ranks its own hits, and
the per-repository lists are merged into one top 10 by each strategy of
codesearch/search/multi_repository.py. Hits from the other repositories are never relevant, so file-level
NDCG@10 (the published protocol) falls as distractors push the query's own files down; the
query's own repository alone is the ceiling. Prints one JSON line per strategy, best first.

    python -m bench.multi_repo [--distractors 4] [--seed 0] [--repos NAME ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.repo_level import DEFAULT_DATA, unpack
from codesearch.config import resolve_settings
from codesearch.evaluation.repo_level import (
    CATEGORIES,
    QueryScore,
    ResultLocation,
    load_queries,
    load_repos,
    mean_over_repos,
    score_query,
    score_repo,
)
from codesearch.index.hybrid_search import SearchRequest
from codesearch.records import Hit
from codesearch.search.multi_repository import MERGE_STRATEGIES, merge_ranked
from codesearch.search.searcher import Searcher

K = 10


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def own_locations(hits: Sequence[Hit], own: str) -> list[ResultLocation]:
    """The merged hits as the scorer sees them: another repository's paths can never match a target."""
    return [ResultLocation(hit.path if hit.repository == own else f"{hit.repository}:{hit.path.replace('/', '|')}",
                           hit.start_line, hit.end_line) for hit in hits]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "codesearch-bench" / "repo-level")
    parser.add_argument("--distractors", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repos", nargs="*")
    args = parser.parse_args()
    repos = [r for r in load_repos(args.data) if r.is_available and (not args.repos or r.name in args.repos)]
    print(f"load average before: {load_average()}", file=sys.stderr)
    started = time.perf_counter()
    searchers: dict[str, Searcher] = {}
    try:
        for repo in repos:
            root = unpack(args.data, repo, args.work)
            searchers[repo.name] = Searcher.open(root, resolve_settings(root))
        names = [repo.name for repo in repos]
        generator = random.Random(args.seed)
        strategies = ["own repository only", *MERGE_STRATEGIES]
        per_strategy: dict[str, dict[str, list[QueryScore]]] = {strategy: {} for strategy in strategies}
        for repo in repos:
            others = [name for name in names if name != repo.name]
            for query in load_queries(args.data, repo.name):
                group = [repo.name, *generator.sample(others, min(args.distractors, len(others)))]
                generator.shuffle(group)  # the query's repository at no fixed place: ties alternate in order
                asked = SearchRequest(query.text, K)
                lists = [[_tagged(hit, name) for hit in searchers[name].search(asked)] for name in group]
                per_strategy["own repository only"].setdefault(repo.name, []).append(
                    score_query(repo.name, query, own_locations(lists[group.index(repo.name)], repo.name)))
                for strategy in MERGE_STRATEGIES:
                    merged = merge_ranked(lists, K, strategy)
                    per_strategy[strategy].setdefault(repo.name, []).append(
                        score_query(repo.name, query, own_locations(merged, repo.name)))
    finally:
        for searcher in searchers.values():
            searcher.close()
    rows = []
    for strategy, by_repo in per_strategy.items():
        scores = [score_repo(name, found) for name, found in by_repo.items()]
        rows.append({"strategy": strategy, "file_ndcg10": round(mean_over_repos(scores), 4),
                     **{c: round(mean_over_repos(scores, c), 4) for c in CATEGORIES},
                     "repos": len(scores), "queries": sum(len(found) for found in by_repo.values()),
                     "distractors": args.distractors, "seed": args.seed})
    for row in sorted(rows, key=lambda r: -float(r["file_ndcg10"])):  # type: ignore[arg-type]
        print(json.dumps(row))
    print(f"load average after: {load_average()}; {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _tagged(hit: Hit, name: str) -> Hit:
    return dataclasses.replace(hit, repository=name)



if __name__ == "__main__":
    main()
