"""Discovery speed: files/s of discover_files over a tree (default: the Python stdlib), as JSON lines.

Run: python -m bench.discovery [--root PATH] [--runs N]

The first run may read from a cold page cache; later runs show the warm cost. One more line gives
the cost of load_ignore_rules and of check_path per file (the watcher's single-path path).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sysconfig
import time
from pathlib import Path

from codesearch.parsing.discovery import check_path, discover_files, load_ignore_rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    seconds: list[float] = []
    for run in range(args.runs):
        started = time.perf_counter()
        result = discover_files(args.root)
        elapsed = time.perf_counter() - started
        seconds.append(elapsed)
        print(json.dumps({
            "bench": "discovery", "root": str(args.root), "run": run, "files": len(result.files),
            "skipped": len(result.skipped), "seconds": round(elapsed, 4),
            "files_per_s": round(len(result.files) / elapsed), "skipped_by_reason": result.counts_by_reason(),
        }))
    warm = seconds[1:] or seconds
    print(json.dumps({
        "bench": "discovery_summary", "root": str(args.root), "files": len(result.files),
        "median_warm_seconds": round(statistics.median(warm), 4),
        "median_warm_files_per_s": round(len(result.files) / statistics.median(warm)),
    }))
    started = time.perf_counter()
    rules = load_ignore_rules(args.root)
    rules_s = time.perf_counter() - started
    started = time.perf_counter()
    for source in result.files:
        check_path(args.root, source.path, rules=rules)
    per_file_us = (time.perf_counter() - started) / max(len(result.files), 1) * 1e6
    print(json.dumps({
        "bench": "single_paths", "load_ignore_rules_seconds": round(rules_s, 4),
        "check_path_us_per_file": round(per_file_us, 1),
    }))


if __name__ == "__main__":
    main()
