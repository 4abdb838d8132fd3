"""Indexing speed, query latency, memory and index size over the Python standard library.

Prints JSON lines: functions/s for the whole `codesearch index` (and for the encoder alone, with
the bf16 FLOP-bound ceiling beside it), re-index time of an unchanged tree, warm in-process query
latency p50/p95 (query encoding included), cold `codesearch ask` wall time, peak RSS, and index
bytes per function. Anchors measured on these 2-core machines: bf16 embedding 175-195 functions/s
(fp32 66), ceiling ~400 functions/s (2.4 GFLOP per function at 880-955 GFLOP/s); one query embeds
in 3-4 ms; hnswlib k=10 in 0.1-0.2 ms; `import torch, transformers` + model load ~3 s.
Goals: >= 250 functions/s, p50 <= 15 ms.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from codesearch.config import resolve_settings
from codesearch.index.hybrid_search import SearchRequest
from codesearch.indexer.updates import index_repository
from codesearch.records import IndexProgress
from codesearch.search.searcher import Searcher

QUERIES = Path(__file__).with_name("queries.jsonl")


def _subset(root: Path, max_files: int, into: Path) -> Path:
    """Copy the first ``max_files`` .py files of ``root`` (sorted) into ``into``."""
    for count, source in enumerate(sorted(root.rglob("*.py"))):
        if count >= max_files:
            break
        target = into / source.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--max-files", type=int, default=0, help="index only this many files (a copy)")
    parser.add_argument("--work", type=Path, help="keep the index here (default: a temporary folder)")
    parser.add_argument("--existing-index", type=Path, help="skip building: measure queries on this index folder")
    args = parser.parse_args()
    if args.existing_index:
        settings = resolve_settings(None, {"index_dir": str(args.existing_index)})
        _query_latency(args.existing_index.parent, settings)
        _cold_ask(args.existing_index)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="codesearch-bench-"))
    root = _subset(args.root, args.max_files, work / "repo") if args.max_files else args.root
    settings = resolve_settings(None, {"index_dir": str(work / "index")})
    last: list[IndexProgress] = []
    started = time.perf_counter()
    summary = index_repository(root, settings, full=True, on_progress=last.append)
    seconds = time.perf_counter() - started
    embed_rate = summary.chunks_embedded / summary.embed_seconds if summary.embed_seconds else 0.0
    size = sum(p.stat().st_size for p in (work / "index").iterdir() if p.is_file())
    _emit("index", files=summary.files_total, functions=summary.chunks_total, seconds=round(seconds, 1),
          functions_per_s=round(summary.chunks_total / seconds, 1), encoder_functions_per_s=round(embed_rate, 1),
          anchor_bf16_functions_per_s="175-195", ceiling_functions_per_s=400, goal_functions_per_s=250,
          peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
          index_bytes=size, index_bytes_per_function=round(size / max(summary.chunks_total, 1)))
    started = time.perf_counter()
    again = index_repository(root, settings)
    _emit("reindex_unchanged", files=again.files_total, seconds=round(time.perf_counter() - started, 3),
          embedded=again.chunks_embedded)
    _query_latency(root, settings)
    _cold_ask(work / "index")


def _query_latency(root: Path, settings: object) -> None:
    queries = [json.loads(line)["query"] for line in QUERIES.read_text().splitlines() if line.strip()]
    with Searcher.open(root, settings) as searcher:  # type: ignore[arg-type]
        for query in queries[:5]:
            searcher.search(SearchRequest(query, 10))  # warm-up
        timings = []
        for _ in range(3):
            for query in queries:
                started = time.perf_counter()
                searcher.search(SearchRequest(query, 10))
                timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    _emit("query_warm_in_process", queries=len(timings), p50_ms=round(statistics.median(timings), 2),
          p95_ms=round(timings[int(0.95 * len(timings)) - 1], 2), goal_p50_ms=15, anchor_query_embed_ms="3-4")


def _cold_ask(index_dir: Path) -> None:
    walls = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "codesearch", "ask", "parse a json document", "--json",
                        "--index-dir", str(index_dir)], check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
    _emit("ask_cold_process", runs=3, median_s=round(statistics.median(walls), 2), anchor_import_and_load_s=3)


def _emit(name: str, **figures: object) -> None:
    print(json.dumps({"bench": name, **figures}), flush=True)


if __name__ == "__main__":
    main()
