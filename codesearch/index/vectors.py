"""VectorIndex: the HNSW graph (hnswlib) over chunk vectors, labelled by chunk id.

Space: hnswlib's "cosine" (distance = 1 - cos). The encoder already L2-normalises, so "ip" would
rank identically; "cosine" normalises again on insert and query, which keeps the scores right if
a caller ever passes an unnormalised vector, for the cost of one normalisation per vector.

Thread safety: per the hnswlib README, ``add_items`` and ``knn_query`` must not run concurrently
and ``resize_index`` must not run alongside either. One ``threading.Lock`` (``_lock``) therefore
guards every call into the hnswlib index and the ``_live``/``_dead`` label sets.

Labels: hnswlib keeps a label after ``mark_deleted`` until ``add_items(..., replace_deleted=True)``
reuses its slot for a new label (which needs ``allow_replace_deleted=True`` at creation). Adding
a label that still exists with ``replace_deleted=True`` would leave two slots with that label, so
``add`` updates existing labels in place and only sends new labels down the slot-reuse path.
hnswlib exposes no per-label "is deleted" query, so ``load`` learns liveness by probing with
``mark_deleted`` (which refuses an already deleted label) and undoing it at once.

Readers catching up with a writer add vectors with ``add_unindexed``: they are held beside the graph
and scored exactly (exact_vectors.py), which is cheap, instead of being inserted, which is not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

import hnswlib
import numpy as np

from codesearch.errors import IndexCorruptError
from codesearch.index.atomic import replace_with
from codesearch.index.exact_vectors import ExactVectors
from codesearch.index.hnsw_file import ExpectedVectors, check_file_complete, check_vectors_file
from codesearch.index.records import ScoredId

log = logging.getLogger(__name__)

__all__ = ["SPACE", "ExpectedVectors", "LabelFilter", "VectorIndex", "check_file_complete"]

SPACE = "cosine"
LabelFilter = AbstractSet[int] | Callable[[int], bool]


class VectorIndex:
    """An HNSW index of (label, vector) pairs with deletion, slot reuse, growth and filtered search."""

    def __init__(self, index: hnswlib.Index, live: set[int], dead: set[int]) -> None:
        """Wrap a ready hnswlib index; use ``create`` or ``load``."""
        self._index = index
        self._live = live
        self._dead = dead  # labels hnswlib still holds, marked deleted
        self._lock = threading.Lock()
        self.dim: int = index.dim
        self._beside = ExactVectors(self.dim)  # live labels not in the graph (add_unindexed); guarded by _lock

    @classmethod
    def create(
        cls, dim: int, *, m: int = 16, ef_construction: int = 200, capacity: int = 1024
    ) -> VectorIndex:
        index = hnswlib.Index(space=SPACE, dim=dim)
        index.init_index(
            max_elements=max(capacity, 1), M=m, ef_construction=ef_construction, allow_replace_deleted=True
        )
        return cls(index, set(), set())

    @classmethod
    def load(cls, path: Path, expected: ExpectedVectors | int) -> VectorIndex:
        """Load a saved index that fits ``expected`` (or just a dimension).

        The file is checked before hnswlib reads it (hnsw_file.py): hnswlib trusts its numbers.
        Raises IndexCorruptError if the file is missing, truncated, foreign or out of bounds.
        """
        expected = ExpectedVectors(expected) if isinstance(expected, int) else expected
        try:
            check_vectors_file(path.parent, path.name, expected)
        except FileNotFoundError as exc:
            raise IndexCorruptError(f"the vector file {path} cannot be loaded (it is missing)") from exc
        index = hnswlib.Index(space=SPACE, dim=expected.dim)
        try:
            index.load_index(str(path), allow_replace_deleted=True)
        except (RuntimeError, OSError, ValueError) as exc:
            raise IndexCorruptError(f"the vector file {path} cannot be loaded ({exc})") from exc
        live, dead = _probe_liveness(index)
        return cls(index, live, dead)

    @property
    def m(self) -> int:
        return int(self._index.M)

    @property
    def ef_construction(self) -> int:
        return int(self._index.ef_construction)

    @property
    def live_count(self) -> int:
        """Searchable labels: in the graph and beside it."""
        with self._lock:
            return len(self._live) + len(self._beside)

    @property
    def graph_live_count(self) -> int:
        """Live labels in the graph itself (slot_count = graph_live_count + dead_count)."""
        with self._lock:
            return len(self._live)

    @property
    def capacity(self) -> int:
        with self._lock:
            return int(self._index.max_elements)

    @property
    def slot_count(self) -> int:
        """Slots in use: live labels plus deleted ones not yet reused (always their sum)."""
        with self._lock:
            return int(self._index.get_current_count())

    @property
    def dead_count(self) -> int:
        with self._lock:
            return len(self._dead)

    def labels(self) -> frozenset[int]:
        """The live (searchable) labels."""
        with self._lock:
            return frozenset(self._live | self._beside.labels())

    def add_unindexed(self, labels: Sequence[int], vectors: np.ndarray) -> None:
        """Make labels searchable without inserting them into the graph (exact scoring; for readers).

        ``save`` refuses an index holding such labels: only a writer's graph goes to disk.
        """
        data = self._checked(labels, vectors)  # (n, dim) float32
        with self._lock:
            if any(label in self._live or label in self._dead for label in labels):
                raise ValueError("add_unindexed is for labels the graph does not hold")
            self._beside.add(labels, data)

    def add(self, labels: Sequence[int], vectors: np.ndarray) -> None:
        """Insert or replace vectors. ``vectors``: (n, dim) float32; ``labels``: n distinct ints >= 0."""
        data = self._checked(labels, vectors)  # (n, dim) float32
        if not labels:
            return
        with self._lock:
            self._beside.remove(labels)
            fresh = [
                i for i, label in enumerate(labels) if label not in self._live and label not in self._dead
            ]
            known = [i for i, label in enumerate(labels) if label in self._live or label in self._dead]
            for i in known:
                if labels[i] in self._dead:
                    self._index.unmark_deleted(labels[i])  # revive, then update in place below
                    self._dead.discard(labels[i])
                    self._live.add(labels[i])
            if known:
                self._index.add_items(data[known], np.asarray([labels[i] for i in known], dtype=np.uint64))
            if fresh:
                self._grow_for(len(fresh))
                fresh_labels = [labels[i] for i in fresh]
                self._index.add_items(
                    data[fresh], np.asarray(fresh_labels, dtype=np.uint64), replace_deleted=True
                )
                self._live.update(fresh_labels)
                if self._dead:
                    # Slot reuse dropped some dead labels, and hnswlib does not say which.
                    self._dead = set(self._index.get_ids_list()) - self._live

    def mark_deleted(self, labels: Iterable[int]) -> int:
        """Hide labels from search (their slots get reused by later adds); unknown labels are ignored."""
        count = 0
        with self._lock:
            labels = list(labels)
            count += self._beside.remove(labels)
            for label in labels:
                if label in self._live:
                    self._index.mark_deleted(label)
                    self._live.discard(label)
                    self._dead.add(label)
                    count += 1
        return count

    def vectors_of(self, labels: Sequence[int]) -> np.ndarray:
        """The stored (normalised) vectors of live labels: (n, dim) float32."""
        with self._lock:
            beside = [label for label in labels if label in self._beside]
            if not beside:
                return self._vectors_locked(labels)
            found = np.empty((len(labels), self.dim), dtype=np.float32)  # (n, dim)
            in_graph = [i for i, label in enumerate(labels) if label not in self._beside]
            found[in_graph] = self._vectors_locked([labels[i] for i in in_graph])
            found[[i for i, label in enumerate(labels) if label in self._beside]] = self._beside.vectors_of(beside)
            return found

    def similarities(self, vector: np.ndarray, labels: Iterable[int]) -> list[ScoredId]:
        """Cosine similarity of ``vector`` (dim,) to each live label among ``labels``, best first.

        Exact, from the vectors in memory: ~1 ms for 100 labels, where reading them from the
        embeddings cache in SQLite took 10-40 ms on a 70,000-function index (random page reads).
        """
        query = np.asarray(vector, dtype=np.float32).reshape(1, self.dim)  # (1, dim)
        with self._lock:
            wanted = list(dict.fromkeys(labels))
            live = [label for label in wanted if label in self._live]
            scored = self._exact_locked(query, live, len(live)) + self._beside.scores(query[0], wanted)
        return sorted(scored, key=lambda s: -s.score)

    def search(
        self, vector: np.ndarray, k: int, *, ef: int = 64, allowed_labels: LabelFilter | None = None
    ) -> list[ScoredId]:
        """The k nearest live labels to ``vector`` (dim,), best first, scored by cosine similarity.

        ``allowed_labels`` (a set of labels or a predicate) applies inside the graph search, before the
        top-k cut. Fewer than k results come back only if fewer than k live labels are allowed:
        if HNSW cannot fill k, the search falls back to exact (slow: see exact.py for small sets).
        """
        query = np.asarray(vector, dtype=np.float32).reshape(1, self.dim)  # (1, dim)
        with self._lock:
            predicate: Callable[[int], bool] | None
            if isinstance(allowed_labels, AbstractSet):
                predicate = allowed_labels.__contains__
                limit = len(self._live.intersection(allowed_labels))  # the set may name deleted labels
            else:
                predicate, limit = allowed_labels, len(self._live)
            found = self._graph_search_locked(query, min(k, limit), ef, predicate)
            if len(self._beside):
                found = sorted(found + self._beside.scores(query[0], allowed=predicate), key=lambda s: -s.score)[:k]
        return found

    def _graph_search_locked(
        self, query: np.ndarray, k_eff: int, ef: int, predicate: Callable[[int], bool] | None
    ) -> list[ScoredId]:
        if k_eff <= 0:
            return []
        self._index.set_ef(max(ef, k_eff))
        try:
            found, distances = self._index.knn_query(query, k=k_eff, filter=predicate)
        except RuntimeError:
            # hnswlib could not collect k_eff results (a sparse filter, a set naming deleted
            # labels, or a node that churn left unreachable): answer exactly instead.
            log.debug("HNSW returned fewer than %d results; using exact search", k_eff)
            pool = sorted(self._live if predicate is None else filter(predicate, self._live))
            return self._exact_locked(query, pool, k_eff)
        return [ScoredId(int(label), 1.0 - float(d)) for label, d in zip(found[0], distances[0], strict=True)]

    def save(self, path: Path) -> None:
        """Write the index to ``path`` atomically (temporary file, fsync, rename, fsync folder)."""

        def write(tmp: Path) -> None:
            with self._lock:
                if len(self._beside):
                    raise ValueError("vectors added with add_unindexed cannot be saved")
                self._index.save_index(str(tmp))
            check_file_complete(tmp)

        replace_with(path, write)

    def _checked(self, labels: Sequence[int], vectors: np.ndarray) -> np.ndarray:
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        if data.ndim != 2 or data.shape[0] != len(labels) or (len(labels) and data.shape[1] != self.dim):
            raise ValueError(f"expected ({len(labels)}, {self.dim}) vectors, got shape {data.shape}")
        if len(set(labels)) != len(labels) or any(label < 0 for label in labels):
            raise ValueError("labels must be distinct non-negative integers")
        if not np.isfinite(data).all():
            raise ValueError("vectors must be finite")
        return data

    def _grow_for(self, fresh: int) -> None:
        used = len(self._live) + len(self._dead)  # slots hnswlib has handed out
        needed = used + max(0, fresh - len(self._dead))
        capacity = int(self._index.max_elements)
        if needed > capacity:
            new_capacity = max(2 * capacity, needed)
            log.debug("growing HNSW index %d -> %d", capacity, new_capacity)
            self._index.resize_index(new_capacity)

    def _vectors_locked(self, labels: Sequence[int]) -> np.ndarray:
        if not labels:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.asarray(self._index.get_items(list(labels)), dtype=np.float32)

    def _exact_locked(self, query: np.ndarray, labels: Sequence[int], k: int) -> list[ScoredId]:
        k = min(k, len(labels))
        if k <= 0:
            return []
        stored = self._vectors_locked(labels)  # (n, dim), normalised by hnswlib
        norm = float(np.linalg.norm(query))
        similarities = stored @ (query[0] / norm if norm > 0 else query[0])  # (n,)
        top = np.argpartition(-similarities, k - 1)[:k]
        top = top[np.argsort(-similarities[top], kind="stable")]
        return [ScoredId(int(labels[i]), float(similarities[i])) for i in top]


def _probe_liveness(index: hnswlib.Index) -> tuple[set[int], set[int]]:
    """Split the labels of a loaded index into live and deleted ones."""
    live: set[int] = set()
    dead: set[int] = set()
    for label in index.get_ids_list():
        try:
            index.mark_deleted(label)
        except RuntimeError:  # "already deleted": the label exists, so nothing else can fail here
            dead.add(label)
            continue
        index.unmark_deleted(label)
        live.add(label)
    return live, dead
