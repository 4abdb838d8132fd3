"""A persistent cache of document embeddings for evaluation runs, keyed by model and text hash.

Benchmarks re-embed the same tens of thousands of functions for every system and setting; this
keeps them in ``<cache>/eval-embeddings/<model_hash>.npz`` so that only new texts are encoded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from codesearch.encoder.embedding_text import text_hash

CodeEmbedder = Callable[[Sequence[str]], np.ndarray]  # texts -> (n, dim) float32


class EmbeddingCache:
    """Embeds texts with ``embed_code``, remembering every vector on disk."""

    def __init__(self, path: Path | None, embed_code: CodeEmbedder) -> None:
        self._path = path
        self._embed_code = embed_code
        self._vectors: dict[str, np.ndarray] = {}
        if path is not None and path.is_file():
            with np.load(path) as data:
                self._vectors = dict(zip(data["hashes"].tolist(), data["vectors"], strict=True))

    def embed(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors of ``texts`` by text hash, encoding only those not cached."""
        wanted = {text_hash(text): text for text in texts}
        missing = [h for h in wanted if h not in self._vectors]
        if missing:
            vectors = self._embed_code([wanted[h] for h in missing])  # (len(missing), dim)
            self._vectors.update(zip(missing, vectors, strict=True))
            self._save()
        return {h: self._vectors[h] for h in wanted}

    def _save(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_name(self._path.name + ".tmp.npz")
        hashes = np.array(list(self._vectors), dtype="U64")
        np.savez(temporary, hashes=hashes, vectors=np.stack(list(self._vectors.values())).astype(np.float32))
        os.replace(temporary, self._path)
