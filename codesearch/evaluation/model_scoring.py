"""Scoring one encoder by dense retrieval alone: on a pairs file, and on CoSQA.

This is what ``codesearch eval --model DIR`` runs: no index, no BM25, just the model's vectors and
exact ranking, so two models compare on the model alone (``bench/eval_search.py`` scores the whole
search system instead). Pairs files are ranked under ``pair_ranking``'s protocols; CoSQA under its
own (each query against the 6,267-function pool, MRR over the ranking cut at 1,000).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from codesearch.encoder.model import Encoder
from codesearch.errors import DataError
from codesearch.evaluation.cosqa import cosqa_dir, load_cosqa
from codesearch.evaluation.pair_ranking import DEPTH, evaluate_pairs
from codesearch.evaluation.pairs import read_pair_file
from codesearch.evaluation.records import RetrievalReport
from codesearch.evaluation.runner import evaluate

logger = logging.getLogger(__name__)

EMBED_BATCH = 64


def score_pairs_file(encoder: Encoder, path: Path, protocol: str = "csn", seed: int = 0) -> RetrievalReport:
    """The encoder's scores on the pairs in a JSON Lines file (``codesearch extract --pairs`` or
    CodeSearchNet format). Raises DataError when the file holds no usable pair."""
    found = read_pair_file(path)
    if not found.pairs:
        raise DataError(f"{path} holds no usable pairs ({len(found.bad_lines)} malformed lines)")
    skipped = sum(count for _, count in found.skipped)
    if skipped:
        logger.warning("%s: %d records without a usable pair: %s", path, skipped, dict(found.skipped))
    return evaluate_pairs(
        found.pairs,
        encoder.embed_queries,
        lambda texts: encoder.embed_code(texts, batch_size=EMBED_BATCH),
        protocol,
        name=f"{path.name}/{protocol}",
        seed=seed,
    )


def score_cosqa(encoder: Encoder, directory: Path, split: str = "test") -> RetrievalReport:
    """The encoder's dense scores on CoSQA ``split`` (its functions embedded as they are)."""
    benchmark = load_cosqa(directory, split)
    doc_ids = list(benchmark.corpus)
    vectors = encoder.embed_code([benchmark.corpus[i] for i in doc_ids], batch_size=EMBED_BATCH)  # (n, dim)

    def rank(queries: list[str]) -> list[list[str]]:
        scores = encoder.embed_queries(queries) @ vectors.T  # (batch, n)
        return [_top(row, doc_ids) for row in scores]

    return evaluate(benchmark, rank, system="dense")


def _top(scores: np.ndarray, doc_ids: Sequence[str]) -> list[str]:
    order = np.argsort(-scores, kind="stable")[:DEPTH]
    return [doc_ids[i] for i in order]


def find_cosqa_dir(start: Path, stop_at: Path | None = None) -> Path:
    """``shared/benchmarks/cosqa`` in ``start`` or the nearest folder above it (up to ``stop_at``) that has one."""
    for folder in (start, *start.parents):
        candidate = cosqa_dir(folder / "shared")
        if candidate.is_dir():
            return candidate
        if stop_at is not None and folder == stop_at:
            break
    raise DataError(f"no shared/benchmarks/cosqa found in {start} or above it; pass --cosqa DIR")
