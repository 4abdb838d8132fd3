"""The ONNX export and OnnxEncoder on a tiny random BERT: same vectors as torch, and every bad export refused."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from codesearch.encoder import Encoder, EncoderMetadata
from codesearch.encoder.framing import frame_texts
from codesearch.encoder.identity import describe_model
from codesearch.encoder.onnx_encoder import OnnxEncoder, cosines
from codesearch.encoder.onnx_export import build_export, ensure_export, remove_leftovers
from codesearch.encoder.onnx_manifest import (
    MANIFEST_FILE_NAME,
    MODEL_FILE_NAME,
    TOKENIZER_FILE_NAME,
    ExportUnusable,
    export_folder,
)
from codesearch.encoder.query_encoder import load_query_encoder
from codesearch.errors import IndexMismatchError

TEXTS = [
    "def add(a, b):\n    return a + b",
    "x = 1",
    "",
    "parse the settings file and return a dict",
    "/// Größe in Bytes — ünïcödé\nfn len(&self) -> usize { self.items.len() }",
    "def load(path):\n    with open(path) as handle:\n        return json.load(handle)\n" * 60,  # cut at max_length
]


def exported(model: Path, cache: Path) -> tuple[Path, str]:
    model_hash = describe_model(str(model), cache).model_hash
    return build_export(str(model), model_hash, cache), model_hash


@pytest.mark.parametrize(
    "metadata",
    [
        EncoderMetadata(),
        EncoderMetadata(pooling="cls", max_length=64),
        EncoderMetadata(pooling="end_delimiter", max_length=48, query_prefix="[", query_suffix="]",
                        code_prefix="{", code_suffix="}"),
    ],
    ids=["mean", "cls", "end-delimiter"],
)
def test_the_export_embeds_as_torch_does(tiny_bert: Path, hash_cache: Path, metadata: EncoderMetadata) -> None:
    metadata.save(tiny_bert)
    folder, model_hash = exported(tiny_bert, hash_cache)
    with Encoder.load(str(tiny_bert), dtype="float32", cache_dir=hash_cache) as torch_encoder:
        expected_code = torch_encoder.embed_code(TEXTS, batch_size=4)
        expected_queries = torch_encoder.embed_queries(TEXTS)
    with OnnxEncoder.open(folder, model_hash) as onnx_encoder:
        assert (onnx_encoder.model_hash, onnx_encoder.dim, onnx_encoder.backend) == (model_hash, 32, "onnx-float32")
        code = onnx_encoder.embed_code(TEXTS, batch_size=4)
        queries = onnx_encoder.embed_queries(TEXTS)
    assert cosines(code, expected_code).min() >= 0.9999
    assert cosines(queries, expected_queries).min() >= 0.9999
    assert np.allclose(np.linalg.norm(code, axis=1), 1.0, atol=1e-5)


def test_its_tokenizer_gives_the_rows_transformers_gives(tiny_bert: Path, hash_cache: Path) -> None:
    from transformers import AutoTokenizer

    EncoderMetadata(max_length=40, code_prefix="{", code_suffix="}").save(tiny_bert)
    folder, model_hash = exported(tiny_bert, hash_cache)
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_bert), local_files_only=True)
    with OnnxEncoder.open(folder, model_hash) as encoder:
        framing = encoder._manifest.code_framing
        assert encoder._rows(TEXTS, framing) == frame_texts(tokenizer, framing, TEXTS)


def test_progress_order_and_closing(tiny_bert: Path, hash_cache: Path) -> None:
    folder, model_hash = exported(tiny_bert, hash_cache)
    seen: list[tuple[int, int]] = []
    encoder = OnnxEncoder.open(folder, model_hash)
    batched = encoder.embed_code(TEXTS, batch_size=2, on_progress=lambda done, total: seen.append((done, total)))
    alone = np.concatenate([encoder.embed_code([text]) for text in TEXTS])
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    assert seen[-1] == (len(TEXTS), len(TEXTS)) and encoder.embed_code([]).shape == (0, 32)
    encoder.close()
    with pytest.raises(ValueError, match="closed"):
        encoder.embed_queries(["x"])


def _edit_manifest(folder: Path, **changes: object) -> None:
    path = folder / MANIFEST_FILE_NAME
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda folder: (folder / MANIFEST_FILE_NAME).unlink(), "missing"),
        (lambda folder: (folder / MANIFEST_FILE_NAME).write_text("{half a manif"), "manifest is damaged"),
        (lambda folder: _edit_manifest(folder, model_hash="0" * 64), "stale"),
        (lambda folder: _edit_manifest(folder, onnxruntime="0.0.1"), "stale"),
        (lambda folder: _edit_manifest(folder, format=99), "stale"),
        (lambda folder: _flip_a_byte(folder / MODEL_FILE_NAME), "checksum"),
        (lambda folder: (folder / MODEL_FILE_NAME).write_bytes(b"short"), "checksum"),
        (lambda folder: (folder / TOKENIZER_FILE_NAME).unlink(), "damaged"),
        (lambda folder: _edit_manifest(folder, probes=[["code", "x = 1", [1.0] + [0.0] * 31]]), "probe"),
    ],
    ids=["no-manifest", "bad-json", "other-model", "other-runtime", "other-format", "flipped-byte",
         "truncated", "no-tokenizer", "wrong-probe"],
)
def test_a_bad_export_is_refused_never_used(tiny_bert: Path, hash_cache: Path, damage: object, reason: str) -> None:
    folder, model_hash = exported(tiny_bert, hash_cache)
    damage(folder)  # type: ignore[operator]
    with pytest.raises(ExportUnusable, match=reason):
        OnnxEncoder.open(folder, model_hash)


def test_ensure_builds_once_and_rebuilds_a_damaged_export(tiny_bert: Path, hash_cache: Path) -> None:
    model_hash = describe_model(str(tiny_bert), hash_cache).model_hash
    assert ensure_export(str(tiny_bert), model_hash, hash_cache) == "built"
    assert ensure_export(str(tiny_bert), model_hash, hash_cache) == "current"
    folder = export_folder(hash_cache, model_hash)
    _flip_a_byte(folder / MODEL_FILE_NAME)
    assert ensure_export(str(tiny_bert), model_hash, hash_cache) == "built"
    OnnxEncoder.open(folder, model_hash).close()
    assert sorted(path.name for path in folder.parent.iterdir()) == [folder.name]


def test_ensure_reports_a_model_it_cannot_export(tiny_bert: Path, hash_cache: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    outcome = ensure_export(str(tiny_bert), "f" * 64, hash_cache)  # not this model's fingerprint
    assert outcome.startswith("failed") and "cannot export the encoder to ONNX" in caplog.text


def test_a_model_that_cannot_be_exported_is_not_retried(
    tiny_bert: Path, hash_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codesearch.encoder import onnx_export

    calls: list[Path] = []

    def refuse(network: object, path: Path) -> None:
        calls.append(path)
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(onnx_export, "export_network", refuse)
    model_hash = describe_model(str(tiny_bert), hash_cache).model_hash
    assert ensure_export(str(tiny_bert), model_hash, hash_cache).startswith("failed: unsupported operator")
    assert ensure_export(str(tiny_bert), model_hash, hash_cache) == "failed before"
    assert len(calls) == 1
    assert not any(path.name.startswith(".tmp-") for path in export_folder(hash_cache, model_hash).parent.iterdir())


def test_old_leftovers_of_killed_exports_are_removed(tmp_path: Path) -> None:
    for name in (".tmp-abc-1", ".old-abc-2", "abc"):
        (tmp_path / name).mkdir()
    remove_leftovers(tmp_path, min_age_s=-1.0)
    assert [path.name for path in tmp_path.iterdir()] == ["abc"]
    (tmp_path / ".tmp-abc-3").mkdir()
    remove_leftovers(tmp_path)  # young: may belong to an export still running
    assert (tmp_path / ".tmp-abc-3").is_dir()


def test_queries_use_the_export_and_fall_back_to_torch_with_one_line(
    tiny_bert: Path, hash_cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder, model_hash = exported(tiny_bert, hash_cache)
    encoder = load_query_encoder(str(tiny_bert), model_hash, "tiny", index_dir=tmp_path, cache_dir=hash_cache)
    assert encoder.backend == "onnx-float32" and not caplog.records
    encoder.close()
    _flip_a_byte(folder / MODEL_FILE_NAME)
    with caplog.at_level(logging.WARNING):
        encoder = load_query_encoder(str(tiny_bert), model_hash, "tiny", index_dir=tmp_path, cache_dir=hash_cache)
    assert encoder.backend.startswith("torch-")
    [record] = caplog.records
    assert "checksum" in record.getMessage() and "\n" not in record.getMessage()
    encoder.close()


def test_queries_for_an_index_of_another_model_are_refused(tiny_bert: Path, hash_cache: Path, tmp_path: Path) -> None:
    with pytest.raises(IndexMismatchError, match="was built with model other"):
        load_query_encoder(str(tiny_bert), "e" * 64, "other", index_dir=tmp_path, cache_dir=hash_cache)
