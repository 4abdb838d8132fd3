"""Definitions/s of `codesearch index`: local, and through Ray with 1 and 2 worker processes.

    python -m bench.ray_index [--repo codesearch] [--json] [--keep-index DIR]

Each configuration builds a fresh index of a copy of REPO (no embeddings cache, so every
definition is embedded) and reports the embedding rate (definitions per second in the encoder,
or in the actor pool for Ray), the whole build's wall time, and the load average. Ray runs on a
local instance started here (all of this machine's CPUs); its actors are started (and load the
model) before the clock starts, as a long run on a cluster pays that once. The overhead per Ray
call is measured twice: an empty call's round trip, and the 1-worker rate against local at one
thread, divided by the number of slices.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from codesearch.config import Settings
from codesearch.indexer.updates import index_repository

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def build(repo: Path, index_dir: Path, settings: Settings, embedder: object | None) -> dict[str, float]:
    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    summary = index_repository(repo, settings, embedder=embedder)  # type: ignore[arg-type]
    return {
        "definitions": summary.chunks_embedded,
        "embed_s": round(summary.embed_seconds, 2),
        "wall_s": round(time.perf_counter() - started, 2),
        "defs_per_s": round(summary.chunks_embedded / summary.embed_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO_ROOT / "codesearch")
    parser.add_argument("--slice-texts", type=int, default=128)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep-index", type=Path, help="Copy the last index here (for bench/scale.py).")
    args = parser.parse_args()

    import ray

    from codesearch.distributed.cluster import RayConnection
    from codesearch.distributed.ray_embedder import PoolPlan, RayEmbedder
    from codesearch.encoder.identity import describe_model
    from codesearch.encoder.model import Encoder

    work = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    repo = work / "repo"
    shutil.copytree(args.repo, repo, ignore=shutil.ignore_patterns(".codesearch", "__pycache__"))
    rows: list[dict[str, object]] = []
    print(f"load average before: {load_average()}", file=sys.stderr)
    Encoder.load("default").close()  # warm the model files' page cache and hash cache for every row
    for threads in (0, 1):
        row = build(repo, work / "index", Settings(index_dir=str(work / "index"), threads=threads), None)
        rows.append({"setup": f"local, threads={threads or 'auto'}", **row, "load": load_average()})
    model_hash = describe_model("default").model_hash
    with RayConnection.connect() as connection:
        for workers in (1, 2):
            with RayEmbedder.start(connection, "default", model_hash, PoolPlan(workers, 1, 0),
                                   slice_texts=args.slice_texts) as embedder:
                row = build(repo, work / "index", Settings(index_dir=str(work / "index")), embedder)
                rows.append({"setup": f"ray, {workers} worker(s)", **row, "load": load_average()})
        probe = ray.remote(lambda: None).options(num_cpus=0)
        ray.get(probe.remote())  # a worker process for it is started once, outside the clock
        started = time.perf_counter()
        for _ in range(50):
            ray.get(probe.remote())
        round_trip_ms = (time.perf_counter() - started) / 50 * 1000
    if args.keep_index is not None:
        shutil.rmtree(args.keep_index, ignore_errors=True)
        shutil.copytree(work / "index", args.keep_index)
    shutil.rmtree(work, ignore_errors=True)
    definitions = float(rows[0]["definitions"])  # type: ignore[arg-type]
    slices = -(-definitions // args.slice_texts)
    per_slice_ms = (float(rows[2]["embed_s"]) - float(rows[1]["embed_s"])) / slices * 1000  # type: ignore[arg-type]
    overhead = {"empty_call_round_trip_ms": round(round_trip_ms, 2),
                "ray_1_worker_minus_local_1_thread_ms_per_slice": round(per_slice_ms, 1),
                "slice_texts": args.slice_texts, "slices": int(slices)}
    if args.json:
        for row in rows:
            print(json.dumps(row))
        print(json.dumps(overhead))
        return
    print("| setup | definitions | embed s | defs/s | build wall s | load average |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for row in rows:
        print(f"| {row['setup']} | {row['definitions']} | {row['embed_s']} | {row['defs_per_s']} | "
              f"{row['wall_s']} | {row['load']} |")
    print(json.dumps(overhead))
    print(f"load average after: {load_average()}", file=sys.stderr)


if __name__ == "__main__":
    main()
