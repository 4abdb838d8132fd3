"""A stand-in encoder for watcher and server tests that are about plumbing, not ranking.

It embeds a text as the normalised bag of its hashed words, so a query sharing words with a
function lands near it. E2E tests use the real encoder instead.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence

import numpy as np

from codesearch.index.records import IndexParams

DIM = 32
_WORD = re.compile(r"[A-Za-z]+")


class HashingEncoder:
    """Deterministic (n, DIM) unit vectors; counts the texts it embedded."""

    model_id = "test/hashing"
    model_hash = "hashing-0"
    dim = DIM
    backend = "hashing"

    def __init__(self) -> None:
        self.code_texts_embedded = 0
        self._lock = threading.Lock()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([_vector(text) for text in texts]) if texts else np.zeros((0, DIM), np.float32)

    def embed_code(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        with self._lock:
            self.code_texts_embedded += len(texts)
        if on_progress is not None:
            on_progress(len(texts), len(texts))
        return self.embed_queries(texts)

    def close(self) -> None:
        pass


def hashing_params() -> IndexParams:
    return IndexParams(HashingEncoder.model_id, HashingEncoder.model_hash, DIM)


def _vector(text: str) -> np.ndarray:
    vector = np.full(DIM, 1e-3, dtype=np.float32)  # (DIM,): never all zero
    for word in _WORD.findall(text):
        vector[hash_word(word.lower()) % DIM] += 1.0
    return vector / np.linalg.norm(vector)


def hash_word(word: str) -> int:
    """A hash that is the same in every process (str hashes are salted)."""
    value = 0
    for char in word:
        value = (value * 131 + ord(char)) % 1_000_003
    return value
