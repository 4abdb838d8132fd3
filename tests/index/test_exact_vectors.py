"""ExactVectors: add, replace, remove and score a few labelled vectors by brute force."""

from __future__ import annotations

import numpy as np
import pytest

from codesearch.index.exact_vectors import ExactVectors


def test_add_replace_remove_and_score() -> None:
    held = ExactVectors(2)
    held.add([7, 8], np.array([[3.0, 0.0], [0.0, 2.0]], dtype=np.float32))  # normalised on the way in
    assert len(held) == 2 and 7 in held and held.labels() == {7, 8}
    query = np.array([1.0, 1.0], dtype=np.float32)
    assert {s.chunk_id: round(s.score, 4) for s in held.scores(query)} == {7: 0.7071, 8: 0.7071}
    held.add([7], np.array([[-1.0, 0.0]], dtype=np.float32))  # replaced, not duplicated
    assert len(held) == 2 and held.vectors_of([7]).tolist() == [[-1.0, 0.0]]
    assert [s.chunk_id for s in held.scores(query, labels=[8, 99])] == [8]
    assert [s.chunk_id for s in held.scores(query, allowed=lambda label: label == 7)] == [7]
    assert held.remove([8, 99]) == 1 and held.labels() == {7}
    assert held.scores(query)[0].score == pytest.approx(-0.7071, abs=1e-4)
