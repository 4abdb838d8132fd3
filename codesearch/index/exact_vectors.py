"""ExactVectors: a few vectors searched by brute force beside the HNSW graph (a reader's catch-up).

A reader whose vectors file is behind the database (a writer is still embedding, or was killed
before saving) used to insert the missing vectors into its in-memory graph: ~2-3 s of CPU per
1,000 at dim 384 and ef_construction 200, paid by every cold ``ask`` during a build. Scoring them
exactly costs ~1 ms per 10,000 per query instead, and is exact. Writers never use this: their
graph is saved to disk, so they insert.

Not thread-safe on its own: VectorIndex calls it under its lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from codesearch.index.records import ScoredId


class ExactVectors:
    """Labelled unit vectors, scored by cosine against every query."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._row: dict[int, int] = {}  # label -> row of _matrix
        self._labels: list[int] = []  # row -> label
        self._matrix = np.empty((0, dim), dtype=np.float32)  # (n, dim), rows normalised

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, label: object) -> bool:
        return label in self._row

    def labels(self) -> set[int]:
        return set(self._row)

    def add(self, labels: Sequence[int], vectors: np.ndarray) -> None:
        """Add or replace ``labels`` with ``vectors`` (n, dim) float32."""
        self.remove(labels)
        norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-30)
        self._matrix = np.concatenate([self._matrix, (vectors / norms).astype(np.float32)])
        for label in labels:
            self._row[label] = len(self._labels)
            self._labels.append(label)

    def remove(self, labels: Iterable[int]) -> int:
        """Drop those of ``labels`` held here; how many were."""
        gone = {label for label in labels if label in self._row}
        if gone:
            keep = [row for row, label in enumerate(self._labels) if label not in gone]
            self._matrix = self._matrix[keep]
            self._labels = [self._labels[row] for row in keep]
            self._row = {label: row for row, label in enumerate(self._labels)}
        return len(gone)

    def vectors_of(self, labels: Sequence[int]) -> np.ndarray:
        """(n, dim) float32, normalised; every label must be held here."""
        return self._matrix[[self._row[label] for label in labels]]

    def scores(self, query: np.ndarray, labels: Iterable[int] | None = None,
               allowed: Callable[[int], bool] | None = None) -> list[ScoredId]:
        """Cosine of ``query`` (dim,) to each held label (of ``labels``, passing ``allowed``), unsorted."""
        rows = list(range(len(self._labels))) if labels is None else [
            self._row[label] for label in labels if label in self._row]
        if allowed is not None:
            rows = [row for row in rows if allowed(self._labels[row])]
        if not rows:
            return []
        norm = max(float(np.linalg.norm(query)), 1e-30)
        similarities = self._matrix[rows] @ (np.asarray(query, dtype=np.float32).reshape(-1) / norm)  # (n,)
        return [ScoredId(self._labels[row], float(score)) for row, score in zip(rows, similarities, strict=True)]
