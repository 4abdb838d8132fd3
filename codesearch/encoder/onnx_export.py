"""Making the ONNX export of an encoder: export from torch, optimise offline, verify, install.

``codesearch index`` calls ``ensure_export`` so that a later cold ``ask`` can embed its query with
ONNX Runtime instead of importing torch (onnx_encoder.py). The network is loaded in float32
without the oneDNN packing (packed weights cannot be traced), exported with torch's TorchScript
exporter (``dynamo=False``: the dynamo exporter needs onnxscript, and this one is ~3 s on CPU),
optimised once by ONNX Runtime (``ORT_ENABLE_EXTENDED``, saved; opening it then skips the
optimiser), and verified: every VERIFY_TEXTS text, as query and as code, must embed at cosine
>= MIN_COSINE to torch's float32 vector. Only then is the folder moved into place, manifest and
all, so a reader never sees half an export. Exports live in the user cache, one per model hash:
every index built with the model shares it (90 MB each would otherwise sit in every index).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from codesearch.encoder.fingerprint import HASH_CACHE_FILE_NAME, fingerprint
from codesearch.encoder.framing import Framing, frame_texts, make_framing, pad_token_id, padded_batch
from codesearch.encoder.metadata import EncoderMetadata, read_metadata
from codesearch.encoder.onnx_encoder import OnnxEncoder, cosines
from codesearch.encoder.onnx_manifest import (
    MANIFEST_FILE_NAME,
    MODEL_FILE_NAME,
    TOKENIZER_FILE_NAME,
    ExportUnusable,
    Manifest,
    Probe,
    check_current,
    check_files,
    export_folder,
    file_crc32,
    read_manifest,
)
from codesearch.encoder.source import resolve_model

logger = logging.getLogger(__name__)

MIN_COSINE = 0.9999
OPSET = 17
FAILED_SUFFIX = ".failed.json"  # beside an export folder: this model did not export with this ONNX Runtime
LEFTOVER_AGE_S = 3600.0  # a staging folder this old belongs to a killed export, not a running one
_RAW_FILE_NAME = "exported.onnx"
# Short and long, prose and code, ASCII and not; the long one is cut at max_length.
VERIFY_TEXTS = (
    "read a json file",
    "retry a request with exponential backoff",
    "def add(a, b):\n    return a + b",
    "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n",
    "func (s *Server) Close() error { return s.listener.Close() }",
    "/// Größe in Bytes\nfn len(&self) -> usize { self.items.len() }",
    "def load(path):\n    with open(path) as handle:\n        return json.load(handle)\n" * 40,
)
PROBE_TEXTS = VERIFY_TEXTS[:3]  # re-checked on every open: short, so opening stays cheap


def ensure_export(model: str, model_hash: str, cache_root: Path, *, threads: int = 0) -> str:
    """Make sure a verified export of ``model`` exists; what happened: "current", "built" or "failed…".

    An export in place is trusted when its manifest is current and its files pass their
    checksums (~50 ms); a missing, stale or damaged one is rebuilt (~10 s, once per model). Never
    raises for a model that cannot be exported: queries then use torch, as before, and the failure
    is remembered (per ONNX Runtime version) so later runs do not load the model to fail again.
    """
    import onnxruntime

    folder = export_folder(cache_root, model_hash)
    try:
        manifest = read_manifest(folder)
        check_current(manifest, model_hash, onnxruntime.__version__)
        check_files(folder, manifest)
        return "current"
    except ExportUnusable as reason:
        logger.debug("ONNX export in %s is %s; building it", folder, reason)
    failure = folder.with_name(folder.name + FAILED_SUFFIX)
    if _read_failure(failure) == onnxruntime.__version__:
        logger.debug("this model could not be exported before (%s); not trying again", failure)
        return "failed before"
    remove_leftovers(folder.parent)
    started = time.perf_counter()
    try:
        build_export(model, model_hash, cache_root, threads=threads)
    except Exception as exc:  # an optimisation only: any model torch cannot export keeps the torch path
        logger.debug("ONNX export failed", exc_info=True)
        logger.warning("cannot export the encoder to ONNX (%s: %s); `ask` will load torch", type(exc).__name__, exc)
        if not isinstance(exc, ValueError):  # a model that changed under us may well export next time
            _record_failure(failure, onnxruntime.__version__, exc)
        return f"failed: {exc}"
    failure.unlink(missing_ok=True)
    logger.info("exported the encoder to ONNX in %.1f s (%s)", time.perf_counter() - started, folder)
    return "built"


def _read_failure(path: Path) -> str | None:
    """The ONNX Runtime version an earlier export of this model failed with, if one did."""
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["onnxruntime"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _record_failure(path: Path, onnxruntime_version: str, exc: Exception) -> None:
    """Remember a model that cannot be exported, so every later `index` does not load it to fail again."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"onnxruntime": onnxruntime_version, "error": f"{type(exc).__name__}: {exc}"}))


def remove_leftovers(exports_root: Path, min_age_s: float = LEFTOVER_AGE_S) -> None:
    """Delete staging and set-aside folders that killed exports left (old enough not to be in use)."""
    if not exports_root.is_dir():
        return
    now = time.time()
    for path in exports_root.iterdir():
        with contextlib.suppress(OSError):
            if path.name.startswith((".tmp-", ".old-")) and now - path.stat().st_mtime > min_age_s:
                shutil.rmtree(path, ignore_errors=True)


def build_export(model: str, model_hash: str, cache_root: Path, *, threads: int = 0) -> Path:
    """Export, optimise, verify and install the export of ``model``; its folder.

    Raises ExportUnusable when the export does not reproduce torch's vectors, ValueError when
    ``model`` no longer has the fingerprint ``model_hash``.
    """
    import torch

    from codesearch.encoder.network import load_network

    source = resolve_model(model)
    metadata = read_metadata(source.folder)
    hash_cache = cache_root / HASH_CACHE_FILE_NAME
    network = load_network(source.folder, metadata, torch.device("cpu"), torch.float32, hash_cache)
    if fingerprint(network.files, metadata.to_json(), hash_cache) != model_hash:
        raise ValueError(f"the model files of {model} changed while the index was built")
    folder = export_folder(cache_root, model_hash)
    staging = folder.with_name(f".tmp-{folder.name}-{uuid.uuid4().hex[:8]}")
    staging.mkdir(parents=True)
    try:
        export_network(network.model, staging / _RAW_FILE_NAME)
        optimise(staging / _RAW_FILE_NAME, staging / MODEL_FILE_NAME)
        (staging / _RAW_FILE_NAME).unlink()
        network.tokenizer.backend_tokenizer.save(str(staging / TOKENIZER_FILE_NAME))
        reference = _Reference(network, metadata)
        manifest = _manifest(source.model_id, model_hash, staging, reference)
        (staging / MANIFEST_FILE_NAME).write_text(manifest.to_json(), encoding="utf-8")
        worst = verify(staging, model_hash, reference, threads)
        final = dataclasses.replace(manifest, min_cosine=worst)
        (staging / MANIFEST_FILE_NAME).write_text(final.to_json(), encoding="utf-8")
        _install(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def export_network(network: Any, path: Path) -> None:
    """``network`` (a transformers encoder, float32) to ONNX: ids, mask (batch, seq) -> last hidden state."""
    import inspect

    import torch

    class LastHidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    example = torch.ones((2, 8), dtype=torch.int64)
    options: dict[str, Any] = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        options["dynamo"] = False
    axes = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer and deprecation warnings would land in the CLI's stderr
        torch.onnx.export(
            LastHidden(network).eval(), (example, example), str(path), input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"], opset_version=OPSET,
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes}, **options,
        )


def optimise(source: Path, target: Path) -> None:
    """Let ONNX Runtime fuse the graph once and save it (opening the result skips the optimiser)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(target)
    options.log_severity_level = 3
    onnxruntime.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


def verify(folder: Path, model_hash: str, reference: _Reference, threads: int) -> float:
    """The worst cosine to torch over VERIFY_TEXTS, both framings; ExportUnusable below MIN_COSINE."""
    with OnnxEncoder.open(folder, model_hash, threads=threads) as encoder:
        queries = cosines(encoder.embed_queries(VERIFY_TEXTS), reference.vectors("query", VERIFY_TEXTS))
        code = cosines(encoder.embed_code(VERIFY_TEXTS, batch_size=3), reference.vectors("code", VERIFY_TEXTS))
    worst = float(min(queries.min(), code.min()))
    if worst < MIN_COSINE:
        raise ExportUnusable(f"the export embeds at cosine {worst:.5f} to torch (needs {MIN_COSINE})")
    return worst


class _Reference:
    """The torch float32 network as the reference the export must reproduce."""

    def __init__(self, network: Any, metadata: EncoderMetadata) -> None:
        self.network = network
        self.metadata = metadata
        self.pad_id = pad_token_id(network.tokenizer)
        self.framings = {
            "query": make_framing(network.tokenizer, metadata.query_prefix, metadata.query_suffix, metadata.max_length),
            "code": make_framing(network.tokenizer, metadata.code_prefix, metadata.code_suffix, metadata.max_length),
        }
        self._memo: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}

    def vectors(self, kind: str, texts: tuple[str, ...]) -> np.ndarray:
        """(len(texts), dim) float32, as Encoder computes them (one padded batch), memoised."""
        key = (kind, texts)
        if key not in self._memo:
            self._memo[key] = self._compute(self.framings[kind], texts)
        return self._memo[key]

    def _compute(self, framing: Framing, texts: tuple[str, ...]) -> np.ndarray:
        import torch

        from codesearch.encoder.pooling import l2_normalize, pool

        rows = frame_texts(self.network.tokenizer, framing, list(texts))
        ids, mask, ends = (torch.from_numpy(a) for a in padded_batch(rows, framing, self.pad_id))
        with torch.inference_mode():
            hidden = self.network.model(input_ids=ids, attention_mask=mask).last_hidden_state
            pooled = pool(hidden, mask, ends, self.metadata.pooling)  # (n, dim)
            return (l2_normalize(pooled) if self.metadata.normalize else pooled).numpy()


def _manifest(model_id: str, model_hash: str, folder: Path, reference: _Reference) -> Manifest:
    import onnxruntime

    probes = [Probe(kind, text, tuple(float(x) for x in vector))
              for kind in ("query", "code")
              for text, vector in zip(VERIFY_TEXTS, reference.vectors(kind, VERIFY_TEXTS), strict=True)
              if text in PROBE_TEXTS]
    files = {name: ((folder / name).stat().st_size, file_crc32(folder / name))
             for name in (MODEL_FILE_NAME, TOKENIZER_FILE_NAME)}
    return Manifest(
        model_id=model_id, model_hash=model_hash, dim=len(probes[0].vector), onnxruntime=onnxruntime.__version__,
        files=files, pooling=reference.metadata.pooling, normalize=reference.metadata.normalize,
        pad_id=reference.pad_id, query_framing=reference.framings["query"], code_framing=reference.framings["code"],
        probes=tuple(probes), min_cosine=0.0,
    )


def _install(staging: Path, folder: Path) -> None:
    """Move the verified export into place (fsynced first); an old one is moved aside, then deleted."""
    for path in [*staging.iterdir(), staging]:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    try:
        staging.rename(folder)
        return
    except OSError:  # an older (stale or damaged) export is there, or one another process just made
        pass
    aside = folder.with_name(f".old-{folder.name}-{uuid.uuid4().hex[:8]}")
    with contextlib.suppress(FileNotFoundError):
        folder.rename(aside)
    staging.rename(folder)
    shutil.rmtree(aside, ignore_errors=True)
