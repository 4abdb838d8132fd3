"""The text/code encoder: model loading, pooling, batched embedding.

Importing this package does not import torch or transformers; ``Encoder.load`` does.
"""

from codesearch.encoder.metadata import METADATA_FILE_NAME, EncoderMetadata
from codesearch.encoder.model import Encoder

__all__ = ["METADATA_FILE_NAME", "Encoder", "EncoderMetadata"]
