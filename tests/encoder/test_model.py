"""Encoder behaviour on a tiny random BERT: pooling, framing, ordering, normalisation, errors."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from codesearch.encoder import Encoder, EncoderMetadata
from codesearch.errors import ModelLoadError

SNIPPETS = [
    "def add(a, b):\n    return a + b",
    "x = 1",
    "def load(path):\n    with open(path) as handle:\n        return json.load(handle)\n" * 3,
    "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y",
    "print('hello')",
]


def load_fp32(folder: Path, hash_cache: Path) -> Encoder:
    return Encoder.load(str(folder), dtype="float32", cache_dir=hash_cache)


def reference_hidden(folder: Path, ids: list[int]) -> torch.Tensor:
    """Last hidden states of one unpadded row, straight from transformers: (len(ids), dim)."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    with torch.inference_mode():
        return model(input_ids=torch.tensor([ids])).last_hidden_state[0]


def test_loads_a_plain_folder_with_inferred_metadata(tiny_bert: Path, hash_cache: Path) -> None:
    with load_fp32(tiny_bert, hash_cache) as encoder:
        assert encoder.model_id == str(tiny_bert.resolve())
        assert (encoder.dim, encoder.max_length) == (32, 512)
        assert encoder.metadata == EncoderMetadata()
        assert len(encoder.model_hash) == 64


def test_batched_output_matches_one_at_a_time_in_input_order(tiny_bert: Path, hash_cache: Path) -> None:
    with load_fp32(tiny_bert, hash_cache) as encoder:
        batched = encoder.embed_code(SNIPPETS, batch_size=2)
        alone = np.concatenate([encoder.embed_code([text]) for text in SNIPPETS])
    assert batched.shape == (len(SNIPPETS), 32)
    assert batched.dtype == np.float32
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_mean_pooling_matches_the_unpadded_reference(tiny_bert: Path, hash_cache: Path) -> None:
    with load_fp32(tiny_bert, hash_cache) as encoder:
        [vector] = encoder.embed_code([SNIPPETS[0]])
    ids = reference_ids(tiny_bert, SNIPPETS[0], delimited=False)
    expected = reference_hidden(tiny_bert, ids).mean(dim=0)
    np.testing.assert_allclose(vector, (expected / expected.norm()).numpy(), atol=1e-5)


@pytest.mark.parametrize("pooling", ["end_delimiter", "cls"])
def test_token_pooling_reads_the_right_position(tiny_bert: Path, hash_cache: Path, pooling: str) -> None:
    EncoderMetadata(pooling=pooling, code_prefix="{", code_suffix="}").save(tiny_bert)  # type: ignore[arg-type]
    with load_fp32(tiny_bert, hash_cache) as encoder:
        vectors = encoder.embed_code(SNIPPETS[:2])
    for text, vector in zip(SNIPPETS[:2], vectors, strict=True):
        ids = reference_ids(tiny_bert, text, delimited=True)
        position = len(ids) - 2 if pooling == "end_delimiter" else 0  # "}" sits before [SEP]
        expected = reference_hidden(tiny_bert, ids)[position]
        np.testing.assert_allclose(vector, (expected / expected.norm()).numpy(), atol=1e-5)


def test_queries_and_code_get_their_own_delimiters(tiny_bert: Path, hash_cache: Path) -> None:
    delimiters = {"query_prefix": "[", "query_suffix": "]", "code_prefix": "{", "code_suffix": "}"}
    EncoderMetadata(pooling="end_delimiter", **delimiters).save(tiny_bert)
    with load_fp32(tiny_bert, hash_cache) as encoder:
        query = encoder.embed_queries(["sum two numbers"])
        code = encoder.embed_code(["sum two numbers"])
    assert float(query[0] @ code[0]) < 0.9999


def test_truncated_inputs_keep_their_end_delimiter(tiny_bert: Path, hash_cache: Path) -> None:
    EncoderMetadata(pooling="end_delimiter", max_length=16, code_prefix="{", code_suffix="}").save(tiny_bert)
    with load_fp32(tiny_bert, hash_cache) as encoder:
        long_text = "alpha beta gamma delta " * 50
        assert encoder.count_tokens([long_text])[0] > 16
        [vector] = encoder.embed_code([long_text])
    ids = reference_ids(tiny_bert, long_text, delimited=True, max_length=16)
    expected = reference_hidden(tiny_bert, ids)[len(ids) - 2]
    np.testing.assert_allclose(vector, (expected / expected.norm()).numpy(), atol=1e-5)


def test_progress_reports_every_batch(tiny_bert: Path, hash_cache: Path) -> None:
    seen: list[tuple[int, int]] = []
    with load_fp32(tiny_bert, hash_cache) as encoder:
        encoder.embed_code(SNIPPETS, batch_size=2, on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_empty_input_and_closed_encoder(tiny_bert: Path, hash_cache: Path) -> None:
    encoder = load_fp32(tiny_bert, hash_cache)
    assert encoder.embed_code([]).shape == (0, 32)
    encoder.close()
    with pytest.raises(ValueError, match="closed"):
        encoder.embed_queries(["x"])


def test_hash_follows_metadata(tiny_bert: Path, hash_cache: Path) -> None:
    with load_fp32(tiny_bert, hash_cache) as encoder:
        before = encoder.model_hash
    EncoderMetadata(max_length=128).save(tiny_bert)
    with load_fp32(tiny_bert, hash_cache) as encoder:
        assert encoder.model_hash != before


def test_bf16_stays_close_to_fp32(tiny_bert: Path, hash_cache: Path) -> None:
    with load_fp32(tiny_bert, hash_cache) as encoder:
        reference = encoder.embed_code(SNIPPETS)
    with Encoder.load(str(tiny_bert), dtype="bfloat16", cache_dir=hash_cache) as encoder:
        fast = encoder.embed_code(SNIPPETS)
    assert (reference * fast).sum(axis=1).min() > 0.99


def test_folder_without_weights_is_a_model_load_error(tmp_path: Path, hash_cache: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ModelLoadError, match="holds no model weights"):
        Encoder.load(str(tmp_path), cache_dir=hash_cache)


def test_broken_config_is_a_model_load_error(tiny_bert: Path, hash_cache: Path) -> None:
    (tiny_bert / "config.json").write_text("{broken")
    with pytest.raises(ModelLoadError, match=str(tiny_bert)):
        Encoder.load(str(tiny_bert), cache_dir=hash_cache)


def test_max_length_beyond_the_position_table_is_refused(tiny_bert: Path, hash_cache: Path) -> None:
    EncoderMetadata(max_length=1024).save(tiny_bert)
    with pytest.raises(ModelLoadError, match="exceeds the model's 512 position embeddings"):
        Encoder.load(str(tiny_bert), cache_dir=hash_cache)


def test_loading_a_folder_opens_no_network_connection(
    tiny_bert: Path, hash_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access while loading a local model")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    with load_fp32(tiny_bert, hash_cache) as encoder:
        assert encoder.embed_queries(["x"]).shape == (1, 32)


def test_importing_the_package_does_not_import_torch() -> None:
    code = (
        "import sys, codesearch.encoder; sys.exit(int({'torch', 'transformers'} & set(sys.modules) != set()))"
    )
    root = Path(__file__).resolve().parents[2]
    env = {"PYTHONPATH": str(root)}
    completed = subprocess.run([sys.executable, "-c", code], cwd=root, check=False, env=env)
    assert completed.returncode == 0


def reference_ids(folder: Path, body: str, *, delimited: bool, max_length: int | None = None) -> list[int]:
    """Ids built independently of framing.py: [CLS] body [SEP], or [CLS] { body } [SEP]."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    if not delimited:
        return list(tokenizer(body)["input_ids"])
    open_ids = tokenizer("{", add_special_tokens=False)["input_ids"]
    close_ids = tokenizer("}", add_special_tokens=False)["input_ids"]
    body_ids = tokenizer(body, add_special_tokens=False)["input_ids"]
    if max_length is not None:
        body_ids = body_ids[: max_length - 2 - len(open_ids) - len(close_ids)]
    return [tokenizer.cls_token_id, *open_ids, *body_ids, *close_ids, tokenizer.sep_token_id]
