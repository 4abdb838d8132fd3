"""SharedEncoder: one loaded encoder serving every client's queries and every watcher's code.

The encoder is not safe to call from two threads at once (a fast tokenizer refuses concurrent
use, and two forward passes would fight over the same cores), so one lock guards it. Queries
that arrive while the encoder is busy are embedded together in the next forward pass (whoever
takes the lock embeds everyone waiting), which costs little more than one query; code is
embedded in slices, so a large update lets waiting queries in between slices.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

MAX_QUERY_BATCH = 64
CODE_SLICE = 64  # code texts per hold of the lock


class ServerEncoder(Protocol):
    """What the server needs of an encoder (codesearch.encoder.model.Encoder satisfies it)."""

    @property
    def model_id(self) -> str: ...

    @property
    def model_hash(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def backend(self) -> str: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_code(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = ...,
        on_progress: Callable[[int, int], None] | None = ...,
    ) -> np.ndarray: ...


@dataclass(eq=False, slots=True)
class _Waiting:
    text: str
    vector: np.ndarray | None = None  # (dim,) once embedded
    error: BaseException | None = None


class SharedEncoder:
    """Thread-safe front of one encoder: batched queries, sliced code."""

    def __init__(self, encoder: ServerEncoder) -> None:
        self._encoder = encoder
        self.model_id = encoder.model_id
        self.model_hash = encoder.model_hash
        self.dim = encoder.dim
        self.backend = encoder.backend
        self._lock = threading.Lock()  # guards every call into _encoder
        self._queue_lock = threading.Lock()  # guards _queue
        self._queue: list[_Waiting] = []

    def embed_query(self, text: str) -> np.ndarray:
        """One query's vector (dim,), batched with whatever queries wait at the same time."""
        mine = _Waiting(text)
        with self._queue_lock:
            self._queue.append(mine)
        with self._lock:
            if mine.vector is None and mine.error is None:
                with self._queue_lock:
                    batch, self._queue = self._queue[:MAX_QUERY_BATCH], self._queue[MAX_QUERY_BATCH:]
                self._embed_waiting(batch)
        if mine.error is not None:
            raise mine.error
        assert mine.vector is not None
        return mine.vector

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, like Encoder.embed_queries."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.embed_query(text) for text in texts])

    def embed_code(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """(n, dim) float32 in input order; the lock is taken once per slice of similar lengths."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # slices of similar length pad little
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)  # (n, dim)
        for start in range(0, len(order), CODE_SLICE):
            part = order[start : start + CODE_SLICE]
            with self._lock:
                vectors[part] = self._encoder.embed_code([texts[i] for i in part], batch_size=batch_size)
            if on_progress is not None:
                on_progress(start + len(part), len(texts))
        return vectors

    def _embed_waiting(self, batch: list[_Waiting]) -> None:
        """Under _lock: embed ``batch`` and hand each waiter its vector (or the error)."""
        try:
            vectors = self._encoder.embed_queries([waiting.text for waiting in batch])  # (n, dim)
        except Exception as exc:
            if len(batch) == 1:  # the waiter re-raises it in its own thread
                batch[0].error = exc
                return
            # One bad query must fail alone, never its neighbours: each is tried again by itself.
            for waiting in batch:
                self._embed_waiting([waiting])
            return
        for waiting, vector in zip(batch, vectors, strict=True):
            waiting.vector = vector
