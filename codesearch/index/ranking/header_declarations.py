"""Header declarations: a C or C++ header ranks below the source file that defines what it declares.

``connect.h`` repeats every name of ``connect.c`` (its prototypes), so both match a question about
connecting; the answer is the code, in the source file. When a header and a source file with the
same stem in the same folder are both candidates, the header's records lose
``header_declaration_penalty``. A header without such a sibling (header-only libraries, templates,
inline code) keeps its score: it holds the code. Queries that ask for declarations ("header",
"prototype", "declaration") keep headers as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import PurePosixPath

from codesearch.index.ranking.candidates import CandidateHead
from codesearch.index.ranking.params import RankingParams
from codesearch.index.ranking.query_shape import QueryFacts

HEADER_SUFFIXES = frozenset({".h", ".hh", ".hpp", ".hxx", ".h++"})
SOURCE_SUFFIXES = frozenset({".c", ".cc", ".cpp", ".cxx", ".c++", ".m", ".mm"})
_DECLARATION_WORDS = frozenset({"header", "headers", "prototype", "prototypes", "declaration", "declarations",
                                "declare", "declared", "declares", "api", "interface"})


@functools.lru_cache(maxsize=1 << 16)  # pure, and called per candidate per query
def _folder_and_stem(path: str) -> tuple[str, str, str]:
    pure = PurePosixPath(path)
    return str(pure.parent), pure.stem.lower(), pure.suffix.lower()


def header_penalties(query: QueryFacts, heads: Mapping[int, CandidateHead],
                     params: RankingParams) -> dict[int, float]:
    """``-header_declaration_penalty`` for each record of a header whose sibling source is a candidate.

    >>> from codesearch.index.ranking.query_shape import query_facts
    >>> heads = {1: CandidateHead(1, "lib/connect.h", "connect", "connect", "function"),
    ...          2: CandidateHead(2, "lib/connect.c", "connect", "connect", "function"),
    ...          3: CandidateHead(3, "lib/hash.h", "hash", "hash", "function")}
    >>> header_penalties(query_facts("how a connection is opened"), heads, RankingParams())
    {1: -0.75}
    """
    if frozenset(query.words) & _DECLARATION_WORDS:
        return {}
    sources = set()
    headers: list[tuple[int, tuple[str, str]]] = []
    for chunk_id, head in heads.items():
        folder, stem, suffix = _folder_and_stem(head.path)
        if suffix in SOURCE_SUFFIXES:
            sources.add((folder, stem))
        elif suffix in HEADER_SUFFIXES:
            headers.append((chunk_id, (folder, stem)))
    return {chunk_id: -params.header_declaration_penalty for chunk_id, key in headers if key in sources}
