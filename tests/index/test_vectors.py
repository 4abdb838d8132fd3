"""VectorIndex against brute force: recall, deletion and slot reuse, filters before the cut, save/load."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import numpy as np
import pytest

from codesearch.errors import IndexCorruptError
from codesearch.index.vectors import VectorIndex, check_file_complete
from tests.index.fakes import low_rank_unit_vectors, random_unit_vectors


def brute_force(vectors: np.ndarray, labels: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    similarities = vectors @ query  # (n,)
    return [int(labels[i]) for i in np.argsort(-similarities, kind="stable")[:k]]


@pytest.fixture(scope="module")
def corpus() -> tuple[VectorIndex, np.ndarray]:
    vectors = low_rank_unit_vectors(5100, 384, seed=1)[:5000]  # (5000, 384)
    index = VectorIndex.create(384, m=16, ef_construction=100, capacity=1000)  # grows while adding
    for start in range(0, 5000, 1000):
        index.add(list(range(start, start + 1000)), vectors[start : start + 1000])
    return index, vectors


def recall_at_10(index: VectorIndex, vectors: np.ndarray, queries: np.ndarray, ef: int) -> float:
    labels = np.arange(len(vectors))
    hits = 0
    for query in queries:
        found = {hit.chunk_id for hit in index.search(query, 10, ef=ef)}
        hits += len(found & set(brute_force(vectors, labels, query, 10)))
    return hits / (10 * len(queries))


def test_recall_at_10_against_brute_force(corpus: tuple[VectorIndex, np.ndarray]) -> None:
    index, vectors = corpus
    queries = low_rank_unit_vectors(5100, 384, seed=1)[5000:]  # same distribution, not indexed
    assert recall_at_10(index, vectors, queries, ef=64) >= 0.95
    assert index.capacity >= 5000


def test_recall_on_unstructured_vectors_needs_a_larger_ef() -> None:
    # i.i.d. unit vectors in 384 dimensions: the worst case (about 0.55 at ef=64, measured).
    vectors = random_unit_vectors(5000, 384, seed=1)
    index = VectorIndex.create(384, m=16, ef_construction=100, capacity=5000)
    index.add(list(range(5000)), vectors)
    assert recall_at_10(index, vectors, random_unit_vectors(50, 384, seed=2), ef=512) >= 0.95


def test_scores_are_cosine_similarities(corpus: tuple[VectorIndex, np.ndarray]) -> None:
    index, vectors = corpus
    hit = index.search(vectors[42] * 3.0, 1)[0]  # unnormalised query: "cosine" space normalises it
    assert hit.chunk_id == 42
    assert hit.score == pytest.approx(1.0, abs=1e-5)


def test_similarities_of_chosen_labels_are_exact_and_skip_dead_ones() -> None:
    vectors = random_unit_vectors(20, 16, seed=3)  # (20, 16)
    index = VectorIndex.create(16, m=8, ef_construction=32)
    index.add(list(range(20)), vectors)
    index.mark_deleted([4])
    query = vectors[0] + 0.5 * vectors[1]
    scored = index.similarities(query, [7, 4, 1, 99, 1])  # 4 is deleted, 99 unknown, 1 repeated
    assert [s.chunk_id for s in scored] == [1, 7]
    unit_query = query / np.linalg.norm(query)
    assert scored[0].score == pytest.approx(float(vectors[1] @ unit_query), abs=1e-5)
    assert scored[1].score == pytest.approx(float(vectors[7] @ unit_query), abs=1e-5)
    assert index.similarities(query, []) == []


def test_filters_apply_before_the_top_k_cut(corpus: tuple[VectorIndex, np.ndarray]) -> None:
    index, vectors = corpus
    query = vectors[0]
    allowed_large = frozenset(range(1, 5000, 2))  # odd labels: HNSW with a filter
    allowed_small = frozenset(range(4000, 4100)) | {-1, 10**9}  # sparse, and naming unknown labels
    for allowed in (allowed_large, allowed_small):
        hits = [hit.chunk_id for hit in index.search(query, 10, allowed_labels=allowed)]
        members = np.array(sorted(label for label in allowed if 0 <= label < 5000))
        expected = brute_force(vectors[members], members, query, 10)
        assert len(hits) == 10 and set(hits) <= allowed
        assert len(set(hits) & set(expected)) >= 9
    by_predicate = index.search(query, 10, allowed_labels=lambda label: label % 7 == 3)
    assert len(by_predicate) == 10 and all(hit.chunk_id % 7 == 3 for hit in by_predicate)


def test_k_larger_than_what_is_allowed_or_live() -> None:
    index = VectorIndex.create(8, capacity=4)
    vectors = random_unit_vectors(3, 8)
    index.add([10, 20, 30], vectors)
    assert len(index.search(vectors[0], 50)) == 3
    assert [hit.chunk_id for hit in index.search(vectors[0], 50, allowed_labels={20, 99})] == [20]
    assert index.search(vectors[0], 5, allowed_labels=lambda label: False) == []
    assert index.search(vectors[0], 5, allowed_labels=set()) == []
    assert VectorIndex.create(8).search(vectors[0], 5) == []


def test_delete_then_reuse_slots_without_growing() -> None:
    index = VectorIndex.create(8, capacity=100)
    vectors = random_unit_vectors(200, 8, seed=3)
    index.add(list(range(100)), vectors[:100])
    assert index.mark_deleted(range(0, 100, 2)) == 50
    assert index.mark_deleted([0, 1000]) == 0  # already deleted / unknown: ignored
    index.add(list(range(100, 150)), vectors[100:150])  # fills the 50 deleted slots
    assert index.capacity == 100
    assert index.live_count == 100
    assert index.labels() == frozenset(range(1, 100, 2)) | frozenset(range(100, 150))
    for label in (1, 120, 149):
        assert index.search(vectors[label], 1)[0].chunk_id == label
    index.add(list(range(150, 160)), vectors[150:160])  # no free slot left: doubles
    assert index.capacity == 200
    assert index.search(vectors[0], 100, allowed_labels=frozenset(range(0, 100, 2))) == []


def test_updating_and_reviving_labels_keeps_one_slot_per_label() -> None:
    index = VectorIndex.create(8, capacity=10)
    vectors = random_unit_vectors(4, 8, seed=4)
    index.add([1, 2], vectors[:2])
    index.mark_deleted([2])
    index.add([1, 2], vectors[2:4])  # update 1 in place, revive 2 with a new vector
    assert index.labels() == {1, 2}
    assert index.search(vectors[2], 1)[0].chunk_id == 1
    assert index.search(vectors[3], 1)[0].chunk_id == 2
    assert len(index.search(vectors[3], 10)) == 2  # no duplicate slot for either label


def test_add_rejects_bad_input() -> None:
    index = VectorIndex.create(8)
    with pytest.raises(ValueError):
        index.add([1, 2], random_unit_vectors(3, 8))
    with pytest.raises(ValueError):
        index.add([1, 1], random_unit_vectors(2, 8))
    with pytest.raises(ValueError):
        index.add([1], np.full((1, 8), np.nan, dtype=np.float32))


def test_save_and_load_round_trip_with_deletions(tmp_path: Path) -> None:
    index = VectorIndex.create(8, m=8, ef_construction=50, capacity=20)
    vectors = random_unit_vectors(20, 8, seed=5)
    index.add(list(range(20)), vectors)
    index.mark_deleted([3, 4])
    path = tmp_path / "v.hnsw"
    index.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["v.hnsw"]  # no temporary file left behind
    loaded = VectorIndex.load(path, 8)
    assert loaded.labels() == index.labels()
    assert (loaded.m, loaded.ef_construction, loaded.capacity) == (8, 50, 20)
    assert loaded.search(vectors[7], 1)[0].chunk_id == 7
    loaded.add([100, 101], vectors[3:5])  # the reloaded index still reuses deleted slots
    assert loaded.capacity == 20 and loaded.live_count == 20


@pytest.mark.parametrize("keep_bytes", [0, 10, 1000, -8])
def test_truncated_file_raises_index_corrupt(tmp_path: Path, keep_bytes: int) -> None:
    index = VectorIndex.create(8, capacity=50)
    index.add(list(range(50)), random_unit_vectors(50, 8))
    path = tmp_path / "v.hnsw"
    index.save(path)
    data = path.read_bytes()
    path.write_bytes(data[:keep_bytes])
    with pytest.raises(IndexCorruptError):
        VectorIndex.load(path, 8)


@pytest.mark.parametrize("count", [0, 1, 300])
def test_check_file_complete_accepts_whole_files_and_catches_any_cut(tmp_path: Path, count: int) -> None:
    index = VectorIndex.create(8, m=4, ef_construction=20, capacity=max(count, 1))
    if count:
        index.add(list(range(count)), random_unit_vectors(count, 8))
    path = tmp_path / "v.hnsw"
    index.save(path)
    check_file_complete(path)
    data = path.read_bytes()
    for cut in sorted({0, 1, 95, 96, len(data) // 2, len(data) - 4, len(data) - 1} - {len(data)}):
        path.write_bytes(data[:cut])
        with pytest.raises(OSError) as caught:
            check_file_complete(path)
        assert caught.value.errno == errno.ENOSPC
    path.write_bytes(data + b"\0")
    with pytest.raises(OSError):
        check_file_complete(path)


def test_a_short_write_by_hnswlib_fails_the_save_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = VectorIndex.create(8, capacity=50)
    index.add(list(range(50)), random_unit_vectors(50, 8))
    path = tmp_path / "v.hnsw"
    index.save(path)
    old = path.read_bytes()
    real_save = index._index.save_index

    def full_disk_save(target: str) -> None:  # what hnswlib does on ENOSPC: stops, reports nothing
        real_save(target)
        Path(target).write_bytes(Path(target).read_bytes()[:4096])

    monkeypatch.setattr(index, "_index", _SavingAs(index._index, full_disk_save))
    with pytest.raises(OSError, match="incomplete"):
        index.save(path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["v.hnsw"]


class _SavingAs:
    """An hnswlib index whose save_index is replaced (hnswlib's own attributes are read-only)."""

    def __init__(self, index: object, save_index: object) -> None:
        self._index = index
        self.save_index = save_index

    def __getattr__(self, name: str) -> object:
        return getattr(self._index, name)


def test_concurrent_search_and_add_are_serialised() -> None:
    index = VectorIndex.create(32, capacity=64)
    vectors = random_unit_vectors(2000, 32, seed=6)
    index.add(list(range(100)), vectors[:100])
    errors: list[BaseException] = []
    done = threading.Event()

    def search_until_done() -> None:
        try:
            while not done.is_set():
                assert len(index.search(vectors[0], 10)) == 10
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    reader = threading.Thread(target=search_until_done)
    reader.start()
    try:
        for start in range(100, 2000, 100):  # grows (resize) several times while searched
            index.add(list(range(start, start + 100)), vectors[start : start + 100])
    finally:
        done.set()
        reader.join(timeout=30)
    assert not errors
    assert index.live_count == 2000


def test_vectors_beside_the_graph_are_searched_exactly_with_it(tmp_path: Path) -> None:
    vectors = random_unit_vectors(300, 32, seed=5)  # (300, 32)
    index = VectorIndex.create(32, m=16, ef_construction=100)
    index.add(list(range(200)), vectors[:200])
    index.add_unindexed(list(range(200, 300)), vectors[200:])
    assert (index.live_count, index.graph_live_count, index.slot_count) == (300, 200, 200)
    assert index.labels() == frozenset(range(300))
    labels = np.arange(300)
    for query in random_unit_vectors(20, 32, seed=6):
        found = [hit.chunk_id for hit in index.search(query, 10, ef=300)]
        assert found == brute_force(vectors, labels, query, 10)
        odd = [hit.chunk_id for hit in index.search(query, 5, ef=300, allowed_labels=lambda label: label % 2 == 1)]
        assert odd == [label for label in brute_force(vectors, labels, query, 300) if label % 2][:5]
    scored = index.similarities(vectors[250], [250, 10, 999])
    assert [s.chunk_id for s in scored] == [250, 10] and scored[0].score == pytest.approx(1.0)
    np.testing.assert_allclose(index.vectors_of([250, 10]), vectors[[250, 10]], atol=1e-6)
    assert index.mark_deleted([250, 10]) == 2 and index.live_count == 298
    with pytest.raises(ValueError, match="cannot be saved"):
        index.save(tmp_path / "v.hnsw")
    index.add(list(range(200, 300)), vectors[200:])  # into the graph: nothing is left beside it
    assert (index.live_count, index.graph_live_count) == (299, 299)
    index.save(tmp_path / "v.hnsw")
    with pytest.raises(ValueError, match="graph does not hold"):
        index.add_unindexed([0], vectors[:1])
