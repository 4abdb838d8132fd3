"""A damaged index is moved aside, kept for inspection, and rebuilt from the files and the caches.

Damage is what disks, copies and crashes do to an index folder: bytes flipped in SQLite's pages, a
truncated file, a lost one. The vectors file already heals itself on open (index/reconcile.py); the
database is the source of truth, so a damaged database means a new index. ``codesearch index`` (and
a server opening a repository) moves the old folder's files into ``<index>/damaged-<time>/`` (inside
the index folder, which discovery and the watcher never read) and builds again; the machine-wide
embedding cache (index/machine_cache.py) gives back every vector it holds, so the rebuild embeds
nothing it has seen.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

logger = logging.getLogger(__name__)

DAMAGED_PREFIX = "damaged-"
_KEPT_IN_PLACE = ("lock",)  # another process may hold the writer lock on it; it carries no data


def set_aside(index_dir: Path) -> Path:
    """Move the files of ``index_dir`` into a new ``damaged-<time>`` folder inside it; that folder."""
    aside = index_dir / f"{DAMAGED_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}"
    suffix = 1
    while aside.exists():
        aside = aside.with_name(f"{aside.name.split('.')[0]}.{suffix}")
        suffix += 1
    aside.mkdir()
    for path in sorted(index_dir.iterdir()):
        if path == aside or path.name in _KEPT_IN_PLACE or path.name.startswith(DAMAGED_PREFIX):
            continue
        path.replace(aside / path.name)
    return aside
