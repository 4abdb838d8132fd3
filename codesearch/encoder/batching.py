"""Batch planning: which inputs go through the network together.

Inputs are sorted by token length (longest first) so each batch pads only to its own longest
member. A batch closes when it reaches ``max_batch_size`` rows, when it would exceed
``token_budget`` padded tokens, or when the next input is much shorter than the batch's width
(it would be mostly padding). The last rule matters for small jobs: 100 functions in batches of
32 carry 40% padding, with it about 5%; large jobs lose nothing, since past a few rows a
batch's size hardly changes the time per token on CPU. Pure Python, no torch.

Example::

    >>> plan_batches([3, 10, 5, 9], max_batch_size=2, token_budget=100)
    [[1, 3], [2, 0]]
    >>> plan_batches([300, 280, 100, 90], max_batch_size=8, token_budget=10_000)
    [[0, 1, 2, 3]]
    >>> plan_batches([300, 280, 100, 90], max_batch_size=8, token_budget=10_000, min_fill=0.8)
    [[0, 1], [2, 3]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

# A batch is never closed for padding below this many padded tokens: tiny batches pay a fixed
# per-call cost that outweighs a little padding.
MIN_BATCH_TOKENS = 256
# Most padded tokens per forward pass: long snippets travel in smaller batches. On CPU, time per
# token is flat from 8 to 64 rows at <= 8192 tokens and 10-30% worse at 16k-32k (cache misses).
TOKEN_BUDGET = 8192
# A snippet shorter than this share of its batch's longest starts a new batch (see batching.py):
# 100 functions embed 21% faster, 1000 no slower.
MIN_FILL = 0.8


def plan_batches(
    lengths: Sequence[int], max_batch_size: int, token_budget: int, min_fill: float = 0.0
) -> list[list[int]]:
    """Group input indices into batches, longest first.

    Args:
        lengths: token count of each input (its padded width if batched alone).
        max_batch_size: most inputs per batch.
        token_budget: most padded tokens per batch (rows * longest row); a single input longer
            than the budget still gets a batch of its own.
        min_fill: an input joins a batch only if it is at least this share of the batch's
            width, once the batch holds MIN_BATCH_TOKENS padded tokens (0 disables).

    Returns:
        Lists of indices into ``lengths``; every index appears exactly once. Ties keep input order
        so the plan is deterministic.
    """
    if max_batch_size < 1 or token_budget < 1:
        raise ValueError("max_batch_size and token_budget must be positive")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    width = 0
    for index in order:
        length = max(1, lengths[index])
        if current and not _fits(len(current), width, length, max_batch_size, token_budget, min_fill):
            batches.append(current)
            current = []
        if not current:
            width = length  # longest first: the first member fixes the padded width
        current.append(index)
    if current:
        batches.append(current)
    return batches


def _fits(
    rows: int, width: int, length: int, max_batch_size: int, token_budget: int, min_fill: float
) -> bool:
    if rows >= max_batch_size or (rows + 1) * width > token_budget:
        return False
    return rows * width < MIN_BATCH_TOKENS or length >= min_fill * width


def embed_rows(rows: Sequence[list[int]], dim: int, max_batch_size: int,
               forward: Callable[[list[list[int]]], np.ndarray],
               on_progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Token-id ``rows`` -> (len(rows), dim) float32, through ``forward`` in ``plan_batches`` order.

    Shared by the torch and the ONNX Runtime encoders, so both batch (and report progress) alike.
    """
    vectors = np.zeros((len(rows), dim), dtype=np.float32)
    done = 0
    for batch in plan_batches([len(row) for row in rows], max_batch_size, TOKEN_BUDGET, MIN_FILL):
        vectors[batch] = forward([rows[i] for i in batch])
        done += len(batch)
        if on_progress is not None:
            on_progress(done, len(rows))
    return vectors
