"""Query rewrites: each style on real-looking summaries, fallbacks, and the seeded mixing rate."""

from __future__ import annotations

import random

import pytest

from training.query_styles import STYLES, base_verb, rewrite, styled_query


@pytest.mark.parametrize(
    ("summary", "language", "style", "expected"),
    [
        ("Returns the number of items in the list.", "python", "how_to", "how to get the number of items in the list"),
        ("Copies a file to the destination folder.", "go", "how_to", "how to copy a file to the destination folder"),
        ("Parse a date string into a datetime.", "java", "in_language", "date string into a datetime in java"),
        ("Sorts the users of a group by their last name.", "go", "keywords", "sort users group last name"),
        ("Checks whether the key exists. Raises on error.", "csharp", "in_language", "key exists in c#"),
        ("The HTTP client used for requests.", "cpp", "in_language", "HTTP client used for requests in c++"),
        ("Is the buffer empty?", "rust", "how_to", "how to check if the buffer empty"),
        ("ParseDate parses a date in RFC 3339.", "go", "how_to", "how to parse a date in RFC 3339"),
        ("Aligns a body against the point.", "javascript", "how_to", "how to align a body against the point"),
        ("Options for the HTTP client.", "python", "in_language", "options for the HTTP client in python"),
    ],
)
def test_each_style_rewrites_a_summary(summary: str, language: str, style: str, expected: str) -> None:
    assert rewrite(summary, language, style) == expected


def test_verbs_are_recognised_only_from_the_list() -> None:
    assert [base_verb(w) for w in ("Returns", "Copies", "Matches", "Parse", "Helper", "Options")] == [
        "get",
        "copy",
        "match",
        "parse",
        None,
        None,
    ]


def test_summaries_the_rules_cannot_use_stay_as_they_are() -> None:
    assert rewrite("Constructor.", "java", "how_to") == "Constructor."
    assert rewrite("Returns the.", "java", "in_language") == "Returns the."
    assert rewrite("Returns it.", "python", "keywords") == "Returns it."
    with pytest.raises(ValueError, match="unknown query style"):
        rewrite("Returns the name.", "python", "shouting")


def test_the_rate_mixes_styles_in_with_a_seeded_draw() -> None:
    summary = "Returns the number of items in the list."
    assert styled_query(summary, "python", 0.0, random.Random(0)) == summary
    drawn = [styled_query(summary, "python", 0.5, random.Random(seed)) for seed in range(400)]
    share = sum(text != summary for text in drawn) / len(drawn)
    assert 0.4 < share < 0.6
    assert {text for text in drawn if text != summary} == {rewrite(summary, "python", s) for s in STYLES}
    assert drawn == [styled_query(summary, "python", 0.5, random.Random(seed)) for seed in range(400)]
