"""Path priors: tests, examples, legacy code, markers and declarations rank lower unless asked for."""

from __future__ import annotations

import doctest

import pytest

from codesearch.index.ranking import RankingParams, path_priors, query_facts
from codesearch.index.ranking.path_priors import path_kind, prior_penalties
from tests.index.ranking.helpers import heads


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(path_priors)
    assert result.attempted >= 2 and result.failed == 0


@pytest.mark.parametrize(("path", "kind"), [
    ("pkg/router_test.go", "test"), ("src/__tests__/a.ts", "test"), ("spec/models/user_spec.rb", "test"),
    ("src/FooTest.java", "test"), ("lib/a.spec.ts", "test"), ("tests/conftest.py", "test"),
    ("examples/basic/app.py", "example"), ("src/vendor/lib.js", "legacy"), ("src/compat.py", "legacy"),
    ("com/x/package-info.java", "marker"), ("types/index.d.mts", "marker"),
    ("src/testing_utils_impl.py", None), ("src/contest.py", None), ("src/latest.py", None),
])
def test_kinds_of_paths(path: str, kind: str | None) -> None:
    assert path_kind(path) == kind


def test_a_query_that_asks_for_tests_keeps_them() -> None:
    found = heads((1, "tests/test_router.py", "test_match"), (2, "src/router.py", "match"))
    params = RankingParams(path_prior_penalty=0.75)
    assert prior_penalties(query_facts("how routes are matched"), found, params) == {1: -0.75}
    assert prior_penalties(query_facts("tests for route matching"), found, params) == {}


def test_documentation_records_rank_lower_unless_the_query_asks_for_docs() -> None:
    found = heads((1, "README.md", "", "section"), (2, "src/install.py", "install"), (3, "ci.yml", "", "window"))
    params = RankingParams(text_record_penalty=1.0, path_prior_penalty=0.75)
    assert prior_penalties(query_facts("how to install the package"), found, params) == {}
    assert prior_penalties(query_facts("retry failed uploads"), found, params) == {1: -1.0, 3: -1.0}
