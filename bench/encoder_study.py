"""Encoder throughput study: which backend, precision, max length and batching embed code fastest.

One run, on the same texts (N definitions of this repository, as `codesearch index` frames them),
one configuration after the other:

- torch bfloat16 at max length 256 (what `index` does), its batches planned over all texts
  (length-sorted, token budget, padding split) and, for comparison, in input order (batches of 32);
- ONNX Runtime float32 (the export `ask` uses), same batches;
- ONNX Runtime int8, static quantisation calibrated on other definitions (MatMul weights per
  channel, activations per tensor, QDQ);
- torch bfloat16 at max length 192 and 128 (long definitions embedded as their head).

Each line gives definitions/s, the cosine of each vector to torch float32 at 256 (mean, min), and
how many of each definition's 10 nearest neighbours among the N stay the same (the ranking
change a search would see). Quality on real queries is bench/eval_search.py's job: run it with
the folder a max-length line names (``--model``) for the mined-set MRR.

    python -m bench.encoder_study --n 1000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from codesearch.encoder import Encoder, EncoderMetadata
from codesearch.encoder.embedding_text import chunk_text
from codesearch.encoder.source import DEFAULT_MODEL_FOLDER
from codesearch.parsing.discovery import read_source
from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.extraction_runs import plan_files
from codesearch.parsing.languages import get_language

REPO_ROOT = Path(__file__).resolve().parents[1]
Embed = Callable[[Sequence[str]], np.ndarray]


def repository_texts(root: Path) -> list[str]:
    """Every definition of ``root`` as the encoder sees it, shuffled (seeded)."""
    texts = []
    for source in plan_files([root], max_file_bytes=1 << 20).files:
        data = read_source(source.absolute_path, 1 << 22, root=source.root)
        texts += [chunk_text(c) for c in extract_chunks(source.path, data, get_language(source.language)).chunks]
    random.Random(0).shuffle(texts)
    return texts


def model_with_max_length(max_length: int, folder: Path) -> Path:
    """A copy of the default encoder's folder whose metadata says ``max_length`` (an eval_search --model).

    The default embeds 128 tokens since issue 12; 256 is what it embedded before.
    """
    target = folder / f"minilm-code-v1-len{max_length}"
    if not target.exists():
        shutil.copytree(DEFAULT_MODEL_FOLDER, target)
        metadata = EncoderMetadata.load(target)
        assert metadata is not None
        dataclasses.replace(metadata, max_length=max_length).save(target)
    return target


def measure(name: str, embed: Embed, texts: list[str], reference: np.ndarray, rounds: int, **extra: Any) -> None:
    best = float("inf")
    vectors = np.empty(0)
    for _ in range(rounds):
        load = os.getloadavg()[0]
        started = time.perf_counter()
        vectors = embed(texts)
        best = min(best, time.perf_counter() - started)
    cosines = np.einsum("nd,nd->n", vectors, reference) / np.maximum(
        np.linalg.norm(vectors, axis=1) * np.linalg.norm(reference, axis=1), 1e-30)
    print(json.dumps({
        "config": name, "definitions_per_s": round(len(texts) / best, 1),
        "cosine_mean": round(float(cosines.mean()), 5),
        "cosine_min": round(float(cosines.min()), 5), "top10_overlap": round(neighbour_overlap(vectors, reference), 3),
        "n": len(texts), "threads": extra.pop("threads", None), "load1": round(load, 2), **extra,
    }), flush=True)


def neighbour_overlap(vectors: np.ndarray, reference: np.ndarray, k: int = 10) -> float:
    """Mean share of each row's k nearest rows (cosine) that the reference has too."""
    def nearest(matrix: np.ndarray) -> np.ndarray:
        unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
        similarity = unit @ unit.T  # (n, n)
        np.fill_diagonal(similarity, -np.inf)
        return np.argpartition(-similarity, k, axis=1)[:, :k]  # (n, k)

    ours, theirs = nearest(vectors), nearest(reference)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ours, theirs, strict=True)]))


def in_input_order(embed: Embed, batch: int = 32) -> Embed:
    """Batches of ``batch`` texts as they come (no sorting across the whole set)."""
    return lambda texts: np.concatenate([embed(texts[i : i + batch]) for i in range(0, len(texts), batch)])


def int8_encoder(folder: Path, export: Path, calibration: list[str], threads: int, model: str) -> Any:
    """An OnnxEncoder whose network is the export quantised to int8 (static, calibrated)."""
    import onnxruntime
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from codesearch.encoder.framing import padded_batch
    from codesearch.encoder.onnx_encoder import OnnxEncoder, _tokenizer
    from codesearch.encoder.onnx_export import export_network
    from codesearch.encoder.onnx_manifest import read_manifest
    from codesearch.encoder.source import resolve_model

    manifest = read_manifest(export)
    probe = OnnxEncoder(export, manifest, None, _tokenizer(export))
    rows = probe._rows(calibration, manifest.code_framing)

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.batches = [rows[i : i + 16] for i in range(0, len(rows), 16)]

        def get_next(self) -> dict[str, np.ndarray] | None:
            if not self.batches:
                return None
            ids, mask, _ = padded_batch(self.batches.pop(), manifest.code_framing, manifest.pad_id)
            return {"input_ids": ids, "attention_mask": mask}

    import torch

    from codesearch.encoder.metadata import read_metadata
    from codesearch.encoder.network import load_network

    source = resolve_model(model)
    network = load_network(source.folder, read_metadata(source.folder), torch.device("cpu"), torch.float32)
    export_network(network.model, folder / "fp32.onnx")
    quant_pre_process(str(folder / "fp32.onnx"), str(folder / "pre.onnx"), skip_symbolic_shape=True)
    quantize_static(str(folder / "pre.onnx"), str(folder / "int8.onnx"), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    op_types_to_quantize=["MatMul"])
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(folder / "int8.onnx"), options, providers=["CPUExecutionProvider"])
    return OnnxEncoder(export, manifest, session, _tokenizer(export))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="Definitions embedded per configuration.")
    parser.add_argument("--rounds", type=int, default=2, help="Best of this many runs per configuration.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="Keep the max-length model folders here (for eval_search).")
    args = parser.parse_args()
    texts = repository_texts(REPO_ROOT)
    sample, calibration = texts[: args.n], texts[args.n : args.n + 128]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="encoder-study-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(json.dumps({"texts": len(sample), "calibration": len(calibration), "cpu_count": os.cpu_count()}),
          file=sys.stderr)
    at_256 = str(model_with_max_length(256, folder))  # what the default encoder embedded before issue 12
    with Encoder.load(at_256, dtype="float32", threads=args.threads, cache_dir=folder) as exact:
        reference = exact.embed_code(sample)  # (n, dim): torch float32 at 256, the yardstick
    with Encoder.load(at_256, threads=args.threads, cache_dir=folder) as torch_encoder:
        backend = torch_encoder.backend
        measure(f"{backend}@256 sorted", torch_encoder.embed_code, sample, reference, args.rounds,
                threads=args.threads)
        measure(f"{backend}@256 input order", in_input_order(torch_encoder.embed_code), sample, reference,
                args.rounds, threads=args.threads)
    from codesearch.encoder.identity import describe_model
    from codesearch.encoder.onnx_encoder import OnnxEncoder
    from codesearch.encoder.onnx_export import build_export

    model_hash = describe_model(at_256, folder).model_hash
    export = build_export(at_256, model_hash, folder, threads=args.threads)
    with OnnxEncoder.open(export, model_hash, threads=args.threads) as onnx_encoder:
        measure("onnx-fp32@256 sorted", onnx_encoder.embed_code, sample, reference, args.rounds, threads=args.threads)
    quantised = int8_encoder(folder, export, calibration, args.threads, at_256)
    measure("onnx-int8-static@256 sorted", quantised.embed_code, sample, reference, args.rounds, threads=args.threads)
    for max_length in (192, 128):
        model = model_with_max_length(max_length, folder)
        with Encoder.load(str(model), threads=args.threads, cache_dir=folder) as shorter:
            measure(f"{shorter.backend}@{max_length} sorted", shorter.embed_code, sample, reference, args.rounds,
                    threads=args.threads, model_folder=str(model))


if __name__ == "__main__":
    main()
