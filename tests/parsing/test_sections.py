"""Heading detection for Markdown, reStructuredText and INI/TOML, on the awkward cases."""

from __future__ import annotations

from codesearch.parsing.line_windows import SourceLines
from codesearch.parsing.sections import (
    MAX_TITLE_CHARS,
    Heading,
    bracket_headings,
    markdown_headings,
    rst_headings,
    sections_of,
)


def markdown(text: str) -> list[tuple[int, int, str]]:
    return [(h.first_line, h.level, h.title) for h in markdown_headings(SourceLines.of(text.encode()))]


def test_atx_headings_with_closing_hashes_and_no_title() -> None:
    assert markdown("# One #\n##   Two  ##\n#\n####### seven\n#not a heading\n") == [(1, 1, "One"), (2, 2, "Two")]


def test_fences_hide_hash_lines_until_a_matching_close() -> None:
    text = "````md\n# in fence\n```\n# still in fence\n````\n# after\n~~~\n# tilde\n~~~\n"
    assert markdown(text) == [(6, 1, "after")]


def test_setext_needs_a_paragraph_line_above() -> None:
    text = "Title\n=====\n\n---\n\nSub title\n---------\n- item\n"
    assert markdown(text) == [(1, 1, "Title"), (6, 2, "Sub title")]  # a lone --- is a thematic break


def test_front_matter_is_not_read_as_headings() -> None:
    assert markdown("---\ntitle: x\n---\n# Real\n") == [(4, 1, "Real")]


def test_long_titles_are_cut() -> None:
    (heading,) = markdown_headings(SourceLines.of(("# " + "word " * 100).encode()))
    assert len(heading.title) == MAX_TITLE_CHARS


def test_rst_titles_need_a_long_enough_adornment_and_a_blank_line_above() -> None:
    text = "Intro text\nShort\n===\n\nReal title\n==========\n\nTransition below\n\n----------\n\nText\n"
    found = rst_headings(SourceLines.of(text.encode()))
    assert [(h.first_line, h.last_line, h.level, h.title) for h in found] == [(5, 6, 1, "Real title")]


def test_ini_and_toml_headers() -> None:
    text = "top = 1\n[server]\nport = 80\n  [[bin]] # the binaries\nlist = [\n  [1, 2],\n]\n"
    assert [(h.first_line, h.title) for h in bracket_headings(SourceLines.of(text.encode()))] == [
        (2, "[server]"), (4, "[[bin]]")
    ]


def test_sections_end_at_the_next_heading_and_carry_their_trail() -> None:
    headings = [Heading(1, 1, 1, "A"), Heading(3, 3, 2, "B"), Heading(5, 5, 3, "C"), Heading(8, 8, 2, "D")]
    found = sections_of(headings, 10)
    assert [(s.heading.title, s.last_line, s.trail) for s in found] == [
        ("A", 2, ("A",)), ("B", 4, ("A", "B")), ("C", 7, ("A", "B", "C")), ("D", 10, ("A", "D"))
    ]
    assert [h.name for h in headings] == ["# A", "## B", "### C", "## D"]
