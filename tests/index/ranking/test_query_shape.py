"""What the ranking reads from a query: identifier or sentence, symbols inside it, content words."""

from __future__ import annotations

import doctest

from codesearch.index.ranking import query_shape
from codesearch.index.ranking.query_shape import content_words, embedded_symbols, query_facts


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(query_shape)
    assert result.attempted >= 4 and result.failed == 0


def test_a_whole_identifier_is_its_own_symbol() -> None:
    facts = query_facts("  Store.open() ")
    assert facts.is_identifier and facts.symbols == ("Store.open",)
    assert query_facts("Place").is_identifier  # a lone capitalised word names a type


def test_symbols_inside_a_sentence_need_case_or_separators() -> None:
    assert embedded_symbols("How does HTTPServer call serve_forever?") == ("HTTPServer", "serve_forever")
    assert embedded_symbols("How does the server start") == ()
    assert embedded_symbols("Where is JSON parsed") == ("JSON",)  # an acronym names code as often as not
    facts = query_facts("where is StrSplit defined")
    assert not facts.is_identifier and facts.symbols == ("StrSplit",)


def test_content_words_drop_function_words_and_short_words() -> None:
    assert content_words("how is an ID of the db row made") == ("row", "made")
    assert content_words("") == ()
