"""Scoring an embedding model on query/code pairs under two protocols, by exact (brute-force) ranking.

- ``csn``: as in CodeSearchNet, each query's gold function is ranked among 999 distractors drawn,
  with a seeded generator, from the other functions of the same language (fewer when the file
  has fewer). Comparable across files of different sizes.
- ``corpus``: each query's gold function is ranked among every function of its repository, as a
  search inside one project would.

Copies of the gold function (the same code, whitespace aside) count as relevant under ``corpus``
(copies in the same repository) and are never drawn as distractors under ``csn`` (copies
anywhere). On a tie the gold function ranks below the distractors, so ties never flatter a model.
Rankings are cut at ``DEPTH`` (1,000) as in ``systems.py``: a gold function below that adds
nothing to MRR (it would add < 0.001).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from codesearch.evaluation.metrics import build_report, score_query
from codesearch.evaluation.pairs import Pair, squeeze
from codesearch.evaluation.records import QueryOutcome, RetrievalReport

PROTOCOLS = ("csn", "corpus")
CSN_DISTRACTORS = 999
DEPTH = 1000
Embed = Callable[[Sequence[str]], np.ndarray]  # texts -> (n, dim) float32, L2-normalised


def evaluate_pairs(
    pairs: Sequence[Pair],
    embed_queries: Embed,
    embed_code: Embed,
    protocol: str = "csn",
    *,
    name: str = "pairs",
    system: str = "dense",
    distractors: int = CSN_DISTRACTORS,
    seed: int = 0,
) -> RetrievalReport:
    """Embed every pair's query and code and score the rankings, overall and per language.

    Args:
        pairs: the queries and their gold functions; query ``i`` is pair ``i``.
        embed_queries, embed_code: the model's two sides.
        protocol: "csn" or "corpus" (see the module docstring).
        distractors: distractors per query under "csn".
        seed: seeds the distractor draw.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    codes = embed_code([pair.code for pair in pairs])  # (n, dim)
    queries = embed_queries([pair.query for pair in pairs])  # (n, dim)
    if protocol == "csn":
        outcomes = _csn_outcomes(pairs, queries, codes, _copies(pairs, within_repo=False), distractors, seed)
    else:
        outcomes = _corpus_outcomes(pairs, queries, codes, _copies(pairs, within_repo=True))
    return build_report(name, system, outcomes, len(pairs))


def _copies(pairs: Sequence[Pair], *, within_repo: bool) -> list[frozenset[int]]:
    """For each pair, the indices of pairs (itself included) with the same code and language,
    in the same repository when ``within_repo``."""
    keys = [(pair.repo if within_repo else "", pair.language, squeeze(pair.code)) for pair in pairs]
    groups: defaultdict[tuple[str, str, str], set[int]] = defaultdict(set)
    for index, key in enumerate(keys):
        groups[key].add(index)
    return [frozenset(groups[key]) for key in keys]


def _query_id(index: int) -> str:
    return f"q{index:08d}"  # zero-padded so the report's id order is the pairs' order


def _ranked(candidates: Sequence[int], query: np.ndarray, codes: np.ndarray) -> list[str]:
    """The best ``DEPTH`` candidates, best first; of tied ones the earlier in ``candidates`` first."""
    index = np.asarray(candidates, dtype=np.int64)  # (m,)
    scores = codes[index] @ query  # (m,)
    if len(index) > DEPTH:
        # Keep every candidate tied with the DEPTH-th score so the stable sort still breaks ties by order.
        threshold = np.partition(scores, len(scores) - DEPTH)[len(scores) - DEPTH]
        keep = np.flatnonzero(scores >= threshold)
        index, scores = index[keep], scores[keep]
    order = np.argsort(-scores, kind="stable")[:DEPTH]
    return [str(candidate) for candidate in index[order]]


def _csn_outcomes(
    pairs: Sequence[Pair],
    queries: np.ndarray,
    codes: np.ndarray,
    copies: list[frozenset[int]],
    distractors: int,
    seed: int,
) -> list[QueryOutcome]:
    by_language: defaultdict[str, list[int]] = defaultdict(list)
    for index, pair in enumerate(pairs):
        by_language[pair.language].append(index)
    outcomes = []
    for index, pair in enumerate(pairs):
        same = by_language[pair.language]
        excluded = copies[index]
        wanted = min(distractors, len(same) - len(excluded))
        # Draw a few extra and drop the gold's copies: linear in the draw, not in the language's size.
        drawn = random.Random(f"{seed}/{index}").sample(same, min(len(same), wanted + len(excluded)))
        drawn = [other for other in drawn if other not in excluded][:wanted]
        ranked = _ranked([*drawn, index], queries[index], codes)  # gold last: it loses ties
        outcomes.append(score_query(_query_id(index), pair.language, ranked, {str(index)}))
    return outcomes


def _corpus_outcomes(
    pairs: Sequence[Pair], queries: np.ndarray, codes: np.ndarray, copies: list[frozenset[int]]
) -> list[QueryOutcome]:
    by_repo: defaultdict[str, list[int]] = defaultdict(list)
    for index, pair in enumerate(pairs):
        by_repo[pair.repo].append(index)
    outcomes = []
    for index, pair in enumerate(pairs):
        relevant = copies[index]
        pool = [other for other in by_repo[pair.repo] if other not in relevant] + sorted(relevant)
        ranked = _ranked(pool, queries[index], codes)
        outcomes.append(score_query(_query_id(index), pair.language, ranked, {str(i) for i in relevant}))
    return outcomes
