"""Benchmark of the index storage layer with fake chunks and random vectors (no model, no parser).

Prints one JSON object per line: {"metric", "value", "unit", ...conditions}. Not part of pytest.

    python -m bench.store --chunks 50000 --dim 384

Measures: bytes per chunk on disk (SQLite, HNSW), time to apply a batch of 1,000 chunks, time to
open an index whose vectors file is current / stale / missing, dense search latency (k=10,
ef=64) with its recall against exact search, filtered dense and lexical search latency.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from codesearch.index.opening import DB_FILE_NAME
from codesearch.index.records import Embedding, FileUpdate, IndexBatch, IndexParams, PendingChunk
from codesearch.index.store import IndexStore
from codesearch.records import Chunk

VOCABULARY_SIZE = 5000


def synthetic_word(i: int) -> str:
    """A distinct pronounceable lower-case word per integer (consonant-vowel syllables)."""
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    syllables = []
    i += 70  # at least two syllables
    while i:
        i, rest = divmod(i, len(consonants) * len(vowels))
        syllables.append(consonants[rest // len(vowels)] + vowels[rest % len(vowels)])
    return "".join(syllables)


# Identifier words follow a Zipf law, as in code: a few words ("self", "get") are everywhere,
# most are rare. Queries draw from the same law.
WORDS = np.array([synthetic_word(i) for i in range(VOCABULARY_SIZE)])
_ZIPF = 1.0 / np.arange(1, VOCABULARY_SIZE + 1)
WORD_WEIGHTS = _ZIPF / _ZIPF.sum()


def words(rng: np.random.Generator, n: int) -> list[str]:
    return [str(word) for word in rng.choice(WORDS, n, p=WORD_WEIGHTS)]


LANGUAGES = ("python",) * 8 + ("typescript", "go")  # ~10% typescript: a filter that keeps ~5k


def emit(metric: str, value: float, unit: str, **conditions: object) -> None:
    print(json.dumps({"metric": metric, "value": round(value, 6), "unit": unit, **conditions}), flush=True)


def fake_chunk(rng: np.random.Generator, path: str, language: str, index: int) -> Chunk:
    """A function of roughly 600 bytes of code with a one-line docstring."""
    name = "_".join(words(rng, 2)) + f"_{index}"
    doc = " ".join(words(rng, 12)).capitalize() + "."
    lines = [f"def {name}({', '.join(words(rng, 3))}):", f'    """{doc}"""']
    while sum(len(line) + 1 for line in lines) < 600:
        a, b, c = words(rng, 3)
        lines.append(f"    {a}_{b} = {c}.{a}({b}, retry={int(rng.integers(9))})")
    lines.append(f"    return {name.split('_')[0]}")
    code = "\n".join(lines) + "\n"
    without_doc = "\n".join(lines[:1] + lines[2:]) + "\n"
    return Chunk(
        path=path, language=language, kind="function", name=name, qualified_name=name,
        start_line=1, end_line=len(lines), signature_line=1, start_byte=0, end_byte=len(code),
        signature=lines[0], docstring_raw=f'"""{doc}"""', docstring=doc, docstring_summary=doc,
        code=code, code_without_docstring=without_doc, content_hash=hashlib.sha256(code.encode()).hexdigest(),
    )  # fmt: skip


def low_rank_unit_vectors(rng: np.random.Generator, n: int, dim: int, basis: np.ndarray) -> np.ndarray:
    vectors = rng.standard_normal((n, basis.shape[0])).astype(np.float32) @ basis  # (n, dim)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def fake_batch(
    rng: np.random.Generator, first_file: int, files: int, per_file: int, basis: np.ndarray
) -> IndexBatch:
    updates, embeddings = [], []
    for f in range(first_file, first_file + files):
        language = LANGUAGES[f % len(LANGUAGES)]
        path = f"pkg{f % 50}/module_{f}.{ {'python': 'py', 'typescript': 'ts', 'go': 'go'}[language] }"
        chunks = [fake_chunk(rng, path, language, f * per_file + j) for j in range(per_file)]
        vectors = low_rank_unit_vectors(rng, per_file, basis.shape[1], basis)
        pending = []
        for chunk, vector in zip(chunks, vectors, strict=True):
            embed_hash = hashlib.sha256(chunk.code.encode()).hexdigest()
            pending.append(PendingChunk(chunk, embed_hash))
            embeddings.append(Embedding(embed_hash, vector))
        size = sum(len(c.code) for c in chunks)
        updates.append(
            FileUpdate(path, language, size, 1, hashlib.sha256(str(f).encode()).hexdigest(), tuple(pending))
        )
    return IndexBatch(upserts=tuple(updates), embeddings=tuple(embeddings))


def timed(action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def table_bytes(db_path: Path) -> dict[str, int]:
    """Bytes per table/index (dbstat), if this SQLite has it."""
    try:
        with sqlite3.connect(db_path) as conn:
            rows = conn.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {name: int(size) for name, size in rows}


def build(args: argparse.Namespace, index_dir: Path, params: IndexParams) -> np.ndarray:
    rng = np.random.default_rng(0)
    basis = rng.standard_normal((32, args.dim)).astype(np.float32)
    per_file = 10
    batch_seconds = []
    with IndexStore.open(index_dir, expected=params, create=True) as store:
        for first in range(0, args.chunks // per_file, args.batch // per_file):
            batch = fake_batch(rng, first, args.batch // per_file, per_file, basis)
            _, seconds = timed(lambda batch=batch: store.apply_batch(batch))
            batch_seconds.append(seconds)
        _, save_s = timed(store.save_vectors)
    conditions = {
        "batch_chunks": args.batch,
        "dim": args.dim,
        "m": args.m,
        "ef_construction": args.ef_construction,
    }
    emit("apply_batch_p50", statistics.median(batch_seconds), "s", **conditions)
    emit("apply_batch_last", batch_seconds[-1], "s", index_chunks=args.chunks, **conditions)
    emit("save_vectors", save_s, "s", index_chunks=args.chunks)
    return basis


def disk_usage(args: argparse.Namespace, index_dir: Path) -> None:
    sqlite_bytes = sum(p.stat().st_size for p in index_dir.glob(DB_FILE_NAME + "*"))
    hnsw_bytes = sum(p.stat().st_size for p in index_dir.glob("vectors.*.hnsw"))
    per = {"chunks": args.chunks, "dim": args.dim, "code_bytes_per_chunk": 600}
    emit("disk_sqlite_per_chunk", sqlite_bytes / args.chunks, "bytes", **per)
    emit("disk_hnsw_per_chunk", hnsw_bytes / args.chunks, "bytes", **per)
    emit("disk_total_per_chunk", (sqlite_bytes + hnsw_bytes) / args.chunks, "bytes", **per)
    for name, size in table_bytes(index_dir / DB_FILE_NAME).items():
        if size / args.chunks >= 10:
            emit("disk_table_per_chunk", size / args.chunks, "bytes", table=name)


def open_times(args: argparse.Namespace, index_dir: Path, params: IndexParams, basis: np.ndarray) -> None:
    store, seconds = timed(lambda: IndexStore.open(index_dir, readonly=True))
    store.close()
    emit("open_readonly_current", seconds, "s", vectors=args.chunks)
    stale = index_dir.parent / "stale"
    shutil.copytree(index_dir, stale)
    with IndexStore.open(stale, expected=params) as writer:
        writer.apply_batch(fake_batch(np.random.default_rng(1), 10**6, args.batch // 10, 10, basis))
        crashed = index_dir.parent / "crashed"
        shutil.copytree(stale, crashed)  # as a kill -9 before saving the vectors would leave it
    store, seconds = timed(lambda: IndexStore.open(crashed, readonly=True))
    store.close()
    emit("open_readonly_stale", seconds, "s", vectors=args.chunks, missing_vectors=args.batch)
    if args.rebuild:
        for path in crashed.glob("vectors.*"):
            path.unlink()
        store, seconds = timed(lambda: IndexStore.open(crashed, readonly=True))
        store.close()
        emit("open_readonly_rebuild", seconds, "s", vectors=args.chunks + args.batch)


def all_vectors(store: IndexStore) -> tuple[np.ndarray, np.ndarray]:
    """Every chunk id and its cached vector: (n,) int64, (n, dim) float32 (for exact recall)."""
    ids = list(range(1, store.counts().chunks + 1))  # a fresh index numbers its chunks 1..n
    chunks = store.get_chunks(ids)
    cached = store.cached_embeddings([c.embed_hash for c in chunks])
    return np.array([c.chunk_id for c in chunks]), np.stack([cached[c.embed_hash] for c in chunks])


def search_latency(args: argparse.Namespace, index_dir: Path, basis: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    queries = low_rank_unit_vectors(rng, args.queries, args.dim, basis)
    with IndexStore.open(index_dir, readonly=True) as store:
        ids, matrix = all_vectors(store)
        for label, kwargs in (
            ("dense", {}),
            ("dense_language_filter", {"languages": ["typescript"]}),
            ("dense_path_filter", {"path_glob": "pkg7/*"}),
        ):
            times, recall = [], []
            for query in queries:
                hits, seconds = timed(
                    lambda query=query, kwargs=kwargs: store.dense_search(query, 10, ef=64, **kwargs)
                )
                times.append(seconds)
                if label == "dense":
                    exact = set(ids[np.argsort(-(matrix @ query))[:10]].tolist())  # vectors are unit length
                    recall.append(len({h.chunk_id for h in hits} & exact) / 10)
            emit(f"{label}_p50", statistics.median(times) * 1000, "ms", k=10, ef=64, vectors=args.chunks)
            emit(f"{label}_p95", float(np.percentile(times, 95)) * 1000, "ms", k=10, ef=64)
            if recall:
                emit("dense_recall_at_10_vs_exact", float(np.mean(recall)), "ratio", ef=64)
        for ef in (32, 128, 256):
            times, recall = [], []
            for query in queries:
                hits, seconds = timed(lambda query=query, ef=ef: store.dense_search(query, 10, ef=ef))
                exact = set(ids[np.argsort(-(matrix @ query))[:10]].tolist())
                times.append(seconds)
                recall.append(len({h.chunk_id for h in hits} & exact) / 10)
            emit("dense_p50", statistics.median(times) * 1000, "ms", k=10, ef=ef, vectors=args.chunks)
            emit("dense_recall_at_10_vs_exact", float(np.mean(recall)), "ratio", ef=ef)
        query_rng = np.random.default_rng(3)
        queries_text = [" ".join(words(query_rng, 3)) for _ in range(args.queries)]
        times = [timed(lambda q=q: store.lexical_search(q, 10))[1] for q in queries_text]
        emit("lexical_p50", statistics.median(times) * 1000, "ms", k=10, terms=3, chunks=args.chunks)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--no-rebuild", dest="rebuild", action="store_false", help="skip the full-rebuild open"
    )
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    params = IndexParams("bench", "b" * 64, args.dim, args.m, args.ef_construction)
    work = Path(tempfile.mkdtemp(prefix="codesearch-bench-", dir=args.work_dir))
    emit("machine_cpus", float(os.cpu_count() or 0), "count", load_1min=os.getloadavg()[0])
    try:
        index_dir = work / "index"
        basis = build(args, index_dir, params)
        disk_usage(args, index_dir)
        search_latency(args, index_dir, basis)
        open_times(args, index_dir, params, basis)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
