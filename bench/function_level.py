"""Function-level answers through the real index: mined queries asked of each package's own index.

For every package of the mining manifests (fetched by ``python -m bench.fetch_corpora``), its tree
is copied with its doc comments blanked out (line numbers kept; ``--with-docstrings``: left in),
indexed by ``codesearch index``'s own code (definitions, line records and text files, as a user
gets them), and each of its mined queries is asked through ``Searcher.search``, the code path of
``ask``, in each ``--modes`` (hybrid is ``ask``; dense and lexical are its halves). Scored by
codesearch.evaluation.function_level: MRR@k per language and overall. Indexes are kept under
``--work`` and updated incrementally, so a ranking change (``--set NAME=VALUE``) re-runs in minutes.

    python -m bench.function_level --split dev
    python -m bench.function_level --split dev --with-docstrings --set definitions=false
    python -m bench.function_level --split test --out /tmp/function-level.jsonl

Prints a table (language x mode) and, with ``--out``, one JSON line per (language, mode).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from codesearch.config import Settings
from codesearch.evaluation.benchmark import split_queries
from codesearch.evaluation.blocklist import load_blocklist
from codesearch.evaluation.corpora import default_corpora_dir, load_manifest, package_sources
from codesearch.evaluation.function_level import copy_package, gold_targets, mean_by_language, reciprocal_rank
from codesearch.evaluation.mined import MiningOptions, mine_benchmark
from codesearch.evaluation.records import PackageSource
from codesearch.index.hybrid_search import SearchRequest
from codesearch.index.ranking import RankingParams, with_overrides
from codesearch.indexer.updates import index_repository
from codesearch.parsing.extract import extract_chunks
from codesearch.search.searcher import Searcher

REPO_ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = (REPO_ROOT / "bench" / "corpora.toml", REPO_ROOT / "bench" / "corpora-languages.toml")
SHARED = REPO_ROOT.parent / "shared"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def package_folder(work: Path, package: PackageSource, with_docstrings: bool) -> Path:
    """The package's copy under ``work``, made once (a marker says the copy is whole)."""
    folder = work / ("with-docstrings" if with_docstrings else "without-docstrings") / re.sub(
        r"[^\w.-]", "_", package.name
    )
    if not (folder.parent / f"{folder.name}.complete").is_file():
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        copy_package(package, folder, extract_chunks, keep_docstrings=with_docstrings)
        (folder.parent / f"{folder.name}.complete").write_text("")
    return folder


def _parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, action="append", help="default: both mining manifests")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    parser.add_argument("--with-docstrings", action="store_true", help="leave doc comments in the files")
    parser.add_argument("--modes", default="hybrid,dense,lexical")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="RankingParams override")
    parser.add_argument("--packages", nargs="*", help="only these packages")
    parser.add_argument("--languages", nargs="*", help="only these languages")
    parser.add_argument("-k", type=int, default=100, help="MRR@k")
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "codesearch-bench" / "function-level")
    parser.add_argument("--out", type=Path, help="append one JSON line per (language, mode)")
    return parser.parse_args(argv)


def main() -> None:
    args = _parse_args()
    started = time.perf_counter()
    print(f"load average before: {load_average()}", file=sys.stderr)
    packages = [
        package for manifest in (args.manifest or MANIFESTS)
        for package in package_sources(load_manifest(manifest), default_corpora_dir())
        if (not args.packages or package.name in args.packages)
        and (not args.languages or package.language in args.languages)
    ]
    blocklist = load_blocklist(SHARED / "heldout-blocklist.txt")
    mined = mine_benchmark(packages, extract_chunks, MiningOptions(), name="function-level", blocklist=blocklist)
    benchmark = split_queries(mined.benchmark, args.split)
    targets = gold_targets(benchmark, packages, extract_chunks)
    params = with_overrides(RankingParams(), dict(kv.split("=", 1) for kv in args.set))
    modes = args.modes.split(",")
    settings = Settings()
    scores: dict[str, dict[str, float]] = {mode: {} for mode in modes}
    language_of = {query_id: benchmark.doc_language[next(iter(relevant))]
                   for query_id, relevant in benchmark.relevant.items()}
    for package in packages:
        asked = sorted(query_id for query_id, (name, _) in targets.items() if name == package.name)
        if not asked:
            continue
        folder = package_folder(args.work, package, args.with_docstrings)
        summary = index_repository(folder, settings)
        print(f"{package.name}: {summary.chunks_total} records, {len(asked)} queries "
              f"({summary.chunks_embedded} embedded now)", file=sys.stderr)
        with Searcher.open(folder, settings) as searcher:
            for query_id in asked:
                for mode in modes:
                    request = SearchRequest(benchmark.queries[query_id], k=args.k, mode=mode)
                    hits = searcher.search(request, params)
                    scores[mode][query_id] = reciprocal_rank(hits, targets[query_id][1])
    regime = "with docstrings" if args.with_docstrings else "without docstrings"
    rows = {mode: mean_by_language(scores[mode], language_of) for mode in modes}
    print(f"MRR@{args.k}, {args.split}, {regime}, set={args.set}")
    print(f"{'language':<12} {'queries':>7} " + " ".join(f"{mode:>8}" for mode in modes))
    for language in rows[modes[0]]:
        count = rows[modes[0]][language][0]
        print(f"{language:<12} {count:>7} " + " ".join(f"{rows[mode][language][1]:>8.3f}" for mode in modes))
    seconds = round(time.perf_counter() - started, 1)
    print(f"load average after: {load_average()}; {seconds} s", file=sys.stderr)
    if args.out:
        with args.out.open("a", encoding="utf-8") as handle:
            for mode in modes:
                for language, (count, mrr) in rows[mode].items():
                    handle.write(json.dumps({"split": args.split, "regime": regime, "mode": mode, "set": args.set,
                                             "language": language, "queries": count, f"mrr@{args.k}": round(mrr, 4),
                                             "seconds": seconds}) + "\n")


if __name__ == "__main__":
    main()
