"""End to end: a small index update is embedded by the ONNX export, a large one by torch, to the same vectors."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from codesearch import indexing
from codesearch.config import Settings
from codesearch.indexing import index_repository

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "repos"


def stored(index_dir: Path) -> tuple[set[str], dict[str, np.ndarray]]:
    """The backends that embedded the index's vectors, and embed hash -> (dim,) float32."""
    with sqlite3.connect(index_dir / "index.sqlite3") as conn:
        rows = conn.execute(
            "SELECT c.embed_hash, e.vector, e.backend FROM chunks c JOIN embeddings e ON e.embed_hash = c.embed_hash"
        ).fetchall()
    return {backend for _, _, backend in rows}, {h: np.frombuffer(blob, dtype="<f4") for h, blob, _ in rows}


def test_few_texts_go_to_onnx_many_to_torch_and_the_vectors_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "shop"
    shutil.copytree(FIXTURES / "shop", repo)
    summary = index_repository(repo, Settings(index_dir=str(tmp_path / "small")))
    assert 10 < summary.chunks_embedded <= indexing.ONNX_MAX_TEXTS
    monkeypatch.setattr(indexing, "ONNX_MAX_TEXTS", 0)  # as if the repository were large
    index_repository(repo, Settings(index_dir=str(tmp_path / "large")))

    onnx_backends, onnx_vectors = stored(tmp_path / "small")
    torch_backends, torch_vectors = stored(tmp_path / "large")
    assert onnx_backends == {"onnx-float32"}
    assert len(torch_backends) == 1 and next(iter(torch_backends)).startswith("torch-")
    assert onnx_vectors.keys() == torch_vectors.keys()
    cosines = [float(np.dot(onnx_vectors[h], torch_vectors[h])) for h in onnx_vectors]  # both L2-normalised
    assert min(cosines) >= 0.9999
