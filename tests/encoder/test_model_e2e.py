"""The real bundled encoder: bf16 fidelity and a sanity check on retrieval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codesearch.encoder import Encoder

pytestmark = pytest.mark.e2e

READ_JSON = '''def load_settings(path):
    """Read the settings file and return its contents as a dict."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
'''
UNRELATED = """def rotate_left(values, steps):
    steps %= len(values)
    return values[steps:] + values[:steps]
"""
SNIPPETS = [
    READ_JSON,
    UNRELATED,
    """def fetch(url, timeout_s=10.0):
    request = urllib.request.Request(url, headers={"User-Agent": "demo"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return response.read().decode("utf-8")
""",
    """class LRUCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self.items = collections.OrderedDict()

    def get(self, key):
        if key not in self.items:
            return None
        self.items.move_to_end(key)
        return self.items[key]
""",
    "def is_even(n):\n    return n % 2 == 0\n",
]


def test_default_model_shape_and_settings(default_encoder: Encoder) -> None:
    # 128 tokens, not the 256 it was trained at: faster and better on the mined set (docs/speed.md "Measurements")
    assert (default_encoder.dim, default_encoder.max_length) == (384, 128)
    vectors = default_encoder.embed_code(SNIPPETS)
    assert vectors.shape == (len(SNIPPETS), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_bf16_matches_fp32(tmp_path: Path) -> None:
    with Encoder.load("default", dtype="float32", cache_dir=tmp_path) as exact:
        reference = exact.embed_code(SNIPPETS)
    with Encoder.load("default", dtype="bfloat16", cache_dir=tmp_path) as fast:
        approximate = fast.embed_code(SNIPPETS)
        assert fast.model_hash == exact.model_hash  # precision is a runtime choice, not a new model
    cosines = (reference * approximate).sum(axis=1)
    assert cosines.min() >= 0.999, cosines


def test_json_query_prefers_the_json_loader(default_encoder: Encoder) -> None:
    query = default_encoder.embed_queries(["read a json file"])[0]
    json_code, unrelated = default_encoder.embed_code([READ_JSON, UNRELATED])
    assert float(query @ json_code) > float(query @ unrelated) + 0.1
