"""Rendering search hits for people in a terminal (used only by cli/commands.py).

Each hit is one header line (rank, score, ``path:start-end``, qualified name, kind) and a few lines
of its code from the signature on, with line numbers, cut to the terminal width. Plain ANSI
escapes rather than rich: rich's console and syntax highlighting cost ~80-150 ms of CPU per
``ask`` (import, pygments lexers), more than the search itself once the model loads fast. Colour
only when the stream is a terminal and NO_COLOR is unset (https://no-color.org). Paths, names and
code come from the checkout: each is escaped (cli/safe_text.py) before it is cut and painted.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from codesearch.cli.safe_text import terminal_safe
from codesearch.records import FileHit, Hit

CODE_LINES_PER_HIT = 4
_RESET = "\x1b[0m"
_STYLES = {"bold": "\x1b[1m", "dim": "\x1b[2m", "cyan": "\x1b[36m", "yellow": "\x1b[1;33m"}


@dataclass(frozen=True, slots=True)
class TerminalStyle:
    """How to draw: with colour or not, and how many columns a line may take."""

    has_color: bool
    width: int

    @classmethod
    def for_stream(cls, stream: TextIO, no_color: bool) -> TerminalStyle:
        is_terminal = hasattr(stream, "isatty") and stream.isatty()
        return cls(is_terminal and not no_color, shutil.get_terminal_size((100, 24)).columns)

    def paint(self, text: str, style: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if self.has_color else text


def _preview(hit: Hit, lines: int) -> tuple[list[str], int]:
    """Up to ``lines`` code lines from the signature line on, and the first one's line number."""
    code_lines = _code_lines(hit.code)
    offset = 0
    if hit.signature:
        first_words = hit.signature.split("(")[0].strip()
        for index, line in enumerate(code_lines):
            if first_words and first_words in line:
                offset = index
                break
    return code_lines[offset : offset + lines], hit.start_line + offset


def _code_lines(code: str) -> list[str]:
    """The lines of ``code``, split at newlines only: ``str.splitlines`` also splits at a form feed or a
    vertical tab, which would number the lines after it wrongly; those are shown escaped instead."""
    lines = [line.removesuffix("\r") for line in code.split("\n")]
    return lines[:-1] if not lines[-1] else lines


def _crop(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def render_hits(hits: Sequence[Hit], style: TerminalStyle, *, code_lines: int = CODE_LINES_PER_HIT) -> str:
    """The text to print for ``hits``; a short note when there are none."""
    if not hits:
        return style.paint("no results", "dim") + "\n"
    out: list[str] = []
    for rank, hit in enumerate(hits, start=1):
        parts = [(f"{rank:>2}  ", "bold"), (f"{hit.score:6.3f}  ", "dim"),
                 *([(f"[{hit.repository}] ", "bold")] if hit.repository else []),
                 (f"{hit.path}:{hit.start_line}-{hit.end_line}", "cyan"), (f"  {hit.qualified_name}", "yellow"),
                 (f"  ({hit.language} {hit.kind})", "dim")]
        out.append(_line(parts, style))
        preview, first_line = _preview(hit, code_lines)
        number_width = len(str(first_line + max(0, len(preview) - 1)))
        for number, line in enumerate(preview, start=first_line):
            gutter = f"{number:>{number_width}} "
            shown = terminal_safe(line.expandtabs(4))
            out.append(style.paint(gutter, "dim") + _crop(shown, style.width - len(gutter)))
        out.append("")
    return "\n".join(out) + "\n"


def render_file_hits(files: Sequence[FileHit], style: TerminalStyle) -> str:
    """A file-level answer: one line per file, then one line per definition under it."""
    if not files:
        return style.paint("no results", "dim") + "\n"
    out: list[str] = []
    for rank, file_hit in enumerate(files, start=1):
        out.append(_line([(f"{rank:>2}  ", "bold"), (f"{file_hit.score:6.3f}  ", "dim"), (file_hit.path, "cyan"),
                          (f"  ({file_hit.language})", "dim")], style))
        for hit in file_hit.hits:
            out.append(_line([(f"      {hit.start_line:>5}-{hit.end_line:<5} ", "dim"),
                              (hit.qualified_name, "yellow"), (f"  ({hit.kind})", "dim")], style))
    return "\n".join(out) + "\n"


def _line(parts: Sequence[tuple[str, str]], style: TerminalStyle) -> str:
    """``parts`` (text, style) escaped, cut to the terminal width and painted."""
    room = style.width
    shown_parts = []
    for text, part_style in parts:
        shown = _crop(terminal_safe(text), room)
        shown_parts.append(style.paint(shown, part_style))
        room -= len(shown)
        if room <= 0:
            break
    return "".join(shown_parts)
