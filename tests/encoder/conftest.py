"""Fixtures for encoder tests: a tiny randomly initialised BERT in a temporary model folder.

The tiny model borrows the bundled encoder's tokenizer files, so framing and truncation behave
as with the real model while a forward pass costs microseconds.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from codesearch.encoder.source import base_model_folder

if TYPE_CHECKING:
    from codesearch.encoder import Encoder

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


def build_tiny_bert(folder: Path, seed: int = 0) -> Path:
    """Write a 2-layer, 32-wide BERT with random weights and a real tokenizer into ``folder``."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(str(folder), safe_serialization=True)
    source = base_model_folder()
    for name in TOKENIZER_FILES:
        shutil.copy(source / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def tiny_bert_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture
def tiny_bert(tiny_bert_template: Path, tmp_path: Path) -> Path:
    """A fresh copy per test, so tests may add metadata or adapter files to it."""
    return Path(shutil.copytree(tiny_bert_template, tmp_path / "tiny-bert"))


@pytest.fixture
def hash_cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def default_encoder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Encoder]:
    """The real bundled encoder at its default settings, loaded once per session."""
    from codesearch.encoder import Encoder

    with Encoder.load("default", cache_dir=tmp_path_factory.mktemp("hash-cache")) as encoder:
        yield encoder
