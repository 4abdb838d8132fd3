"""A copy of the Python standard library, indexed once into a cache folder, for the server benchmarks.

The copy holds the ``.py`` files of ``sysconfig``'s stdlib (no site-packages, no __pycache__), so the
benchmarks can edit files freely. Building its index embeds ~70,000 functions: on two busy cores that
takes hours, so it is built once, resumably (``codesearch index`` commits in rounds), and reused.
``--subset-files N`` copies only the first N files (sorted by path) into its own folder.

    python -m bench.stdlib_index [--cache DIR] [--subset-files N]     # build or finish the index
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import sysconfig
import time
from pathlib import Path

from codesearch.config import resolve_settings
from codesearch.indexer.updates import index_repository
from codesearch.records import IndexProgress

DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codesearch-bench"
SKIPPED_DIRS = {"site-packages", "__pycache__"}


def stdlib_copy(cache: Path, subset_files: int | None = None) -> Path:
    """The copied tree (made on first use): ``<cache>/stdlib-<version>[-<n>]``."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    target = cache / (f"stdlib-{version}" + (f"-{subset_files}" if subset_files else ""))
    marker = target / ".copied"
    if marker.exists():
        return target
    source = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        path for path in source.rglob("*.py") if not SKIPPED_DIRS.intersection(path.relative_to(source).parts)
    )
    for path in files[:subset_files] if subset_files else files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    (target / ".git").mkdir(exist_ok=True)  # a repository root, so indexes and ignore rules anchor here
    marker.write_text("copied\n")
    return target


def build_index(root: Path) -> dict[str, object]:
    """Create or finish the index of ``root``; returns a summary for a JSON line."""
    settings = resolve_settings(root)
    last = [0.0]

    def report(progress: IndexProgress) -> None:
        if time.monotonic() - last[0] > 60:
            last[0] = time.monotonic()
            print(
                json.dumps(
                    {
                        "building": str(root),
                        "files_done": progress.files_done,
                        "files_total": progress.files_total,
                        "embedded": progress.chunks_embedded,
                    }
                ),
                file=sys.stderr,
                flush=True,
            )

    summary = index_repository(root, settings, on_progress=report, lock_wait=True)
    return {
        "root": str(root),
        "files": summary.files_total,
        "functions": summary.chunks_total,
        "embedded_now": summary.chunks_embedded,
        "seconds": round(summary.seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--subset-files", type=int)
    args = parser.parse_args()
    print(json.dumps(build_index(stdlib_copy(args.cache, args.subset_files))))


if __name__ == "__main__":
    main()
