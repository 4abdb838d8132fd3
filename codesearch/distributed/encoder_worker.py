"""What runs inside a Ray actor: one loaded encoder, embedding batches of texts.

A plain class (no ``ray`` import): ray_embedder.py wraps it with ``ray.remote`` and the actor
options, so this module imports on any worker that has codesearch and torch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np


def describe_worker(model: str) -> tuple[str, str]:
    """(codesearch version, model hash) as a worker sees them; run as a Ray task before any actor."""
    from importlib.metadata import version

    from codesearch.encoder.identity import describe_model

    return version("codesearch"), describe_model(model).model_hash


class EncoderWorker:
    """The encoder, loaded once per actor (and again by Ray when the actor restarts)."""

    def __init__(self, model: str, threads: int, device: str) -> None:
        from codesearch.encoder.model import Encoder

        self._encoder = Encoder.load(model, threads=threads, device=device)

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """The vectors of ``texts``, ``batch_size`` per forward pass."""
        return self._encoder.embed_code(list(texts), batch_size=batch_size)  # (n, dim) float32

    def identity(self) -> tuple[str, str, int]:
        """(backend, model hash, process id): the pool records the backend; tests kill the process."""
        return self._encoder.backend, self._encoder.model_hash, os.getpid()
