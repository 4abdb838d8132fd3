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

An index folder can come with a checkout, so its files are read as regular files without following
links, the sidecar size-capped (``codesearch.repository_files``), and a vectors file is checked
against the database before hnswlib reads it (``hnsw_file``): a vouched-for file can be crafted too.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from codesearch import crash_points
from codesearch.errors import IndexCorruptError, SourceFileError
from codesearch.index.atomic import remove_path, write_bytes_atomically
from codesearch.index.records import IndexParams
from codesearch.index.vectors import ExpectedVectors, VectorIndex
from codesearch.repository_files import VANISHED, open_repository_file, read_repository_file, read_up_to

log = logging.getLogger(__name__)

SIDECAR_FILE_NAME = "vectors.json"
_FILE_PATTERN = re.compile(r"vectors\.(\d+)\.hnsw")
_SIDECAR_FORMAT = 1
_CRC_BLOCK_BYTES = 1 << 22
_LOAD_ATTEMPTS = 3
_MAX_SIDECAR_BYTES = 1 << 12  # one line of JSON


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


def file_size_and_crc32(path: Path) -> tuple[int, int]:
    """The size and CRC-32 of the regular file ``path`` (a link or a FIFO is refused: SourceFileError)."""
    crc = 0
    with open_repository_file(path.parent, path.name) as (fd, status):
        while block := read_up_to(fd, _CRC_BLOCK_BYTES, path):
            crc = zlib.crc32(block, crc)
    return status.st_size, crc


def read_sidecar(index_dir: Path) -> Sidecar | None:
    """The sidecar's content, or None if it is missing or unreadable."""
    try:
        data = json.loads(read_repository_file(index_dir, SIDECAR_FILE_NAME, _MAX_SIDECAR_BYTES))
        if data.get("format") != _SIDECAR_FORMAT:
            return None
        return Sidecar(int(data["generation"]), int(data["size_bytes"]), int(data["crc32"]))
    except (SourceFileError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save_vectors_file(index_dir: Path, vectors: VectorIndex, generation: int) -> Path:
    """Save the index for ``generation``, vouch for it in the sidecar, then drop older files.

    The caller holds the write lock and has made the database durable up to ``generation``, so a
    file on disk never describes commits a power loss could still undo.
    """
    path = vectors_file_path(index_dir, generation)
    vectors.save(path)
    crash_points.reached("vectors:saved")
    sidecar = Sidecar(generation, *file_size_and_crc32(path))
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
            remove_path(path)  # a folder too, where a checkout put one


def expected_vectors(params: IndexParams) -> ExpectedVectors:
    """What the database's parameters say a vectors file must be."""
    return ExpectedVectors(params.dim, params.hnsw_m, params.hnsw_ef_construction)


def load_vectors_file(
    index_dir: Path, expected: ExpectedVectors | int, db_generation: int, *, embedded: int = 0
) -> LoadedVectors:
    """Load the best vectors file there is and say how far it can be trusted for ``db_generation``.

    ``expected``: the dimension and HNSW parameters the database records; ``embedded``: its embedded
    records, which a file of its generation holds at least.
    """
    expected = ExpectedVectors(expected) if isinstance(expected, int) else expected
    loaded = LoadedVectors(None, "missing")
    for _attempt in range(_LOAD_ATTEMPTS):
        sidecar = read_sidecar(index_dir)
        if sidecar is None:
            return _load_newest_unvouched(index_dir, expected, db_generation)
        is_current = sidecar.generation == db_generation
        wanted = dataclasses.replace(expected, min_elements=embedded) if is_current else expected
        try:
            loaded = _load_vouched(index_dir, wanted, sidecar, db_generation)
        except FileNotFoundError:
            loaded = LoadedVectors(None, "missing (the sidecar names a file that is gone)")
        if read_sidecar(index_dir) == sidecar:
            return loaded
        log.debug("vectors were saved while loading them; loading again")
    return loaded


def _load_vouched(index_dir: Path, expected: ExpectedVectors, sidecar: Sidecar, db_generation: int) -> LoadedVectors:
    path = vectors_file_path(index_dir, sidecar.generation)
    try:
        fingerprint = file_size_and_crc32(path)
    except SourceFileError as exc:
        if exc.reason == VANISHED:
            raise FileNotFoundError(path) from exc
        log.warning("vector file %s is damaged (%s); rebuilding the vectors from the database", path, exc.detail)
        return LoadedVectors(None, f"damaged ({exc.detail})")
    if fingerprint != (sidecar.size_bytes, sidecar.crc32):
        log.warning(
            "vector file %s is damaged (checksum mismatch); rebuilding the vectors from the database", path
        )
        return LoadedVectors(None, "damaged (checksum mismatch)")
    index = _try_load(path, expected)
    if index is None:
        if not path.exists():
            raise FileNotFoundError(path)
        return LoadedVectors(None, "unloadable")
    if sidecar.generation != db_generation:
        return LoadedVectors(index, f"stale (generation {sidecar.generation}, database {db_generation})")
    return LoadedVectors(index, "current")


def _load_newest_unvouched(index_dir: Path, expected: ExpectedVectors, db_generation: int) -> LoadedVectors:
    """No sidecar: fall back to the newest complete-by-construction file, trusting nothing about it."""
    candidates = sorted(
        (int(match.group(1)), path)
        for path in index_dir.glob("vectors.*.hnsw")
        if (match := _FILE_PATTERN.fullmatch(path.name)) is not None and int(match.group(1)) <= db_generation
    )
    for generation, path in reversed(candidates):
        index = _try_load(path, expected)
        if index is not None:
            return LoadedVectors(index, f"unverified (no sidecar; file of generation {generation})")
    return LoadedVectors(None, "missing")


def _try_load(path: Path, expected: ExpectedVectors) -> VectorIndex | None:
    try:
        return VectorIndex.load(path, expected)
    except IndexCorruptError as exc:
        log.warning("%s; rebuilding the vectors from the database", exc)
        return None
