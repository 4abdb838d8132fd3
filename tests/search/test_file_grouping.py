"""File-level answers: hits grouped by file in the order of each file's best hit."""

from __future__ import annotations

import doctest

from codesearch.records import Hit
from codesearch.search import file_grouping
from codesearch.search.file_grouping import group_by_file


def hit(path: str, name: str, score: float) -> Hit:
    return Hit(path=path, start_line=1, end_line=2, name=name, qualified_name=name, kind="function",
               language="python", score=score)


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(file_grouping).failed == 0


def test_files_rank_by_their_best_hit_and_keep_their_next_best() -> None:
    hits = [hit("a.py", "a1", 3.0), hit("b.py", "b1", 2.5), hit("a.py", "a2", 2.0), hit("c.py", "c1", 1.5),
            hit("a.py", "a3", 1.0), hit("a.py", "a4", 0.5), hit("b.py", "b2", 0.4)]
    files = group_by_file(hits, k_files=2)
    assert [f.path for f in files] == ["a.py", "b.py"]
    assert [h.name for h in files[0].hits] == ["a1", "a2", "a3"]  # three per file at most
    assert [h.name for h in files[1].hits] == ["b1", "b2"]  # a file beyond k still lets earlier files fill
    assert files[0].score == 3.0 and files[0].language == "python"


def test_no_hits_no_files() -> None:
    assert group_by_file([], k_files=5) == []
