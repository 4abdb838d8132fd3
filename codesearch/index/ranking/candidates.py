"""The candidates the ranking works on: what each retriever said of a chunk, and where the chunk lives.

``CandidateHead`` is the light part of a stored chunk (no code), read for every candidate of a
query; the path helpers give the file stem and folders the path signals compare with the query.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True, slots=True)
class CandidateHead:
    """Where a candidate chunk is and what it defines."""

    chunk_id: int
    path: str  # repo-relative POSIX path
    name: str
    qualified_name: str
    kind: str  # "function", "method", "class", ..., or a non-definition kind ("block", "section", "window")
    start_line: int = 0  # 1-based, inclusive; 0 when not known
    end_line: int = 0


@dataclass(frozen=True, slots=True)
class FusedCandidate:
    """One candidate after ranking."""

    chunk_id: int
    score: float
    dense_rank: int | None  # 1-based, None if the dense side did not return it
    lexical_rank: int | None


NON_DEFINITION_KINDS = frozenset({"block", "imports", "section", "window"})  # parsing's records beside definitions


def is_definition(head: CandidateHead) -> bool:
    """True for a function, method, class or other named definition (not a block of lines)."""
    return head.kind not in NON_DEFINITION_KINDS


@functools.lru_cache(maxsize=1 << 16)  # pure, and called per candidate per query
def file_stem(path: str) -> str:
    """The file name before its first dot: ``absl/strings/str_split.h`` -> ``str_split``.

    >>> file_stem("src/index.d.ts"), file_stem("lib/.eslintrc.js"), file_stem("Makefile")
    ('index', '.eslintrc', 'Makefile')
    """
    name = PurePosixPath(path).name
    head = name[1:].split(".", 1)[0]
    return name[0] + head if name else name


def folders(path: str) -> tuple[str, ...]:
    """The folder names of a path, outermost first: ``a/b/c.py`` -> ``('a', 'b')``."""
    return PurePosixPath(path).parts[:-1]


@functools.lru_cache(maxsize=1 << 16)  # pure, and called per candidate per query
def name_key(text: str) -> str:
    """A spelling-free key for comparing names and stems: ``StrSplit``, ``str_split`` -> ``strsplit``.

    >>> name_key("StrSplit") == name_key("str_split") == name_key("str-split")
    True
    """
    return _NOT_ALNUM.sub("", text.lower())


def reorder_within_files(
    ranked: Sequence[FusedCandidate], heads: Mapping[int, CandidateHead],
    order: Callable[[Sequence[FusedCandidate]], Sequence[FusedCandidate]],
) -> list[FusedCandidate]:
    """``ranked`` with each file's candidates put in ``order``'s order inside the ranks the file
    already holds (so no file-level answer moves); a moved candidate takes the score of the rank it
    lands on. ``order`` gets one file's candidates best first and returns the same ones."""
    slots: dict[str, list[int]] = {}
    for position, candidate in enumerate(ranked):
        head = heads.get(candidate.chunk_id)
        if head is not None:
            slots.setdefault(head.path, []).append(position)
    reordered = list(ranked)
    for positions in slots.values():
        if len(positions) < 2:
            continue
        ordered = order([ranked[position] for position in positions])
        for position, candidate in zip(positions, ordered, strict=True):
            reordered[position] = FusedCandidate(candidate.chunk_id, ranked[position].score, candidate.dense_rank,
                                                 candidate.lexical_rank)
    return reordered

