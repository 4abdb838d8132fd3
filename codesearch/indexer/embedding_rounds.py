"""The second stage of an index update: embedding every chunk that has no vector yet, in rounds.

The first stage (indexer/updates.py) commits every changed file with the vectors the embeddings cache
already has; the chunks it leaves without one are searchable by keywords only. This stage takes
them by id (so a run resumes what an interrupted one left, oldest first), ``round_chunks`` at a
time, embeds each distinct text once, and commits the vectors of each round as one batch: every
finished round survives a kill, and ``ask`` sees it at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from codesearch import crash_points
from codesearch.config import Settings, user_cache_dir
from codesearch.encoder.embedding_text import chunk_text, text_hash
from codesearch.index.machine_cache import MachineCache
from codesearch.index.records import Embedding, IndexBatch, StoredChunk
from codesearch.index.store import IndexStore

logger = logging.getLogger(__name__)


class CodeEmbedder(Protocol):
    """What indexing needs from an encoder (codesearch.encoder.model.Encoder satisfies it)."""

    @property
    def backend(self) -> str: ...

    def embed_code(
        self, texts: Sequence[str], *, batch_size: int = ..., on_progress: Callable[[int, int], None] | None = ...
    ) -> np.ndarray: ...


EncoderProvider = Callable[[], CodeEmbedder]


@dataclass
class LazyEncoder:
    """The encoder, loaded the first time something has to be embedded (mutable, one per update)."""

    provider: EncoderProvider
    encoder: CodeEmbedder | None = None

    def get(self) -> CodeEmbedder:
        if self.encoder is None:
            self.encoder = self.provider()
        return self.encoder


@dataclass
class EmbeddingTally:
    """What the stage did so far (mutable; read by progress reports)."""

    embedded: int = 0  # texts embedded
    from_machine_cache: int = 0  # texts whose vector the machine-wide cache gave
    seconds: float = 0.0  # in the encoder (not loading it)
    to_embed: int = 0  # distinct texts the stage found without a vector; 0 until it starts


def open_machine_cache(settings: Settings) -> MachineCache | None:
    """The machine-wide embedding cache ``settings`` ask for (None: switched off)."""
    if not settings.embedding_cache:
        return None
    folder = Path(settings.embedding_cache_dir).expanduser() if settings.embedding_cache_dir else user_cache_dir()
    return MachineCache(folder, settings.embedding_cache_max_mb * 1024 * 1024)


def embed_unembedded(
    store: IndexStore, round_chunks: int, batch_size: int, encoder: LazyEncoder, tally: EmbeddingTally,
    report: Callable[[], None], cache: MachineCache | None = None,
) -> None:
    """Give every chunk of ``store`` without a vector one, ``round_chunks`` chunks per committed round:
    from the machine-wide ``cache`` where it has one (no model loaded for those), else embedded."""
    tally.to_embed = store.count_unembedded_texts()
    if tally.to_embed == 0:
        return
    after_id = 0
    while found := store.unembedded_chunks(after_id, round_chunks):
        after_id = found[-1].chunk_id
        texts = texts_by_hash(found)
        if cache is not None:
            texts = _from_cache(store, cache, texts, tally)
        _embed_round(store, texts, batch_size, encoder, tally, report, cache)


def _from_cache(store: IndexStore, cache: MachineCache, texts: dict[str, str], tally: EmbeddingTally) -> dict[str, str]:
    """Commit the vectors ``cache`` holds for ``texts`` (one batch per backend that made them); the rest."""
    model_hash = store.meta.params.model_hash
    found = cache.get(model_hash, texts)
    by_backend: dict[str, list[Embedding]] = {}
    for embed_hash, cached in found.items():
        by_backend.setdefault(cached.backend, []).append(Embedding(embed_hash, cached.vector))
    for backend, embeddings in sorted(by_backend.items()):
        store.apply_batch(IndexBatch(embeddings=tuple(embeddings), embeddings_backend=backend))
    tally.from_machine_cache += len(found)
    return {embed_hash: text for embed_hash, text in texts.items() if embed_hash not in found}


def _embed_round(
    store: IndexStore, texts: dict[str, str], batch_size: int, encoder: LazyEncoder, tally: EmbeddingTally,
    report: Callable[[], None], cache: MachineCache | None = None,
) -> None:
    """Embed ``texts`` (embed hash -> text), remember them in ``cache`` and commit their vectors in one batch."""
    if not texts:
        report()
        return
    live = encoder.get()  # loading it is not embedding: the rate the summary prints is the encoder's
    started = time.perf_counter()
    embedded_before, seconds_before = tally.embedded, tally.seconds

    def progress(done: int, total: int) -> None:
        tally.embedded = embedded_before + done
        tally.seconds = seconds_before + time.perf_counter() - started
        report()

    crash_points.reached("embed:round")
    vectors = live.embed_code(list(texts.values()), batch_size=batch_size, on_progress=progress)  # (n, dim)
    tally.embedded = embedded_before + len(texts)
    tally.seconds = seconds_before + time.perf_counter() - started
    embeddings = tuple(Embedding(h, vectors[i]) for i, h in enumerate(texts))
    if cache is not None:  # before the commit: a run killed between the two leaves the cache with them
        cache.put(store.meta.params.model_hash, live.backend, {e.embed_hash: e.vector for e in embeddings})
    store.apply_batch(IndexBatch(embeddings=embeddings, embeddings_backend=live.backend))
    report()


def texts_by_hash(found: Sequence[StoredChunk]) -> dict[str, str]:
    """embed hash -> the text to embed, rebuilt from the stored chunk as extraction made it."""
    texts: dict[str, str] = {}
    for stored in found:
        if stored.embed_hash not in texts:
            text = chunk_text(stored.chunk)
            if text_hash(text) != stored.embed_hash:
                # Rows keep the hash of the text their extraction made; a text made differently now
                # must not be cached under that hash. The file's next change re-extracts it.
                logger.warning("%s: %s was extracted by another codesearch version; not embedded",
                               stored.chunk.path, stored.chunk.qualified_name)
                continue
            texts[stored.embed_hash] = text
    return texts
