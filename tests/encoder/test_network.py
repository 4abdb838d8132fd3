"""Base model plus adapter: the seam through which a trained encoder ships as a delta."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from codesearch.encoder import Encoder, EncoderMetadata
from codesearch.errors import ModelLoadError
from tests.encoder.conftest import build_tiny_bert

TEXTS = ["def add(a, b):\n    return a + b", "read a json file"]


def state_of(folder: Path) -> dict[str, torch.Tensor]:
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), local_files_only=True)
    return {name: tensor.detach().clone().contiguous() for name, tensor in model.state_dict().items()}


@pytest.fixture(scope="module")
def other_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("other-bert"), seed=1)


def adapter_folder(root: Path, base: Path, tensors: dict[str, torch.Tensor], mode: str) -> Path:
    folder = root / "trained"
    folder.mkdir()
    save_file(tensors, str(folder / "adapter.safetensors"))
    EncoderMetadata(base_model=str(base), adapter="adapter.safetensors", adapter_mode=mode).save(folder)  # type: ignore[arg-type]
    return folder


def embed(folder: Path, hash_cache: Path) -> np.ndarray:
    with Encoder.load(str(folder), dtype="float32", cache_dir=hash_cache) as encoder:
        return encoder.embed_code(TEXTS)


@pytest.mark.parametrize("mode", ["replace", "add"])
def test_adapter_over_base_reproduces_the_trained_model(
    tiny_bert: Path, other_bert: Path, tmp_path: Path, hash_cache: Path, mode: str
) -> None:
    target = state_of(other_bert)
    if mode == "add":
        base = state_of(tiny_bert)
        target = {name: tensor - base[name] for name, tensor in target.items() if tensor.is_floating_point()}
    folder = adapter_folder(tmp_path, tiny_bert, target, mode)
    np.testing.assert_allclose(embed(folder, hash_cache), embed(other_bert, hash_cache), atol=1e-5)
    assert not np.allclose(embed(folder, hash_cache), embed(tiny_bert, hash_cache), atol=1e-3)


def test_adapter_changes_the_hash(tiny_bert: Path, tmp_path: Path, hash_cache: Path) -> None:
    bias = state_of(tiny_bert)["encoder.layer.1.output.dense.bias"]
    folder = adapter_folder(tmp_path, tiny_bert, {"encoder.layer.1.output.dense.bias": bias + 1}, "replace")
    with (
        Encoder.load(str(folder), cache_dir=hash_cache) as trained,
        Encoder.load(str(tiny_bert), cache_dir=hash_cache) as base,
    ):
        assert trained.model_hash != base.model_hash


def test_adapter_with_unknown_tensors_is_refused(tiny_bert: Path, tmp_path: Path, hash_cache: Path) -> None:
    folder = adapter_folder(tmp_path, tiny_bert, {"bert.no_such.weight": torch.zeros(2)}, "replace")
    with pytest.raises(ModelLoadError, match=r"bert\.no_such\.weight"):
        Encoder.load(str(folder), cache_dir=hash_cache)


def test_adapter_with_wrong_shapes_is_refused(tiny_bert: Path, tmp_path: Path, hash_cache: Path) -> None:
    folder = adapter_folder(tmp_path, tiny_bert, {"encoder.layer.1.output.dense.bias": torch.zeros(3)}, "add")
    with pytest.raises(ModelLoadError, match="has shape"):
        Encoder.load(str(folder), cache_dir=hash_cache)


def test_adapter_over_another_base_is_refused(
    tiny_bert: Path, other_bert: Path, tmp_path: Path, hash_cache: Path
) -> None:
    from codesearch.encoder.identity import describe_model
    from codesearch.encoder.metadata import read_metadata
    from codesearch.encoder.network import network_files, weights_digest

    files, _, _ = network_files(tiny_bert, read_metadata(tiny_bert))
    bias = state_of(tiny_bert)["encoder.layer.1.output.dense.bias"]
    folder = adapter_folder(tmp_path, tiny_bert, {"encoder.layer.1.output.dense.bias": bias + 1}, "replace")
    EncoderMetadata(
        base_model=str(tiny_bert), adapter="adapter.safetensors", base_sha256=weights_digest(files, None)
    ).save(folder)
    embed(folder, hash_cache)  # the recorded base: loads
    describe_model(str(folder), cache_dir=hash_cache)
    EncoderMetadata(
        base_model=str(other_bert), adapter="adapter.safetensors", base_sha256=weights_digest(files, None)
    ).save(folder)
    with pytest.raises(ModelLoadError, match="trained over base model"):
        embed(folder, hash_cache)
    with pytest.raises(ModelLoadError, match="trained over base model"):
        describe_model(str(folder), cache_dir=hash_cache)
