"""Identifier tokenisation: the one function that turns text into search terms, for BM25 and the path signals.

Documents and queries are tokenised alike, so a query term matches a document term exactly.
"""

from __future__ import annotations

import functools
import re

WORD = re.compile(r"\w+")
_ASCII_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def tokenize_identifiers(text: str) -> list[str]:
    """Split text into lower-cased search terms: identifier parts, then the identifiers themselves.

    Each word (a run of letters, digits and underscores) is split at underscores, at case changes
    and between letters and digits; the parts come first, then any underscore segment that split
    further, then the whole word unless it is already among them.

    >>> tokenize_identifiers("parseJSONConfig")
    ['parse', 'json', 'config', 'parsejsonconfig']
    >>> tokenize_identifiers("read_file_v2")
    ['read', 'file', 'v', '2', 'v2', 'read_file_v2']
    >>> tokenize_identifiers("HTTPServer.serve_forever()")
    ['http', 'server', 'httpserver', 'serve', 'forever', 'serve_forever']
    >>> tokenize_identifiers("Größe straße")
    ['größe', 'straße']
    """
    terms: list[str] = []
    for match in WORD.finditer(text):
        terms.extend(_word_terms(match.group()))
    return terms


@functools.lru_cache(maxsize=65536)
def _word_terms(word: str) -> tuple[str, ...]:
    segments = [segment for segment in word.split("_") if segment]
    split = [_split_segment(segment) for segment in segments]
    terms = [part.lower() for parts in split for part in parts]
    terms += [segment.lower() for segment, parts in zip(segments, split, strict=True) if len(parts) > 1]
    whole = word.lower()
    if whole not in terms:
        terms.append(whole)
    return tuple(terms)


def _split_segment(segment: str) -> list[str]:
    """Split an underscore-free word at case changes and letter/digit boundaries."""
    if segment.isascii():
        return _ASCII_PART.findall(segment)
    parts: list[str] = []
    start = 0
    for i in range(1, len(segment)):
        prev, cur = segment[i - 1], segment[i]
        following = segment[i + 1] if i + 1 < len(segment) else ""
        if (
            prev.isnumeric() != cur.isnumeric()
            or (not prev.isupper() and cur.isupper())
            or (prev.isupper() and cur.isupper() and following.islower())
        ):
            parts.append(segment[start:i])
            start = i
    parts.append(segment[start:])
    return parts
