"""Retrieval quality of codesearch's search: BM25 alone, dense alone and hybrid, per language.

Benchmarks (held out; nothing in codesearch was trained on them):
- CoSQA (../shared/benchmarks/cosqa): 500 web queries against 6,267 Python functions; tune on
  ``--cosqa dev``, report ``--cosqa test``.
- The mined docstring -> code set (bench/corpora.toml, fetched by bench/fetch_corpora.py): the
  docstring summary is the query; the function, with every docstring removed, is ranked among all
  functions of its package (the corpus protocol). ``--manifest bench/corpora-languages.toml`` mines
  the languages added by issue 11 instead (a manifest of its own, so the figures of the first stay).

Prints a table and JSON lines (one per system and language). Vectors are cached per model in the
user cache folder, so a second run only re-ranks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from codesearch.config import user_cache_dir
from codesearch.encoder.embedding_text import Representation
from codesearch.encoder.model import Encoder
from codesearch.evaluation.benchmark import split_by_group, split_queries
from codesearch.evaluation.blocklist import load_blocklist
from codesearch.evaluation.corpora import default_corpora_dir, load_manifest, package_sources
from codesearch.evaluation.cosqa import cosqa_dir, load_cosqa
from codesearch.evaluation.embedding_cache import EmbeddingCache
from codesearch.evaluation.metrics import build_report
from codesearch.evaluation.mined import MiningOptions, mine_benchmark
from codesearch.evaluation.records import Benchmark, QueryOutcome, RetrievalReport
from codesearch.evaluation.render import render_table, report_json_lines
from codesearch.evaluation.runner import score_benchmark
from codesearch.evaluation.systems import MODES, PoolIndex
from codesearch.index import hybrid_search as search_module
from codesearch.index.ranking import RankingParams, with_overrides
from codesearch.index.records import IndexParams
from codesearch.parsing.extract import extract_chunks

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MANIFEST = REPO_ROOT / "bench" / "corpora.toml"


def evaluate_pools(benchmark: Benchmark, pools: list[Benchmark], encoder: Encoder, cache: EmbeddingCache,
                   params: IndexParams, representation: Representation, weights: list[float],
                   modes: list[str], base: RankingParams, embedded_share: float = 1.0,
                   unembedded_scores: tuple[str, ...] = ()) -> list[RetrievalReport]:
    """Build one index per pool and score every mode on it (hybrid once per fusion weight, and per
    stand-in score for chunks without a vector when ``embedded_share`` < 1)."""
    systems = [(mode, None) for mode in modes if mode != "hybrid"]
    if "hybrid" in modes:
        systems += [("hybrid" if len(weights) == 1 else f"hybrid@{w:g}", dataclasses.replace(base, lexical_weight=w))
                    for w in weights]
    if unembedded_scores:
        systems = [(f"{name}/{way}" if name.startswith("hybrid") else name, ranking)
                   for name, ranking in systems for way in (unembedded_scores if name.startswith("hybrid") else [""])]
    outcomes: dict[str, list[QueryOutcome]] = {name: [] for name, _ in systems}
    for pool in pools:
        index = PoolIndex(pool, cache, encoder.embed_queries, params, representation,
                          dataclasses.replace(base, lexical_weight=weights[0]), embedded_share=embedded_share)
        try:
            for name, ranking in systems:
                if "/" in name:
                    search_module.UNEMBEDDED_SCORE = name.split("/")[1]
                ranker = index.ranker(name.split("@")[0].split("/")[0], ranking=ranking)
                outcomes[name].extend(score_benchmark(pool, ranker))
        finally:
            index.close()
    return [build_report(benchmark.name, name, outcomes[name], len(benchmark.corpus)) for name, _ in systems]


def mined_name(manifest: Path, with_docstrings: bool) -> str:
    """The benchmark name in the table and JSON lines: ``mined`` for bench/corpora.toml, else
    ``mined-<manifest stem>`` (``mined-corpora-languages``); ``-docstrings`` follows ``mined``."""
    name = "mined-docstrings" if with_docstrings else "mined"
    if manifest.resolve() != DEFAULT_MANIFEST.resolve():
        name += f"-{manifest.stem}"
    return name


def _parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cosqa", choices=["dev", "test"], action="append", default=[])
    parser.add_argument("--mined", action="store_true", help="the mined multi-language set")
    parser.add_argument("--with-docstrings", action="store_true",
                        help="mined set: index functions as written, docstrings included (BM25's regime)")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all",
                        help="mined set: the half of the queries to score (choose on dev, report on test)")
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST,
                        help="mined set: the pinned packages to mine (default: bench/corpora.toml)")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--model", default="default")
    parser.add_argument("--representation", default="path-name-code", choices=[r.value for r in Representation])
    parser.add_argument("--lexical-weight", default=str(RankingParams().lexical_weight),
                        help="fusion weight of BM25; several, comma-separated, sweep it (one index per pool)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a RankingParams override (repeatable), e.g. --set lexical_standout=false")
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    parser.add_argument("--json-out", type=Path, help="also append the JSON lines to this file")
    parser.add_argument("--embedded-share", type=float, default=1.0,
                        help="keep only this share of the vectors, as during a progressive build")
    parser.add_argument("--unembedded-score", default="",
                        help="stand-in scores for chunks without a vector to compare, e.g. floor,neutral,lexical")
    return parser.parse_args(argv)


def main() -> None:
    args = _parse_args()
    modes = args.modes.split(",")
    encoder = Encoder.load(args.model)
    cache = EmbeddingCache(user_cache_dir() / "eval-embeddings" / f"{encoder.model_hash}.npz",
                           lambda texts: encoder.embed_code(texts, batch_size=64))
    params = IndexParams(encoder.model_id, encoder.model_hash, encoder.dim)
    representation = Representation(args.representation)
    weights = [float(w) for w in args.lexical_weight.split(",")]
    base = with_overrides(RankingParams(), dict(kv.split("=", 1) for kv in args.set))
    unembedded = tuple(way for way in args.unembedded_score.split(",") if way)
    reports: list[RetrievalReport] = []
    started = time.perf_counter()
    for split in args.cosqa:
        benchmark = load_cosqa(cosqa_dir(args.shared), split)
        reports += evaluate_pools(benchmark, [benchmark], encoder, cache, params, representation, weights, modes,
                                  base, args.embedded_share, unembedded)
    if args.mined:
        packages = package_sources(load_manifest(args.manifest), default_corpora_dir())
        blocklist = load_blocklist(args.shared / "heldout-blocklist.txt")
        options = MiningOptions(keep_docstrings=args.with_docstrings)
        name = mined_name(args.manifest, args.with_docstrings)
        mined = mine_benchmark(packages, extract_chunks, options, name=name, blocklist=blocklist).benchmark
        mined = split_queries(mined, args.split)
        reports += evaluate_pools(mined, split_by_group(mined), encoder, cache, params, representation, weights,
                                  modes, base, args.embedded_share, unembedded)
    print(render_table(reports))
    settings = {"model": encoder.model_id, "representation": representation.value,
                "lexical_weight": args.lexical_weight, "set": args.set, "embedded_share": args.embedded_share,
                "seconds": round(time.perf_counter() - started, 1)}
    lines = [json.dumps({**json.loads(line), **settings}) for report in reports for line in report_json_lines(report)]
    print("\n".join(lines))
    if args.json_out:
        with args.json_out.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    print(json.dumps(settings), file=sys.stderr)


if __name__ == "__main__":
    main()
