"""Untrusted text made safe to print: every character a terminal acts on is spelled out; JSON stays exact."""

from __future__ import annotations

import doctest
import io
import json
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from codesearch.cli import safe_text
from codesearch.cli.safe_text import TerminalSafeFormatter, dumps_json, terminal_safe

CONTROLS = [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))]
BIDI = [chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
UNSAFE = [*CONTROLS, *BIDI, "\u2028", "\u2029", "\ud800", "\udcff"]
ATTACKS = ["\x1b]0;pwned\x07", "\x1b[2J", "\x1b[31m", "\x9b2J", "\u202eevil", "a\rforged", "line\nforged"]


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(safe_text)
    assert result.attempted >= 3 and result.failed == 0


def test_every_unsafe_character_is_spelled_out() -> None:
    for char in UNSAFE:
        shown = terminal_safe(f"a{char}b")
        assert char not in shown and shown.startswith("a\\") and shown.endswith("b"), repr(char)
    assert terminal_safe("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07"
    assert terminal_safe("tab\there\r\n") == "tab\\there\\r\\n"
    assert terminal_safe("\u202e\x9b") == "\\u202e\\x9b"


def test_ordinary_text_is_untouched_and_newlines_kept_when_asked() -> None:
    text = "naïve café 中文 😀 [bold]x[/bold] [link=https://e] \\x1b"  # a backslash is no control
    assert terminal_safe(text) == text
    assert terminal_safe("a\nb\x1b", keep_newlines=True) == "a\nb\\x1b"


@settings(max_examples=300, derandomize=True)
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=40) | st.lists(
    st.sampled_from([*UNSAFE, *ATTACKS, "x", "é", "\\"]), max_size=12).map("".join))
def test_json_stays_exact_and_holds_nothing_unsafe(text: str) -> None:
    value = {"path": text, "hits": [text, 1, None]}
    dumped = dumps_json(value, indent=1)
    assert json.loads(dumped) == value  # the same strings, lone surrogates included
    assert not any(char in dumped for char in UNSAFE if char != "\n")  # indent=1's own newlines only
    assert all(char not in terminal_safe(text) for char in UNSAFE)


def test_log_lines_escape_the_message() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TerminalSafeFormatter("codesearch: %(levelname)s: %(message)s"))
    logger = logging.getLogger("tests.safe_text")
    logger.addHandler(handler)
    try:
        logger.warning("skipped %s: %s", "evil\x1b]0;t\x07\ncodesearch: ERROR: forged.py", "binary")
    finally:
        logger.removeHandler(handler)
    forged = "evil\\x1b]0;t\\x07\\ncodesearch: ERROR: forged.py"
    assert stream.getvalue() == f"codesearch: WARNING: skipped {forged}: binary\n"
