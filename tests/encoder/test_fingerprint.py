from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from codesearch.encoder import fingerprint as fingerprint_module
from codesearch.encoder.fingerprint import fingerprint


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    path = tmp_path / "model" / "model.safetensors"
    path.parent.mkdir()
    path.write_bytes(b"weights" * 1000)
    return path


def test_same_content_same_hash_and_metadata_counts(weights: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere.safetensors"
    copy.write_bytes(weights.read_bytes())
    first = fingerprint([("weights/model.safetensors", weights)], "{}", None)
    assert fingerprint([("weights/model.safetensors", copy)], "{}", None) == first
    assert fingerprint([("weights/model.safetensors", weights)], '{"max_length": 1}', None) != first


def test_cache_skips_rehashing_until_size_or_mtime_change(
    weights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache" / "model-hashes.json"
    files = [("weights/model.safetensors", weights)]
    first = fingerprint(files, "", cache)
    assert json.loads(cache.read_text())["version"] == 1
    hashed: list[Path] = []
    real = fingerprint_module.file_sha256
    monkeypatch.setattr(fingerprint_module, "file_sha256", lambda p: hashed.append(p) or real(p))
    assert fingerprint(files, "", cache) == first
    assert hashed == []
    weights.write_bytes(b"other" * 1000)
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert fingerprint(files, "", cache) != first
    assert hashed == [weights]


def test_corrupt_cache_is_ignored_and_rewritten(weights: Path, tmp_path: Path) -> None:
    cache = tmp_path / "model-hashes.json"
    cache.write_text("{not json")
    files = [("weights/model.safetensors", weights)]
    assert fingerprint(files, "", cache) == fingerprint(files, "", None)
    assert json.loads(cache.read_text())["version"] == 1


def test_unwritable_cache_only_costs_a_rehash(weights: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    files = [("weights/model.safetensors", weights)]
    assert fingerprint(files, "", blocker / "model-hashes.json") == fingerprint(files, "", None)
