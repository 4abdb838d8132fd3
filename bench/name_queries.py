"""Identifier queries: how often the function a query names exactly comes first.

Samples ``--queries`` definitions whose qualified name is unique in an existing index (default: the
stdlib copy of stdlib_index.py) and looks like an identifier (``OrderedDict.move_to_end``,
``make_archive``), searches for that qualified name (hybrid, k=10) and reports the share ranked
first, in the top 10, and the MRR. Before this change the exact-name lift was a fixed +3 z-score,
and a name match the dense side did not return lost to its best candidates (issue 5's freshness
bench: 38-46% of new functions were first for their own name).

    python -m bench.name_queries [--index-dir DIR] [--queries 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
from collections import Counter
from pathlib import Path

from bench.stdlib_index import DEFAULT_CACHE, stdlib_copy
from codesearch.config import resolve_settings
from codesearch.index.hybrid_search import SearchRequest
from codesearch.index.ranking import is_identifier_like
from codesearch.search.searcher import Searcher


def sample_names(searcher: Searcher, count: int, seed: int) -> list[str]:
    """The qualified names of ``count`` definitions whose qualified name is unique and identifier-like."""
    with searcher._store._database() as conn:
        names = [row[0] for row in conn.execute("SELECT qualified_name FROM chunks")]
    uses = Counter(name.lower() for name in names)
    eligible = sorted(name for name in names if uses[name.lower()] == 1 and is_identifier_like(name))
    return random.Random(seed).sample(eligible, min(count, len(eligible)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, help="default: the stdlib copy's .codesearch")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    index_dir = (args.index_dir or stdlib_copy(DEFAULT_CACHE) / ".codesearch").resolve()
    settings = resolve_settings(None, {"index_dir": str(index_dir), "threads": args.threads})
    ranks: list[int | None] = []
    with Searcher.open(index_dir.parent, settings) as searcher:
        for name in sample_names(searcher, args.queries, args.seed):
            hits = searcher.search(SearchRequest(name, 10))
            names = [hit.qualified_name for hit in hits]
            ranks.append(names.index(name) + 1 if name in names else None)
    print(json.dumps({
        "bench": "name_queries", "index": str(index_dir), "queries": len(ranks),
        "top1_share": round(sum(rank == 1 for rank in ranks) / len(ranks), 3),
        "top10_share": round(sum(rank is not None for rank in ranks) / len(ranks), 3),
        "mrr_at_10": round(statistics.fmean(1 / rank if rank else 0.0 for rank in ranks), 3),
        "load_average_1m": round(os.getloadavg()[0], 2), "python": sys.version.split()[0],
    }))


if __name__ == "__main__":
    main()
