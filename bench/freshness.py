"""Freshness: seconds from a file write until a search returns the function the write added.

The real server runs in this process (real encoder, real Unix socket, its watcher); the searches go
through the socket like any client's. Over an index of the Python standard library (see
stdlib_index.py; ``--root`` for any other indexed tree), each of ``--edits`` edits appends a new,
uniquely named function to a randomly chosen indexed Python file, then searches for its name every
20 ms until it is among the top 10 hits (``top1_share``: how often it was the first). The file is
then restored, and the next edit waits until the restore is searchable too. Prints one JSON line
per edit with --verbose, and a summary line: p50/p95/max seconds, the server's own update time,
and the ratio to the goal (p95 <= 1 s).
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stdlib_index import DEFAULT_CACHE, stdlib_copy
from codesearch.config import resolve_settings
from codesearch.encoder.model import Encoder
from codesearch.index.locations import find_index_dir
from codesearch.index.store import IndexStore
from codesearch.server.client import ServerConnection
from codesearch.server.serve import Server

GOAL_P95_S = 1.0
POLL_S = 0.02
K = 10  # "returned by a search": among the top 10 hits for its name


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def wait_until(
    connection: ServerConnection, root: Path, name: str, *, present: bool, give_up_s: float
) -> tuple[float | None, int | None]:
    """Search for ``name`` (k=10) every POLL_S until it is among the hits (or gone from them).

    Returns the time it happened (None: gave up) and the rank it had then (1-based; None if gone).
    """
    started = time.perf_counter()
    while time.perf_counter() - started < give_up_s:
        hits = connection.call("search", {"root": str(root), "query": name, "k": K})["hits"]
        names = [hit["name"] for hit in hits]
        if (name in names) == present:
            return time.perf_counter(), (names.index(name) + 1 if present else None)
        time.sleep(POLL_S)
    return None, None


def edit_once(
    connection: ServerConnection, root: Path, rel: str, number: int, give_up_s: float
) -> dict[str, Any]:
    path = root / rel
    original = path.read_bytes()
    name = f"freshness_probe_{number}_{secrets.token_hex(3)}"
    added = (
        f'\n\ndef {name}(values):\n    """Probe {number}: the sum of the squares of values."""\n'
        "    return sum(value * value for value in values)\n"
    ).encode()
    written = time.perf_counter()
    path.write_bytes(original + added)
    found, rank = wait_until(connection, root, name, present=True, give_up_s=give_up_s)
    round_s = connection.call("status")["repos"][0]["lastUpdate"]["seconds"]
    path.write_bytes(original)
    gone, _ = wait_until(connection, root, name, present=False, give_up_s=give_up_s)
    return {
        "edit": number,
        "file": rel,
        "bytes": len(original),
        "seconds": None if found is None else round(found - written, 4),
        "rank": rank,
        "server_update_s": round_s,
        "restored": gone is not None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--root", type=Path, help="an indexed tree to use instead of the stdlib copy")
    parser.add_argument("--subset-files", type=int)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--give-up-s", type=float, default=20.0)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    root = (args.root or stdlib_copy(args.cache, args.subset_files)).resolve()
    settings = resolve_settings(root)
    with IndexStore.open(find_index_dir(root, None), readonly=True) as store:
        paths = sorted(path for path in store.all_file_states() if path.endswith(".py"))  # probes are Python
        functions = store.counts().chunks
    chosen = random.Random(args.seed).sample(paths, min(args.edits, len(paths)))
    results = []
    with (
        Encoder.load(settings.model, threads=settings.threads) as encoder,
        tempfile.TemporaryDirectory(prefix="cs-fresh-") as run_dir,
        Server(encoder, resolve_settings, Path(run_dir) / "s.sock") as server,
    ):
        served = server.registry.get(root, None)
        started = time.perf_counter()
        catch_up = served.watcher.wait_for(1)
        print(
            json.dumps(
                {
                    "catch_up_s": round(time.perf_counter() - started, 2),
                    "catch_up_summary": str(catch_up.summary if catch_up else None),
                }
            ),
            file=sys.stderr,
        )
        with ServerConnection.connect(server.socket_path) as connection:
            for number, rel in enumerate(chosen):
                result = edit_once(connection, root, rel, number, args.give_up_s)
                results.append(result)
                if args.verbose:
                    print(json.dumps(result), flush=True)
    latencies = [r["seconds"] for r in results if r["seconds"] is not None]
    p95 = percentile(latencies, 0.95) if latencies else float("nan")
    print(
        json.dumps(
            {
                "bench": "freshness",
                "root": str(root),
                "files": len(paths),
                "functions": functions,
                "edits": len(results),
                "failed": len(results) - len(latencies),
                "debounce_s": settings.debounce_s,
                "p50_s": round(percentile(latencies, 0.5), 3) if latencies else None,
                "p95_s": round(p95, 3),
                "max_s": round(max(latencies), 3) if latencies else None,
                "mean_s": round(statistics.fmean(latencies), 3) if latencies else None,
                "top1_share": round(sum(r["rank"] == 1 for r in results) / len(results), 3),
                "server_update_p50_s": round(statistics.median(r["server_update_s"] for r in results), 3),
                "goal_p95_s": GOAL_P95_S,
                "p95_to_goal_ratio": round(p95 / GOAL_P95_S, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
