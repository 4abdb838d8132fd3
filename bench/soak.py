"""Soak: a real ``codesearch serve`` under mixed load for a bounded time; nothing may fail or leak.

Serves a working copy of an indexed tree (default: the standard-library copy of stdlib_index.py,
or ``--root``): ``--clients`` threads search without pause (natural-language and identifier
queries, each client its own connection), while one writer keeps editing files: it adds a
uniquely named function to a random file, waits until a search returns it (freshness), then
removes it again and waits until it is gone. Meanwhile the server's RSS is sampled every second.
At the end the server is stopped and ``codesearch status --check`` verifies the index.

Prints one JSON line (queries served, errors, latency and freshness percentiles, RSS start/end/max)
and writes ``soak.json`` and ``soak-rss.png`` (RSS and query rate over time) into ``--out``.
Exit status 1 if any query or edit failed, or the check found a problem.

    python -m bench.soak --minutes 10 [--clients 8] [--root DIR | --subset-files N] [--out bench/results]

Needs matplotlib for the plot: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.server_load import QUERIES, REPO_ROOT, percentile, rss_kib, start_server
from bench.stdlib_index import DEFAULT_CACHE, build_index, stdlib_copy
from codesearch.server.client import RemoteError, ServerConnection, stop_server

GIVE_UP_S = 60.0  # an edit not searchable within this counts as an error (a lost update)
POLL_S = 0.05


@dataclass
class Tally:
    """What the threads record; each list is appended to by one thread only."""

    query_times: list[tuple[float, float]] = field(default_factory=list)  # (at s, latency s)
    freshness: list[float] = field(default_factory=list)  # seconds from a write to seeing it
    rss: list[tuple[float, float]] = field(default_factory=list)  # (at s, MiB)
    errors: list[str] = field(default_factory=list)
    edits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def search_names(connection: ServerConnection, root: Path, query: str) -> list[str]:
    return [hit["name"] for hit in connection.call("search", {"root": str(root), "query": query, "k": 10})["hits"]]


def query_client(socket_path: Path, root: Path, number: int, until: float, started: float, tally: Tally) -> None:
    rng = random.Random(number)
    times: list[tuple[float, float]] = []
    with ServerConnection.connect(socket_path, timeout_s=30) as connection:
        while time.monotonic() < until:
            query = rng.choice(QUERIES)
            before = time.monotonic()
            try:
                connection.call("search", {"root": str(root), "query": query, "k": 10}, timeout_s=30)
            except (RemoteError, OSError) as exc:
                tally.error(f"client {number}: {type(exc).__name__}: {exc}")
                continue
            times.append((before - started, time.monotonic() - before))
    with tally.lock:
        tally.query_times.extend(times)


def wait_for(connection: ServerConnection, root: Path, name: str, *, present: bool) -> float | None:
    """Seconds until a search for ``name`` has it among its hits (or no longer); None: gave up."""
    written = time.monotonic()
    while time.monotonic() - written < GIVE_UP_S:
        if (name in search_names(connection, root, name)) == present:
            return time.monotonic() - written
        time.sleep(POLL_S)
    return None


def writer(socket_path: Path, root: Path, until: float, tally: Tally) -> None:
    """Add a function to a random file, wait until it is found, remove it, wait until it is gone."""
    rng = random.Random(0)
    files = sorted(path for path in root.rglob("*.py") if ".codesearch" not in path.parts)
    with ServerConnection.connect(socket_path, timeout_s=30) as connection:
        while time.monotonic() < until:
            path = rng.choice(files)
            original = path.read_bytes()
            name = f"soak_marker_{secrets.token_hex(4)}"
            path.write_bytes(original + f"\n\ndef {name}(value):\n    return value\n".encode())
            for present in (True, False):
                waited = wait_for(connection, root, name, present=present)
                if waited is None:
                    tally.error(f"edit of {path.name}: {name} {'never appeared' if present else 'never left'}")
                else:
                    tally.freshness.append(waited)
                if present:
                    path.write_bytes(original)
            tally.edits += 1


def guarded(work: Any, tally: Tally, *args: Any) -> None:
    """Run a load thread; anything it raises is an error of the soak, not a dead thread."""
    try:
        work(*args)
    except Exception as exc:
        tally.error(f"{work.__name__}: {type(exc).__name__}: {exc}")


def sample_rss(pid: int, until: float, started: float, tally: Tally) -> None:
    while time.monotonic() < until:
        tally.rss.append((time.monotonic() - started, rss_kib(pid) / 1024))
        time.sleep(1.0)


def working_copy(source: Path, folder: Path) -> Path:
    """A copy of the indexed tree, index included, with its mtimes (so nothing needs re-indexing)."""
    root = folder / source.name
    shutil.copytree(source, root, symlinks=True, ignore=shutil.ignore_patterns("lock", "*-shm"))
    from codesearch.index.locations import record_repo_root

    record_repo_root(root / ".codesearch", root.resolve())
    return root.resolve()


def plot(tally: Tally, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (memory, rate) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
    memory.plot([t / 60 for t, _ in tally.rss], [mib for _, mib in tally.rss], color="tab:blue")
    memory.set_ylabel("server RSS (MiB)")
    memory.set_ylim(bottom=0)
    memory.set_title(title, fontsize=10)
    buckets: dict[int, int] = {}
    for at, _ in tally.query_times:
        buckets[int(at // 10)] = buckets.get(int(at // 10), 0) + 1
    rate.plot([10 * b / 60 for b in sorted(buckets)], [buckets[b] / 10 for b in sorted(buckets)], color="tab:green")
    rate.set_ylabel("queries / s (10 s bins)")
    rate.set_xlabel("minutes")
    rate.set_ylim(bottom=0)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def indexed_source(args: argparse.Namespace) -> Path:
    """``--root`` as given, or the stdlib copy (its first ``--subset-files`` files), indexed now if needed."""
    if args.root is not None:
        return Path(args.root).resolve()
    source = stdlib_copy(args.cache, args.subset_files).resolve()
    print(json.dumps({"index": build_index(source)}), file=sys.stderr, flush=True)
    return source


def run(args: argparse.Namespace, folder: Path) -> tuple[dict[str, Any], Tally, bool]:
    root = working_copy(indexed_source(args), folder)
    runtime = folder / "runtime"
    runtime.mkdir()
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime),
           "CODESEARCH_THREADS": os.environ.get("CODESEARCH_THREADS", "1"),  # the machine is shared
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    process = start_server(root, runtime, env)
    socket_path = runtime / "codesearch" / "server.sock"
    tally = Tally()
    started = time.monotonic()
    until = started + args.minutes * 60
    threads = [threading.Thread(target=sample_rss, args=(process.pid, until, started, tally)),
               threading.Thread(target=guarded, args=(writer, tally, socket_path, root, until, tally)),
               *(threading.Thread(target=guarded,
                                  args=(query_client, tally, socket_path, root, n, until, started, tally))
                 for n in range(args.clients))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop_server(socket_path)
        process.wait(120)
    finally:
        if process.poll() is None:  # never leave a server behind
            process.kill()
            process.wait()
    check = subprocess.run([sys.executable, "-m", "codesearch", "status", str(root), "--check"], env=env,
                           capture_output=True, text=True, check=False)
    latencies = [latency for _, latency in tally.query_times]
    summary = {
        "bench": "soak", "root": str(root), "subset_files": args.subset_files, "minutes": args.minutes,
        "clients": args.clients,
        "queries_served": len(latencies), "queries_per_s": round(len(latencies) / (args.minutes * 60), 1),
        "errors": len(tally.errors), "first_errors": tally.errors[:3],
        "query_p50_ms": round(1000 * percentile(latencies, 0.5), 1) if latencies else None,
        "query_p95_ms": round(1000 * percentile(latencies, 0.95), 1) if latencies else None,
        "edits": tally.edits,
        "freshness_p50_s": round(percentile(tally.freshness, 0.5), 3) if tally.freshness else None,
        "freshness_p95_s": round(percentile(tally.freshness, 0.95), 3) if tally.freshness else None,
        "freshness_max_s": round(max(tally.freshness), 3) if tally.freshness else None,
        "rss_start_mib": round(tally.rss[0][1], 1), "rss_end_mib": round(tally.rss[-1][1], 1),
        "rss_max_mib": round(max(mib for _, mib in tally.rss), 1),
        "server_exit_code": process.returncode, "status_check": "ok" if check.returncode == 0 else check.stdout[-500:],
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    return summary, tally, check.returncode == 0 and process.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--root", type=Path, help="an indexed tree to soak instead of the stdlib copy (copied first)")
    parser.add_argument("--subset-files", type=int, help="only the first N stdlib files (a smaller index)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cs-soak-") as folder:
        summary, tally, is_clean = run(args, Path(folder))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(summary, indent=1) + "\n")
    plot(tally, args.out / "soak-rss.png", f"codesearch serve, {args.clients} query clients + 1 editor, "
         f"{summary['queries_served']:,} queries, {summary['errors']} errors")
    print(json.dumps(summary), flush=True)
    sys.exit(0 if is_clean and not tally.errors else 1)


if __name__ == "__main__":
    main()
