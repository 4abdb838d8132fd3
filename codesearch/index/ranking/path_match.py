"""Path match: the query's words against the stem and folders of each candidate's file.

"how are websocket messages handled" is most often answered by ``websockets.py`` or a folder
``websocket/``. A word matches a path part when one is a prefix of the other and the shorter has
at least ``MIN_PREFIX`` characters (``auth`` ~ ``authentication``, ``route`` ~ ``routes``), after
both are reduced by ``word_root`` (``routing`` ~ ``route``). The stem counts fully, the two folders
nearest the file half. A file's bonus is ``path_match_bonus`` times the matched share of the
query's words, so one shared word among six moves a file less than the only word of a query.
"""

from __future__ import annotations

from collections.abc import Mapping

from codesearch.index.identifiers import tokenize_identifiers
from codesearch.index.ranking.candidates import CandidateHead, file_stem, folders
from codesearch.index.ranking.params import RankingParams
from codesearch.index.ranking.query_shape import QueryFacts

MIN_PREFIX = 4
FOLDER_WEIGHT = 0.5
NEAREST_FOLDERS = 2
# Words that describe code in general and would match every file named after them.
GENERIC_WORDS = frozenset({
    "code", "function", "functions", "method", "methods", "class", "classes", "implementation",
    "implement", "implemented", "logic", "handle", "handles", "handled", "handling", "work", "works",
    "used", "using", "use", "does", "done", "value", "values", "data", "type", "types", "object",
    "objects", "file", "files",
})
_SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "er", "ies", "es", "ed", "s")


def word_root(word: str) -> str:
    """A crude stem: one common English suffix off, keeping at least 3 letters.

    >>> word_root("routing"), word_root("handlers"), word_root("validation"), word_root("is")
    ('rout', 'handl', 'valid', 'is')
    """
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _matches(word: str, part: str) -> bool:
    if word == part:
        return True
    a, b = word_root(word), word_root(part)
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return (len(shorter) >= MIN_PREFIX and longer.startswith(shorter)) or (a == b and len(a) >= 3)


def path_parts(path: str) -> tuple[frozenset[str], frozenset[str]]:
    """The lower-case word parts of the stem, and of the nearest folders."""
    stem = frozenset(tokenize_identifiers(file_stem(path)))
    near = frozenset(t for folder in folders(path)[-NEAREST_FOLDERS:] for t in tokenize_identifiers(folder))
    return stem, near


def file_match(words: tuple[str, ...], path: str) -> float:
    """The matched share of ``words`` in ``path``: 1 per word found in the stem, FOLDER_WEIGHT in a folder."""
    if not words:
        return 0.0
    stem, near = path_parts(path)
    total = 0.0
    for word in words:
        if any(_matches(word, part) for part in stem):
            total += 1.0
        elif any(_matches(word, part) for part in near):
            total += FOLDER_WEIGHT
    return total / len(words)


def path_boosts(query: QueryFacts, heads: Mapping[int, CandidateHead], params: RankingParams) -> dict[int, float]:
    """``path_match_bonus`` times each candidate's file match, for descriptive (non-identifier) queries."""
    words = tuple(w for w in query.words if w not in GENERIC_WORDS)
    if query.is_identifier or not words:
        return {}
    by_path: dict[str, float] = {}
    boosts: dict[int, float] = {}
    for chunk_id, head in heads.items():
        if head.path not in by_path:
            by_path[head.path] = file_match(words, head.path)
        if by_path[head.path] > 0:
            boosts[chunk_id] = params.path_match_bonus * by_path[head.path]
    return boosts
