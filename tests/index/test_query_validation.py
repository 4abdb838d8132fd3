"""validate_query and validate_filters: every entry point's one check of a query, before it reaches an encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.errors import QueryError
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


@pytest.mark.parametrize(("languages", "path_glob"), [(None, "src/\udcff*"), (("python", "\ud800"), None)])
def test_a_filter_that_is_not_valid_unicode_is_a_query_error(
    tmp_path: Path, languages: tuple[str, ...] | None, path_glob: str | None
) -> None:
    """`ask --path` with bytes that are not UTF-8 (found by tests/fuzz/): SQLite could not encode it, a traceback."""
    with pytest.raises(QueryError, match="not valid Unicode at position"):
        validate_filters(languages, path_glob)
    refused = pytest.raises(QueryError, match="filter holds a character that is not valid Unicode")
    with IndexStore.open(tmp_path / "index", expected=PARAMS, create=True) as store, store.reading(), refused:
        search(store, None, SearchRequest("parse json", 5, languages, path_glob, mode="lexical"))
