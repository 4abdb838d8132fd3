"""Fuzz target ``vectors files``: mutated HNSW files loaded, searched, deleted from and grown, in a child process.

The file is a real one hnswlib saved (300 vectors of dimension 8, M 4, two deleted), with one to four of
its 32-bit words overwritten (a third of them in the 96-byte header) by values that sit on its bounds (0,
1, 299, 300, 301, 65,536, 2^32 - 1) or random ones. ``VectorIndex.load`` must refuse it with an
IndexCorruptError (hnsw_file.py checks every number hnswlib would believe) or load a file that hnswlib
then searches and grows without harm. Unchecked, hnswlib aborted or segfaulted within the first 500 such
files; in the child (index_worker.py) that ends the child, and the input that did it is named. Moved here
from tests/index/test_hnsw_file.py, which keeps one test per crafted field.
"""

from __future__ import annotations

import random
import shutil
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from codesearch.index.vectors import VectorIndex
from tests.fuzz.harness import ANSWERED, REFUSED, Failure, Target, World, register
from tests.fuzz.index_worker import Worker
from tests.index.fakes import random_unit_vectors

VALUES = (0, 1, 2, 299, 300, 301, 0xFFFF, 0x10000, 0x10001, 0xFFFFFFFF)


@dataclass(frozen=True)
class Mutation:
    words: tuple[tuple[float, int], ...]  # (where: < 0 a header word -1-n, else a fraction of the file, value)


@dataclass
class Vectors:
    saved: bytes
    folder: Path
    worker: Worker


def mutation(world: World, rng: random.Random) -> Mutation:
    words = []
    for _ in range(rng.choice((1, 1, 2, 4))):
        where = -1.0 - rng.randrange(24) if rng.random() < 0.3 else rng.random()
        words.append((where, rng.choice(VALUES) if rng.random() < 10 / 11 else rng.getrandbits(32)))
    return Mutation(tuple(words))


@contextmanager
def live(world: World) -> Iterator[Vectors]:
    folder = world.scratch / "vectors-files"
    folder.mkdir()
    index = VectorIndex.create(8, m=4, ef_construction=20, capacity=300)
    index.add(list(range(300)), random_unit_vectors(300, 8, seed=3))
    index.mark_deleted([5, 6])
    index.save(folder / "saved.hnsw")
    try:
        with Worker(world) as worker:
            yield Vectors((folder / "saved.hnsw").read_bytes(), folder, worker)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_mutation(vectors: Vectors, given: Mutation) -> str:
    data = bytearray(vectors.saved)
    for where, value in given.words:
        at = 4 * int(-1 - where) if where < 0 else int(where * (len(data) - 4)) & ~3
        struct.pack_into("<I", data, at, value)
    path = vectors.folder / "mutated.hnsw"
    path.write_bytes(bytes(data))
    outcome = vectors.worker.ask({"vectors": str(path)})["outcome"]
    if outcome not in ("loaded", "refused"):
        raise Failure(f"the worker answered {outcome!r}")
    return ANSWERED if outcome == "loaded" else REFUSED


register(Target("vectors files", mutation, check_mutation, inputs=2000, timeout_s=20.0, live=live))
