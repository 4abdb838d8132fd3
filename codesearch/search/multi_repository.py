"""One search over several repositories: each index answers, the hits merge into one ranking.

Every index ranks its own candidates (index/ranking/ fuses dense and keyword signals into one
score per hit), but a fused score is a sum of z-scores over that index's own candidates: it says
how far a hit stands out in its repository, not how well it answers the query. Merged by it
alone, every repository's best hit looks equally good, and an unrelated repository's best hit
outranks the right one's second. So the merge key (``DEFAULT_MERGE``) adds to each hit's fused
score ``REPOSITORY_WEIGHT`` times the best cosine in its repository's answer: cosines of one
model mean the same in every index (indexes built with different models are refused), and the
best one says how well the repository as a whole answers the query. Within a repository the order
is unchanged. Chosen on the repo-level dev set asked across repositories (bench/multi_repo.py,
docs/scale.md "One search over several repositories"): file NDCG@10 with 4 other repositories
beside each query's own 0.655 by fused score, 0.823 with the repository term; with all 31 others
0.390 and 0.730 (its own alone: 0.846). A repository with no vector yet (a progressive build) has
no cosine and comes after those that have.

Hits of equal key keep their order within their repository and alternate between repositories in
the order they were given. Each repository is asked for ``k`` hits, so the merged top ``k`` is
exact: no repository can hold a hit of the top ``k`` below its own ``k``-th.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from codesearch.config import Settings
from codesearch.encoder.shared_query_encoders import SharedQueryEncoders
from codesearch.errors import IndexMismatchError
from codesearch.index.hybrid_search import SearchRequest
from codesearch.index.locations import find_index_dir
from codesearch.index.store import IndexStore
from codesearch.records import Answers, Hit, SemanticCoverage
from codesearch.search.searcher import Searcher


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
        encoders = SharedQueryEncoders()  # one model for all: loaded once, each query embedded once
        stack.callback(encoders.close)  # after every searcher has closed (an ExitStack unwinds in reverse)
        searchers = [stack.enter_context(Searcher.open(start, each, model_given=model_given, encoders=encoders))
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


MergeKeys = Callable[[Sequence[Hit]], list[float]]  # one repository's ranked hits -> their keys, higher first


def _cosine(hit: Hit) -> float:
    return hit.cosine if hit.cosine is not None else -1.0


def _with_cosine(weight: float) -> MergeKeys:
    return lambda hits: [hit.score + weight * _cosine(hit) for hit in hits]


def _with_repository(weight: float) -> MergeKeys:
    def keys(hits: Sequence[Hit]) -> list[float]:
        best = max((_cosine(hit) for hit in hits), default=-1.0)  # how well the repository answers
        return [hit.score + weight * best for hit in hits]
    return keys


REPOSITORY_WEIGHT = 80.0  # dev: 40 -> 0.824 / 0.722, 80 -> 0.823 / 0.730, 160 -> 0.815 / 0.719 (4 / 31 others)

# The default and the alternatives bench/multi_repo.py compares it with ("score" was the merge before).
MERGE_STRATEGIES: dict[str, MergeKeys] = {
    "score": lambda hits: [hit.score for hit in hits],
    "cosine": lambda hits: [_cosine(hit) for hit in hits],
    "rank": lambda hits: [-float(rank) for rank in range(len(hits))],
    **{f"score+{w:g}*cosine": _with_cosine(w) for w in (40.0,)},
    **{f"score+{w:g}*repository": _with_repository(w) for w in (REPOSITORY_WEIGHT / 2, REPOSITORY_WEIGHT,
                                                                 REPOSITORY_WEIGHT * 2)},
}
DEFAULT_MERGE = f"score+{REPOSITORY_WEIGHT:g}*repository"


def merge_ranked(per_repository: Sequence[Sequence[Hit]], k: int, strategy: str = DEFAULT_MERGE) -> list[Hit]:
    """The best ``k`` of several ranked lists by ``strategy``'s key; ties alternate between lists in order."""
    merge_keys = MERGE_STRATEGIES[strategy]
    keyed = [(-key, rank, order, hit) for order, hits in enumerate(per_repository)
             for rank, (hit, key) in enumerate(zip(hits, merge_keys(hits), strict=True))]
    keyed.sort(key=lambda item: item[:3])
    return [hit for *_, hit in keyed[:k]]


def repository_names(roots: Sequence[Path]) -> list[str]:
    """Each root's folder name, or its whole path where two folders share a name."""
    names = [root.name or str(root) for root in roots]
    return [str(root) if names.count(name) > 1 else name for root, name in zip(roots, names, strict=True)]
