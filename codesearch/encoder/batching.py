"""Batch planning: which inputs go through the network together.

Inputs are sorted by token length (longest first) so each batch pads only to its own longest
member, and a batch holds at most ``token_budget`` padded tokens so short snippets travel in big
batches while long ones do not blow up memory or attention cost. Pure Python, no torch.

Example::

    >>> plan_batches([3, 10, 5, 9], max_batch_size=2, token_budget=100)
    [[1, 3], [2, 0]]
    >>> plan_batches([3, 10, 5, 9], max_batch_size=8, token_budget=20)
    [[1, 3], [2, 0]]
"""

from __future__ import annotations

from collections.abc import Sequence


def plan_batches(lengths: Sequence[int], max_batch_size: int, token_budget: int) -> list[list[int]]:
    """Group input indices into batches, longest first.

    Args:
        lengths: token count of each input (its padded width if batched alone).
        max_batch_size: most inputs per batch.
        token_budget: most padded tokens per batch (rows * longest row); a single input longer
            than the budget still gets a batch of its own.

    Returns:
        Lists of indices into ``lengths``; every index appears exactly once. Ties keep input order
        so the plan is deterministic.
    """
    if max_batch_size < 1 or token_budget < 1:
        raise ValueError("max_batch_size and token_budget must be positive")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    start = 0
    while start < len(order):
        # Longest first: the first member fixes the batch's padded width.
        width = max(1, lengths[order[start]])
        rows = max(1, min(max_batch_size, token_budget // width))
        batches.append(order[start : start + rows])
        start += rows
    return batches


def padded_width(longest: int, multiple: int) -> int:
    """``longest`` rounded up to a multiple of ``multiple`` (1: no rounding)."""
    return -(-longest // multiple) * multiple
