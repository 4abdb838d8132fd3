from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.benchmark import check_benchmark
from codesearch.evaluation.cosqa import cosqa_dir, load_cosqa


def test_the_test_split_has_500_queries_over_6267_functions(shared_dir: Path) -> None:
    benchmark = load_cosqa(cosqa_dir(shared_dir), "test")
    assert benchmark.name == "cosqa-test"
    assert len(benchmark.queries) == 500
    assert len(benchmark.corpus) == 6267
    assert all(len(relevant) == 1 for relevant in benchmark.relevant.values())
    gold = set().union(*benchmark.relevant.values())
    assert gold <= benchmark.corpus.keys()
    assert len(gold) == 472  # 28 functions are gold for two queries (see the data README)
    assert set(benchmark.doc_language.values()) == {"python"}
    assert len(set(benchmark.doc_group.values())) == 1
    check_benchmark(benchmark)


def test_dev_and_test_share_the_pool_but_no_queries(shared_dir: Path) -> None:
    test = load_cosqa(cosqa_dir(shared_dir), "test")
    dev = load_cosqa(cosqa_dir(shared_dir), "dev")
    assert len(dev.queries) == 500
    assert dev.corpus == test.corpus
    assert not set(dev.queries) & set(test.queries)


def test_query_text_is_the_web_query(shared_dir: Path) -> None:
    benchmark = load_cosqa(cosqa_dir(shared_dir), "test")
    assert benchmark.queries["cosqa-train-12467"] == "sort by a token in string python"
    assert benchmark.relevant["cosqa-train-12467"] == frozenset({"4833"})
    assert benchmark.corpus["4833"].startswith("def _process_and_sort(")


def test_unknown_split_and_missing_folder_raise(tmp_path: Path, shared_dir: Path) -> None:
    with pytest.raises(DataError, match="unknown CoSQA split"):
        load_cosqa(cosqa_dir(shared_dir), "train")
    with pytest.raises(DataError, match="not found"):
        load_cosqa(tmp_path, "test")


def test_a_gold_code_mismatch_is_detected(tmp_path: Path) -> None:
    (tmp_path / "code_idx_map.txt").write_text('{"def a(): pass": 0, "def b(): pass": 1}')
    (tmp_path / "cosqa-retrieval-test-500.json").write_text(
        '[{"idx": "q", "doc": "a", "code": "def a(): pass", "retrieval_idx": 1}]'
    )
    with pytest.raises(DataError, match="does not match"):
        load_cosqa(tmp_path, "test")
