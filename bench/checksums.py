"""What checking the checksum of every vector read from the index database costs (same-run baseline).

One index of fake records with random 384-dim vectors (``bench.store``'s, default 20,000), then,
alternating the checks on and off (off: ``check_vectors`` and ``checksum_failures`` replaced by
no-ops, i.e. the code before checksums) in one process, the median over ``--repeats`` of:

- ``open_ask``: open read-only (vectors file current) and answer a first hybrid search (HNSW);
- ``open_ask_filtered``: the same with a path filter that leaves 400 records (exact search: every
  candidate's vector read from the database);
- ``open_ask_stale``: open a copy whose vectors file lacks the last 2,000 vectors (a writer killed
  before saving), which the reader loads from the database, and answer a first search;
- ``open_ask_no_file``: open a copy without a vectors file (all vectors from the database);
- ``check_damage``: what ``index`` runs before every update (integrity_check, now every checksum).

The query is a fixed vector (no encoder: its ~10 ms are the same either way). Prints one JSON
object per line with the load average at start and end.

    python -m bench.checksums [--chunks 20000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench.store import fake_batch, low_rank_unit_vectors
from codesearch.index import exact, integrity, reconcile, rows
from codesearch.index.hybrid_search import SearchRequest, search
from codesearch.index.records import IndexParams
from codesearch.index.store import IndexStore

DIM = 384
PER_FILE = 10
STALE_VECTORS = 2000
PATCHED = ((exact, "check_vectors"), (reconcile, "check_vectors"), (rows, "check_vectors"),
           (integrity, "checksum_failures"))


@contextmanager
def checks_off() -> Iterator[None]:
    """The read paths as they were before checksums: nothing verified."""
    saved = [(module, name, getattr(module, name)) for module, name in PATCHED]
    for module, name in PATCHED:
        setattr(module, name, lambda *args, **kwargs: [])
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def build(folder: Path, chunks: int, basis: np.ndarray) -> tuple[Path, Path, Path]:
    """The index, a copy whose vectors file lacks STALE_VECTORS vectors, and a copy without one."""
    params = IndexParams("fake", "f" * 64, DIM, 16, 200)
    rng = np.random.default_rng(0)
    index_dir = folder / "index"
    with IndexStore.open(index_dir, expected=params, create=True) as store:
        for first in range(0, chunks // PER_FILE, 100):
            store.apply_batch(fake_batch(rng, first, min(100, chunks // PER_FILE - first), PER_FILE, basis))
    stale = folder / "stale"
    shutil.copytree(index_dir, stale)
    with IndexStore.open(stale, expected=params) as writer:
        writer.apply_batch(fake_batch(rng, 10**6, STALE_VECTORS // PER_FILE, PER_FILE, basis))
        crashed = folder / "crashed"
        shutil.copytree(stale, crashed)  # as a kill -9 before the vectors file is saved leaves it
    no_file = folder / "no-file"
    shutil.copytree(index_dir, no_file)
    for path in no_file.glob("vectors.*"):
        path.unlink()
    return index_dir, crashed, no_file


def open_and_ask(index_dir: Path, query: np.ndarray, path_glob: str | None) -> float:
    started = time.perf_counter()
    with IndexStore.open(index_dir, readonly=True) as store:
        hits = search(store, lambda texts: np.stack([query] * len(texts)),
                      SearchRequest("fetch the retry token", k=10, path_glob=path_glob))
    assert hits
    return time.perf_counter() - started


def check_damage(index_dir: Path) -> float:
    with IndexStore.open(index_dir, expected=None) as store:
        started = time.perf_counter()
        store.check_damage()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    basis = np.random.default_rng(9).standard_normal((32, DIM)).astype(np.float32)
    query = low_rank_unit_vectors(np.random.default_rng(1), 1, DIM, basis)[0]
    with tempfile.TemporaryDirectory(prefix="cs-checksums-") as scratch:
        started = time.perf_counter()
        index_dir, crashed, no_file = build(Path(scratch), args.chunks, basis)
        print(json.dumps({"built_s": round(time.perf_counter() - started, 1), "records": args.chunks}), flush=True)
        steps: dict[str, Callable[[], float]] = {
            "open_ask": lambda: open_and_ask(index_dir, query, None),
            "open_ask_filtered": lambda: open_and_ask(index_dir, query, "pkg7/*"),
            "open_ask_stale": lambda: open_and_ask(crashed, query, None),
            "open_ask_no_file": lambda: open_and_ask(no_file, query, None),
            "check_damage": lambda: check_damage(index_dir),
        }
        for name, step in steps.items():
            step()  # warm the page cache and imports once
            times: dict[str, list[float]] = {"on": [], "off": []}
            for _ in range(args.repeats):
                times["on"].append(step())
                with checks_off():
                    times["off"].append(step())
            on, off = statistics.median(times["on"]), statistics.median(times["off"])
            print(json.dumps({"step": name, "checks_on_ms": round(on * 1000, 2), "checks_off_ms": round(off * 1000, 2),
                              "cost_ms": round((on - off) * 1000, 2), "records": args.chunks}), flush=True)
    print(json.dumps({"load_avg_start": load_start, "load_avg_end": os.getloadavg()[0], "cpus": os.cpu_count()}))


if __name__ == "__main__":
    main()
