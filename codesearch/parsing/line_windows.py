"""Line windows: cutting runs of source lines into records of bounded size, and building those records.

Code between definitions (gaps.py) and text files without structure (text_records.py) become
records made of whole lines: a window holds at most MAX_WINDOW_LINES lines and about
MAX_WINDOW_CHARS bytes, which is roughly what the encoder reads (256 tokens), so nothing in a
window is cut off from the dense side. A long run is cut at a blank line in the second half of
the window when there is one (a paragraph, a group of statements ends there) and otherwise cut
hard, with the next window repeating the last HARD_CUT_OVERLAP_LINES lines (at most a quarter of
the window) so that a statement split by the cut is whole in one of them.

A window is kept only if its lines hold at least MIN_WINDOW_CHARS bytes of "content" (code lines,
for code; non-blank lines, for text) with a letter or digit among them: a lone ``}``, ``package
foo`` or ``import os`` is not worth a record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from codesearch.records import Chunk

MAX_WINDOW_LINES = 30
MAX_WINDOW_CHARS = 1200  # bytes; ~256 tokens of code or prose
HARD_CUT_OVERLAP_LINES = 3
MIN_WINDOW_CHARS = 12  # content bytes, whitespace excluded

_WORDISH = re.compile(rb"[A-Za-z0-9\x80-\xff]")  # any non-ASCII byte counts: CJK prose has no ASCII letters


@dataclass(frozen=True, slots=True)
class SourceLines:
    """The lines of one source: line ``n`` (1-based) is ``source[starts[n - 1] : ends[n - 1]]``."""

    source: bytes
    starts: tuple[int, ...]
    ends: tuple[int, ...]  # exclusive, before the line break

    @classmethod
    def of(cls, source: bytes) -> SourceLines:
        starts = [0]
        ends = []
        position = source.find(b"\n")
        while position >= 0:
            ends.append(position)
            starts.append(position + 1)
            position = source.find(b"\n", position + 1)
        ends.append(len(source))
        if starts[-1] == len(source) and len(starts) > 1:  # a final newline ends the last line
            starts.pop()
            ends.pop()
        return cls(source, tuple(starts), tuple(ends))

    @property
    def count(self) -> int:
        return len(self.starts)

    def line(self, number: int) -> bytes:
        """Line ``number`` (1-based) without its line break (a ``\\r`` before it stays)."""
        return self.source[self.starts[number - 1] : self.ends[number - 1]]

    def is_blank(self, number: int) -> bool:
        return not self.line(number).strip()


def cut_windows(lines: SourceLines, first: int, last: int) -> Iterator[tuple[int, int]]:
    """Cut lines ``first..last`` (1-based, inclusive) into windows, in order; see the module docstring."""
    start = first
    while start <= last:
        end, size = start, len(lines.line(start))
        while end < last and end - start + 1 < MAX_WINDOW_LINES:
            size += len(lines.line(end + 1)) + 1
            if size > MAX_WINDOW_CHARS:
                break
            end += 1
        if end == last:
            yield start, end
            return
        blank = next((n for n in range(end, start + (end - start) // 2, -1) if lines.is_blank(n)), None)
        if blank is not None:
            yield start, blank - 1
            start = blank + 1
        else:
            yield start, end
            # At most a quarter of the window: windows of a few long lines must not creep by one.
            start = end + 1 - min(HARD_CUT_OVERLAP_LINES, (end - start + 1) // 4)


def trimmed(lines: SourceLines, first: int, last: int) -> tuple[int, int] | None:
    """The window without its leading and trailing blank lines; None if nothing is left."""
    while first <= last and lines.is_blank(first):
        first += 1
    while last >= first and lines.is_blank(last):
        last -= 1
    return (first, last) if first <= last else None


def has_content(lines: SourceLines, first: int, last: int, is_content: Callable[[int], bool]) -> bool:
    """Whether the content lines of ``first..last`` are worth a record (see MIN_WINDOW_CHARS)."""
    content = [lines.line(n) for n in range(first, last + 1) if is_content(n)]
    if not any(_WORDISH.search(line) for line in content):
        return False
    return sum(len(line.translate(None, b" \t\r\f\v")) for line in content) >= MIN_WINDOW_CHARS


def content_windows(
    lines: SourceLines, first: int, last: int, is_content: Callable[[int], bool]
) -> list[tuple[int, int]]:
    """The windows of ``first..last``, trimmed of blank edges, that have content."""
    kept = []
    for start, end in cut_windows(lines, first, last):
        window = trimmed(lines, start, end)
        if window is not None and has_content(lines, *window, is_content):
            kept.append(window)
    return kept


def line_chunk(
    path: str, language: str, kind: str, lines: SourceLines, first: int, last: int, *,
    name: str = "", qualified_name: str = "",
) -> Chunk:
    """The record of lines ``first..last``: its code is their exact text.

    An anonymous record (``name`` empty: a block of code between definitions, a window of a text
    file) gets the location label ``<file name>:<first>-<last>`` as its qualified name, for people
    to read; the lexical and embedded texts leave such a label out (the path stands in for it),
    so moving the lines does not change them.
    """
    start_byte, end_byte = lines.starts[first - 1], lines.ends[last - 1]
    code = lines.source[start_byte:end_byte].decode("utf-8", errors="replace")
    if not qualified_name:
        qualified_name = f"{path.rpartition('/')[2]}:{first}-{last}"
    return Chunk(
        path=path, language=language, kind=kind, name=name, qualified_name=qualified_name,
        start_line=first, end_line=last, signature_line=first, start_byte=start_byte, end_byte=end_byte,
        signature="", docstring_raw="", docstring="", docstring_summary="", code=code,
        code_without_docstring=code, content_hash=hashlib.sha256(code.encode("utf-8")).hexdigest(),
    )
