"""The fusion's inputs for every query of a benchmark, dumped once, then fusion rules compared offline.

    python -m bench.fusion_features dump --mined --split dev --out /tmp/mined-dev.pkl
    python -m bench.fusion_features dump --mined --with-docstrings --split dev --out /tmp/doc-dev.pkl
    python -m bench.fusion_features dump --cosqa dev --out /tmp/cosqa-dev.pkl
    python -m bench.fusion_features compare /tmp/*.pkl --grid lexical_weight=0.15,0.3 --grid standout_gain=0.25,0.5

A dump holds, per query, the dense top 100, the BM25 top 100 and the exact cosines of the lexical
candidates the dense list lacks (what index.search passes to the fusion), by doc id, with the gold
ids. ``compare`` runs ``ranking.fusion.fuse_scores`` over them for each RankingParams variant and
prints MRR per dump (and their mean): the base fusion only, since these pools carry no real paths.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEPTH = 100


def dump(args: argparse.Namespace) -> None:
    from codesearch.config import user_cache_dir
    from codesearch.encoder.model import Encoder
    from codesearch.evaluation.benchmark import query_language, split_by_group, split_queries
    from codesearch.evaluation.blocklist import load_blocklist
    from codesearch.evaluation.corpora import default_corpora_dir, load_manifest, package_sources
    from codesearch.evaluation.cosqa import cosqa_dir, load_cosqa
    from codesearch.evaluation.embedding_cache import EmbeddingCache
    from codesearch.evaluation.mined import MiningOptions, mine_benchmark
    from codesearch.evaluation.systems import PoolIndex
    from codesearch.index.records import IndexParams
    from codesearch.parsing.extract import extract_chunks

    encoder = Encoder.load("default")
    cache = EmbeddingCache(user_cache_dir() / "eval-embeddings" / f"{encoder.model_hash}.npz",
                           lambda texts: encoder.embed_code(texts, batch_size=64))
    params = IndexParams(encoder.model_id, encoder.model_hash, encoder.dim)
    if args.cosqa:
        benchmark = load_cosqa(cosqa_dir(args.shared), args.cosqa)
        pools = [benchmark]
    else:
        packages = package_sources(load_manifest(REPO_ROOT / "bench" / "corpora.toml"), default_corpora_dir())
        mined = mine_benchmark(packages, extract_chunks, MiningOptions(keep_docstrings=args.with_docstrings),
                               blocklist=load_blocklist(args.shared / "heldout-blocklist.txt")).benchmark
        benchmark = split_queries(mined, args.split)
        pools = split_by_group(benchmark)
    records = []
    for pool in pools:
        index = PoolIndex(pool, cache, encoder.embed_queries, params)
        try:
            for query_id in sorted(pool.queries):
                dense, lexical, extra = index.retrieve(pool.queries[query_id], DEPTH)
                records.append({"query": pool.queries[query_id], "language": query_language(pool, query_id),
                                "gold": set(pool.relevant[query_id]),
                                "dense": dense, "lexical": lexical, "extra": extra})
        finally:
            index.close()
    args.out.write_bytes(pickle.dumps(records))
    print(f"{len(records)} queries -> {args.out}", file=sys.stderr)


def reciprocal_rank(record: dict[str, object], params: object) -> float:
    from codesearch.index.ranking.fusion import fuse_scores

    ids: dict[str, int] = {}

    def numbered(found: list[tuple[str, float]]) -> list[tuple[int, float]]:
        return [(ids.setdefault(doc, len(ids)), score) for doc, score in found]

    dense, lexical, extra = (numbered(record[key]) for key in ("dense", "lexical", "extra"))  # type: ignore[arg-type]
    scores = fuse_scores(dense, lexical, params, extra)  # type: ignore[arg-type]
    gold = {ids[doc] for doc in record["gold"] if doc in ids}  # type: ignore[attr-defined]
    ranked = sorted(scores, key=lambda i: -scores[i])
    return next((1.0 / rank for rank, i in enumerate(ranked, start=1) if i in gold), 0.0)


def compare(args: argparse.Namespace) -> None:
    from codesearch.index.ranking import RankingParams, with_overrides

    dumps = {path.stem: pickle.loads(path.read_bytes()) for path in args.dumps}
    base = dict(kv.split("=", 1) for kv in args.set)
    axes = [(axis.split("=", 1)[0], axis.split("=", 1)[1].split(",")) for axis in args.grid]
    configs = [{**base, **dict(zip([a for a, _ in axes], values, strict=True))}
               for values in itertools.product(*(v for _, v in axes))]
    rows = []
    for config in configs:
        params = with_overrides(RankingParams(), config)
        mrr = {name: sum(reciprocal_rank(r, params) for r in records) / len(records)
               for name, records in dumps.items()}
        rows.append((sum(mrr.values()) / len(mrr), mrr, config))
    print(" ".join(f"{name[:14]:>14}" for name in dumps) + f" {'mean':>7}  overrides")
    for mean, mrr, config in sorted(rows, key=lambda row: -row[0]):
        print(" ".join(f"{mrr[name]:14.4f}" for name in dumps) + f" {mean:7.4f}  "
              + " ".join(f"{k}={v}" for k, v in config.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("--cosqa", choices=["dev", "test"])
    dumping.add_argument("--mined", action="store_true")
    dumping.add_argument("--with-docstrings", action="store_true")
    dumping.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    dumping.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared")
    dumping.add_argument("--out", type=Path, required=True)
    comparing = commands.add_parser("compare")
    comparing.add_argument("dumps", nargs="+", type=Path)
    comparing.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    comparing.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2")
    args = parser.parse_args()
    dump(args) if args.command == "dump" else compare(args)


if __name__ == "__main__":
    main()
