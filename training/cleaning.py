"""Cleaning a pair list: exact and near-duplicate removal, and length limits.

Two functions are near-duplicates when they are equal once comments and all whitespace are gone
(a reformatted or re-commented copy, a vendored file, a fork). Duplicates would be false negatives
inside a batch and would leak between the training and validation splits, so only the first of
each group is kept.

>>> normalized_code("x = 1  # one\\ny = 2", "python") == normalized_code("x=1\\n\\ny=2", "python")
True
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from codesearch.evaluation.pairs import Pair

_HASH_COMMENT = re.compile(r"#[^\n]*")
_SLASH_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_WHITESPACE = re.compile(r"\s+")
_HASH_LANGUAGES = frozenset({"python", "ruby"})


@dataclass(frozen=True, slots=True)
class LengthLimits:
    """Bounds a pair must meet; lines count non-blank lines."""

    min_query_words: int = 3
    max_query_words: int = 256
    min_code_lines: int = 3
    max_code_lines: int = 400
    max_code_chars: int = 20_000


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The pairs kept, and how many each rule removed."""

    pairs: tuple[Pair, ...]
    exact_duplicates: int
    near_duplicates: int
    out_of_limits: int


def normalized_code(code: str, language: str) -> str:
    """``code`` without comments and whitespace (string contents may lose a ``#`` or ``//`` tail too:
    the result is only ever compared, never run)."""
    text = _HASH_COMMENT.sub("", code) if language in _HASH_LANGUAGES else _SLASH_COMMENTS.sub("", code)
    if language == "php":
        text = _HASH_COMMENT.sub("", text)
    return _WHITESPACE.sub("", text)


def code_hash(code: str, language: str) -> str:
    """sha256 hex of the normalised code: equal for near-duplicates."""
    return hashlib.sha256(normalized_code(code, language).encode("utf-8")).hexdigest()


def is_within_limits(pair: Pair, limits: LengthLimits) -> bool:
    """Whether ``pair``'s query words and code lines and characters are within ``limits``."""
    words = len(pair.query.split())
    if not limits.min_query_words <= words <= limits.max_query_words:
        return False
    if len(pair.code) > limits.max_code_chars:
        return False
    lines = sum(1 for line in pair.code.splitlines() if line.strip())
    return limits.min_code_lines <= lines <= limits.max_code_lines


def clean_pairs(pairs: Sequence[Pair], limits: LengthLimits) -> Cleaned:
    """Drop pairs outside ``limits``, then every exact or near copy of an earlier pair's code."""
    exact_seen: set[str] = set()
    near_seen: set[str] = set()
    kept: list[Pair] = []
    exact = near = out_of_limits = 0
    for pair in pairs:
        if not is_within_limits(pair, limits):
            out_of_limits += 1
            continue
        raw = hashlib.sha256(f"{pair.language}\0{pair.code}".encode()).hexdigest()
        normal = f"{pair.language}\0{code_hash(pair.code, pair.language)}"
        if raw in exact_seen:
            exact += 1
        elif normal in near_seen:
            near += 1
        else:
            kept.append(pair)
        exact_seen.add(raw)
        near_seen.add(normal)
    return Cleaned(tuple(kept), exact, near, out_of_limits)
