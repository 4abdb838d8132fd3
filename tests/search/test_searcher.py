"""Searcher over a progressively built index: keywords alone (and no model) until vectors exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.config import Settings
from codesearch.index.hybrid_search import SearchRequest
from codesearch.index.store import IndexStore
from codesearch.indexer.updates import update_repository
from codesearch.search.searcher import Searcher
from tests.fakes import HashingEncoder, hashing_params
from tests.indexer.test_updates import Interrupted, StopsAfter, many_functions


def index_then_stop(repo: Path, rounds: int) -> Path:
    with (
        IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store,
        pytest.raises(Interrupted),
    ):
        update_repository(store, repo, Settings(round_chunks=8), lambda: StopsAfter(rounds))
    return repo / ".codesearch"


def test_without_vectors_the_answer_is_by_keywords_and_needs_no_model(tmp_path: Path) -> None:
    repo = many_functions(tmp_path / "repo")
    index_dir = index_then_stop(repo, rounds=0)

    def no_model() -> HashingEncoder:
        raise AssertionError("no model should load while the index holds no vector")

    with Searcher(IndexStore.open(index_dir, readonly=True), no_model, repo, index_dir) as searcher:
        hits = searcher.search(SearchRequest("task_3_2", k=3))
        assert hits[0].qualified_name == "task_3_2" and hits[0].dense_rank is None
        coverage = searcher.semantic_coverage()
        assert (coverage.embedded, coverage.definitions) == (0, 30)


def test_with_some_vectors_the_encoder_loads_once_and_both_sides_answer(tmp_path: Path) -> None:
    repo = many_functions(tmp_path / "repo")
    index_dir = index_then_stop(repo, rounds=1)
    loads: list[HashingEncoder] = []

    def load() -> HashingEncoder:
        loads.append(HashingEncoder())
        return loads[-1]

    with Searcher(IndexStore.open(index_dir, readonly=True), load, repo, index_dir) as searcher:
        first = searcher.search(SearchRequest("task_0_1 value", k=5))
        searcher.search(SearchRequest("task_5_4", k=5))
        assert len(loads) == 1
        assert any(hit.dense_rank is not None for hit in first)
        assert (searcher.semantic_coverage().embedded, searcher.semantic_coverage().definitions) == (8, 30)


def test_a_searcher_sees_its_index_set_aside_and_rebuilt_but_not_a_commit(tmp_path: Path) -> None:
    from codesearch.indexer.healing import set_aside

    repo = many_functions(tmp_path / "repo")
    index_dir = index_then_stop(repo, rounds=1)
    with Searcher(IndexStore.open(index_dir, readonly=True), HashingEncoder, repo, index_dir) as searcher:
        index_then_stop(repo, rounds=1)  # more commits to the same database
        assert searcher.refresh() and not searcher.is_replaced()
        set_aside(index_dir)
        assert searcher.is_replaced()  # gone: a long-lived reader opens the index again
        index_then_stop(repo, rounds=0)
        assert searcher.is_replaced()  # and a new database is another file
