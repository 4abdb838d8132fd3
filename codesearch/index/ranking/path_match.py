"""Path match: the query's words against the stem and folders of each candidate's file.

"how are websocket messages handled" is most often answered by ``websockets.py`` or a folder
``websocket/``. A word matches a path part when one is a prefix of the other and the shorter has
at least ``MIN_PREFIX`` characters (``auth`` ~ ``authentication``, ``route`` ~ ``routes``), after
both are reduced by ``word_root`` (``routing`` ~ ``route``). The stem counts fully, the two folders
nearest the file half. A file's bonus is ``path_match_bonus`` times the matched share of the
query's words, so one shared word among six moves a file less than the only word of a query.
A word found in the paths of more than half of the candidate files (the project's own folder,
``tearoom`` in ``tearoom/*.py``) tells no file apart and matches none.
"""

from __future__ import annotations

import functools
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


MIN_FILES_FOR_SHARE = 4  # with fewer candidate files a share says little
MAX_SHARED_FILES = 0.5  # a word in more of the candidate files' paths than this share matches none


@functools.lru_cache(maxsize=1 << 16)  # pure, and called per candidate per query
def word_root(word: str) -> str:
    """A crude stem: one common English suffix off, keeping at least 3 letters.

    >>> word_root("routing"), word_root("handlers"), word_root("validation"), word_root("is")
    ('rout', 'handl', 'valid', 'is')
    """
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=1 << 16)  # pure, and called per candidate per query
def _matches(word: str, part: str) -> bool:
    if word == part:
        return True
    a, b = word_root(word), word_root(part)
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return (len(shorter) >= MIN_PREFIX and longer.startswith(shorter)) or (a == b and len(a) >= 3)


@functools.lru_cache(maxsize=1 << 16)  # pure, and called per candidate per query
def path_parts(path: str) -> tuple[frozenset[str], frozenset[str]]:
    """The lower-case word parts of the stem, and of the nearest folders."""
    stem = frozenset(tokenize_identifiers(file_stem(path)))
    near = frozenset(t for folder in folders(path)[-NEAREST_FOLDERS:] for t in tokenize_identifiers(folder))
    return stem, near


@functools.lru_cache(maxsize=1 << 16)  # pure, and called per candidate per query
def word_matches(words: tuple[str, ...], path: str) -> tuple[float, ...]:
    """Per word of ``words``: 1 if found in ``path``'s stem, FOLDER_WEIGHT in a near folder, else 0."""
    stem, near = path_parts(path)
    return tuple(1.0 if any(_matches(word, part) for part in stem)
                 else FOLDER_WEIGHT if any(_matches(word, part) for part in near) else 0.0
                 for word in words)


def file_match(words: tuple[str, ...], path: str) -> float:
    """The matched share of ``words`` in ``path``: 1 per word found in the stem, FOLDER_WEIGHT in a folder."""
    return sum(word_matches(words, path)) / len(words) if words else 0.0


def path_boosts(query: QueryFacts, heads: Mapping[int, CandidateHead], params: RankingParams) -> dict[int, float]:
    """``path_match_bonus`` times each candidate's file match, for descriptive (non-identifier) queries."""
    words = tuple(w for w in query.words if w not in GENERIC_WORDS)
    if query.is_identifier or not words:
        return {}
    per_file = {path: word_matches(words, path) for path in {head.path for head in heads.values()}}
    informative = _informative(words, per_file)
    by_path = {path: sum(m for m, keep in zip(matches, informative, strict=True) if keep) / len(words)
               for path, matches in per_file.items()}
    return {chunk_id: params.path_match_bonus * by_path[head.path]
            for chunk_id, head in heads.items() if by_path[head.path] > 0}


def _informative(words: tuple[str, ...], per_file: Mapping[str, tuple[float, ...]]) -> list[bool]:
    """False for a word found in the paths of most candidate files (``tearoom`` in ``tearoom/*.py``):
    it names the project or a folder everything is in, and tells no file from another."""
    if len(per_file) < MIN_FILES_FOR_SHARE:
        return [True] * len(words)
    return [sum(1 for matches in per_file.values() if matches[i] > 0) <= MAX_SHARED_FILES * len(per_file)
            for i in range(len(words))]
