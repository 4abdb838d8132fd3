"""WiSE-FT interpolation of an adapter with its base: the ends reproduce the two models."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from codesearch.encoder import Encoder
from codesearch.encoder.metadata import read_metadata
from codesearch.encoder.network import load_network
from codesearch.errors import ModelLoadError
from training.config import TrainConfig
from training.interpolate import interpolate_adapter
from training.train import train

CODE = ["def f(x):\n    return x + 1", "read a json file"]


def weights(folder: Path) -> dict[str, torch.Tensor]:
    network = load_network(folder, read_metadata(folder), torch.device("cpu"), torch.float32)
    return dict(network.model.state_dict())


def embed(folder: str, cache: Path) -> np.ndarray:
    with Encoder.load(folder, dtype="float32", cache_dir=cache) as encoder:
        return encoder.embed_code(CODE)


@pytest.fixture
def adapter(config: TrainConfig, tmp_path: Path) -> Path:
    frozen = ("embeddings.word_embeddings.",)
    run = dataclasses.replace(config, frozen=frozen, max_steps=2, eval_every=0, export_format="adapter")
    train(run, tmp_path / "adapter")
    return tmp_path / "adapter"


def test_alpha_one_is_the_trained_model_and_zero_the_base(adapter: Path, config: TrainConfig, tmp_path: Path) -> None:
    cache = tmp_path / "hashes"
    interpolate_adapter(adapter, 1.0, tmp_path / "one")
    interpolate_adapter(adapter, 0.0, tmp_path / "zero")
    half = interpolate_adapter(adapter, 0.5, tmp_path / "half", max_length=40)
    assert half.validation == {"interpolation_alpha": 0.5} and half.base_sha256 is not None
    assert half.max_length == 40
    np.testing.assert_allclose(embed(str(tmp_path / "one"), cache), embed(str(adapter), cache), atol=1e-6)
    folders = (Path(config.base_model), tmp_path / "zero", tmp_path / "half")
    base, zero, half_state = (weights(folder) for folder in folders)
    for name, tensor in zero.items():  # alpha 0: the base's weights, up to float16 rounding
        torch.testing.assert_close(tensor, base[name], atol=2e-3, rtol=1e-2)
    trained = weights(adapter)
    name = "encoder.layer.0.attention.self.query.weight"
    torch.testing.assert_close(half_state[name], (trained[name] + base[name]) / 2, atol=2e-3, rtol=1e-2)
    assert not torch.allclose(half_state[name], base[name], atol=1e-4)


def test_a_full_model_folder_is_refused(config: TrainConfig, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not a replace-mode adapter"):
        interpolate_adapter(Path(config.base_model), 0.5, tmp_path / "out")
