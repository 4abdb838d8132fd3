"""Encoder throughput bench: functions/s in float32 and bfloat16, query latency, load and hash cost.

Embeds N real functions taken from the Python standard library with ``ast`` (the project's own
extractor is not needed for a throughput figure) and prints one JSON object per line, each with
the measured anchor from the design notes beside it. Not part of pytest.

    PYTHONPATH=. python bench/embed.py --n 1000

The machine may be shared: every line carries the 1-minute load average at the time, and
throughput is the best of ``--rounds`` runs.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

import numpy as np

from codesearch.encoder import Encoder
from codesearch.encoder.fingerprint import fingerprint
from codesearch.encoder.source import resolve_model

ANCHORS = {
    "functions_per_s_float32": "66 (2 cores, max length 256)",
    "functions_per_s_bfloat16": "175-195 (2 cores); ceiling ~400; goal >= 250",
    "bf16_cosine_min": ">= 0.9999",
    "top10_overlap": "int8 dynamic quantisation keeps 0.71",
    "query_ms_p50": "3-4",
}
QUERIES = [
    "read a json file",
    "parse command line arguments",
    "compute the checksum of a file",
    "split a path into directory and file name",
    "convert a date string to a timestamp",
    "send an http request and return the body",
    "escape html special characters",
    "retry a function call with exponential backoff",
]


def stdlib_functions(count: int, seed: int) -> list[str]:
    """Source text of ``count`` functions and methods from the standard library, shuffled."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if not {"test", "tests", "site-packages"} & set(p.parts))
    random.Random(seed).shuffle(files)
    found: list[str] = []
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        lines = source.splitlines()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                found.append("\n".join(lines[start - 1 : node.end_lineno]))
        if len(found) >= count:
            break
    return found[:count]


def emit(metric: str, **fields: Any) -> None:
    anchor = ANCHORS.get(metric)
    record = {
        "metric": metric,
        **fields,
        **({"anchor": anchor} if anchor else {}),
        "load1": os.getloadavg()[0],
    }
    print(json.dumps(record), flush=True)


def cold_load_s(model: str) -> float:
    """Seconds for a fresh interpreter to import codesearch.encoder and load the model."""
    code = (
        "import time; t = time.perf_counter(); from codesearch.encoder import Encoder; "
        f"Encoder.load({model!r}); print(time.perf_counter() - t)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def measure_hashing(model: str, cache_dir: Path) -> None:
    folder = resolve_model(model).folder
    files = [(p.name, p) for p in folder.glob("*.safetensors")]
    megabytes = sum(p.stat().st_size for _, p in files) / 1e6
    start = time.perf_counter()
    fingerprint(files, "", None)
    uncached_s = time.perf_counter() - start
    fingerprint(files, "", cache_dir / "bench-hashes.json")
    start = time.perf_counter()
    fingerprint(files, "", cache_dir / "bench-hashes.json")
    cached_s = time.perf_counter() - start
    emit("hash_ms", uncached=round(uncached_s * 1e3, 1), cached=round(cached_s * 1e3, 2), mb=round(megabytes))


def throughput(encoder: Encoder, texts: list[str], batch_size: int, rounds: int) -> tuple[float, np.ndarray]:
    encoder.embed_code(texts[:64], batch_size=batch_size)  # warm-up: first shapes, allocator
    best_s = float("inf")
    vectors = np.empty((0, encoder.dim), dtype=np.float32)
    for _ in range(rounds):
        start = time.perf_counter()
        vectors = encoder.embed_code(texts, batch_size=batch_size)
        best_s = min(best_s, time.perf_counter() - start)
    return len(texts) / best_s, vectors


def query_latency_ms(encoder: Encoder, repeats: int) -> tuple[float, float]:
    for query in QUERIES:
        encoder.embed_queries([query])
    samples = []
    for i in range(repeats):
        start = time.perf_counter()
        encoder.embed_queries([QUERIES[i % len(QUERIES)]])
        samples.append((time.perf_counter() - start) * 1e3)
    p50, p95 = np.percentile(samples, [50, 95])
    return float(p50), float(p95)


def top10_overlap(reference: np.ndarray, other: np.ndarray, probes: int = 100) -> float:
    """Mean share of each probe's 10 nearest functions that both embeddings agree on."""
    shared = []
    for i in range(min(probes, len(reference))):
        a = set(np.argsort(-(reference @ reference[i]))[1:11])
        b = set(np.argsort(-(other @ other[i]))[1:11])
        shared.append(len(a & b) / 10)
    return float(np.mean(shared))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="functions to embed")
    parser.add_argument("--model", default="default")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", type=int, default=200, help="single-query timings")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/codesearch-bench-cache"))
    args = parser.parse_args()

    texts = stdlib_functions(args.n, seed=1)
    emit("load_s_fresh_process", value=round(cold_load_s(args.model), 2))
    measure_hashing(args.model, args.cache_dir)
    results: dict[str, np.ndarray] = {}
    rates: dict[str, float] = {}
    for dtype in ("float32", "bfloat16"):
        start = time.perf_counter()
        encoder = Encoder.load(args.model, dtype=dtype, threads=args.threads, cache_dir=args.cache_dir)
        load_s = time.perf_counter() - start
        with encoder:
            tokens = np.minimum(encoder.count_tokens(texts), encoder.max_length)
            rate, results[dtype] = throughput(encoder, texts, args.batch_size, args.rounds)
            rates[dtype] = rate
            p50, p95 = query_latency_ms(encoder, args.queries)
            emit(
                f"functions_per_s_{dtype}",
                value=round(rate, 1),
                n=len(texts),
                batch_size=args.batch_size,
                max_length=encoder.max_length,
                mean_tokens=round(float(tokens.mean()), 1),
                tokens_per_s=round(rate * float(tokens.mean())),
                load_s_in_process=round(load_s, 2),
            )
            emit("query_ms_p50", dtype=dtype, p50=round(p50, 2), p95=round(p95, 2), samples=args.queries)
    emit("bf16_over_fp32", value=round(rates["bfloat16"] / rates["float32"], 2))
    cosines = (results["float32"] * results["bfloat16"]).sum(axis=1)
    emit("bf16_cosine_min", value=round(float(cosines.min()), 6), mean=round(float(cosines.mean()), 6))
    emit(
        "top10_overlap",
        dtype="bfloat16",
        value=round(top10_overlap(results["float32"], results["bfloat16"]), 3),
    )


if __name__ == "__main__":
    main()
