"""Server under load: concurrent clients against a real `codesearch serve`, and warm vs cold `ask`.

Starts ``codesearch serve ROOT`` as a child process (its own runtime folder), waits for its first
update round, then ``--clients`` threads, each with its own connection, send ``--queries`` searches
each (natural-language and identifier queries, round robin). Reports p50/p95/p99 latency, the
error count (goal: zero), throughput, and the server's RSS before and after; and one client's
sequential searches, the server-side latency of a lone query. Then times ``codesearch ask --json``
end to end as a child process: warm (the server answers) and cold (no server: the CLI loads the
model and the index itself), after compiling the package's .pyc files as an install does (this
environment sets PYTHONDONTWRITEBYTECODE, which would otherwise make every run compile the changed
modules again). One JSON line per measurement, with the figures measured before (issue 5's closing
note, 2 cores, load 5-12) beside the new ones.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.stdlib_index import DEFAULT_CACHE, stdlib_copy
from codesearch.server.client import RemoteError, ServerConnection, stop_server

REPO_ROOT = Path(__file__).resolve().parents[1]
BEFORE = {
    "load_p50_ms": "752-883", "single_client_p50_ms": "~75 (BM25 55-85 + embed 11.5 + HNSW 0.4)",
    "warm_ask_p50_ms": "155-265 wall (best 103), 87-97 CPU", "cold_ask_s": "6.2-9.8",
}
QUERIES = [
    "parse a date string into a datetime",
    "read a file line by line",
    "compute the md5 hash of a file",
    "send an email over smtp",
    "split a path into directory and file name",
    "decode base64 data",
    "start a thread pool and wait for results",
    "compress data with zlib",
    "format a number with commas",
    "open a tcp connection with a timeout",
    "walk a directory tree recursively",
    "escape html characters",
    "parse command line arguments",
    "read a csv file into rows",
    "serialize an object to json",
    "make a temporary directory",
    "compare two sequences and show the differences",
    "url encode a query string",
    "urlparse",
    "OrderedDict.move_to_end",
    "shutil.copytree",
    "deepcopy",
    "Thread.join",
    "heappush",
    "retry a function call when it fails",
    "lock a file so two processes do not write it at once",
    "generate a random password",
    "convert a string to title case",
    "wait for a subprocess and read its output",
    "validate an ip address",
    "find the longest common prefix",
    "merge two sorted lists",
]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def start_server(root: Path, runtime: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "codesearch", "serve", str(root)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    while "serving on" not in (line := process.stderr.readline()):
        if not line:
            raise SystemExit(f"the server exited with {process.wait()}")
    socket_path = runtime / "codesearch" / "server.sock"
    with ServerConnection.connect(socket_path) as connection:  # wait for the catch-up round
        while not any(r["generation"] >= 1 and not r["busy"] for r in connection.call("status")["repos"]):
            time.sleep(0.2)
    return process


def load(socket_path: Path, root: Path, clients: int, per_client: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_line = threading.Barrier(clients)

    def client(number: int) -> None:
        mine, failed = [], []
        with ServerConnection.connect(socket_path, timeout_s=5) as connection:
            start_line.wait()
            for i in range(per_client):
                query = QUERIES[(number * 7 + i) % len(QUERIES)]
                started = time.perf_counter()
                try:
                    connection.call("search", {"root": str(root), "query": query, "k": 10})
                except (RemoteError, OSError) as exc:
                    failed.append(f"{type(exc).__name__}: {exc}")
                mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors.extend(failed)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:3],
        "seconds": round(elapsed, 2),
        "throughput_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * percentile(latencies, 0.5), 1),
        "p95_ms": round(1000 * percentile(latencies, 0.95), 1),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 1),
    }


def time_ask(root: Path, env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (user + system) of each ``codesearch ask`` child process."""
    walls, cpus = [], []
    for i in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "codesearch",
                "ask",
                "--json",
                "--repo",
                str(root),
                QUERIES[i % len(QUERIES)],
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def print_load(pid: int, socket_path: Path, root: Path, clients: int, per_client: int) -> None:
    before = rss_kib(pid)
    result = load(socket_path, root, clients, per_client)
    after = rss_kib(pid)
    print(
        json.dumps(
            {
                "bench": "server_load",
                "root": str(root),
                "clients": clients,
                "queries_per_client": per_client,
                **result,
                "before_p50_ms": BEFORE["load_p50_ms"],
                "rss_before_mib": round(before / 1024, 1),
                "rss_after_mib": round(after / 1024, 1),
                "rss_growth_ratio": round(after / before, 3),
                "load_average_1m": round(os.getloadavg()[0], 2),
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--root", type=Path, help="an indexed tree to use instead of the stdlib copy")
    parser.add_argument("--clients", type=int, default=16, help="0: skip the load test")
    parser.add_argument("--single-queries", type=int, default=100, help="sequential searches of one client")
    parser.add_argument("--queries", type=int, default=200, help="per client")
    parser.add_argument("--warm-asks", type=int, default=20)
    parser.add_argument("--cold-asks", type=int, default=3)
    args = parser.parse_args()
    root = (args.root or stdlib_copy(args.cache)).resolve()
    with (
        tempfile.TemporaryDirectory(prefix="cs-load-") as runtime_dir,
        tempfile.TemporaryDirectory(prefix="cs-cold-") as cold_dir,
    ):
        runtime = Path(runtime_dir)
        env = {
            **os.environ,
            "XDG_RUNTIME_DIR": str(runtime),
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        process = start_server(root, runtime, env)
        socket_path = runtime / "codesearch" / "server.sock"
        try:
            load(socket_path, root, 1, 10)  # warm-up: first queries pay for caches
            single = load(socket_path, root, 1, args.single_queries)
            print(json.dumps({"bench": "server_single_client", "root": str(root), **single,
                              "before_p50_ms": BEFORE["single_client_p50_ms"], "goal_p50_ms": 15,
                              "load_average_1m": round(os.getloadavg()[0], 2)}), flush=True)
            if args.clients:
                print_load(process.pid, socket_path, root, args.clients, args.queries)
            compileall.compile_dir(REPO_ROOT / "codesearch", quiet=1)
            warm, warm_cpu = time_ask(root, env, args.warm_asks)
        finally:
            stop_server(socket_path)
            process.wait(120)
        cold, cold_cpu = time_ask(root, {**env, "XDG_RUNTIME_DIR": cold_dir}, args.cold_asks)
    print(
        json.dumps(
            {
                "bench": "ask_wall",
                "root": str(root),
                "warm_runs": len(warm),
                "warm_p50_ms": round(1000 * statistics.median(warm), 1),
                "warm_min_ms": round(1000 * min(warm), 1),
                "warm_max_ms": round(1000 * max(warm), 1),
                "warm_cpu_p50_ms": round(1000 * statistics.median(warm_cpu), 1),
                "cold_cpu_p50_ms": round(1000 * statistics.median(cold_cpu), 1),
                "load_average_1m": round(os.getloadavg()[0], 2),
                "cold_runs": len(cold),
                "cold_p50_ms": round(1000 * statistics.median(cold), 1),
                "cold_to_warm_ratio": round(statistics.median(cold) / statistics.median(warm), 1),
                "goal_warm_ms": 100,
                "before_warm": BEFORE["warm_ask_p50_ms"],
                "before_cold_s": BEFORE["cold_ask_s"],
            }
        )
    )


if __name__ == "__main__":
    main()
