"""PoolIndex: a real index over a benchmark pool, ranked in every mode, with fusion weights swept on one pool."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from codesearch.evaluation.embedding_cache import EmbeddingCache
from codesearch.evaluation.records import Benchmark
from codesearch.evaluation.systems import MODES, PoolIndex
from codesearch.index.ranking import RankingParams
from codesearch.index.records import IndexParams
from tests.fakes import DIM, HashingEncoder

POOL = Benchmark(
    name="tiny",
    queries={"q1": "hash a password", "q2": "total price of the cart"},
    corpus={
        "pkg:auth.py:1:hash_password": "def hash_password(password):\n    return sha256(password)\n",
        "pkg:cart.py:1:cart_total": "def cart_total(cart):\n    return sum(item.price for item in cart)\n",
        "pkg:io.py:1:read_file": "def read_file(path):\n    return open(path).read()\n",
    },
    relevant={"q1": frozenset({"pkg:auth.py:1:hash_password"}), "q2": frozenset({"pkg:cart.py:1:cart_total"})},
    doc_language=dict.fromkeys(
        ["pkg:auth.py:1:hash_password", "pkg:cart.py:1:cart_total", "pkg:io.py:1:read_file"], "python"
    ),
    doc_group=dict.fromkeys(
        ["pkg:auth.py:1:hash_password", "pkg:cart.py:1:cart_total", "pkg:io.py:1:read_file"], "pkg"
    ),
)


def test_every_mode_and_weight_ranks_the_gold_first_and_queries_embed_once() -> None:
    encoder = HashingEncoder()
    embedded: list[str] = []

    def embed_queries(texts: Sequence[str]) -> np.ndarray:
        embedded.extend(texts)
        return encoder.embed_queries(texts)

    cache = EmbeddingCache(None, encoder.embed_code)
    index = PoolIndex(POOL, cache, embed_queries, IndexParams("test/hashing", "hashing-0", DIM))
    try:
        queries = list(POOL.queries.values())
        rankings = [index.ranker(mode)(queries) for mode in MODES]
        rankings += [index.ranker("hybrid", ranking=RankingParams(lexical_weight=w))(queries) for w in (0.1, 2.0)]
    finally:
        index.close()
    for ranked in rankings:
        assert [ids[0] for ids in ranked] == ["pkg:auth.py:1:hash_password", "pkg:cart.py:1:cart_total"]
    assert sorted(embedded) == sorted(queries)  # dense, hybrid and both sweeps shared one embedding each
