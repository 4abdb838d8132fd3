"""Terminal rendering of hits: plain text when piped, ANSI colour only for terminals, cut to the width."""

from __future__ import annotations

import io

from codesearch.cli.terminal import TerminalStyle, render_hits
from codesearch.records import Hit

CODE = '@cache\ndef load(path):\n    """Load it."""\n\twith open(path) as handle:\n        return json.load(handle)\n'


def hit(**changes: object) -> Hit:
    fields: dict[str, object] = {
        "path": "pkg/config.py", "start_line": 9, "end_line": 13, "name": "load", "qualified_name": "Config.load",
        "kind": "method", "language": "python", "score": 0.4213, "signature": "def load(path):",
        "docstring_summary": "Load it.", "code": CODE, "dense_rank": 1, "lexical_rank": 2,
    }
    fields.update(changes)
    return Hit(**fields)  # type: ignore[arg-type]


def test_plain_output_has_header_and_numbered_code_from_the_signature() -> None:
    text = render_hits([hit()], TerminalStyle(has_color=False, width=100))
    lines = text.splitlines()
    assert lines[0] == " 1   0.421  pkg/config.py:9-13  Config.load  (python method)"
    assert lines[1:5] == ["10 def load(path):", '11     """Load it."""', "12     with open(path) as handle:",
                          "13         return json.load(handle)"]
    assert "\x1b[" not in text


def test_colour_only_when_asked_and_lines_cut_to_the_width() -> None:
    coloured = render_hits([hit()], TerminalStyle(has_color=True, width=100))
    assert "\x1b[36mpkg/config.py:9-13\x1b[0m" in coloured
    narrow = render_hits([hit(path="a/very/long/path/" * 5 + "config.py")], TerminalStyle(has_color=False, width=40))
    assert all(len(line) <= 40 for line in narrow.splitlines()) and "…" in narrow


def test_no_results_and_streams_that_are_not_terminals() -> None:
    assert render_hits([], TerminalStyle(has_color=False, width=80)) == "no results\n"
    assert not TerminalStyle.for_stream(io.StringIO(), no_color=False).has_color
