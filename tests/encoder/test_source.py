from __future__ import annotations

import time
from pathlib import Path

import pytest

from codesearch.encoder import source
from codesearch.encoder.metadata import read_metadata
from codesearch.encoder.source import BASE_MODEL_ID, DEFAULT_MODEL_ID, resolve_model
from codesearch.errors import ModelLoadError


def test_default_is_the_shipped_adapter_over_the_bundled_base() -> None:
    found = resolve_model("default")
    assert found.model_id == DEFAULT_MODEL_ID
    metadata = read_metadata(found.folder)
    assert metadata.adapter is not None and (found.folder / metadata.adapter).is_file()
    assert metadata.base_model == BASE_MODEL_ID and metadata.base_sha256 is not None
    assert (found.folder / metadata.adapter).stat().st_size <= 25 * 1024 * 1024  # the repository's budget


def test_the_base_hub_name_is_served_offline_from_the_bundled_package() -> None:
    found = resolve_model(BASE_MODEL_ID)
    assert found.model_id == BASE_MODEL_ID
    assert (found.folder / "model.safetensors").is_file()


def test_a_folder_is_identified_by_its_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my-model").mkdir()
    monkeypatch.chdir(tmp_path)
    found = resolve_model("my-model")
    assert found.folder == tmp_path / "my-model"
    assert found.model_id == str(tmp_path / "my-model")


def test_relative_base_model_is_found_next_to_the_metadata(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "trained").mkdir()
    assert resolve_model("../base", relative_to=tmp_path / "trained").folder == tmp_path / "base"


@pytest.mark.parametrize("name", ["./missing-model", "/no/such/model/folder", "~/missing/", "bad name!"])
def test_missing_folders_say_so(name: str) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model(name)


def test_a_file_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelLoadError, match="is a file"):
        resolve_model(str(tmp_path / "model.safetensors"))


def test_uncached_hub_name_fails_fast_when_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    start = time.perf_counter()
    with pytest.raises(ModelLoadError, match="HF_HUB_OFFLINE") as caught:
        resolve_model("codesearch-tests/no-such-model")
    assert time.perf_counter() - start < 5.0
    assert "codesearch-tests/no-such-model" in str(caught.value)


def test_missing_base_package_asks_for_a_reinstall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source, "BASE_MODEL_PACKAGE", "codesearch_no_such_package")
    with pytest.raises(ModelLoadError, match="reinstall"):
        resolve_model(BASE_MODEL_ID)


def test_missing_shipped_model_asks_for_a_reinstall(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(source, "DEFAULT_MODEL_FOLDER", tmp_path / "gone")
    with pytest.raises(ModelLoadError, match="reinstall"):
        resolve_model("default")


def test_a_recorded_shipped_id_names_its_folder_in_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert resolve_model(DEFAULT_MODEL_ID).folder == resolve_model("default").folder
    (tmp_path / "minilm-code-v0").mkdir()
    (tmp_path / "minilm-code-v0" / "codesearch-encoder.json").write_text("{}")
    monkeypatch.setattr(source, "SHIPPED_MODELS_DIR", tmp_path)
    assert resolve_model("codesearch/minilm-code-v0") == source.ModelSource(
        "codesearch/minilm-code-v0", tmp_path / "minilm-code-v0"
    )
    assert source.shipped_model_folder("codesearch/..") is None  # never a folder outside models/
    with pytest.raises(ModelLoadError, match=r"not shipped with this version.*index --full"):
        resolve_model("codesearch/minilm-code-v7")


@pytest.mark.parametrize(
    ("recorded", "newer"),
    [
        ("codesearch/minilm-code-v0", DEFAULT_MODEL_ID),  # an earlier shipped encoder
        (DEFAULT_MODEL_ID, None),
        ("codesearch/minilm-code-v99", None),  # a later codesearch built it: not "newer"
        (BASE_MODEL_ID, None),  # chosen with --model: never nagged about
        ("/home/me/runs/my-model", None),
    ],
)
def test_newer_default_model(recorded: str, newer: str | None) -> None:
    assert source.newer_default_model(recorded) == newer
