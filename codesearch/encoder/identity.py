"""A model's identity (id, fingerprint, embedding width) without importing torch or loading weights.

``codesearch index`` needs it to open the index and decide what is up to date before it knows
whether anything must be embedded at all; an unchanged repository never loads the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from codesearch.encoder.fingerprint import HASH_CACHE_FILE_NAME, fingerprint
from codesearch.encoder.metadata import read_metadata
from codesearch.encoder.network import check_base_weights, network_files
from codesearch.encoder.source import resolve_model
from codesearch.errors import ModelLoadError

_WIDTH_KEYS = ("hidden_size", "d_model", "dim", "n_embd")


@dataclass(frozen=True, slots=True)
class ModelIdentity:
    """What an index records about the encoder that built it."""

    model_id: str
    model_hash: str  # the same value Encoder.load(...).model_hash gives
    dim: int


def describe_model(model: str, cache_dir: Path | None = None) -> ModelIdentity:
    """Identify ``model`` ("default", a folder or a hub name) from its files alone."""
    from codesearch.config import user_cache_dir

    source = resolve_model(model)
    metadata = read_metadata(source.folder)
    files, weights_folder, _ = network_files(source.folder, metadata)
    cache_root = user_cache_dir() if cache_dir is None else cache_dir
    check_base_weights(files, metadata, cache_root / HASH_CACHE_FILE_NAME)
    model_hash = fingerprint(files, metadata.to_json(), cache_root / HASH_CACHE_FILE_NAME)
    return ModelIdentity(source.model_id, model_hash, _width(weights_folder / "config.json"))


def _width(config_path: Path) -> int:
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read {config_path}: {exc}") from exc
    for key in _WIDTH_KEYS:
        if isinstance(config.get(key), int):
            return int(config[key])
    raise ModelLoadError(f"{config_path} names no hidden size ({', '.join(_WIDTH_KEYS)})")
