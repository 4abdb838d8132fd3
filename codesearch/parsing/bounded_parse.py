"""Parsing untrusted source with tree-sitter under a deadline, safe from invalid UTF-8.

tree-sitter 0.26 can only cancel a parse whose source is a callable (it ignores the progress
callback for plain bytes), so the bytes are handed over in slices and the callback gives up at
the deadline. Invalid UTF-8 is replaced, byte for byte, before parsing: query predicates
(``#match?``) decode node text strictly, and on invalid UTF-8 py-tree-sitter raises SystemError
(bytes source) or crashes the process (callable source). Offsets are unchanged, so callers slice
names and code from their original bytes.
"""

from __future__ import annotations

import codecs
import time
from typing import TYPE_CHECKING

from codesearch.parsing.languages import LanguageSpec
from codesearch.parsing.queries import parser_for

if TYPE_CHECKING:
    from tree_sitter import Tree

_READ_BYTES = 4096  # per read: query predicates read node text through the callable too
_SAME_LENGTH = "codesearch.same_length"


def _same_length_replacement(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return "?" * (error.end - error.start), error.end


codecs.register_error(_SAME_LENGTH, _same_length_replacement)


def parse_before(source: bytes, language: LanguageSpec, deadline: float) -> Tree | None:
    """The syntax tree of ``source``, or None when parsing ran past ``deadline`` (time.monotonic)."""
    parser = parser_for(language)
    text = valid_utf8(source)

    def read(byte_offset: int, point: object) -> bytes:
        return text[byte_offset : byte_offset + _READ_BYTES]

    def is_too_late(byte_offset: int, has_error: bool) -> bool:
        return time.monotonic() > deadline

    try:
        tree = parser.parse(read, progress_callback=is_too_late)
    except ValueError:  # "Parsing failed": the callback cancelled it
        parser.reset()  # else the next parse would resume this one
        if time.monotonic() > deadline:
            return None
        raise
    return tree


def valid_utf8(source: bytes) -> bytes:
    """``source`` with each byte of an invalid UTF-8 sequence replaced by "?": ``b"a\\xffb"`` -> ``b"a?b"``."""
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return source.decode("utf-8", _SAME_LENGTH).encode("utf-8")
    return source
