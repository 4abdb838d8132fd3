"""Members first: for a question in words, a definition ranks after the candidates it encloses.

A class chunk holds the text of all its methods, so it matches most questions about any one of
them, and the file-level signals (file coherence, path match, a stem the query names) lift it as
the file's best chunk. "Creates a BigDecimal from an unscaled value" is answered by the factory
method, not by the 900-line class around it. So, within the ranks one file holds, a definition
moves after the candidates that lie inside its lines, in their own order, for a sentence query; a
symbol query (``BigDecimal``) keeps the class first. Like ``definitions_first`` a file keeps
exactly the ranks it had, so no file-level answer moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from codesearch.index.ranking.candidates import CandidateHead, FusedCandidate, is_definition, reorder_within_files

# Only a type encloses its answers: a function around a nested helper is still the thing asked
# about (a closure, an OCaml ``let ... in``): docs/quality.md "Ranking constants".
CONTAINER_KINDS = frozenset({"class"})


def _encloses(outer: CandidateHead, inner: CandidateHead) -> bool:
    return (outer.chunk_id != inner.chunk_id and outer.start_line > 0
            and outer.start_line <= inner.start_line and inner.end_line <= outer.end_line
            and (outer.start_line, outer.end_line) != (inner.start_line, inner.end_line))


def members_first(ranked: Sequence[FusedCandidate], heads: Mapping[int, CandidateHead]) -> list[FusedCandidate]:
    """``ranked`` with each enclosing definition moved after the candidates of its file inside it,
    within the ranks the file already holds; a moved candidate takes the score of the rank it lands on.

    >>> heads = {1: CandidateHead(1, "a.php", "A", "A", "class", 1, 90),
    ...          2: CandidateHead(2, "b.php", "g", "g", "method", 5, 9),
    ...          3: CandidateHead(3, "a.php", "f", "A.f", "method", 10, 20)}
    >>> ranked = [FusedCandidate(1, 3.0, 1, 1), FusedCandidate(2, 2.0, 2, 2), FusedCandidate(3, 1.0, 3, 3)]
    >>> [(c.chunk_id, c.score) for c in members_first(ranked, heads)]
    [(3, 3.0), (2, 2.0), (1, 1.0)]
    """
    def containers_last(held: Sequence[FusedCandidate]) -> list[FusedCandidate]:
        members = [heads[c.chunk_id] for c in held]
        encloses = {c.chunk_id: heads[c.chunk_id].kind in CONTAINER_KINDS
                    and any(_encloses(heads[c.chunk_id], inner) for inner in members if is_definition(inner))
                    for c in held}
        return sorted(held, key=lambda c: encloses[c.chunk_id])  # stable: score order kept

    return reorder_within_files(ranked, heads, containers_last)
