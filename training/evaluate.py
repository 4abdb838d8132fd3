"""Validation during training: embed held-out pairs with the model being trained and rank them.

The ranking and metrics are ``codesearch.evaluation``'s (``pair_ranking.evaluate_pairs``), the same
as ``codesearch eval --pairs``, so a validation MRR here and an eval MRR there are the same measure.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import torch

from codesearch.evaluation.pair_ranking import evaluate_pairs
from codesearch.evaluation.pairs import Pair
from training.losses import Autocast
from training.model import DualEncoder, TokenBatch
from training.records import Evaluation

EMBED_BATCH = 64


class PairRows(Protocol):
    """Texts to token batches, one method per side: ``model.Tokenizing``, or rows already tokenized
    (``gpu_run.py``, where the texts are keys into a token pack)."""

    def queries(self, texts: Sequence[str]) -> TokenBatch: ...

    def codes(self, texts: Sequence[str]) -> TokenBatch: ...


def sample_pairs(pairs: Sequence[Pair], limit: int, seed: int) -> list[Pair]:
    """At most ``limit`` pairs, a seeded draw kept in input order."""
    if len(pairs) <= limit:
        return list(pairs)
    chosen = set(random.Random(seed).sample(range(len(pairs)), limit))
    return [pair for index, pair in enumerate(pairs) if index in chosen]


@torch.no_grad()
def validate(
    model: DualEncoder,
    tokenizing: PairRows,
    pairs: Sequence[Pair],
    protocol: str,
    step: int,
    device: torch.device,
    autocast: Autocast,
) -> Evaluation:
    """Scores of ``model`` on ``pairs``; leaves the model in the mode it found it in."""
    was_training = model.training
    model.eval()
    try:
        report = evaluate_pairs(
            pairs,
            embedder(model, tokenizing.queries, device, autocast),
            embedder(model, tokenizing.codes, device, autocast),
            protocol,
            name="validation",
        )
    finally:
        model.train(was_training)
    overall = report.overall
    return Evaluation(
        step,
        protocol,
        overall.query_count,
        overall.mrr,
        overall.recall_at(1),
        overall.recall_at(5),
        overall.recall_at(10),
        overall.ndcg_at_10,
    )


def embedder(
    model: DualEncoder,
    tokenize: Callable[[Sequence[str]], TokenBatch],
    device: torch.device,
    autocast: Autocast,
) -> Callable[[Sequence[str]], np.ndarray]:
    def embed(texts: Sequence[str]) -> np.ndarray:
        # Longest first, as the runtime Encoder batches, so each batch pads little.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.zeros((len(texts), 0), dtype=np.float32)  # (n, dim) once the width is known
        for start in range(0, len(order), EMBED_BATCH):
            rows = order[start : start + EMBED_BATCH]
            batch = TokenBatch(*(tensor.to(device) for tensor in tokenize([texts[i] for i in rows])))
            with autocast():
                embedded = model.embed(batch).float().cpu().numpy()  # (rows, dim)
            if vectors.shape[1] == 0:
                vectors = np.zeros((len(texts), embedded.shape[1]), dtype=np.float32)
            vectors[rows] = embedded
        return vectors

    return embed
