"""Records of a text file (a format of text_formats.py): heading sections, or line windows.

Markdown, reStructuredText, TOML and INI files are cut at their headings into records of kind
SECTION, named by their heading as a Markdown heading (``## From source``, a name no identifier
query can equal) with the file name and the titles above it as qualified name (``README.md >
Install > From source``); a section longer than a window is cut into windows that all carry its
names. Lines before the first heading, and every file of another format, become anonymous
WINDOW records (see line_windows.py). A section whose only content is its heading is left out:
the titles of the sections under it carry its title.
"""

from __future__ import annotations

from codesearch.parsing.line_windows import SourceLines, content_windows, line_chunk
from codesearch.parsing.sections import (
    Section,
    bracket_headings,
    markdown_headings,
    rst_headings,
    sections_of,
)
from codesearch.parsing.text_formats import BRACKETS, MARKDOWN, RST, TextFormat
from codesearch.records import SECTION, WINDOW, Chunk, FileExtraction

_HEADINGS = {MARKDOWN: markdown_headings, RST: rst_headings, BRACKETS: bracket_headings}


def extract_text_records(path: str, source: bytes, text_format: TextFormat) -> FileExtraction:
    """The sections and windows of the text file at ``path`` whose bytes are ``source``."""
    lines = SourceLines.of(source)
    find_headings = _HEADINGS.get(text_format.splitter)
    headings = find_headings(lines) if find_headings is not None else []
    first_heading = headings[0].first_line if headings else lines.count + 1
    chunks = _windows(path, text_format.name, lines, 1, first_heading - 1)
    for section in sections_of(headings, lines.count):
        chunks += _section_records(path, text_format.name, lines, section)
    return FileExtraction(path, text_format.name, tuple(chunks))


def _windows(path: str, language: str, lines: SourceLines, first: int, last: int) -> list[Chunk]:
    if first > last:
        return []
    windows = content_windows(lines, first, last, lambda n: not lines.is_blank(n))
    return [line_chunk(path, language, WINDOW, lines, start, end) for start, end in windows]


def _section_records(path: str, language: str, lines: SourceLines, section: Section) -> list[Chunk]:
    heading = section.heading
    qualified_name = " > ".join((path.rpartition("/")[2], *section.trail))

    def is_content(number: int) -> bool:
        return not heading.first_line <= number <= heading.last_line and not lines.is_blank(number)

    windows = content_windows(lines, heading.first_line, section.last_line, is_content)
    return [
        line_chunk(path, language, SECTION, lines, start, end, name=heading.name, qualified_name=qualified_name)
        for start, end in windows
    ]
