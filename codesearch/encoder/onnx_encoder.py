"""OnnxEncoder: the encoder's network run by ONNX Runtime, so a query is embedded without torch.

A cold ``codesearch ask`` spent ~4 s importing torch and transformers and loading the weights
before it could embed a ten-word query. ONNX Runtime and ``tokenizers`` import in ~0.2 s and an
offline-optimised session opens in ~0.15 s. The network is the same one torch runs, exported and
verified by onnx_export.py when an index is built; framing, batching and padding are the torch
encoder's own (framing.py, batching.py), pooling is the same arithmetic in numpy.

Never a wrong vector: ``open`` refuses (ExportUnusable) an export made from another model or for
another ONNX Runtime version, a file whose size or CRC-32 differs from the manifest, and a network
that no longer embeds the manifest's probe texts as torch did (cosine < PROBE_MIN_COSINE). The
caller (query_encoder.py) then falls back to torch with a one-line notice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from codesearch.encoder.batching import embed_rows
from codesearch.encoder.framing import Framing, padded_batch
from codesearch.encoder.onnx_manifest import (
    MODEL_FILE_NAME,
    TOKENIZER_FILE_NAME,
    ExportUnusable,
    Manifest,
    check_current,
    check_files,
    read_manifest,
)
from codesearch.encoder.runtime import physical_core_count

BACKEND = "onnx-float32"
PROBE_MIN_COSINE = 0.9999


class OnnxEncoder:
    """A verified ONNX export, ready to embed; a context manager. Open with ``OnnxEncoder.open``."""

    def __init__(self, folder: Path, manifest: Manifest, session: Any, tokenizer: Any) -> None:
        self.folder = folder
        self._manifest = manifest
        self._session: Any = session  # onnxruntime.InferenceSession
        self._tokenizer = tokenizer  # tokenizers.Tokenizer; not safe for concurrent use
        self._lock = threading.Lock()  # guards _tokenizer's truncation setting and the session

    @classmethod
    def open(cls, folder: Path, model_hash: str, *, threads: int = 0) -> OnnxEncoder:
        """Open and verify the export in ``folder`` for the model ``model_hash``.

        Raises:
            ExportUnusable: missing, stale (another model or ONNX Runtime) or damaged.
        """
        import onnxruntime

        manifest = read_manifest(folder)
        check_current(manifest, model_hash, onnxruntime.__version__)
        check_files(folder, manifest)
        encoder = cls(folder, manifest, _session(folder / MODEL_FILE_NAME, threads), _tokenizer(folder))
        encoder.check_probes()
        return encoder

    @property
    def model_id(self) -> str:
        return self._manifest.model_id

    @property
    def model_hash(self) -> str:
        return self._manifest.model_hash

    @property
    def dim(self) -> int:
        return self._manifest.dim

    @property
    def backend(self) -> str:
        return BACKEND

    @property
    def max_length(self) -> int:
        return self._manifest.code_framing.max_length

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Natural-language queries: (n, dim) float32, L2-normalised, in input order."""
        return self._embed(texts, self._manifest.query_framing, 32, None)

    def embed_code(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Code snippets: (n, dim) float32, L2-normalised, in input order (see Encoder.embed_code)."""
        return self._embed(texts, self._manifest.code_framing, batch_size, on_progress)

    def check_probes(self) -> float:
        """The worst cosine between this network's and torch's vectors of the probe texts.

        Raises ExportUnusable below PROBE_MIN_COSINE (a damaged or misread network).
        """
        worst = 1.0
        for kind in ("query", "code"):
            probes = [p for p in self._manifest.probes if p.kind == kind]
            if not probes:
                continue
            embed = self.embed_queries if kind == "query" else self.embed_code
            found = embed([p.text for p in probes])  # (n, dim)
            expected = np.asarray([p.vector for p in probes], dtype=np.float32)  # (n, dim)
            worst = min(worst, float(cosines(found, expected).min()))
        if worst < PROBE_MIN_COSINE:
            raise ExportUnusable(f"damaged (it embeds a probe text at cosine {worst:.4f} to torch)")
        return worst

    def close(self) -> None:
        self._session = None

    def __enter__(self) -> OnnxEncoder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _embed(
        self, texts: Sequence[str], framing: Framing, batch_size: int, on_progress: Callable[[int, int], None] | None
    ) -> np.ndarray:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        with self._lock:
            if self._session is None:
                raise ValueError("this OnnxEncoder is closed")
            rows = self._rows(texts, framing)
            return embed_rows(rows, self.dim, batch_size, lambda batch: self._forward(batch, framing), on_progress)

    def _rows(self, texts: Sequence[str], framing: Framing) -> list[list[int]]:
        """Token-id rows, exactly as framing.frame_texts makes them with the transformers tokenizer."""
        if not texts:
            return []
        self._tokenizer.enable_truncation(max_length=framing.body_budget)
        encoded = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [framing.frame(item.ids) for item in encoded]

    def _forward(self, rows: list[list[int]], framing: Framing) -> np.ndarray:
        """One batch: rows of ids -> (len(rows), dim) float32, pooled and normalised as the manifest says."""
        ids, mask, ends = padded_batch(rows, framing, self._manifest.pad_id)  # (b, w), (b, w), (b,)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]  # (b, w, dim)
        pooled = pool(np.asarray(hidden, dtype=np.float32), mask, ends, self._manifest.pooling)  # (b, dim)
        if self._manifest.normalize:
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled


def pool(hidden: np.ndarray, mask: np.ndarray, ends: np.ndarray, mode: str) -> np.ndarray:
    """pooling.pool in numpy: (batch, seq, dim), (batch, seq), (batch,) -> (batch, dim) float32."""
    pooled: np.ndarray
    if mode == "mean":
        weights = mask[:, :, np.newaxis].astype(np.float32)  # (batch, seq, 1)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
    elif mode == "cls":
        pooled = hidden[:, 0].copy()
    elif mode == "end_delimiter":
        pooled = hidden[np.arange(len(ends)), ends].copy()
    else:
        raise ValueError(f"unknown pooling mode {mode!r}")
    return pooled


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (n, dim) arrays: (n,)."""
    norms = np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)
    result: np.ndarray = np.einsum("nd,nd->n", a, b) / norms
    return result


def _session(path: Path, threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # The file was optimised offline when it was exported; doing it again costs ~0.2 s per open.
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = threads if threads > 0 else physical_core_count()
    options.log_severity_level = 3  # errors only: warnings would land in the CLI's stderr
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's errors (Fail, InvalidProtobuf, ...) derive from Exception only
        raise ExportUnusable(f"damaged (ONNX Runtime cannot load it: {exc})") from exc


def _tokenizer(folder: Path) -> Any:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE_NAME))
    except Exception as exc:  # tokenizers raises plain Exception
        raise ExportUnusable(f"damaged (its tokenizer cannot be read: {exc})") from exc
    tokenizer.no_padding()
    return tokenizer
