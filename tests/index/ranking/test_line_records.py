"""Definitions first: line records yield to definitions for questions in words, and inside their file."""

from __future__ import annotations

from codesearch.index.ranking import RankingInputs, RankingParams, fuse
from codesearch.index.ranking.candidates import FusedCandidate
from codesearch.index.ranking.line_records import definitions_first, line_record_penalties
from codesearch.index.ranking.query_shape import query_facts
from tests.index.ranking.helpers import heads

FOUND = heads((1, "chunk.js", "", "block"), (2, "chunk.js", "chunk"), (3, "index.js", "", "imports"),
              (4, "other.js", "drop"), (5, "README.md", "## Chunk", "section"))


def test_blocks_and_imports_lose_for_a_question_in_words_only() -> None:
    params = RankingParams(line_record_penalty=0.5, imports_record_penalty=1.0)
    assert line_record_penalties(query_facts("split an array into chunks"), FOUND, params) == {1: -0.5, 3: -1.0}
    assert line_record_penalties(query_facts("chunkArray"), FOUND, params) == {}  # a symbol query: every site


def test_a_file_keeps_its_ranks_and_puts_its_definition_first() -> None:
    ranked = [FusedCandidate(1, 5.0, 1, 1), FusedCandidate(4, 4.0, 2, 2), FusedCandidate(5, 3.0, 3, 3),
              FusedCandidate(2, 2.0, 4, 4), FusedCandidate(3, 1.0, 5, 5)]
    reordered = definitions_first(ranked, FOUND)
    assert [c.chunk_id for c in reordered] == [2, 4, 5, 1, 3]
    assert [c.score for c in reordered] == [5.0, 4.0, 3.0, 2.0, 1.0]  # scores stay with the ranks
    files = [FOUND[c.chunk_id].path for c in ranked]
    assert [FOUND[c.chunk_id].path for c in reordered] == files  # no file-level answer moves
    assert (reordered[0].dense_rank, reordered[3].dense_rank) == (4, 1)  # each keeps its own retriever ranks


def test_both_rules_in_fuse_and_their_switches() -> None:
    # The block of chunk.js is the best match of both retrievers; the definition is close behind.
    inputs = RankingInputs(dense=((1, 0.62), (4, 0.60), (2, 0.58), (3, 0.40)),
                           lexical=((1, 9.0), (2, 8.0), (4, 7.5), (3, 1.0)), heads=FOUND)
    query = query_facts("split an array into chunks")

    def order(**switches: bool) -> list[int]:
        off = dict(term_coverage=False, path_match=False, path_priors=False, file_coherence=False,
                   diversity=False, definitions=False)
        return [c.chunk_id for c in fuse(inputs, RankingParams(**{**off, **switches}), query)]

    assert order(line_record_demotion=False, definitions_first=False)[0] == 1
    assert order(line_record_demotion=False, definitions_first=True)[:2] == [2, 4]  # chunk.js keeps rank 1
    assert order(line_record_demotion=True, definitions_first=False)[0] != 1
