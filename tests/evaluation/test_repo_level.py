"""The repo-level benchmark's scoring protocol (its README, "Scoring protocol"), checked by hand-worked cases."""

from __future__ import annotations

import doctest
import json
import math
from pathlib import Path

import pytest

from codesearch.evaluation import repo_level
from codesearch.evaluation.repo_level import (
    ResultLocation,
    Target,
    infer_category,
    load_queries,
    load_repos,
    mean_over_repos,
    ndcg_at_10,
    path_matches,
    score_query,
    score_repo,
)


def at(*paths: str) -> list[ResultLocation]:
    return [ResultLocation(path, 1, 10) for path in paths]


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(repo_level)
    assert result.attempted >= 2 and result.failed == 0


@pytest.mark.parametrize(("result", "target", "matches"), [
    ("a/b.py", "a/b.py", True), ("b.py", "a/b.py", True), ("/abs/repo/a/b.py", "a/b.py", True),
    ("ab.py", "a/b.py", False), ("a\\b.py", "a/b.py", True), ("x/b.py", "a/b.py", False),
])
def test_suffix_matches_on_whole_components(result: str, target: str, matches: bool) -> None:
    assert path_matches(result, target) is matches


def test_file_level_keeps_the_first_occurrence_of_each_file() -> None:
    targets = [Target("src/b.py")]
    # Chunk level: b.py is the 3rd chunk; file level: the 2nd file.
    results = at("a.py", "a.py", "b.py")
    assert math.isclose(ndcg_at_10(results, targets, file_level=False), 1 / math.log2(4))
    assert math.isclose(ndcg_at_10(results, targets, file_level=True), 1 / math.log2(3))


def test_two_targets_at_one_position_count_once_and_the_ideal_caps_at_ten() -> None:
    targets = [Target("x/a.py"), Target("a.py")]
    ideal = 1 + 1 / math.log2(3)
    assert math.isclose(ndcg_at_10(at("a.py"), targets, file_level=True), 1 / ideal)
    assert ndcg_at_10(at(*(f"f{i}.py" for i in range(10)), "a.py"), [Target("a.py")], file_level=True) == 0.0


def test_line_spans_count_only_at_chunk_level() -> None:
    target = [Target("a.py", 50, 60)]
    results = [ResultLocation("a.py", 1, 10), ResultLocation("a.py", 55, 70)]
    assert math.isclose(ndcg_at_10(results, target, file_level=False), 1 / math.log2(3))
    assert ndcg_at_10(results, target, file_level=True) == 1.0


def test_repo_and_category_means(tmp_path: Path) -> None:
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "r.json").write_text(json.dumps([
        {"query": "how is x done", "relevant": ["a.py"], "secondary": [{"path": "b.py", "start_line": 1}]},
        {"query": "Thing", "relevant": ["c.py"], "category": "symbol"},
    ]))
    (tmp_path / "repos.json").write_text(json.dumps([{"name": "r", "language": "python",
                                                      "benchmark_root": None, "available": True}]))
    assert [r.name for r in load_repos(tmp_path)] == ["r"]
    queries = load_queries(tmp_path, "r")
    assert [q.category for q in queries] == ["architecture", "symbol"]
    assert queries[0].targets == (Target("a.py"), Target("b.py", 1, None))
    scores = [score_query("r", queries[0], at("a.py", "b.py")), score_query("r", queries[1], at("z.py"))]
    repo = score_repo("r", scores)
    assert repo.file_ndcg == 0.5 and dict(repo.file_by_category) == {"architecture": 1.0, "symbol": 0.0}
    assert mean_over_repos([repo], "symbol") == 0.0 and mean_over_repos([repo], "semantic") == 0.0


def test_semble_infers_missing_categories() -> None:
    assert [infer_category(q) for q in ("StrSplit", "How does it work", "parse a file")] == [
        "symbol", "architecture", "semantic"]
