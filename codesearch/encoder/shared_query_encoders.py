"""Query encoders shared by the searchers of one process: one load per model, one embedding per query.

``ask --repo A --repo B ...`` opens one Searcher per index. Indexes of one model need the same
encoder (search/multi_repository.py refuses mixed models), so the first searcher loads it and the others
borrow it: a search over five repositories loads the model once instead of five times, and a query
asked of every repository in turn is embedded once (the last batch's vectors are kept).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from codesearch.encoder.query_encoder import QueryEncoder


class _Borrowed:
    """One shared encoder as a searcher sees it: closing it is the owner's job, not the borrower's."""

    def __init__(self, encoder: QueryEncoder) -> None:
        self._encoder = encoder
        self._lock = threading.Lock()  # guards _last
        self._last: tuple[tuple[str, ...], np.ndarray] | None = None

    @property
    def backend(self) -> str:
        return self._encoder.backend

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        key = tuple(texts)
        with self._lock:
            if self._last is not None and self._last[0] == key:
                return self._last[1].copy()
        vectors = self._encoder.embed_queries(texts)  # (len(texts), dim)
        with self._lock:
            self._last = (key, vectors.copy())
        return vectors

    def close(self) -> None:
        """Nothing: the SharedQueryEncoders that lent it closes the encoder."""


class SharedQueryEncoders:
    """Encoders by model fingerprint, loaded on first use; ``close`` closes every one of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards _encoders (a load happens under it: once per model)
        self._encoders: dict[str, tuple[QueryEncoder, _Borrowed]] = {}

    def get(self, model_hash: str, load: Callable[[], QueryEncoder]) -> QueryEncoder:
        """The encoder of ``model_hash``, loaded by ``load`` the first time it is asked for."""
        with self._lock:
            if model_hash not in self._encoders:
                encoder = load()
                self._encoders[model_hash] = (encoder, _Borrowed(encoder))
            return self._encoders[model_hash][1]

    def close(self) -> None:
        with self._lock:
            encoders, self._encoders = list(self._encoders.values()), {}
        for encoder, _ in encoders:
            encoder.close()
