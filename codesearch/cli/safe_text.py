r"""Untrusted text made safe to print: what a terminal would act on is spelled out instead.

A checkout names its files and writes its code, and both reach the terminal through ``ask``, summaries,
log lines and error messages. A terminal acts on control characters: ``ESC ] 0 ;`` sets the window title,
``ESC [ 2 J`` clears the screen, a carriage return or a newline in a file name forges a line of output,
and the bidirectional overrides make code read differently from what it is ("Trojan Source",
CVE-2021-42574). So every such character is printed as its Python escape, ``\x1b`` or ``\u202e``:
visible, and as Python's ``repr`` shows it. Colour stays the CLI's own, added after escaping.

JSON output stays exact: ``json.dumps`` already escapes C0 controls inside strings; what it leaves raw
(DEL, C1 controls, bidi overrides, line separators, lone surrogates) is escaped as ``\uXXXX``, which
decodes to the same string.

>>> terminal_safe("evil\x1b[31mname.py")
'evil\\x1b[31mname.py'
>>> terminal_safe("new\nline.py"), terminal_safe("a\nb", keep_newlines=True)
('new\\nline.py', 'a\nb')
>>> json_safe('["\x9b2J\u202e"]')
'["\\u009b2J\\u202e"]'
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

# C0 and C1 controls and DEL, the bidi embeddings, overrides and isolates, the Unicode line and paragraph
# separators, and lone surrogates (which cannot even be written as UTF-8).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What json.dumps(ensure_ascii=False) leaves raw; only ever inside a string, where \uXXXX means the same.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def terminal_safe(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every character a terminal would act on written as its escape (tab included).

    ``keep_newlines`` for text whose lines are the CLI's own (a table, a summary); a path, a name or
    a message is one line, so a newline in it is escaped.
    """
    return (_UNSAFE_BUT_NEWLINE if keep_newlines else _UNSAFE).sub(_escape, text)


def json_safe(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with no raw control, bidi or surrogate."""
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def dumps_json(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text for stdout: UTF-8 kept readable, nothing a terminal would act on."""
    return json_safe(json.dumps(value, ensure_ascii=False, indent=indent))


class TerminalSafeFormatter(logging.Formatter):
    """Log lines on stderr: the message (which may quote a path or a query) escaped, one record a line."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = terminal_safe(record.message)
        return super().formatMessage(record)
