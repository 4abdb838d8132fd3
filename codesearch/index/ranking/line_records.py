"""Definitions first: a line record answers only when it is the better answer.

Line records (code between definitions: ``block`` and ``imports``) make every line of a file
searchable, which file-level answers need (a file of constants, a module's wiring). A question
about behaviour, though, is answered by the function that does it, and a block often repeats its
words: ``export default chunk`` beside ``function chunk``, the imports of the modules a function
uses. Two rules, each with its switch in RankingParams:

- ``line_record_penalty``: for a question in words (not a symbol query), a block loses
  ``line_record_penalty`` and an imports record ``imports_record_penalty`` z-units, so the
  definitions of other files come first when they are near. Text records (Markdown sections,
  windows of text files) have their own prior in path_priors.py.
- ``definitions_first``: within the ranks one file holds, its definitions come before its line
  records, in their own order. A file keeps exactly the ranks it had, so no file-level answer moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from codesearch.index.ranking.candidates import CandidateHead, FusedCandidate, reorder_within_files
from codesearch.index.ranking.params import RankingParams
from codesearch.index.ranking.query_shape import QueryFacts
from codesearch.records import BLOCK, IMPORTS


def line_record_penalties(query: QueryFacts, heads: Mapping[int, CandidateHead],
                          params: RankingParams) -> dict[int, float]:
    """``-penalty`` for each block and imports record, unless the query names code.

    >>> from codesearch.index.ranking.query_shape import query_facts
    >>> heads = {1: CandidateHead(1, "a.js", "", "a.js:1-2", "block"),
    ...          2: CandidateHead(2, "a.js", "chunk", "chunk", "function"),
    ...          3: CandidateHead(3, "b.js", "", "b.js:1-3", "imports")}
    >>> line_record_penalties(query_facts("split an array into chunks"), heads, RankingParams())
    {1: -0.5, 3: -1.0}
    >>> line_record_penalties(query_facts("chunkArray"), heads, RankingParams())
    {}
    """
    if query.is_identifier:
        return {}
    penalty = {BLOCK: params.line_record_penalty, IMPORTS: params.imports_record_penalty}
    return {chunk_id: -penalty[head.kind] for chunk_id, head in heads.items() if head.kind in penalty}


def definitions_first(ranked: Sequence[FusedCandidate], heads: Mapping[int, CandidateHead]) -> list[FusedCandidate]:
    """``ranked`` with each file's definitions moved ahead of its line records, inside the ranks
    the file already holds; a moved candidate takes the score of the rank it lands on.

    >>> heads = {1: CandidateHead(1, "a.js", "", "a.js:9", "block"), 2: CandidateHead(2, "b.js", "g", "g", "function"),
    ...          3: CandidateHead(3, "a.js", "f", "f", "function")}
    >>> ranked = [FusedCandidate(1, 3.0, 1, 1), FusedCandidate(2, 2.0, 2, 2), FusedCandidate(3, 1.0, 3, 3)]
    >>> [(c.chunk_id, c.score) for c in definitions_first(ranked, heads)]
    [(3, 3.0), (2, 2.0), (1, 1.0)]
    """
    def lines_last(held: Sequence[FusedCandidate]) -> list[FusedCandidate]:
        return sorted(held, key=lambda c: heads[c.chunk_id].kind in (BLOCK, IMPORTS))  # stable: score order kept

    return reorder_within_files(ranked, heads, lines_last)
