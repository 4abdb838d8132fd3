"""One search over several repositories: each index answers, the hits merge into one ranking.

Every index ranks its own candidates (index/ranking/ fuses dense and keyword signals into one
score per hit). Those fused scores are comparable across indexes only when the same model made
the vectors, so indexes built with different models are refused. The merge is by score, best
first; hits of equal score keep their order within their repository and alternate between
repositories in the order they were given (a stable sort on (-score, rank in its index)).
Each repository is asked for ``k`` hits, so the merged top ``k`` is exact: no repository can
hold a hit of the top ``k`` below its own ``k``-th.

The keyword half of a fused score depends on each index's own statistics (BM25's document
frequencies), so a word that is rare in one repository and common in another weighs more in the
first: the ranking is one a union index would give only approximately.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from codesearch.config import Settings
from codesearch.errors import IndexMismatchError
from codesearch.index.search import SearchRequest
from codesearch.index.store import IndexStore
from codesearch.locations import find_index_dir
from codesearch.records import Answers, Hit, SemanticCoverage
from codesearch.searcher import Searcher


def search_repositories(
    starts: Sequence[Path],
    settings_for: Callable[[Path], Settings],
    queries: Sequence[str | None],
    request: Callable[[str], SearchRequest],
    *,
    model_given: bool = False,
) -> Answers:
    """The merged hits of each query over the indexes of ``starts`` (None queries get no hits).

    Raises IndexNotFoundError, IndexMismatchError (indexes of different models), and whatever
    ``Searcher.open`` raises.
    """
    settings = [settings_for(start) for start in starts]
    check_same_model(starts, settings)
    with ExitStack() as stack:
        searchers = [stack.enter_context(Searcher.open(start, each, model_given=model_given))
                     for start, each in zip(starts, settings, strict=True)]
        return search_all(searchers, queries, request, ef=settings[0].hnsw_ef_search)


def search_all(searchers: Sequence[Searcher], queries: Sequence[str | None],
               request: Callable[[str], SearchRequest], *, ef: int = 64) -> Answers:
    """Ask every open searcher each query, tag the hits with their repository, merge each query's hits."""
    names = repository_names([searcher.repo_root for searcher in searchers])
    answers: list[list[Hit]] = []
    for query in queries:
        if query is None:
            answers.append([])
            continue
        asked = request(query)
        per_repository = [[dataclasses.replace(hit, repository=name) for hit in searcher.search(asked, ef=ef)]
                          for searcher, name in zip(searchers, names, strict=True)]
        answers.append(merge_ranked(per_repository, asked.k))
    coverages = [searcher.semantic_coverage() for searcher in searchers]
    return Answers(answers, SemanticCoverage(sum(c.embedded for c in coverages), sum(c.definitions for c in coverages)))


def check_same_model(starts: Sequence[Path], settings: Sequence[Settings]) -> None:
    """IndexMismatchError unless every index was built with the same model (read before any model loads)."""
    seen: list[tuple[Path, str, str]] = []
    for start, each in zip(starts, settings, strict=True):
        index_dir = find_index_dir(start, each.index_dir)
        with IndexStore.open(index_dir, readonly=True) as store:
            params = store.meta.params
        seen.append((start, params.model_id, params.model_hash))
    first = seen[0]
    for other in seen[1:]:
        if other[2] != first[2]:
            raise IndexMismatchError(
                f"{first[0]} and {other[0]} were indexed with different models ({first[1]}, {other[1]}): "
                "their scores do not compare; index both with one --model"
            )


def merge_ranked(per_repository: Sequence[Sequence[Hit]], k: int) -> list[Hit]:
    """The best ``k`` of several ranked lists by score; ties alternate between lists in order."""
    keyed = [(-hit.score, rank, order, hit) for order, hits in enumerate(per_repository)
             for rank, hit in enumerate(hits)]
    keyed.sort(key=lambda item: item[:3])
    return [hit for *_, hit in keyed[:k]]


def repository_names(roots: Sequence[Path]) -> list[str]:
    """Each root's folder name, or its whole path where two folders share a name."""
    names = [root.name or str(root) for root in roots]
    return [str(root) if names.count(name) > 1 else name for root, name in zip(roots, names, strict=True)]
