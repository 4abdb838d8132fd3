"""Rendering search hits for people in a terminal (used only by cli.py; the library stays rich-free).

Each hit is one header line (rank, score, ``path:start-end``, qualified name, kind) and a few lines
of its code from the signature on, syntax-highlighted, cut to the terminal width. rich's Console
honours NO_COLOR and turns colour off when stdout is not a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.syntax import Syntax
from rich.text import Text

from codesearch.records import Hit

CODE_LINES_PER_HIT = 4
_LEXERS = {"csharp": "csharp", "cpp": "cpp", "tsx": "tsx", "typescript": "typescript", "dockerfile": "docker",
           "makefile": "make"}


def _preview(hit: Hit, lines: int) -> tuple[str, int]:
    """Up to ``lines`` code lines from the signature line on, and the first one's line number."""
    code_lines = hit.code.splitlines()
    offset = 0
    if hit.signature:
        first_words = hit.signature.split("(")[0].strip()
        for index, line in enumerate(code_lines):
            if first_words and first_words in line:
                offset = index
                break
    return "\n".join(code_lines[offset : offset + lines]), hit.start_line + offset


def render_hits(console: Console, hits: Sequence[Hit], *, code_lines: int = CODE_LINES_PER_HIT) -> None:
    """Print ``hits`` to ``console``; a short note when there are none."""
    if not hits:
        console.print("no results", style="dim")
        return
    for rank, hit in enumerate(hits, start=1):
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(f"{rank:>2}  ", style="bold")
        header.append(f"{hit.score:6.3f}  ", style="dim")
        header.append(f"{hit.path}:{hit.start_line}-{hit.end_line}", style="cyan")
        header.append(f"  {hit.qualified_name}", style="bold yellow")
        header.append(f"  ({hit.language} {hit.kind})", style="dim")
        console.print(header, no_wrap=True, overflow="ellipsis", crop=True)
        preview, first_line = _preview(hit, code_lines)
        if preview:
            syntax = Syntax(preview, _LEXERS.get(hit.language, hit.language), line_numbers=True,
                            start_line=first_line, word_wrap=False, theme="ansi_dark",
                            code_width=max(20, console.width - 10), background_color="default")
            console.print(syntax, crop=True, overflow="ellipsis", no_wrap=True)
        console.print()
