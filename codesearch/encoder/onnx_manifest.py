"""The ONNX export's manifest: what an export folder holds, what made it, and how to check it.

An export folder (``<user cache>/onnx/<model hash>/``, one per model, shared by every index built
with that model) holds ``model.onnx`` (the network, optimised offline by ONNX Runtime),
``tokenizer.json`` (for the ``tokenizers`` library) and ``manifest.json``, written last. The
manifest names the model hash it was exported from, the ONNX Runtime version that optimised it
(its offline-optimised graph is only meant for that version), each file's size and CRC-32, the
framing and pooling, and a few probe texts with the vectors torch gave them. A folder is used
only when every one of those checks holds (see onnx_encoder.py); pure JSON here, no runtime.

Example manifest (abridged)::

    {"format": 1, "model_id": "codesearch/minilm-code-v1", "model_hash": "9f2c…", "dim": 384,
     "onnxruntime": "1.23.2", "files": {"model.onnx": [90348640, 3735928559], ...},
     "pooling": "mean", "normalize": true, "pad_id": 0,
     "query_framing": [[101], [], [], [102], 256], "code_framing": [[101], [], [], [102], 256],
     "probes": [["query", "read a json file", [0.01, ...]], ...], "min_cosine": 0.9999998}
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesearch.encoder.framing import Framing
from codesearch.encoder.metadata import POOLING_MODES, PoolingMode

MANIFEST_FILE_NAME = "manifest.json"
MODEL_FILE_NAME = "model.onnx"
TOKENIZER_FILE_NAME = "tokenizer.json"
FORMAT = 1
EXPORTS_FOLDER_NAME = "onnx"
_CRC_BLOCK_BYTES = 1 << 22


class ExportUnusable(Exception):
    """An export that must not embed anything: missing, stale or damaged (the message says which)."""


@dataclass(frozen=True, slots=True)
class Probe:
    """A text and the vector (dim,) the torch network gave it, re-embedded on every load."""

    kind: str  # "query" or "code": which framing
    text: str
    vector: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Manifest:
    """The content of ``manifest.json``."""

    model_id: str
    model_hash: str
    dim: int
    onnxruntime: str
    files: dict[str, tuple[int, int]]  # file name -> (size in bytes, CRC-32)
    pooling: PoolingMode
    normalize: bool
    pad_id: int
    query_framing: Framing
    code_framing: Framing
    probes: tuple[Probe, ...]
    min_cosine: float  # the worst agreement with torch seen when the export was verified

    def to_json(self) -> str:
        data = {
            "format": FORMAT, "model_id": self.model_id, "model_hash": self.model_hash, "dim": self.dim,
            "onnxruntime": self.onnxruntime, "files": {name: list(v) for name, v in self.files.items()},
            "pooling": self.pooling, "normalize": self.normalize, "pad_id": self.pad_id,
            "query_framing": _framing_json(self.query_framing), "code_framing": _framing_json(self.code_framing),
            "probes": [[p.kind, p.text, list(p.vector)] for p in self.probes], "min_cosine": self.min_cosine,
        }
        return json.dumps(data) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; ExportUnusable when it is not one this version wrote."""
        try:
            data = json.loads(text)
            if data["format"] != FORMAT:
                raise ExportUnusable(f"stale (manifest format {data['format']!r}, this codesearch reads {FORMAT})")
            if data["pooling"] not in POOLING_MODES:
                raise ValueError(f"unknown pooling {data['pooling']!r}")
            return cls(
                model_id=str(data["model_id"]), model_hash=str(data["model_hash"]), dim=int(data["dim"]),
                onnxruntime=str(data["onnxruntime"]),
                files={str(name): (int(size), int(crc)) for name, (size, crc) in data["files"].items()},
                pooling=data["pooling"], normalize=bool(data["normalize"]), pad_id=int(data["pad_id"]),
                query_framing=_framing(data["query_framing"]), code_framing=_framing(data["code_framing"]),
                probes=tuple(Probe(str(k), str(t), tuple(float(x) for x in v)) for k, t, v in data["probes"]),
                min_cosine=float(data["min_cosine"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ExportUnusable(f"its manifest is damaged ({type(exc).__name__}: {exc})") from exc


def export_folder(cache_root: Path, model_hash: str) -> Path:
    """Where the export of the model with this fingerprint lives."""
    return cache_root / EXPORTS_FOLDER_NAME / model_hash[:32]


def file_crc32(path: Path) -> int:
    """CRC-32 of a file's bytes (about 15 ms for the 90 MB network; damage, not tampering, is the threat)."""
    crc = 0
    with path.open("rb") as handle:
        while block := handle.read(_CRC_BLOCK_BYTES):
            crc = zlib.crc32(block, crc)
    return crc


def read_manifest(folder: Path) -> Manifest:
    """The folder's manifest; ExportUnusable if it is missing or damaged."""
    try:
        text = (folder / MANIFEST_FILE_NAME).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ExportUnusable("missing") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportUnusable(f"unreadable ({exc})") from exc
    return Manifest.from_json(text)


def check_current(manifest: Manifest, model_hash: str, onnxruntime_version: str) -> None:
    """ExportUnusable unless the export was made from this model for this ONNX Runtime."""
    if manifest.model_hash != model_hash:
        raise ExportUnusable(f"stale (made from model {manifest.model_hash[:12]}, the index needs {model_hash[:12]})")
    if manifest.onnxruntime != onnxruntime_version:
        raise ExportUnusable(
            f"stale (optimised by ONNX Runtime {manifest.onnxruntime}, this is {onnxruntime_version})"
        )


def check_files(folder: Path, manifest: Manifest) -> None:
    """ExportUnusable unless every file has the size and CRC-32 the manifest records."""
    for name, (size, crc) in sorted(manifest.files.items()):
        path = folder / name
        try:
            found_size = path.stat().st_size
            found_crc = file_crc32(path) if found_size == size else None
        except OSError as exc:
            raise ExportUnusable(f"damaged ({name}: {exc.strerror})") from exc
        if found_size != size or found_crc != crc:
            raise ExportUnusable(f"damaged ({name} fails its checksum)")


def _framing_json(framing: Framing) -> list[Any]:
    return [list(framing.leading), list(framing.prefix), list(framing.suffix), list(framing.trailing),
            framing.max_length]


def _framing(value: Any) -> Framing:
    leading, prefix, suffix, trailing, max_length = value
    return Framing(tuple(map(int, leading)), tuple(map(int, prefix)), tuple(map(int, suffix)),
                   tuple(map(int, trailing)), int(max_length))
