"""Sections and windows of text files, on real-looking documentation and configuration files."""

from __future__ import annotations

from pathlib import Path

from codesearch.parsing.line_windows import MAX_WINDOW_LINES
from codesearch.parsing.text_formats import format_for_path, get_format
from codesearch.parsing.text_records import extract_text_records
from codesearch.records import SECTION, WINDOW, Chunk

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text"


def records(name: str) -> list[Chunk]:
    text_format = format_for_path(name)
    assert text_format is not None
    extraction = extract_text_records(name, (FIXTURES / name).read_bytes(), text_format)
    assert extraction.language == text_format.name and not extraction.warnings
    return list(extraction.chunks)


def described(chunks: list[Chunk]) -> list[tuple[str, str, str, int, int]]:
    return [(c.kind, c.name, c.qualified_name, c.start_line, c.end_line) for c in chunks]


def test_markdown_is_cut_at_its_headings_with_the_heading_path() -> None:
    assert described(records("README.md")) == [
        (WINDOW, "", "README.md:1-4", 1, 4),  # the front matter, before any heading
        (SECTION, "# Shop", "README.md > Shop", 6, 9),  # a setext heading
        (SECTION, "## Installation", "README.md > Shop > Installation", 11, 18),
        (SECTION, "### From source", "README.md > Shop > Installation > From source", 20, 25),
        # "## Configuration" holds only its heading, "## Changelog" nothing at all: no records
        (SECTION, "### Environment variables", "README.md > Shop > Configuration > Environment variables", 29, 35),
    ]


def test_hash_lines_in_fences_and_indented_code_are_no_headings() -> None:
    by_name = {chunk.name: chunk for chunk in records("README.md")}
    assert "# this comment is not a heading" in by_name["## Installation"].code
    assert "# an indented code block" in by_name["### From source"].code
    assert "## still inside a tilde fence" in by_name["### Environment variables"].code


def test_restructuredtext_titles_take_levels_in_order_of_first_use() -> None:
    assert [(c.name, c.qualified_name, c.start_line) for c in records("guide.rst")] == [
        ("# Shop handbook", "guide.rst > Shop handbook", 1),  # overlined: the section starts at the overline
        ("## Deployment", "guide.rst > Shop handbook > Deployment", 7),
        ("### Rolling back", "guide.rst > Shop handbook > Deployment > Rolling back", 12),
        ("## Monitoring", "guide.rst > Shop handbook > Monitoring", 17),
    ]


def test_ini_sections_are_named_by_their_header() -> None:
    assert [(c.name, c.qualified_name, c.start_line, c.end_line) for c in records("setup.cfg")] == [
        ("[metadata]", "setup.cfg > [metadata]", 1, 3),
        ("[options]", "setup.cfg > [options]", 5, 7),
        ("[flake8]", "setup.cfg > [flake8]", 9, 10),
    ]


def test_yaml_json_dockerfile_and_makefile_are_windows() -> None:
    for name, language, last in (
        ("ci.yml", "yaml", 16), ("catalogue.json", "json", 8),
        ("Dockerfile", "dockerfile", 10), ("Makefile", "makefile", 10),
    ):
        (window,) = records(name)
        assert (window.kind, window.language, window.name, window.start_line, window.end_line) == (
            WINDOW, language, "", 1, last
        )
        assert window.qualified_name == f"{name}:1-{last}"
        assert window.code == (FIXTURES / name).read_text().rstrip("\n")


def test_the_record_contract_holds_for_text_records() -> None:
    for name in ("README.md", "guide.rst", "ci.yml", "setup.cfg"):
        source = (FIXTURES / name).read_bytes()
        for chunk in records(name):
            assert source[chunk.start_byte : chunk.end_byte].decode() == chunk.code
            lines = source.decode().splitlines()[chunk.start_line - 1 : chunk.end_line]
            assert "\n".join(lines) == chunk.code and chunk.code_without_docstring == chunk.code
            assert chunk.signature == chunk.docstring == chunk.docstring_summary == "" and chunk.content_hash


def test_a_long_section_is_cut_into_windows_that_keep_its_names() -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} says something about retries and backoff." for i in range(40))
    source = f"# Guide\n\n## Retries\n\n{paragraphs}\n".encode()
    found = extract_text_records("docs/guide.md", source, get_format("markdown")).chunks
    assert len(found) > 2
    names = {(c.kind, c.name, c.qualified_name) for c in found}
    assert names == {(SECTION, "## Retries", "guide.md > Guide > Retries")}
    assert all(c.end_line - c.start_line < MAX_WINDOW_LINES for c in found)
    assert found[0].start_line == 3 and found[-1].end_line == 83


def test_a_file_of_blank_lines_gives_nothing() -> None:
    assert extract_text_records("empty.yaml", b"\n\n  \n", get_format("yaml")).chunks == ()


def test_every_line_record_kind_is_declared() -> None:
    from codesearch.records import BLOCK, IMPORTS, LINE_RECORD_KINDS

    assert {BLOCK, IMPORTS, SECTION, WINDOW} == LINE_RECORD_KINDS
