"""What a query looks like: an identifier, a sentence with identifiers in it, and its content words.

Signals read these facts, never the raw text, so every signal agrees on what a "symbol" or a
"word" of the query is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codesearch.index.stopwords import is_stopword

_IDENTIFIER_QUERY = re.compile(r"^[A-Za-z_$][\w$]*(?:(?:\.|::|#|->)[A-Za-z_$][\w$]*)*\(?\)?$")
_TOKEN = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::|#|->)[A-Za-z_$][\w$]*)*(?:\(\))?")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
MIN_WORD_CHARS = 3


@dataclass(frozen=True, slots=True)
class QueryFacts:
    """The query as the ranking signals see it."""

    text: str
    is_identifier: bool  # the whole query names code (``parseConfig``, ``Store.open``)
    symbols: tuple[str, ...]  # identifiers named in it: the whole query, or code-shaped words of a sentence
    words: tuple[str, ...]  # lower-case content words (no function words, >= MIN_WORD_CHARS letters)


def is_identifier_like(query: str) -> bool:
    """True for a query that names code rather than describing it.

    >>> is_identifier_like("parseConfig"), is_identifier_like("Store.open"), is_identifier_like("parse json")
    (True, True, False)
    >>> is_identifier_like("load_config()"), is_identifier_like("parse")
    (True, False)
    """
    text = query.strip()
    if not _IDENTIFIER_QUERY.match(text):
        return False
    # A plain lower-case word ("parse") is as much English as code: only mixed case, separators
    # or underscores make it an identifier. A lone capitalised word (``Place``) names a type.
    return _has_code_marks(text) or text != text.lower()


def _has_code_marks(token: str) -> bool:
    return any(mark in token for mark in ("_", ".", "::", "#", "->", "("))


def _is_code_shaped(token: str) -> bool:
    """Inside a sentence a capital at the start is English ("Parse the file"); a capital further in
    (parseConfig, HTTPServer, StrSplit) or a separator makes a word code."""
    return _has_code_marks(token) or token[1:] != token[1:].lower()


def identifier_text(query: str) -> str:
    """The identifier an identifier-like query names: ``Store.open()`` -> ``Store.open``."""
    return query.strip().rstrip("()")


def embedded_symbols(query: str) -> tuple[str, ...]:
    """Code-shaped words inside a sentence: ``how does StrSplit handle empty input`` -> ``StrSplit``.

    >>> embedded_symbols("where is parse_config called from Loader.load()")
    ('parse_config', 'Loader.load')
    >>> embedded_symbols("Parse the config file, e.g. settings.toml")
    ('settings.toml',)
    """
    found = [identifier_text(m.group()) for m in _TOKEN.finditer(query)]
    # "e.g." is not code: a symbol needs a part of two characters or more.
    symbols = [token for token in found
               if _is_code_shaped(token.rstrip(".")) and max(map(len, re.split(r"\W+", token))) > 1]
    return tuple(dict.fromkeys(token.rstrip(".") for token in symbols))


def content_words(query: str) -> tuple[str, ...]:
    """Distinct lower-case words of the query that carry meaning (function words and short ones left out).

    >>> content_words("How are the URL routes registered?")
    ('url', 'routes', 'registered')
    """
    words = (w.lower() for w in _WORD.findall(query))
    return tuple(dict.fromkeys(w for w in words if len(w) >= MIN_WORD_CHARS and not is_stopword(w)))


def query_facts(query: str) -> QueryFacts:
    """Everything the signals need to know about ``query``."""
    text = query.strip()
    if is_identifier_like(text):
        return QueryFacts(text, True, (identifier_text(text),), content_words(text))
    return QueryFacts(text, False, embedded_symbols(text), content_words(text))
