"""The real bundled encoder's ONNX export: the vectors torch gives, from the same texts."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import pytest

from codesearch.encoder import Encoder
from codesearch.encoder.identity import describe_model
from codesearch.encoder.onnx_encoder import OnnxEncoder, cosines
from codesearch.encoder.onnx_export import build_export

pytestmark = pytest.mark.e2e
QUERIES = ["read a json file", "retry an http request with exponential backoff", "Store.open", "sort users by age"]


def real_functions(count: int) -> list[str]:
    """Source text of functions from a few standard library modules, long ones included."""
    root = Path(sysconfig.get_paths()["stdlib"])
    found: list[str] = []
    for name in ("json/decoder.py", "shutil.py", "textwrap.py", "argparse.py"):
        source = (root / name).read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.end_lineno:
                found.append(f"{name} {node.name}\n" + "\n".join(lines[node.lineno - 1 : node.end_lineno]))
    return found[:count]


def test_the_export_gives_torchs_vectors(tmp_path: Path) -> None:
    model_hash = describe_model("default", tmp_path).model_hash
    folder = build_export("default", model_hash, tmp_path)
    code = real_functions(120)
    with OnnxEncoder.open(folder, model_hash, threads=1) as onnx_encoder:
        onnx_code, onnx_queries = onnx_encoder.embed_code(code), onnx_encoder.embed_queries(QUERIES)
    with Encoder.load("default", dtype="float32", threads=1, cache_dir=tmp_path) as exact:
        assert cosines(onnx_code, exact.embed_code(code)).min() >= 0.9999
        assert cosines(onnx_queries, exact.embed_queries(QUERIES)).min() >= 0.9999
    with Encoder.load("default", dtype="auto", threads=1, cache_dir=tmp_path) as indexing:
        # the vectors an index holds: bfloat16 where the CPU has it, float32 elsewhere
        assert cosines(onnx_code, indexing.embed_code(code)).min() >= 0.999
