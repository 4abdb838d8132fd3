"""Which backend embeds queries in a process without a server: the verified ONNX export, else torch.

``load_query_encoder`` identifies the model from its files (no torch), refuses one that did not
build the index, then opens the export of that exact model (onnx_encoder.py checks it is current
and whole). A missing, stale or damaged export costs one line on stderr and the torch path, never
a wrong vector; ``codesearch index`` rebuilds it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from codesearch.encoder.onnx_manifest import ExportUnusable, export_folder
from codesearch.errors import IndexMismatchError

logger = logging.getLogger(__name__)


class QueryEncoder(Protocol):
    """What searching needs of an encoder (Encoder and OnnxEncoder both satisfy it)."""

    @property
    def backend(self) -> str: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def close(self) -> None: ...


def load_query_encoder(
    model: str, model_hash: str, model_id: str, *, index_dir: Path, threads: int = 0, cache_dir: Path | None = None
) -> QueryEncoder:
    """The encoder for queries against an index built by the model ``model_hash``.

    Args:
        model: what to load ("default", a folder or a hub name).
        model_hash, model_id: what the index records (the model must have that fingerprint).
        index_dir: named in the error when the model is another one.

    Raises:
        IndexMismatchError: ``model`` is not the model the index was built with.
        ModelLoadError: the model cannot be found or loaded.
    """
    from codesearch.config import user_cache_dir
    from codesearch.encoder.identity import describe_model

    cache_root = user_cache_dir() if cache_dir is None else cache_dir
    identity = describe_model(model, cache_root)
    if identity.model_hash != model_hash:
        raise IndexMismatchError(
            f"the index in {index_dir} was built with model {model_id} ({model_hash[:12]}), not "
            f"{identity.model_id} ({identity.model_hash[:12]}); pass --model {model_id} or rebuild with "
            f"`codesearch index --full --model {model}`"
        )
    from codesearch.encoder.onnx_encoder import OnnxEncoder

    folder = export_folder(cache_root, model_hash)
    try:
        return OnnxEncoder.open(folder, model_hash, threads=threads)
    except ExportUnusable as reason:
        logger.warning("the ONNX query encoder is %s; loading torch instead (`codesearch index` makes it)", reason)
    from codesearch.encoder.model import Encoder

    return Encoder.load(model, threads=threads, cache_dir=cache_root)
