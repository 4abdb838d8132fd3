"""Vectors files are checked before hnswlib reads them (Hostile input, row 5).

Real files saved by hnswlib, then crafted the way a checkout that commits its ``.codesearch/`` could:
each crafted header or graph is refused with a one-line IndexCorruptError. Thousands of mutated files,
loaded, searched and grown in a child process, are the fuzz suite's target ``vectors files``
(tests/fuzz/vectors_files.py).
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from codesearch.errors import IndexCorruptError
from codesearch.index.hnsw_file import HEADER, HEADER_BYTES, ExpectedVectors, check_vectors_file, parse_header
from codesearch.index.vectors import VectorIndex
from tests.index.fakes import random_unit_vectors

DIM, M, EF = 8, 4, 20
EXPECTED = ExpectedVectors(DIM, M, EF)
FIELDS = ("offset_level0", "max_elements", "element_count", "element_bytes", "label_offset", "data_offset",
          "max_level", "entry_point", "max_m", "max_m0", "m", "mult", "ef_construction")


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    index = VectorIndex.create(DIM, m=M, ef_construction=EF, capacity=300)
    index.add(list(range(300)), random_unit_vectors(300, DIM, seed=3))
    index.mark_deleted([5, 6])
    path = tmp_path / "vectors.1.hnsw"
    index.save(path)
    return path


def with_header(path: Path, **changes: float) -> None:
    data = bytearray(path.read_bytes())
    values = dict(zip(FIELDS, HEADER.unpack_from(data, 0), strict=True))
    HEADER.pack_into(data, 0, *{**values, **changes}.values())
    path.write_bytes(bytes(data))


def refusal(path: Path, expected: ExpectedVectors = EXPECTED) -> str:
    with pytest.raises(IndexCorruptError) as caught:
        VectorIndex.load(path, expected)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"the vector file {path}")
    return message


def test_an_honest_file_loads(saved: Path, tmp_path: Path) -> None:
    check_vectors_file(saved.parent, saved.name, ExpectedVectors(DIM, M, EF, min_elements=300))
    assert VectorIndex.load(saved, EXPECTED).live_count == 298
    empty = tmp_path / "empty.hnsw"
    VectorIndex.create(DIM, m=M, ef_construction=EF).save(empty)
    assert VectorIndex.load(empty, EXPECTED).live_count == 0


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"max_elements": 1}, "max_elements = 1 for 300 elements"),  # the malloc(): invalid size
        ({"max_elements": 1 << 40}, "max_elements"),
        ({"m": 0, "max_m": 0, "max_m0": 0}, "M = 0"),
        ({"m": 8, "max_m": 8, "max_m0": 16, "mult": 1 / math.log(8)}, "M = 8, the index records 4"),
        ({"max_m0": 16}, "do not follow from M = 4"),
        ({"mult": 1e300}, "do not follow from M = 4"),
        ({"ef_construction": 7}, "ef_construction = 7"),
        ({"element_count": 1 << 31}, "do not fit"),
        ({"element_bytes": 4}, "element layout"),
        ({"label_offset": 0}, "element layout"),
        ({"entry_point": 300}, "entry point 300"),
        ({"max_level": -1}, "entry point"),
        ({"max_level": 9}, "top level 9"),
    ],
)
def test_a_crafted_header_is_damage(saved: Path, changes: dict[str, float], says: str) -> None:
    with_header(saved, **changes)
    assert says in refusal(saved)


def test_a_file_of_another_dimension_is_damage(saved: Path) -> None:
    assert "not that of dimension 16" in refusal(saved, ExpectedVectors(16, M, EF))


def test_a_current_file_holds_every_embedded_record(saved: Path) -> None:
    assert "fewer than the 301 embedded records" in refusal(saved, ExpectedVectors(DIM, M, EF, min_elements=301))


def element_word(path: Path, element: int, word: int) -> int:
    """The byte offset of uint32 ``word`` of level-0 block ``element``."""
    header = parse_header(path.read_bytes()[:HEADER_BYTES])
    return HEADER_BYTES + element * header.element_bytes + 4 * word


def put_word(path: Path, offset: int, value: int) -> None:
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, offset, value)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("word", "value", "says"),
    [
        (1, 300, "neighbour id is past the last"),  # the first neighbour of element 7
        (1, 0xFFFFFFFF, "neighbour id is past the last"),
        (0, 2 * M + 1, "more than 8 neighbours"),  # its count
        (0, 0x00020001, "stray bits"),  # a deleted mark of 2
    ],
)
def test_a_crafted_level0_list_is_damage(saved: Path, word: int, value: int, says: str) -> None:
    put_word(saved, element_word(saved, 7, word), value)
    assert says in refusal(saved)


def test_crafted_upper_levels_and_labels_are_damage(saved: Path, tmp_path: Path) -> None:
    data = saved.read_bytes()
    header = parse_header(data)
    links = np.frombuffer(data, dtype="<u4", offset=HEADER_BYTES + header.element_count * header.element_bytes)
    first_list = int(np.flatnonzero(links)[0])  # the first element with a level above 0: its length word
    for value, says in ((header.element_count, "past the last"), (5, "more than")):
        broken = tmp_path / f"upper-{value}.hnsw"
        offset = HEADER_BYTES + header.element_count * header.element_bytes + 4 * (first_list + 1 + (value != 5))
        broken.write_bytes(data)
        put_word(broken, offset, value)
        assert says in refusal(broken)
    longer = tmp_path / "longer.hnsw"
    longer.write_bytes(data + b"\0\0\0\0")
    assert "do not add up" in refusal(longer)
    twin = tmp_path / "twin.hnsw"
    twin.write_bytes(data)
    label = element_word(twin, 1, header.label_offset // 4)
    put_word(twin, label, 0)  # element 1 now carries label 0, as element 0 does
    assert "the same label" in refusal(twin)


def test_a_fifo_or_a_link_is_not_read(saved: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.hnsw"
    os.mkfifo(fifo)
    assert "not a regular file" in refusal(fifo)
    link = tmp_path / "link.hnsw"
    link.symlink_to(saved)
    assert "symbolic link" in refusal(link)
