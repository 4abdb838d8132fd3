"""hnswlib's saved-index layout, read and checked here before hnswlib is handed the file.

hnswlib's ``loadIndex`` believes every number in the file: a header saying ``max_elements = 1`` over
29 elements makes it copy 29 elements into a buffer sized for one (``malloc(): invalid size``, an
abort), and a neighbour id past the last element sends a search beyond its arrays. The sidecar's
CRC catches accidents only: a checkout that commits its ``.codesearch/`` can recompute it. So the file
is parsed here first, and every size, offset, count, level and neighbour id must be in bounds and
agree with the index's database (dimension, HNSW parameters, and for a current file the number of
embedded records); anything else is damage (``IndexCorruptError``), which the store repairs from
SQLite. Checking costs one more read of the file (~0.1 s per 100 MB, from the page cache).

Layout (hnswlib 0.8 ``HierarchicalNSW::saveIndex``; little-endian, ``size_t`` is 8 bytes):

- header, 96 bytes: offsetLevel0, max_elements, cur_element_count, size_data_per_element,
  label_offset, offsetData (size_t each), maxlevel (int32), enterpoint_node (uint32), maxM, maxM0,
  M (size_t), mult (double), ef_construction (size_t);
- level 0: cur_element_count blocks of size_data_per_element bytes: a uint32 whose low 16 bits count
  the neighbours (its third byte is the deleted mark), maxM0 uint32 neighbour ids, dim float32, and
  a uint64 label;
- per element, a uint32 byte length and then that many bytes: one block per level above 0, of a
  uint32 count and maxM uint32 neighbour ids (``linkListSize = size_links_per_element * level``).
"""

from __future__ import annotations

import errno
import math
import os
import struct
from dataclasses import dataclass

import numpy as np

from codesearch.config import setting_range
from codesearch.errors import IndexCorruptError, SourceFileError
from codesearch.repository_files import VANISHED, open_repository_file, read_up_to

HEADER = struct.Struct("<QQQQQQiIQQQdQ")
HEADER_BYTES = HEADER.size  # 96
_NO_NODE = 0xFFFFFFFF  # hnswlib's enterpoint_node of an empty graph (tableint -1)
_LABEL_BYTES = 8
_BLOCK_ELEMENTS_BYTES = 1 << 23  # level-0 blocks are checked 8 MiB at a time
# hnswlib doubles max_elements when it grows; a file may also keep room it was created with.
_SPARE_SLOTS = 1 << 16


@dataclass(frozen=True, slots=True)
class HnswHeader:
    """The 96-byte header of an hnswlib index file."""

    offset_level0: int
    max_elements: int
    element_count: int
    element_bytes: int  # size_data_per_element
    label_offset: int
    data_offset: int
    max_level: int
    entry_point: int
    max_m: int
    max_m0: int
    m: int
    mult: float
    ef_construction: int

    @property
    def links_words(self) -> int:
        """uint32 words of one upper-level block: a count, then maxM ids."""
        return 1 + self.max_m


@dataclass(frozen=True, slots=True)
class ExpectedVectors:
    """What the database says the vectors file must be."""

    dim: int
    m: int | None = None  # None: any M the file's own layout is consistent with
    ef_construction: int | None = None
    min_elements: int = 0  # the embedded records, for a file of the database's generation


def check_vectors_file(folder: str | os.PathLike[str], name: str, expected: ExpectedVectors) -> None:
    """Raise IndexCorruptError unless ``folder/name`` is a regular hnswlib file that fits ``expected``.

    Raises:
        FileNotFoundError: the file is not there.
        IndexCorruptError: anything about it is out of bounds or disagrees with ``expected``.
    """
    path = os.path.join(os.fspath(folder), name)
    try:
        with open_repository_file(folder, name) as (fd, status):
            _check_open_file(fd, status.st_size, path, expected)
    except SourceFileError as exc:
        if exc.reason == VANISHED:
            raise FileNotFoundError(errno.ENOENT, exc.detail, path) from exc
        raise _damaged(path, exc.detail) from exc


def check_file_complete(path: os.PathLike[str] | str) -> None:
    """Raise OSError(ENOSPC) unless ``path`` holds a whole hnswlib index, byte for byte.

    hnswlib writes through an unchecked ``std::ofstream``: on a full disk it stops writing and
    reports success, and the CRC in the sidecar would then vouch for a truncated file. So the
    layout is walked (header, level-0 blocks, then one length-prefixed link list per element).
    """
    with open(path, "rb") as handle:
        header_bytes = handle.read(HEADER_BYTES)
        if len(header_bytes) == HEADER_BYTES:
            header = parse_header(header_bytes)
            handle.seek(HEADER_BYTES + header.element_count * header.element_bytes)
            links = handle.read()
            if header.max_m > 0 and len(links) % 4 == 0 and _link_lists(
                np.frombuffer(links, dtype="<u4"), header.element_count, header.links_words
            ) is not None:
                return
    raise OSError(errno.ENOSPC, f"hnswlib wrote an incomplete {os.path.basename(path)} (is the disk full?)")


def parse_header(data: bytes) -> HnswHeader:
    return HnswHeader(*HEADER.unpack_from(data, 0))


def _check_open_file(fd: int, size_bytes: int, path: str, expected: ExpectedVectors) -> None:
    header_bytes = read_up_to(fd, HEADER_BYTES, path)
    if len(header_bytes) < HEADER_BYTES:
        raise _damaged(path, f"{len(header_bytes)} bytes, shorter than the {HEADER_BYTES}-byte header")
    header = parse_header(header_bytes)
    problem = _header_problem(header, size_bytes, expected)
    if problem is not None:
        raise _damaged(path, problem)
    labels = _check_level0(fd, header, path)
    links_bytes = size_bytes - HEADER_BYTES - header.element_count * header.element_bytes
    links = read_up_to(fd, links_bytes, path)
    if len(links) != links_bytes or links_bytes % 4:
        raise _damaged(path, "its link lists do not fill the file")
    found = _link_lists(np.frombuffer(links, dtype="<u4"), header.element_count, header.links_words)
    if found is None:
        raise _damaged(path, "its link lists do not add up to the file's size")
    problem = _graph_problem(header, np.frombuffer(links, dtype="<u4"), *found)
    if problem is None and len(np.unique(labels)) != len(labels):
        problem = "two elements carry the same label"
    if problem is not None:
        raise _damaged(path, problem)


def _header_problem(header: HnswHeader, size_bytes: int, expected: ExpectedVectors) -> str | None:
    """What is wrong with the header alone, measured against the file size and the database."""
    m = header.m
    low, high = setting_range("hnsw_m")
    if not low <= m <= high or (expected.m is not None and m != expected.m):
        return f"M = {m}" + ("" if expected.m is None else f", the index records {expected.m}")
    if (header.max_m, header.max_m0) != (m, 2 * m) or not math.isclose(header.mult, 1 / math.log(m)):
        return f"maxM = {header.max_m}, maxM0 = {header.max_m0}, mult = {header.mult!r} do not follow from M = {m}"
    # hnswlib raises ef_construction to M when it is lower.
    if expected.ef_construction is not None and header.ef_construction != max(expected.ef_construction, m):
        return f"ef_construction = {header.ef_construction}, the index records {expected.ef_construction}"
    level0_links = 4 + 4 * header.max_m0
    layout = (header.offset_level0, header.data_offset, header.label_offset, header.element_bytes)
    wanted = (0, level0_links, level0_links + 4 * expected.dim, level0_links + 4 * expected.dim + _LABEL_BYTES)
    if layout != wanted:
        return f"its element layout {layout} is not that of dimension {expected.dim} with M = {m} {wanted}"
    count = header.element_count
    if count * header.element_bytes + 4 * count > size_bytes - HEADER_BYTES or count >= _NO_NODE:
        return f"{count} elements do not fit in {size_bytes} bytes"
    if not count <= header.max_elements <= 2 * count + _SPARE_SLOTS:
        return f"max_elements = {header.max_elements} for {count} elements"
    if count < expected.min_elements:
        return f"{count} elements, fewer than the {expected.min_elements} embedded records of the index"
    if count == 0 and (header.max_level, header.entry_point) != (-1, _NO_NODE):
        return f"no elements, but an entry point {header.entry_point} at level {header.max_level}"
    if count and not (header.max_level >= 0 and header.entry_point < count):
        return f"entry point {header.entry_point} at level {header.max_level} for {count} elements"
    return None


def _check_level0(fd: int, header: HnswHeader, path: str) -> np.ndarray:
    """Check every level-0 block (neighbour counts, ids, deleted marks); the labels, (count,) uint64."""
    words_per_element = header.element_bytes // 4
    label_word = header.label_offset // 4
    per_read = max(1, _BLOCK_ELEMENTS_BYTES // header.element_bytes)
    labels: list[np.ndarray] = []
    for first in range(0, header.element_count, per_read):
        rows = min(per_read, header.element_count - first)
        raw = read_up_to(fd, rows * header.element_bytes, path)
        if len(raw) != rows * header.element_bytes:
            raise _damaged(path, "it ends inside its level-0 blocks")
        words = np.frombuffer(raw, dtype="<u4").reshape(rows, words_per_element)  # (rows, words)
        problem = _lists_problem(words[:, 0], words[:, 1 : 1 + header.max_m0], header.element_count, level=0)
        if problem is not None:
            raise _damaged(path, problem)
        labels.append(words[:, label_word].astype(np.uint64) | (words[:, label_word + 1].astype(np.uint64) << 32))
    return np.concatenate(labels) if labels else np.empty(0, dtype=np.uint64)


def _lists_problem(heads: np.ndarray, ids: np.ndarray, count: int, *, level: int) -> str | None:
    """Neighbour lists: ``heads`` (n,) uint32 hold the count (and at level 0 the deleted mark), ``ids`` (n, max)."""
    counts = heads & 0xFFFF  # (n,)
    flags = heads >> 16  # level 0: the deleted mark (0 or 1) in the third byte; above: nothing
    if (flags > (1 if level == 0 else 0)).any():
        return f"a level-{level} neighbour list has stray bits in its count"
    if (counts > ids.shape[1]).any():
        return f"a level-{level} neighbour list holds more than {ids.shape[1]} neighbours"
    used = np.arange(ids.shape[1]) < counts[:, None]  # (n, max)
    if (ids[used] >= count).any():
        return f"a level-{level} neighbour id is past the last of {count} elements"
    return None


def _link_lists(words: np.ndarray, count: int, links_words: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Walk the per-element link lists in ``words`` (uint32): each element's level and first block's word.

    None when their lengths do not add up to exactly ``words``. Most elements have no level above 0
    and take one zero word, so runs of zero words are skipped at once instead of element by element.
    """
    levels = np.zeros(count, dtype=np.int64)
    starts = np.zeros(count, dtype=np.int64)
    nonzero = np.flatnonzero(words)
    total, position, element = len(words), 0, 0
    while element < count:
        if position >= total:  # elements left, but no words for their lengths
            return None
        at = int(np.searchsorted(nonzero, position))
        run = min((int(nonzero[at]) if at < len(nonzero) else total) - position, count - element)
        element, position = element + run, position + run
        if element == count:
            break
        if position >= total:
            return None
        length_words, remainder = divmod(int(words[position]), 4)
        if remainder or length_words % links_words:
            return None
        levels[element], starts[element] = length_words // links_words, position + 1
        element, position = element + 1, position + 1 + length_words
    return (levels, starts) if position == total else None


def _graph_problem(header: HnswHeader, words: np.ndarray, levels: np.ndarray, starts: np.ndarray) -> str | None:
    """Levels and upper-level neighbour lists: in bounds, and each neighbour present on that level."""
    if len(levels) and (levels.max() > header.max_level or levels[header.entry_point] != header.max_level):
        return f"the entry point is not at the top level {header.max_level}, or an element is above it"
    owners = np.flatnonzero(levels)
    per_owner = levels[owners]  # (owners,)
    if not len(owners):
        return None
    level = np.arange(per_owner.sum()) - np.repeat(np.cumsum(per_owner) - per_owner, per_owner) + 1  # (blocks,)
    block_starts = np.repeat(starts[owners], per_owner) + (level - 1) * header.links_words  # (blocks,)
    ids = words[block_starts[:, None] + 1 + np.arange(header.max_m)]  # (blocks, maxM)
    problem = _lists_problem(words[block_starts], ids, header.element_count, level=1)
    if problem is not None:
        return problem
    used = np.arange(header.max_m) < (words[block_starts] & 0xFFFF)[:, None]  # (blocks, maxM)
    if (levels[ids[used]] < np.broadcast_to(level[:, None], ids.shape)[used]).any():
        return "an upper-level neighbour is not on that level"
    return None


def _damaged(path: str, problem: str) -> IndexCorruptError:
    return IndexCorruptError(f"the vector file {path} is damaged: {problem}")
