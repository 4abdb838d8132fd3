"""Encoder throughput bench: functions/s in float32 and bfloat16, query latency, load and hash cost.

Embeds N real functions taken from the Python standard library with ``ast`` (the project's own
extractor is not needed for a throughput figure) and prints one JSON object per line, each with
the measured anchor from the design notes beside it. Not part of pytest.

    python -m bench.embed --n 1000

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


class OthersCpu:
    """Share of the machine's CPU used by other processes during a block (Linux; else None)."""

    share: float | None = None

    def __enter__(self) -> OthersCpu:
        self._start = (_machine_busy_ticks(), os.times())
        return self

    def __exit__(self, *exc: object) -> None:
        (busy0, total0), mine0 = self._start
        (busy1, total1), mine1 = _machine_busy_ticks(), os.times()
        if total1 <= total0:
            return
        mine = (mine1.user - mine0.user + mine1.system - mine0.system) * os.sysconf("SC_CLK_TCK")
        self.share = round(max(0.0, (busy1 - busy0 - mine) / (total1 - total0)), 2)


def _machine_busy_ticks() -> tuple[int, int]:
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0, 0
    return sum(fields) - fields[3] - fields[4], sum(fields)


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


def throughput(
    encoder: Encoder, texts: list[str], batch_size: int, rounds: int
) -> tuple[dict[str, Any], np.ndarray]:
    """Best-of-rounds wall rate, plus CPU-time rate (robust to a busy machine at 1 thread)."""
    encoder.embed_code(texts[:64], batch_size=batch_size)  # warm-up: first shapes, allocator
    best_s, best_cpu_s, others = float("inf"), float("inf"), []
    vectors = np.empty((0, encoder.dim), dtype=np.float32)
    for _ in range(rounds):
        with OthersCpu() as meter:
            start, cpu_start = time.perf_counter(), time.process_time()
            vectors = encoder.embed_code(texts, batch_size=batch_size)
            best_s = min(best_s, time.perf_counter() - start)
            best_cpu_s = min(best_cpu_s, time.process_time() - cpu_start)
        others.append(meter.share)
    rates = {
        "value": round(len(texts) / best_s, 1),
        "per_cpu_s": round(len(texts) / best_cpu_s, 1),
        "others_cpu_share": others,
    }
    return rates, vectors


def query_latency_ms(encoder: Encoder, repeats: int) -> dict[str, float]:
    """p50/p95 wall milliseconds for one query at a time, and p50 process CPU milliseconds."""
    for query in QUERIES:
        encoder.embed_queries([query])
    wall, cpu = [], []
    for i in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        encoder.embed_queries([QUERIES[i % len(QUERIES)]])
        wall.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.process_time() - cpu_start) * 1e3)
    p50, p95 = np.percentile(wall, [50, 95])
    return {
        "p50": round(float(p50), 2),
        "p95": round(float(p95), 2),
        "cpu_p50": round(float(np.median(cpu)), 2),
    }


def top10_overlap(reference: np.ndarray, other: np.ndarray, probes: int = 100) -> float:
    """Mean share of each probe's 10 nearest functions that both embeddings agree on."""
    shared = []
    for i in range(min(probes, len(reference))):
        a = set(np.argsort(-(reference @ reference[i]))[1:11])
        b = set(np.argsort(-(other @ other[i]))[1:11])
        shared.append(len(a & b) / 10)
    return float(np.mean(shared))


def torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


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
    cpu_rates: dict[str, float] = {}
    for dtype in ("float32", "bfloat16"):
        start = time.perf_counter()
        encoder = Encoder.load(args.model, dtype=dtype, threads=args.threads, cache_dir=args.cache_dir)
        load_s = time.perf_counter() - start
        with encoder:
            tokens = np.minimum(encoder.count_tokens(texts), encoder.max_length)
            figures, results[dtype] = throughput(encoder, texts, args.batch_size, args.rounds)
            rates[dtype] = rate = figures["value"]
            cpu_rates[dtype] = figures["per_cpu_s"]
            latency = query_latency_ms(encoder, args.queries)
            emit(
                f"functions_per_s_{dtype}",
                **figures,
                threads=torch_threads(),
                n=len(texts),
                batch_size=args.batch_size,
                max_length=encoder.max_length,
                mean_tokens=round(float(tokens.mean()), 1),
                tokens_per_s=round(rate * float(tokens.mean())),
                load_s_in_process=round(load_s, 2),
            )
            emit("query_ms_p50", dtype=dtype, **latency, samples=args.queries)
    emit(
        "bf16_over_fp32",
        value=round(rates["bfloat16"] / rates["float32"], 2),
        per_cpu_s=round(cpu_rates["bfloat16"] / cpu_rates["float32"], 2),
    )
    cosines = (results["float32"] * results["bfloat16"]).sum(axis=1)
    emit("bf16_cosine_min", value=round(float(cosines.min()), 6), mean=round(float(cosines.mean()), 6))
    emit(
        "top10_overlap",
        dtype="bfloat16",
        value=round(top10_overlap(results["float32"], results["bfloat16"]), 3),
    )


if __name__ == "__main__":
    main()
