"""Members first: a class yields its file's ranks to the candidates inside it, for a question in words."""

from __future__ import annotations

from codesearch.index.ranking import CandidateHead, RankingInputs, RankingParams, fuse
from codesearch.index.ranking.candidates import FusedCandidate
from codesearch.index.ranking.members_first import members_first
from codesearch.index.ranking.query_shape import query_facts

FOUND = {
    1: CandidateHead(1, "BigDecimal.php", "BigDecimal", "BigDecimal", "class", 17, 900),
    2: CandidateHead(2, "BigInteger.php", "mod", "BigInteger.mod", "method", 580, 600),
    3: CandidateHead(3, "BigDecimal.php", "ofUnscaledValue", "BigDecimal.ofUnscaledValue", "method", 77, 96),
    4: CandidateHead(4, "helpers.js", "outer", "outer", "function", 1, 40),
    5: CandidateHead(5, "helpers.js", "inner", "inner", "function", 10, 20),
    6: CandidateHead(6, "BigDecimal.php", "", "BigDecimal.php:1-16", "block", 1, 16),
}


def test_a_class_moves_after_its_member_inside_the_ranks_its_file_holds() -> None:
    ranked = [FusedCandidate(1, 5.0, 1, 1), FusedCandidate(2, 4.0, 2, 2), FusedCandidate(3, 3.0, 3, 3)]
    reordered = members_first(ranked, FOUND)
    assert [c.chunk_id for c in reordered] == [3, 2, 1]
    assert [c.score for c in reordered] == [5.0, 4.0, 3.0]
    assert [FOUND[c.chunk_id].path for c in reordered] == [FOUND[c.chunk_id].path for c in ranked]


def test_a_function_around_a_nested_one_and_a_class_without_members_keep_their_place() -> None:
    nested = [FusedCandidate(4, 5.0, 1, 1), FusedCandidate(5, 4.0, 2, 2)]
    assert [c.chunk_id for c in members_first(nested, FOUND)] == [4, 5]  # a closure's outer function is the answer
    alone = [FusedCandidate(1, 5.0, 1, 1), FusedCandidate(6, 4.0, 2, 2)]  # a block beside the class is not inside it
    assert [c.chunk_id for c in members_first(alone, FOUND)] == [1, 6]


def test_in_fuse_a_sentence_gets_the_member_and_a_symbol_query_the_class() -> None:
    inputs = RankingInputs(dense=((1, 0.70), (3, 0.66), (2, 0.50)), lexical=((1, 9.0), (3, 8.0), (2, 1.0)),
                           heads=FOUND)
    off = dict(term_coverage=False, path_match=False, path_priors=False, file_coherence=False, diversity=False,
               definitions=False)

    def first(query: str, on: bool) -> int:
        return fuse(inputs, RankingParams(**off, members_first=on), query_facts(query))[0].chunk_id

    assert first("create a decimal from an unscaled value and a scale", True) == 3
    assert first("create a decimal from an unscaled value and a scale", False) == 1
    assert first("BigDecimal", True) == 1
