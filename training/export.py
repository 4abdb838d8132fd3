"""Exporting a trained model: a folder ``codesearch index --model DIR`` loads like any other.

Hugging Face weights (safetensors) and tokenizer files, plus ``codesearch-encoder.json`` with the
pooling, delimiters and max length the model was trained with and its provenance (the base model,
the recipe hash, validation metrics).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from codesearch.encoder.metadata import EncoderMetadata
from training.config import TrainConfig
from training.model import DualEncoder, save_transformer
from training.records import Evaluation

logger = logging.getLogger(__name__)


def export_model(
    folder: Path,
    model: DualEncoder,
    tokenizer: object,
    config: TrainConfig,
    model_id: str,
    evaluation: Evaluation | None,
) -> EncoderMetadata:
    """Write the model folder; returns the metadata written."""
    save_transformer(model, tokenizer, folder)
    metadata = dataclasses.replace(
        config.encoder_metadata(),
        trained_from=model_id,
        recipe_hash=config.recipe_hash,
        validation=None
        if evaluation is None
        else {k: round(v, 4) for k, v in evaluation.as_metrics().items()},
    )
    metadata.save(folder)
    logger.info("exported the trained encoder to %s", folder)
    return metadata
