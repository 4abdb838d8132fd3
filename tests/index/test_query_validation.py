"""validate_query, validate_path_glob and validate_filters: every entry point's one check of a query's
text and its filters, before they reach an encoder or SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.errors import QueryError
from codesearch.index import filters
from codesearch.index.filters import MAX_PATH_GLOB_CHARS, validate_path_glob
from codesearch.index.hybrid_search import MAX_QUERY_CHARS, SearchRequest, search, validate_filters, validate_query
from codesearch.index.store import IndexStore
from tests.index.fakes import PARAMS


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


@pytest.mark.parametrize(("languages", "path_glob"), [(None, "src/\udcff*"), (("python", "\ud800"), None)])
def test_a_filter_that_is_not_valid_unicode_is_a_query_error(
    tmp_path: Path, languages: tuple[str, ...] | None, path_glob: str | None
) -> None:
    """`ask --path` with bytes that are not UTF-8 (found by tests/fuzz/): SQLite could not encode it, a traceback."""
    with pytest.raises(QueryError, match="not valid Unicode at position"):
        validate_filters(languages, path_glob)
    refused = pytest.raises(QueryError, match="holds a character that is not valid Unicode")
    with IndexStore.open(tmp_path / "index", expected=PARAMS, create=True) as store, store.reading(), refused:
        search(store, None, SearchRequest("parse json", 5, languages, path_glob, mode="lexical"))
