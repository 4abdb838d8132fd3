"""Figures of docs/scale.md: bytes per definition of an index, and HNSW latency against index size.

    python -m bench.scale --index-dir DIR [--sizes 10000,100000] [--queries 500] [--uniform]

``--index-dir`` names an index `codesearch index` built: its SQLite tables are measured with
SQLite's ``dbstat`` (bytes per table and per definition) and its HNSW file per vector. Then, for
each size, an HNSW index of that many synthetic unit 384-d vectors (near a random 32-d subspace,
as embeddings lie near a low-dimensional one) is built with the index's own
parameters (cosine, M=16, ef_construction=200) and queried one query at a time, one thread, at
k=10 and ef=64 (as ``ask`` does; ``--ef 64,128,256`` for more, from the same build): build
seconds, p50/p95 query latency, recall@10 against exact search, file bytes per vector and the
process's peak RSS. Prints JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import hnswlib
import numpy as np

DIM = 384
LATENT_DIM = 32


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def index_bytes(index_dir: Path) -> dict[str, object]:
    """Bytes per table (SQLite dbstat) and per definition, and the HNSW file per vector."""
    with sqlite3.connect(f"file:{index_dir / 'index.sqlite3'}?mode=ro", uri=True) as conn:
        definitions = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        vectors = conn.execute("SELECT count(*) FROM embeddings").fetchone()[0]
        tables = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    families = {  # first match wins: the FTS5 shadow tables before the chunks table they index
        "keywords (FTS5)": ("chunks_fts",),
        "chunks (rows + indexes)": ("chunks", "sqlite_autoindex_chunks"),
        "embeddings (float32 cache)": ("embeddings", "sqlite_autoindex_embeddings"),
        "files": ("files", "sqlite_autoindex_files"),
    }
    grouped: dict[str, int] = {}
    for name, size in tables.items():
        family = next((f for f, prefixes in families.items() if any(name.startswith(p) for p in prefixes)), "other")
        grouped[family] = grouped.get(family, 0) + int(size)
    hnsw = sorted(index_dir.glob("vectors.*.hnsw"))
    hnsw_bytes = hnsw[-1].stat().st_size if hnsw else 0
    sqlite_bytes = sum(grouped.values())
    return {"definitions": definitions, "distinct_vectors": vectors, "sqlite_bytes": sqlite_bytes,
            "sqlite_bytes_per_definition": round(sqlite_bytes / definitions),
            "per_definition_by_table": {f: round(b / definitions) for f, b in sorted(grouped.items())},
            "hnsw_bytes": hnsw_bytes, "hnsw_bytes_per_vector": round(hnsw_bytes / max(1, vectors))}


def embedding_like(rng: np.random.Generator, count: int, basis: np.ndarray) -> np.ndarray:
    """Unit vectors near a 32-d subspace of R^384, as sentence embeddings are (low intrinsic dimension).

    Uniform random 384-d vectors are nearly equidistant from each other, so no index finds their
    neighbours well (HNSW at ef=64 recalls 0.42 of the top 10 at 10k of them, 0.08 at 100k): a
    worst case that says nothing about embeddings.
    """
    latent = rng.standard_normal((count, basis.shape[0]), dtype=np.float32)  # (count, 32)
    vectors = latent @ basis + 0.05 * rng.standard_normal((count, DIM), dtype=np.float32)  # (count, DIM)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def uniform(rng: np.random.Generator, count: int) -> np.ndarray:
    """Uniformly random unit 384-d vectors (``--uniform``): the worst case for any neighbour search."""
    vectors = rng.standard_normal((count, DIM), dtype=np.float32)  # (count, DIM)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def hnsw_latency(
    size: int, queries: int, *, is_uniform: bool = False, seed: int = 0, efs: tuple[int, ...] = (64,)
) -> list[dict[str, object]]:
    """One build of ``size`` vectors, then one line of figures per search-time ``ef`` (same queries)."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((LATENT_DIM, DIM), dtype=np.float32) / np.sqrt(DIM)  # (32, DIM)
    if is_uniform:
        data, asked = uniform(rng, size), uniform(rng, queries)  # (size, DIM), (queries, DIM)
    else:
        data, asked = embedding_like(rng, size, basis), embedding_like(rng, queries, basis)
    index = hnswlib.Index(space="cosine", dim=DIM)
    index.init_index(max_elements=size, M=16, ef_construction=200)
    started = time.perf_counter()
    index.add_items(data, np.arange(size), num_threads=2)
    build_s = time.perf_counter() - started
    exact = np.argsort(-(asked[:100] @ data.T), axis=1)[:, :10]  # (100, 10)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "v.hnsw"
        index.save_index(str(path))
        file_bytes = path.stat().st_size
    index.set_num_threads(1)
    lines: list[dict[str, object]] = []
    for ef in efs:
        index.set_ef(ef)
        times_ms = []
        found = []
        for query in asked:
            started = time.perf_counter()
            labels, _ = index.knn_query(query[np.newaxis, :], k=10)
            times_ms.append((time.perf_counter() - started) * 1000)
            found.append(labels[0])
        recall = np.mean([len(set(found[i]) & set(exact[i])) / 10 for i in range(len(exact))])
        lines.append({
            "vectors": size, "data": "uniform" if is_uniform else "embedding-like", "ef": ef,
            "build_s": round(build_s, 1), "p50_ms": round(float(np.percentile(times_ms, 50)), 3),
            "p95_ms": round(float(np.percentile(times_ms, 95)), 3), "recall_at_10": round(float(recall), 3),
            "file_bytes_per_vector": round(file_bytes / size),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load": load_average()})
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--uniform", action="store_true", help="Uniformly random vectors instead (worst case).")
    parser.add_argument("--ef", default="64", help="search-time ef values, comma-separated (one build serves all)")
    args = parser.parse_args()
    print(f"load average before: {load_average()}", file=sys.stderr)
    if args.index_dir is not None:
        print(json.dumps({"index": str(args.index_dir), **index_bytes(args.index_dir)}))
    for size in (int(s) for s in args.sizes.split(",")):
        efs = tuple(int(ef) for ef in args.ef.split(","))
        for line in hnsw_latency(size, args.queries, is_uniform=args.uniform, efs=efs):
            print(json.dumps(line), flush=True)
    print(f"load average after: {load_average()}", file=sys.stderr)


if __name__ == "__main__":
    main()
