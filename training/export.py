"""Exporting a trained model: a folder ``codesearch index --model DIR`` loads like any other.

Two formats. "full": Hugging Face weights (safetensors) and tokenizer files. "adapter": only the
tensors training changed, in float16, in ``adapter.safetensors``, applied at load time over the
base model (which, for the bundled default, pip already installs), with the base's weight digest
recorded so another base is refused. Both get ``codesearch-encoder.json`` with the pooling,
delimiters and max length the model was trained with and its provenance (the base model, the
recipe hash, validation metrics).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import torch
from safetensors.torch import save_file

from codesearch.encoder.metadata import EncoderMetadata, read_metadata
from codesearch.encoder.network import network_files, weights_digest
from codesearch.encoder.source import resolve_model
from training.config import TrainConfig
from training.model import DualEncoder, save_transformer
from training.records import Evaluation

logger = logging.getLogger(__name__)

ADAPTER_FILE_NAME = "adapter.safetensors"


def export_model(
    folder: Path,
    model: DualEncoder,
    tokenizer: object,
    config: TrainConfig,
    model_id: str,
    evaluation: Evaluation | None,
    *,
    base_sha256: str | None = None,
) -> EncoderMetadata:
    """Write the model folder in ``config.export_format``; returns the metadata written.

    ``base_sha256``: the base's weights digest for an adapter, when the base trained on is not on this
    machine as the folder ``config.base_model`` names (a GPU run rebuilds it from a bundle).
    """
    metadata = dataclasses.replace(
        config.encoder_metadata(),
        trained_from=model_id,
        recipe_hash=config.recipe_hash,
        validation=None
        if evaluation is None
        else {k: round(v, 4) for k, v in evaluation.as_metrics().items()},
    )
    if config.export_format == "adapter":
        metadata = _save_adapter(folder, model, config.base_model, metadata, base_sha256)
    else:
        save_transformer(model, tokenizer, folder)
    metadata.save(folder)
    logger.info("exported the trained encoder to %s (%s)", folder, config.export_format)
    return metadata


def _save_adapter(
    folder: Path, model: DualEncoder, base_model: str, metadata: EncoderMetadata, base_sha256: str | None
) -> EncoderMetadata:
    """float16 copies of the trained tensors, plus the metadata that ties them to their base."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {name: tensor.to(torch.float16).contiguous() for name, tensor in model.trained_tensors().items()}
    save_file(tensors, str(folder / ADAPTER_FILE_NAME))
    return dataclasses.replace(
        metadata,
        base_model=base_model,
        adapter=ADAPTER_FILE_NAME,
        adapter_mode="replace",
        base_sha256=base_sha256 or base_weights_digest(base_model),
    )


def base_weights_digest(base_model: str) -> str:
    """The digest an adapter records of its base's weights (``network.check_base_weights`` compares it)."""
    base_folder = resolve_model(base_model).folder
    files, _, _ = network_files(base_folder, read_metadata(base_folder))
    return weights_digest(files, None)
