"""Cutting runs of lines into windows."""

from __future__ import annotations

from itertools import pairwise

from codesearch.parsing.line_windows import (
    HARD_CUT_OVERLAP_LINES,
    MAX_WINDOW_CHARS,
    MAX_WINDOW_LINES,
    SourceLines,
    content_windows,
    cut_windows,
    has_content,
    line_chunk,
)


def test_lines_and_their_byte_ranges() -> None:
    lines = SourceLines.of(b"a\r\nbb\n\nccc")
    assert lines.count == 4 and [lines.line(n) for n in range(1, 5)] == [b"a\r", b"bb", b"", b"ccc"]
    assert SourceLines.of(b"x\n").count == 1 and SourceLines.of(b"").count == 1
    chunk = line_chunk("d/f.txt", "text", "window", lines, 2, 4)
    assert (chunk.code, chunk.start_byte, chunk.end_byte, chunk.qualified_name) == ("bb\n\nccc", 3, 10, "f.txt:2-4")


def test_short_runs_are_one_window() -> None:
    lines = SourceLines.of(b"one\ntwo\nthree\n")
    assert list(cut_windows(lines, 1, 3)) == [(1, 3)]


def test_long_runs_are_cut_at_a_blank_line_in_the_second_half() -> None:
    source = b"".join(b"\n" if n % 10 == 0 else b"line %d\n" % n for n in range(1, 101))
    windows = list(cut_windows(SourceLines.of(source), 1, 100))
    assert windows[0] == (1, 29)  # line 30 is blank; the next window starts after it
    assert all(end - start + 1 <= MAX_WINDOW_LINES for start, end in windows)
    assert windows[1][0] == 31 and windows[-1][1] == 100


def test_hard_cuts_overlap_by_at_most_a_quarter_of_the_window() -> None:
    source = b"".join(b"x = %d\n" % n for n in range(100))
    windows = list(cut_windows(SourceLines.of(source), 1, 100))
    assert windows[0] == (1, MAX_WINDOW_LINES) and windows[1][0] == MAX_WINDOW_LINES + 1 - HARD_CUT_OVERLAP_LINES
    long_lines = b"".join(b"%d %s\n" % (n, b"y" * (MAX_WINDOW_CHARS // 3)) for n in range(20))
    windows = list(cut_windows(SourceLines.of(long_lines), 1, 20))
    assert all(later[0] >= earlier[0] + 2 for earlier, later in pairwise(windows))


def test_content_needs_a_letter_or_digit_and_a_dozen_bytes() -> None:
    lines = SourceLines.of(b"});\n  ]  \nimport os\nimport os, sys\n")
    assert not has_content(lines, 1, 2, lambda n: True)  # punctuation
    assert not has_content(lines, 3, 3, lambda n: True)  # "import os": 8 bytes
    assert has_content(lines, 3, 4, lambda n: True)
    assert not has_content(lines, 3, 4, lambda n: False)  # only what the caller counts as content


def test_content_windows_trim_blank_edges() -> None:
    lines = SourceLines.of(b"\n\nSETTING_ONE = 1\nSETTING_TWO = 2\n\n\n")
    assert content_windows(lines, 1, lines.count, lambda n: not lines.is_blank(n)) == [(3, 4)]
