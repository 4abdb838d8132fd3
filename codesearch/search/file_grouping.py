"""File-level answers (``ask --files``): the ranked hits grouped by file, best file first.

"Where is X handled?" is answered by a file more than by one function. The ranking already
judges files (file coherence lifts a file's best chunk by the share of the score its file holds),
so a file ranks where its best hit ranks, and carries its next best hits under it. Enough hits
are asked for (``hits_needed``) that k distinct files are found in all but degenerate indexes.
"""

from __future__ import annotations

from collections.abc import Sequence

from codesearch.records import FileHit, Hit

HITS_PER_FILE = 3
_HITS_PER_FILE_ASKED = 5  # hits requested per file wanted: files repeat in the ranked list
_MIN_HITS_ASKED = 50


def hits_needed(k_files: int) -> int:
    """How many ranked hits to ask for to fill ``k_files`` files.

    >>> hits_needed(10), hits_needed(40)
    (50, 200)
    """
    return max(_MIN_HITS_ASKED, k_files * _HITS_PER_FILE_ASKED)


def group_by_file(hits: Sequence[Hit], k_files: int, per_file: int = HITS_PER_FILE) -> list[FileHit]:
    """The first ``k_files`` files of ``hits`` in order of their best hit, each with up to ``per_file`` hits."""
    grouped: dict[str, list[Hit]] = {}
    for hit in hits:
        if hit.path not in grouped:
            if len(grouped) == k_files:
                continue
            grouped[hit.path] = []
        if len(grouped[hit.path]) < per_file:
            grouped[hit.path].append(hit)
    return [FileHit(path, found[0].language, found[0].score, tuple(found)) for path, found in grouped.items()]
