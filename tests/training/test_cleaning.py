"""Duplicate removal and length limits."""

from __future__ import annotations

from codesearch.evaluation.pairs import Pair
from training.cleaning import LengthLimits, clean_pairs, code_hash, is_within_limits

BODY = "def f(a):\n    b = a + 1\n    return b\n"


def pair(code: str, query: str = "Add one to a number.", language: str = "python", repo: str = "r") -> Pair:
    return Pair(query, code, language, repo, "f.py", "f")


def test_reformatted_and_recommented_copies_hash_alike() -> None:
    assert code_hash(BODY, "python") == code_hash("def f(a):\n  b = a + 1  # plus\n\n  return b", "python")
    js = "function f(a) {\n  return a + 1;\n}"
    commented = "function f(a) { /* x */ return a + 1; // y\n}"
    assert code_hash(js, "javascript") == code_hash(commented, "javascript")
    assert code_hash(BODY, "python") != code_hash(BODY.replace("+ 1", "+ 2"), "python")


def test_exact_and_near_copies_are_counted_apart_and_the_first_is_kept() -> None:
    first = pair(BODY, repo="a")
    reindented = pair(BODY.replace("    ", "  "), repo="c")
    pairs = [first, pair(BODY, repo="b"), reindented, pair(BODY, language="ruby")]
    cleaned = clean_pairs(pairs, LengthLimits())
    assert cleaned.pairs == (first, pairs[3])  # the same text in another language is not a copy
    assert (cleaned.exact_duplicates, cleaned.near_duplicates) == (1, 1)


def test_length_limits_bound_query_words_and_code_lines() -> None:
    limits = LengthLimits(min_query_words=3, max_query_words=5, min_code_lines=3, max_code_lines=3)
    assert is_within_limits(pair(BODY), limits)
    assert not is_within_limits(pair(BODY, query="Add one."), limits)
    assert not is_within_limits(pair(BODY, query="one two three four five six"), limits)
    assert not is_within_limits(pair(BODY + "x = 1\n"), limits)
    assert not is_within_limits(pair(BODY), LengthLimits(max_code_chars=10))
    assert clean_pairs([pair(BODY, query="Add.")], limits).out_of_limits == 1
