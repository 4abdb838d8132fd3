"""Index status without loading the model: counts, size on disk, last update, staleness, a newer encoder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from codesearch.config import Settings
from codesearch.encoder.source import newer_default_model
from codesearch.index.locations import find_index_dir, repo_root_of
from codesearch.index.records import IntegrityReport
from codesearch.index.store import IndexStore
from codesearch.parsing.extraction_runs import plan_files
from codesearch.parsing.text_formats import TextFiles


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """What ``codesearch status`` reports."""

    index_dir: str
    repo_root: str
    model_id: str
    model_hash: str
    dim: int
    files: int
    chunks: int
    live_vectors: int
    embedded_chunks: int  # chunks with a vector; the others are found by keywords until embedded
    size_bytes: int
    updated_at_s: float
    stale_new: int  # files on disk not in the index
    stale_modified: int  # files whose size or mtime differ from the index
    stale_deleted: int  # indexed files gone from disk
    integrity: IntegrityReport | None = None
    # The default encoder's id when the index was built by an earlier shipped one (`index --full` moves it).
    newer_default_model: str | None = None

    @property
    def stale_files(self) -> int:
        return self.stale_new + self.stale_modified + self.stale_deleted


def index_status(start: Path, settings: Settings, *, check: bool = False) -> IndexStatus:
    """The status of the index for ``start``; ``check`` adds a full integrity check."""
    index_dir = find_index_dir(start, settings.index_dir)
    repo_root = repo_root_of(index_dir)
    with IndexStore.open(index_dir, readonly=True) as store:
        meta = store.meta
        counts = store.counts()
        states = store.all_file_states()
        integrity = store.check_integrity() if check else None
    # os.path.isdir, not Path.is_dir: a recorded root this user may not enter is "unknown", not a crash
    text_files = TextFiles.from_settings(settings)
    plan = plan_files([repo_root], max_file_bytes=settings.max_file_bytes, text_files=text_files) \
        if os.path.isdir(repo_root) else None
    on_disk = {f.path: f for f in plan.files} if plan else {}
    modified = sum(
        1 for path, f in on_disk.items()
        if path in states and (states[path].size_bytes, states[path].mtime_ns) != (f.size_bytes, f.mtime_ns)
    )
    return IndexStatus(
        index_dir=str(index_dir), repo_root=str(repo_root), model_id=meta.params.model_id,
        model_hash=meta.params.model_hash, dim=meta.params.dim, files=counts.files, chunks=counts.chunks,
        live_vectors=counts.live_vectors, embedded_chunks=counts.embedded_chunks,
        size_bytes=_folder_size(index_dir), updated_at_s=meta.updated_at_s,
        stale_new=sum(1 for path in on_disk if path not in states), stale_modified=modified,
        stale_deleted=sum(1 for path in states if path not in on_disk), integrity=integrity,
        newer_default_model=newer_default_model(meta.params.model_id),
    )


def _folder_size(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.iterdir() if entry.is_file())
