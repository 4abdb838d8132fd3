from __future__ import annotations

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.records import Benchmark
from codesearch.evaluation.runner import Ranker, evaluate, evaluate_by_group

BENCHMARK = Benchmark(
    name="tiny",
    queries={"q1": "add numbers", "q2": "parse json", "q3": "open file"},
    corpus={
        "p:add": "def add(a, b)", "p:parse": "def parse(s)",
        "g:open": "func Open()", "g:close": "func Close()",
    },
    relevant={"q1": frozenset({"p:add"}), "q2": frozenset({"p:parse"}), "q3": frozenset({"g:open"})},
    doc_language={"p:add": "python", "p:parse": "python", "g:open": "go", "g:close": "go"},
    doc_group={"p:add": "pkg", "p:parse": "pkg", "g:open": "gopkg", "g:close": "gopkg"},
)
WORDS = {"add numbers": "add", "parse json": "parse", "open file": "open"}


def word_ranker(corpus: dict[str, str]) -> Ranker:
    """Ranks the documents that contain the query's key word first, then the rest by id."""

    def rank(queries: list[str]) -> list[list[str]]:
        return [
            sorted(corpus, key=lambda doc_id: (WORDS[query] not in corpus[doc_id].lower(), doc_id))
            for query in queries
        ]

    return rank


def test_a_perfect_ranker_scores_one() -> None:
    report = evaluate(BENCHMARK, word_ranker(dict(BENCHMARK.corpus)), system="words", batch_size=2)
    assert report.overall.mrr == 1.0
    assert report.overall.recall_at(1) == 1.0
    assert [scores.label for scores in report.by_language] == ["go", "python"]
    assert report.doc_count == 4
    assert report.system == "words"


def test_a_fixed_ranking_scores_by_position() -> None:
    def fixed(queries: list[str]) -> list[list[str]]:
        return [["g:close", "g:open", "p:add", "p:parse"] for _ in queries]

    report = evaluate(BENCHMARK, fixed, system="fixed")
    go, python = report.by_language
    assert go.mrr == 0.5  # g:open at rank 2
    assert python.mrr == pytest.approx((1 / 3 + 1 / 4) / 2)
    assert report.overall.recall_at(1) == 0.0


def test_by_group_indexes_each_pool_separately() -> None:
    indexed: list[set[str]] = []
    progress: list[tuple[int, int]] = []

    def make_ranker(pool: Benchmark) -> Ranker:
        indexed.append(set(pool.corpus))
        return word_ranker(dict(pool.corpus))

    report = evaluate_by_group(BENCHMARK, make_ranker, system="words", batch_size=1,
                               on_progress=lambda done, total: progress.append((done, total)))
    assert indexed == [{"g:open", "g:close"}, {"p:add", "p:parse"}]
    assert report.overall.mrr == 1.0
    assert progress == [(1, 3), (2, 3), (3, 3)]


def test_a_ranker_that_drops_queries_is_an_error() -> None:
    with pytest.raises(ValueError, match="returned 0 rankings"):
        evaluate(BENCHMARK, lambda queries: [], system="broken")


def test_an_inconsistent_benchmark_is_refused() -> None:
    broken = Benchmark("b", {"q": "x"}, {}, {"q": frozenset({"d"})}, {}, {})
    with pytest.raises(DataError):
        evaluate(broken, word_ranker({}), system="any")
