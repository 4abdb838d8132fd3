"""validate_query: every entry point's one check of a query's text, before it reaches an encoder."""

from __future__ import annotations

import pytest

from codesearch.errors import QueryError
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
