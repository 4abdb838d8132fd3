"""bench/train_throughput.py: how a configuration is read, and what "frozen layers" freezes."""

from __future__ import annotations

from tests.bench.scripts import load_bench_script

throughput = load_bench_script("train_throughput")


def test_a_configuration_names_dtype_grad_cache_frozen_layers_and_query_length() -> None:
    assert throughput.parse_setting("bfloat16:0") == ("bfloat16", 0, 0, 0)
    assert throughput.parse_setting("float32:8:3:32") == ("float32", 8, 3, 32)


def test_frozen_layers_freeze_the_embeddings_and_the_lowest_layers() -> None:
    assert throughput.frozen_prefixes(0) == ("embeddings.word_embeddings.",)  # what the recipes freeze
    assert throughput.frozen_prefixes(2) == ("embeddings.", "encoder.layer.0.", "encoder.layer.1.")
