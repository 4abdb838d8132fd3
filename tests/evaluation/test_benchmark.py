from __future__ import annotations

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.benchmark import check_benchmark, query_language, split_by_group
from codesearch.evaluation.records import Benchmark


def _benchmark(**changes: object) -> Benchmark:
    fields: dict[str, object] = {
        "name": "tiny",
        "queries": {"q1": "add numbers", "q2": "parse json", "q3": "open file"},
        "corpus": {
            "p:add": "def add", "p:parse": "def parse", "g:open": "func Open", "g:close": "func Close",
        },
        "relevant": {"q1": frozenset({"p:add"}), "q2": frozenset({"p:parse"}), "q3": frozenset({"g:open"})},
        "doc_language": {"p:add": "python", "p:parse": "python", "g:open": "go", "g:close": "go"},
        "doc_group": {"p:add": "pkg", "p:parse": "pkg", "g:open": "gopkg", "g:close": "gopkg"},
    }
    fields.update(changes)
    return Benchmark(**fields)  # type: ignore[arg-type]


def test_a_consistent_benchmark_passes() -> None:
    check_benchmark(_benchmark())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"queries": {}}, "no queries"),
        ({"relevant": {"q1": frozenset(), "q2": frozenset({"p:parse"}), "q3": frozenset({"g:open"})}},
         "no relevant"),
        ({"relevant": {"q1": frozenset({"nope"}), "q2": frozenset({"p:parse"}), "q3": frozenset({"g:open"})}},
         "not in the corpus"),
        ({"relevant": {"q1": frozenset({"p:add", "g:open"}), "q2": frozenset({"p:parse"}),
                       "q3": frozenset({"g:open"})}}, "several pools"),
        ({"doc_group": {"p:add": "pkg"}}, "no language or group"),
    ],
)
def test_inconsistencies_raise_data_error(changes: dict[str, object], message: str) -> None:
    with pytest.raises(DataError, match=message):
        check_benchmark(_benchmark(**changes))


def test_query_language_is_that_of_the_gold_document() -> None:
    benchmark = _benchmark()
    assert query_language(benchmark, "q1") == "python"
    assert query_language(benchmark, "q3") == "go"


def test_split_by_group_keeps_each_pool_with_its_queries() -> None:
    go, python = split_by_group(_benchmark())
    assert go.name == "tiny/gopkg"
    assert set(go.queries) == {"q3"}
    assert set(go.corpus) == {"g:open", "g:close"}
    assert set(python.queries) == {"q1", "q2"}
    assert set(python.corpus) == {"p:add", "p:parse"}
    for pool in (go, python):
        check_benchmark(pool)
