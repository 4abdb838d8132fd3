"""Terminal rendering of hits: plain text when piped, ANSI colour only for terminals, cut to the width,
and nothing from the checkout (paths, names, code) that a terminal would act on."""

from __future__ import annotations

import io

from codesearch.cli.summaries import render_extraction_summary, render_status
from codesearch.cli.terminal import TerminalStyle, render_file_hits, render_hits
from codesearch.indexer.status import IndexStatus
from codesearch.records import ExtractionSummary, FileHit, Hit, SkippedFile

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


EVIL_PATH = "evil\x1b]0;pwned\x07\nname\u202e.py"
EVIL_CODE = 'def load(path):\n    print("\x1b[2J\x9b2J")\n\x0c\n    return "\x1b[31mred"\n'
OWN_ESCAPES = ("\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[1;33m", "\x1b[0m")  # the colours the CLI paints


def without_own_colours(text: str) -> str:
    for escape in OWN_ESCAPES:
        text = text.replace(escape, "")
    return text


def test_paths_names_and_code_from_the_checkout_are_escaped_and_colours_kept() -> None:
    evil = hit(path=EVIL_PATH, qualified_name="[bold]x\x1b[2J", repository="r\x1b", code=EVIL_CODE)
    for has_color in (True, False):
        text = render_hits([evil], TerminalStyle(has_color=has_color, width=200))
        assert "\x1b" not in without_own_colours(text) and "\u202e" not in text and "\x9b" not in text
        lines = without_own_colours(text).splitlines()
        assert lines[0] == (" 1   0.421  [r\\x1b] evil\\x1b]0;pwned\\x07\\nname\\u202e.py:9-13"
                            "  [bold]x\\x1b[2J  (python method)")
        # A form feed is no line break: the numbers stay the file's (str.splitlines would add a line).
        assert lines[1:5] == [" 9 def load(path):", '10     print("\\x1b[2J\\x9b2J")', "11 \\x0c",
                              '12     return "\\x1b[31mred"']
    coloured = render_hits([evil], TerminalStyle(has_color=True, width=200))
    assert "\x1b[36mevil\\x1b]0;pwned" in coloured


def test_file_answers_are_escaped_too() -> None:
    evil = hit(path=EVIL_PATH, qualified_name="x\ry")
    text = render_file_hits([FileHit(EVIL_PATH, "python", 0.5, (evil,))], TerminalStyle(has_color=True, width=200))
    assert "\x1b" not in without_own_colours(text) and "\r" not in text and "evil\\x1b]0;pwned" in text
    assert len(text.splitlines()) == 2


def test_summaries_and_status_escape_what_they_quote() -> None:
    failure = SkippedFile("gone\x1b[2J\n.py", "unreadable", "Permission denied\x07")
    summary = ExtractionSummary((("python", 1),), 1, (), (), (failure,), 0.1)
    lines = render_extraction_summary(summary).splitlines()
    assert lines[-1] == "  failed: gone\\x1b[2J\\n.py: unreadable: Permission denied\\x07"
    status = IndexStatus(index_dir="/i\x1b]0;t\x07", repo_root="/r\n", model_id="m\u202e", model_hash="0" * 64,
                         dim=384, files=1, chunks=1, live_vectors=1, embedded_chunks=1, size_bytes=1,
                         updated_at_s=0.0, stale_new=0, stale_modified=0, stale_deleted=0)
    text = render_status(status)
    assert "\x1b" not in text and "\u202e" not in text and len(text.splitlines()) == 8
    assert "/i\\x1b]0;t\\x07" in text and "/r\\n" in text
