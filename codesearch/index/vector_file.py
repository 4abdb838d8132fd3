"""The vectors file on disk (``vectors.<generation>.hnsw``) and the sidecar that vouches for it.

SQLite is the source of truth; the HNSW file is a derived artefact that saves re-inserting every
vector on open. Saving writes ``vectors.<g>.hnsw`` (atomically: temporary file, fsync, rename),
then the sidecar ``vectors.json`` (atomically) naming generation ``g`` with the file's size and
CRC-32, and only then deletes older vector files. Files are never rewritten in place, so:

- a kill -9 before the sidecar's rename leaves the previous sidecar pointing at the previous
  file, which still exists (it is deleted last): the store loads it and reconciles forward;
- a CRC mismatch can only mean damage (never "a newer save"), so a damaged file is not trusted;
- a reader racing a save re-reads the sidecar, and retries if it changed or its file vanished.

A file is "current" when the sidecar vouches for it and names the database's generation. Anything
else sends the store through ``reconcile``, which repairs the in-memory index from SQLite.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from codesearch import crash_points
from codesearch.errors import IndexCorruptError
from codesearch.index.atomic import write_bytes_atomically
from codesearch.index.vectors import VectorIndex

log = logging.getLogger(__name__)

SIDECAR_FILE_NAME = "vectors.json"
_FILE_PATTERN = re.compile(r"vectors\.(\d+)\.hnsw")
_SIDECAR_FORMAT = 1
_CRC_BLOCK_BYTES = 1 << 22
_LOAD_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Sidecar:
    """What the sidecar says: which generation's file is the current one, and its fingerprint."""

    generation: int
    size_bytes: int
    crc32: int


@dataclass(frozen=True, slots=True, eq=False)
class LoadedVectors:
    """The outcome of reading the vectors file: an index if one loaded, and how far to trust it."""

    index: VectorIndex | None
    status: str  # "current", "stale (...)", "unverified (...)", "missing", or why it did not load

    @property
    def is_current(self) -> bool:
        return self.status == "current"


def vectors_file_path(index_dir: Path, generation: int) -> Path:
    return index_dir / f"vectors.{generation}.hnsw"


def file_crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as handle:
        while block := handle.read(_CRC_BLOCK_BYTES):
            crc = zlib.crc32(block, crc)
    return crc


def read_sidecar(index_dir: Path) -> Sidecar | None:
    """The sidecar's content, or None if it is missing or unreadable."""
    try:
        data = json.loads((index_dir / SIDECAR_FILE_NAME).read_text(encoding="utf-8"))
        if data.get("format") != _SIDECAR_FORMAT:
            return None
        return Sidecar(int(data["generation"]), int(data["size_bytes"]), int(data["crc32"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save_vectors_file(index_dir: Path, vectors: VectorIndex, generation: int) -> Path:
    """Save the index for ``generation``, vouch for it in the sidecar, then drop older files.

    The caller holds the write lock and has made the database durable up to ``generation``, so a
    file on disk never describes commits a power loss could still undo.
    """
    path = vectors_file_path(index_dir, generation)
    vectors.save(path)
    crash_points.reached("vectors:saved")
    sidecar = Sidecar(generation, path.stat().st_size, file_crc32(path))
    payload = {
        "format": _SIDECAR_FORMAT,
        "generation": generation,
        "size_bytes": sidecar.size_bytes,
        "crc32": sidecar.crc32,
    }
    write_bytes_atomically(index_dir / SIDECAR_FILE_NAME, (json.dumps(payload) + "\n").encode())
    crash_points.reached("vectors:vouched")
    remove_vector_files(index_dir, keep=path)
    return path


def remove_vector_files(index_dir: Path, keep: Path | None = None) -> None:
    """Delete vector files other than ``keep``, and temporary files left by killed writers."""
    for path in index_dir.iterdir():
        is_vectors = _FILE_PATTERN.fullmatch(path.name) is not None
        is_leftover = path.name.startswith(".vectors.") and path.name.endswith(".tmp")
        if (is_vectors or is_leftover) and path != keep:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def load_vectors_file(index_dir: Path, dim: int, db_generation: int) -> LoadedVectors:
    """Load the best vectors file there is and say how far it can be trusted for ``db_generation``."""
    loaded = LoadedVectors(None, "missing")
    for _attempt in range(_LOAD_ATTEMPTS):
        sidecar = read_sidecar(index_dir)
        if sidecar is None:
            return _load_newest_unvouched(index_dir, dim, db_generation)
        try:
            loaded = _load_vouched(index_dir, dim, sidecar, db_generation)
        except FileNotFoundError:
            loaded = LoadedVectors(None, "missing (the sidecar names a file that is gone)")
        if read_sidecar(index_dir) == sidecar:
            return loaded
        log.debug("vectors were saved while loading them; loading again")
    return loaded


def _load_vouched(index_dir: Path, dim: int, sidecar: Sidecar, db_generation: int) -> LoadedVectors:
    path = vectors_file_path(index_dir, sidecar.generation)
    if path.stat().st_size != sidecar.size_bytes or file_crc32(path) != sidecar.crc32:
        log.warning(
            "vector file %s is damaged (checksum mismatch); rebuilding the vectors from the database", path
        )
        return LoadedVectors(None, "damaged (checksum mismatch)")
    index = _try_load(path, dim)
    if index is None:
        if not path.exists():
            raise FileNotFoundError(path)
        return LoadedVectors(None, "unloadable")
    if sidecar.generation != db_generation:
        return LoadedVectors(index, f"stale (generation {sidecar.generation}, database {db_generation})")
    return LoadedVectors(index, "current")


def _load_newest_unvouched(index_dir: Path, dim: int, db_generation: int) -> LoadedVectors:
    """No sidecar: fall back to the newest complete-by-construction file, trusting nothing about it."""
    candidates = sorted(
        (int(match.group(1)), path)
        for path in index_dir.glob("vectors.*.hnsw")
        if (match := _FILE_PATTERN.fullmatch(path.name)) is not None and int(match.group(1)) <= db_generation
    )
    for generation, path in reversed(candidates):
        index = _try_load(path, dim)
        if index is not None:
            return LoadedVectors(index, f"unverified (no sidecar; file of generation {generation})")
    return LoadedVectors(None, "missing")


def _try_load(path: Path, dim: int) -> VectorIndex | None:
    try:
        return VectorIndex.load(path, dim)
    except IndexCorruptError as exc:
        log.warning("%s; rebuilding the vectors from the database", exc)
        return None
