"""Candidate heads for ranking tests."""

from __future__ import annotations

from codesearch.index.ranking import CandidateHead


def heads(*specs: tuple[int, str, str] | tuple[int, str, str, str]) -> dict[int, CandidateHead]:
    """(id, path, name[, kind]) -> heads by id; kind defaults to "function"."""
    found = {}
    for spec in specs:
        chunk_id, path, name = spec[:3]
        kind = spec[3] if len(spec) > 3 else "function"
        found[chunk_id] = CandidateHead(chunk_id, path, name, name, kind)
    return found
