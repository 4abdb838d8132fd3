"""SharedEncoder: queries waiting together share one forward pass; errors reach every waiter."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from codesearch.server.shared_encoder import CODE_SLICE, SharedEncoder
from tests.fakes import HashingEncoder

TIMEOUT_S = 10.0


class GatedEncoder(HashingEncoder):
    """Blocks its first query call until released, and records every call's texts."""

    def __init__(self) -> None:
        super().__init__()
        self.query_calls: list[list[str]] = []
        self.code_calls: list[int] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail = False

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.query_calls.append(list(texts))
        if len(self.query_calls) == 1:
            self.entered.set()
            self.release.wait(TIMEOUT_S)
        if self.fail or any("\udcff" in text for text in texts):  # a text the tokenizer cannot take
            raise RuntimeError("encoder broke")
        return super().embed_queries(texts)

    def embed_code(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        self.code_calls.append(len(texts))
        return HashingEncoder().embed_code(texts)  # not through self: its queries are gated


def run_concurrently(shared: SharedEncoder, encoder: GatedEncoder, texts: list[str]) -> list[object]:
    results: list[object] = [None] * len(texts)

    def embed(i: int) -> None:
        try:
            results[i] = shared.embed_query(texts[i])
        except RuntimeError as exc:
            results[i] = exc

    first = threading.Thread(target=embed, args=(0,))
    first.start()
    assert encoder.entered.wait(TIMEOUT_S)
    others = [threading.Thread(target=embed, args=(i,)) for i in range(1, len(texts))]
    for thread in others:
        thread.start()
    while len(shared._queue) < len(texts) - 1:  # every other query is queued behind the busy encoder
        first.join(0.001)
    encoder.release.set()
    for thread in [first, *others]:
        thread.join(TIMEOUT_S)
    return results


def test_waiting_queries_are_embedded_in_one_batch() -> None:
    encoder = GatedEncoder()
    shared = SharedEncoder(encoder)
    texts = ["parse json", "hash password", "retry request", "open file"]
    results = run_concurrently(shared, encoder, texts)
    assert [len(call) for call in encoder.query_calls] == [1, 3]
    for text, vector in zip(texts, results, strict=True):
        np.testing.assert_allclose(vector, HashingEncoder().embed_queries([text])[0])


def test_an_encoder_error_reaches_every_waiting_query() -> None:
    encoder = GatedEncoder()
    encoder.fail = True
    results = run_concurrently(SharedEncoder(encoder), encoder, ["a", "b", "c"])
    assert all(isinstance(result, RuntimeError) for result in results)


def test_one_bad_query_fails_alone_not_its_batch() -> None:
    """Hostile input row 2: a query the encoder cannot take, batched with others' queries."""
    encoder = GatedEncoder()
    texts = ["parse json", "hash password", "x \udcff", "retry request", "open file"]
    results = run_concurrently(SharedEncoder(encoder), encoder, texts)
    assert isinstance(results[2], RuntimeError)
    for text, vector in [(t, r) for t, r in zip(texts, results, strict=True) if t != texts[2]]:
        np.testing.assert_allclose(vector, HashingEncoder().embed_queries([text])[0])


@pytest.mark.parametrize("count", [0, 1, CODE_SLICE + 5])
def test_code_is_embedded_in_slices_in_input_order(count: int) -> None:
    encoder = GatedEncoder()
    texts = [f"def f{i}(): return {'x' * (i % 7)}" for i in range(count)]
    progress: list[tuple[int, int]] = []
    vectors = SharedEncoder(encoder).embed_code(
        texts, on_progress=lambda done, total: progress.append((done, total))
    )
    assert vectors.shape == (count, HashingEncoder.dim)
    if count:
        np.testing.assert_allclose(vectors, HashingEncoder().embed_queries(texts))
    assert all(size <= CODE_SLICE for size in encoder.code_calls)
    assert (progress[-1] if progress else (0, 0)) == (count, count)
