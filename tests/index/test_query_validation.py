"""validate_query and validate_path_glob: every entry point's one check of a query's text and its
path glob, before they reach an encoder or SQLite."""

from __future__ import annotations

import pytest

from codesearch.errors import QueryError
from codesearch.index import filters
from codesearch.index.filters import MAX_PATH_GLOB_CHARS, validate_path_glob
from codesearch.index.hybrid_search import MAX_QUERY_CHARS, validate_query


def test_a_query_is_stripped() -> None:
    assert validate_query("  parse json\n") == "parse json"


@pytest.mark.parametrize(
    ("query", "message"),
    [("   ", "empty"), ("x" * (MAX_QUERY_CHARS + 1), "characters long"), ("a\x00b", "NUL"),
     ("x \udcff", "not valid Unicode at position 2"), ("\ud800", "not valid Unicode")],
)
def test_bad_queries_are_query_errors(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        validate_query(query)


@pytest.mark.parametrize(
    ("glob", "message"),
    [("*" * (MAX_PATH_GLOB_CHARS + 1), "1,025 characters long; the limit is 1,024"), ("src/\x00*", "NUL"),
     ("src/\udcff*", "not valid Unicode at position 4")],
)
def test_bad_path_globs_are_query_errors(glob: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        validate_path_glob(glob)


def test_path_globs_up_to_the_limit_match_as_fnmatch_does_from_a_bounded_cache() -> None:
    assert validate_path_glob("a" * MAX_PATH_GLOB_CHARS) is not None and validate_path_glob(None) is None
    for number in range(500):  # distinct globs, as clients may send: the compiled ones do not pile up
        assert filters._path_matches(f"src/*{number}.py", f"src/a/b{number}.py")
        assert not filters._path_matches(f"src/[!a]*{number}.py", f"src/a{number}.py")
    assert filters._compiled.cache_info().currsize <= 64
