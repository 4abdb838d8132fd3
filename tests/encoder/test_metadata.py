from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesearch.encoder.metadata import METADATA_FILE_NAME, EncoderMetadata, infer_metadata, read_metadata
from codesearch.encoder.source import base_model_folder
from codesearch.errors import ModelLoadError


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    metadata = EncoderMetadata(
        pooling="end_delimiter",
        max_length=200,
        normalize=False,
        query_prefix="[",
        query_suffix="]",
        code_prefix="{",
        code_suffix="}",
        base_model="../base",
        adapter="adapter.safetensors",
        adapter_mode="add",
    )
    path = metadata.save(tmp_path)
    assert path.name == METADATA_FILE_NAME
    assert EncoderMetadata.load(tmp_path) == metadata
    assert json.loads(path.read_text())["format_version"] == 1


def test_load_returns_none_without_the_file(tmp_path: Path) -> None:
    assert EncoderMetadata.load(tmp_path) is None


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('{"pooling": "max"}', "pooling must be one of"),
        ('{"format_version": 2}', "format_version 2 is not supported"),
        ('{"max_lenght": 128}', "unknown field(s) max_lenght"),
        ('{"max_length": "128"}', "max_length must be an integer"),
        ('{"max_length": 2}', "max_length must be an integer >= 4"),
        ('{"normalize": 1}', "normalize must be true or false"),
        ('{"code_prefix": null}', "code_prefix must be a string"),
        ("[1, 2]", "expected a JSON object"),
        ("{", "invalid JSON"),
    ],
)
def test_bad_files_name_the_problem_and_the_file(tmp_path: Path, text: str, complaint: str) -> None:
    (tmp_path / METADATA_FILE_NAME).write_text(text)
    with pytest.raises(ModelLoadError) as caught:
        EncoderMetadata.load(tmp_path)
    assert complaint in str(caught.value)
    assert METADATA_FILE_NAME in str(caught.value)


def test_plain_folder_gets_mean_pooling_and_capped_tokenizer_length(tmp_path: Path) -> None:
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 1e30}))
    assert infer_metadata(tmp_path) == EncoderMetadata(pooling="mean", max_length=512)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 128}))
    assert infer_metadata(tmp_path).max_length == 128


def test_sentence_transformers_files_decide_pooling_length_and_prompts(tmp_path: Path) -> None:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    )
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 384}))
    (tmp_path / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "query: ", "document": "passage: "}})
    )
    inferred = infer_metadata(tmp_path)
    assert (inferred.pooling, inferred.max_length) == ("cls", 384)
    assert (inferred.query_prefix, inferred.code_prefix) == ("query: ", "passage: ")


def test_new_style_pooling_key_and_last_token(tmp_path: Path) -> None:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": "lasttoken"}))
    assert infer_metadata(tmp_path).pooling == "end_delimiter"


def test_unsupported_sentence_transformers_pooling_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_max_tokens": True}))
    with pytest.raises(ModelLoadError, match=METADATA_FILE_NAME):
        infer_metadata(tmp_path)


def test_our_file_wins_over_inference(tmp_path: Path) -> None:
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 384}))
    EncoderMetadata(max_length=100).save(tmp_path)
    assert read_metadata(tmp_path).max_length == 100


def test_bundled_base_infers_mean_pooling_at_256_tokens() -> None:
    metadata = read_metadata(base_model_folder())
    assert (metadata.pooling, metadata.max_length, metadata.normalize) == ("mean", 256, True)


def test_provenance_fields_round_trip_and_are_left_out_when_unset() -> None:
    plain = EncoderMetadata(pooling="end_delimiter")
    assert "trained_from" not in plain.to_json() and "validation" not in plain.to_json()
    trained = EncoderMetadata(trained_from="sentence-transformers/all-MiniLM-L6-v2", recipe_hash="ab" * 32,
                              validation={"mrr": 0.5, "recall@1": 0.25})
    assert EncoderMetadata.from_json(trained.to_json()) == trained


def test_validation_metrics_must_be_numbers() -> None:
    with pytest.raises(ModelLoadError, match="validation must be"):
        EncoderMetadata.from_json('{"validation": {"mrr": "high"}}')
