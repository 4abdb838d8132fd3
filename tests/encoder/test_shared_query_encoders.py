"""SharedQueryEncoders: one load per model, one embedding per repeated query, one close by the owner."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from codesearch.encoder.shared_query_encoders import SharedQueryEncoders


class CountingEncoder:
    backend = "counting"

    def __init__(self) -> None:
        self.embedded: list[tuple[str, ...]] = []
        self.closed = 0

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.append(tuple(texts))
        return np.array([[float(len(text)), 1.0] for text in texts], dtype=np.float32)  # (n, 2)

    def close(self) -> None:
        self.closed += 1


def test_one_load_per_model_and_the_owner_closes_it_once() -> None:
    loaded: list[CountingEncoder] = []

    def load() -> CountingEncoder:
        loaded.append(CountingEncoder())
        return loaded[-1]

    shared = SharedQueryEncoders()
    first, second = shared.get("model-a", load), shared.get("model-a", load)
    other = shared.get("model-b", load)
    assert len(loaded) == 2 and first.backend == "counting"
    first.close()
    second.close()  # a borrower's close leaves the encoder open for the others
    assert [encoder.closed for encoder in loaded] == [0, 0]
    shared.close()
    assert [encoder.closed for encoder in loaded] == [1, 1]
    assert other is not first


def test_a_query_asked_again_is_embedded_once_and_callers_cannot_spoil_the_kept_vectors() -> None:
    encoder = CountingEncoder()
    shared = SharedQueryEncoders()
    borrowed = shared.get("model", lambda: encoder)
    vectors = borrowed.embed_queries(["parse json"])
    vectors[0, 0] = -1.0  # a caller writing into its answer
    again = shared.get("model", lambda: CountingEncoder()).embed_queries(["parse json"])
    assert encoder.embedded == [("parse json",)]
    assert again.tolist() == [[10.0, 1.0]]
    borrowed.embed_queries(["open a socket"])
    assert encoder.embedded == [("parse json",), ("open a socket",)]
