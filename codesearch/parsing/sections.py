"""Headings of Markdown, reStructuredText and INI/TOML files: where each section starts, and its title.

A section runs from its heading to the line before the next heading of any level; its trail is
the titles of the headings above it, outermost first. Nothing here is a full parser: Markdown
headings are ATX (``## Title``) and setext (``Title`` over ``===``/``---``) outside fenced code
blocks and front matter, reStructuredText titles are underlined (and maybe overlined) with one
punctuation character, and INI/TOML sections are ``[name]`` header lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codesearch.parsing.line_windows import SourceLines

MAX_TITLE_CHARS = 100

_ATX = re.compile(rb"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*\r?$")
_FENCE = re.compile(rb"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(rb"^ {0,3}(=+|-+)[ \t]*\r?$")
_RST_ADORNMENT = re.compile(rb"^([!-/:-@\[-`{-~])\1{2,}[ \t]*\r?$")  # one punctuation character, 3+ times
_BRACKET_HEADER = re.compile(rb"^[ \t]*(\[\[?[^\[\]\r\n]+\]\]?)[ \t]*(?:[#;].*)?\r?$")


@dataclass(frozen=True, slots=True)
class Heading:
    """One heading: the line its section starts at, the heading's own last line, level and title."""

    first_line: int  # 1-based; an overline or the title line
    last_line: int  # the underline of a setext or reStructuredText heading, else first_line
    level: int  # 1 = outermost
    title: str

    @property
    def name(self) -> str:
        """The heading as a record's name: Markdown-style (``## Install``), a ``[section]`` as it is.

        Never an identifier, so an exact-name query for a function never lands on a section."""
        return self.title if self.title.startswith("[") else "#" * self.level + " " + self.title


@dataclass(frozen=True, slots=True)
class Section:
    """The lines of one section and the titles of its heading and of those above it."""

    heading: Heading
    last_line: int
    trail: tuple[str, ...]  # titles, outermost first, this section's last


def sections_of(headings: list[Heading], line_count: int) -> list[Section]:
    """The section each heading starts, ended by the next heading, with its trail of titles."""
    found: list[Section] = []
    open_titles: list[tuple[int, str]] = []  # (level, title) of the headings enclosing the next one
    for index, heading in enumerate(headings):
        while open_titles and open_titles[-1][0] >= heading.level:
            open_titles.pop()
        open_titles.append((heading.level, heading.title))
        end = headings[index + 1].first_line - 1 if index + 1 < len(headings) else line_count
        found.append(Section(heading, end, tuple(title for _, title in open_titles)))
    return found


def markdown_headings(lines: SourceLines) -> list[Heading]:
    """ATX and setext headings outside fenced code blocks and YAML front matter."""
    headings: list[Heading] = []
    fence = b""
    number = _front_matter_end(lines) + 1
    previous_is_text = False
    while number <= lines.count:
        line = lines.line(number)
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) and \
                    not line[opening.end():].strip():
                fence = b""
        elif opening:
            fence = opening.group(1)
        elif (atx := _ATX.match(line)) and atx.group(2):
            headings.append(Heading(number, number, len(atx.group(1)), _title(atx.group(2))))
        elif previous_is_text and (setext := _SETEXT.match(line)):
            level = 1 if setext.group(1).startswith(b"=") else 2
            headings.append(Heading(number - 1, number, level, _title(lines.line(number - 1))))
            previous_is_text = False
            number += 1
            continue
        previous_is_text = not fence and not opening and bool(line.strip()) and not _ATX.match(line) and \
            not line.startswith((b"    ", b"\t"))
        number += 1
    return headings


def rst_headings(lines: SourceLines) -> list[Heading]:
    """Titles underlined (and maybe overlined) with a punctuation character; levels in order of first use."""
    headings: list[Heading] = []
    styles: list[tuple[bytes, bool]] = []  # (character, has overline), in the order the document uses them
    number = 1
    while number < lines.count:
        title, under = lines.line(number), _RST_ADORNMENT.match(lines.line(number + 1))
        over = _RST_ADORNMENT.match(lines.line(number - 1)) if number > 1 else None
        starts_block = number == 1 or over is not None or lines.is_blank(number - 1)
        if under and title.strip() and not _RST_ADORNMENT.match(title) and starts_block and \
                (over or not title[:1].isspace()) and len(under.group(0).rstrip()) >= len(title.strip()):
            has_over = over is not None and over.group(1) == under.group(1)
            style = (under.group(1), has_over)
            if style not in styles:
                styles.append(style)
            first = number - 1 if has_over else number
            headings.append(Heading(first, number + 1, styles.index(style) + 1, _title(title)))
            number += 2
            continue
        number += 1
    return headings


def bracket_headings(lines: SourceLines) -> list[Heading]:
    """``[section]`` and ``[[array.of.tables]]`` header lines of INI and TOML files."""
    headings = []
    for number in range(1, lines.count + 1):
        header = _BRACKET_HEADER.match(lines.line(number))
        if header:
            headings.append(Heading(number, number, 1, _title(header.group(1))))
    return headings


def _front_matter_end(lines: SourceLines) -> int:
    """The last line of a ``---`` YAML front matter block at the top, or 0."""
    if lines.count < 2 or lines.line(1).rstrip() != b"---":
        return 0
    for number in range(2, min(lines.count, 200) + 1):
        if lines.line(number).rstrip() in (b"---", b"..."):
            return number
    return 0


def _title(raw: bytes) -> str:
    text = " ".join(raw.decode("utf-8", errors="replace").split())
    return text[:MAX_TITLE_CHARS]
