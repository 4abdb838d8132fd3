"""The repo-level benchmark (semble's): its repositories, queries, and the published scoring protocol.

A query is labelled with the file(s) that answer it. A ranked list of results is scored by
NDCG@10 with binary gains, at file level (results reduced to distinct paths, first occurrence
kept) or at chunk level (the top 10 results as returned). A result path matches a target when the
two are equal or one ends with ``/`` plus the other (a suffix match on whole path components), so
results relative to the indexed subtree still match repo-relative targets. A repository's score
is the mean over its queries; headlines are unweighted means over repositories, and a category's
score averages each repository's queries of that category, then the repositories that have it.
The layout of the data folder is described in its README.

>>> path_matches("strings/str_split.h", "absl/strings/str_split.h")
True
>>> path_matches("split.h", "absl/strings/str_split.h")
False
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from codesearch.evaluation.metrics import mean

CUTOFF = 10
CATEGORIES = ("semantic", "architecture", "symbol")


@dataclass(frozen=True, slots=True)
class Target:
    """One labelled answer: a repo-relative path, optionally narrowed to a line span (1-based, inclusive)."""

    path: str
    start_line: int | None = None
    end_line: int | None = None


@dataclass(frozen=True, slots=True)
class RepoQuery:
    """One benchmark query: its text, category and targets (relevant then secondary, equal gains)."""

    text: str
    category: str
    targets: tuple[Target, ...]


@dataclass(frozen=True, slots=True)
class BenchmarkRepo:
    """One repository of the benchmark as ``repos.json`` lists it."""

    name: str
    language: str
    benchmark_root: str | None  # the subtree to index; None means the whole repository
    is_available: bool  # the code is packaged as repos/<name>.tar.gz


@dataclass(frozen=True, slots=True)
class ResultLocation:
    """Where one ranked result points: a path relative to the indexed tree and its line range."""

    path: str
    start_line: int
    end_line: int


def load_repos(data_dir: Path) -> list[BenchmarkRepo]:
    """The repositories listed in ``data_dir/repos.json``, in file order."""
    entries = json.loads((data_dir / "repos.json").read_text(encoding="utf-8"))
    return [
        BenchmarkRepo(e["name"], e["language"], e.get("benchmark_root"), bool(e.get("available")))
        for e in entries
    ]


def load_queries(data_dir: Path, repo: str) -> list[RepoQuery]:
    """The queries of one repository, from ``annotations/<repo>.json``."""
    items = json.loads((data_dir / "annotations" / f"{repo}.json").read_text(encoding="utf-8"))
    return [
        RepoQuery(item["query"], item.get("category") or infer_category(item["query"]),
                  tuple(_target(t) for t in [*item.get("relevant", []), *item.get("secondary", [])]))
        for item in items
    ]


def infer_category(query: str) -> str:
    """semble's rule for an unlabelled query: no space is a symbol, "how ..." architecture."""
    text = query.strip()
    if " " not in text:
        return "symbol"
    return "architecture" if text.lower().startswith("how ") else "semantic"


def _target(raw: str | Mapping[str, object]) -> Target:
    if isinstance(raw, str):
        return Target(raw)
    start, end = raw.get("start_line"), raw.get("end_line")
    return Target(str(raw["path"]), int(start) if isinstance(start, int) else None,
                  int(end) if isinstance(end, int) else None)


def path_matches(result: str, target: str) -> bool:
    """Equal paths, or one ends with ``/`` + the other (backslashes count as ``/``)."""
    a, b = result.replace("\\", "/"), target.replace("\\", "/")
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _hits_target(location: ResultLocation, target: Target, *, use_lines: bool) -> bool:
    if not path_matches(location.path, target.path):
        return False
    if not use_lines or target.start_line is None or target.end_line is None:
        return True
    return location.start_line <= target.end_line and target.start_line <= location.end_line


def ndcg_at_10(results: Sequence[ResultLocation], targets: Sequence[Target], *, file_level: bool) -> float:
    """NDCG@10 of one query under the published protocol (file level or chunk level)."""
    if not targets:
        raise ValueError("a query needs at least one target")
    ranked = (_first_per_file(results) if file_level else list(results))[:CUTOFF]
    found_at: set[int] = set()
    for target in targets:
        for position, location in enumerate(ranked, start=1):
            if _hits_target(location, target, use_lines=not file_level):
                found_at.add(position)
                break
    dcg = sum(1.0 / math.log2(position + 1) for position in found_at)
    ideal = sum(1.0 / math.log2(position + 1) for position in range(1, min(CUTOFF, len(targets)) + 1))
    return dcg / ideal


def _first_per_file(results: Sequence[ResultLocation]) -> list[ResultLocation]:
    seen: set[str] = set()
    kept: list[ResultLocation] = []
    for location in results:
        if location.path not in seen:
            seen.add(location.path)
            kept.append(location)
    return kept


@dataclass(frozen=True, slots=True)
class QueryScore:
    """One query's scores under both protocols."""

    repo: str
    category: str
    file_ndcg: float
    chunk_ndcg: float


def score_query(repo: str, query: RepoQuery, results: Sequence[ResultLocation]) -> QueryScore:
    return QueryScore(repo, query.category, ndcg_at_10(results, query.targets, file_level=True),
                      ndcg_at_10(results, query.targets, file_level=False))


@dataclass(frozen=True, slots=True)
class RepoScore:
    """A repository's mean scores, overall and per category (categories it has no query of are absent)."""

    repo: str
    file_ndcg: float
    chunk_ndcg: float
    file_by_category: tuple[tuple[str, float], ...]
    query_count: int


def score_repo(repo: str, scores: Sequence[QueryScore]) -> RepoScore:
    by_category = tuple(
        (category, mean(s.file_ndcg for s in scores if s.category == category))
        for category in CATEGORIES if any(s.category == category for s in scores)
    )
    return RepoScore(repo, mean(s.file_ndcg for s in scores), mean(s.chunk_ndcg for s in scores),
                     by_category, len(scores))


def mean_over_repos(repos: Iterable[RepoScore], category: str | None = None) -> float:
    """The unweighted mean over repositories (of one category's scores, over the repos that have it)."""
    if category is None:
        return mean(r.file_ndcg for r in repos)
    return mean(dict(r.file_by_category)[category] for r in repos if category in dict(r.file_by_category))
