"""Definitions: identifiers in the query lift the chunks that define them and the files named after them.

A symbol query (``StrSplit``) or a code-shaped word inside a sentence ("how does StrSplit treat
empty input") most often asks for the place that defines that name. Names and file stems are
compared by ``name_key``, so ``StrSplit`` finds ``str_split.h`` and ``str_split``. The search looks
such chunks up in the whole index (they may be in neither retriever's list); this signal only
scores the candidates it is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from codesearch.index.ranking.candidates import CandidateHead, file_stem, is_definition, name_key
from codesearch.index.ranking.params import RankingParams
from codesearch.index.ranking.query_shape import QueryFacts

_QUALIFIER = re.compile(r"\.|::|#|->")


def symbol_names(query: QueryFacts) -> tuple[str, ...]:
    """The last part of each symbol as typed (``Loader.load`` -> ``load``), for a lookup by name."""
    names = (_QUALIFIER.split(symbol)[-1] for symbol in query.symbols)
    return tuple(dict.fromkeys(name for name in names if len(name) > 1))


def symbol_keys(query: QueryFacts) -> frozenset[str]:
    """The ``name_key`` of each symbol's last part (``Loader.load`` -> ``load``), ignoring one-letter names."""
    keys = {name_key(_QUALIFIER.split(symbol)[-1]) for symbol in query.symbols}
    return frozenset(key for key in keys if len(key) > 1)


def stem_keys(query: QueryFacts) -> frozenset[str]:
    """The keys a file stem may match: each symbol whole and by its last part (``str_split``, ``Loader``)."""
    keys = {name_key(part) for symbol in query.symbols for part in _QUALIFIER.split(symbol)}
    return frozenset(key for key in keys if len(key) > 1)


def definition_boosts(query: QueryFacts, heads: Mapping[int, CandidateHead], params: RankingParams) -> dict[int, float]:
    """The bonus of each candidate: ``definition_bonus`` for a definition named by a symbol of the
    query, plus ``stem_bonus`` for every chunk of a file whose stem a symbol names."""
    names = symbol_keys(query)
    stems = stem_keys(query)
    if not names:
        return {}
    boosts: dict[int, float] = {}
    for chunk_id, head in heads.items():
        bonus = 0.0
        if is_definition(head) and name_key(head.name) in names:
            bonus += params.definition_bonus
        if name_key(file_stem(head.path)) in stems:
            bonus += params.stem_bonus
        if bonus:
            boosts[chunk_id] = bonus
    return boosts
