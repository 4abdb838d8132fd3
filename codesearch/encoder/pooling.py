"""Pooling: turning a batch of last hidden states into one vector per input.

Only tensor methods are used, so importing this module does not import torch (the CLI's startup
stays fast); callers hand in tensors. Pooling runs in float32 whatever the network's dtype.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codesearch.encoder.metadata import PoolingMode

if TYPE_CHECKING:
    from torch import Tensor


def pool(hidden: Tensor, attention_mask: Tensor, end_index: Tensor, mode: PoolingMode) -> Tensor:
    """One embedding per row.

    Args:
        hidden: (batch, seq, dim) last hidden states, any float dtype.
        attention_mask: (batch, seq) 1 for real tokens, 0 for padding.
        end_index: (batch,) int64 position of each row's end-delimiter token.
        mode: "mean" (masked mean), "cls" (position 0) or "end_delimiter" (position end_index).

    Returns:
        (batch, dim) float32, not normalised.
    """
    hidden = hidden.float()
    if mode == "mean":
        return mean_pool(hidden, attention_mask)
    if mode == "cls":
        return hidden[:, 0]
    if mode == "end_delimiter":
        return gather_positions(hidden, end_index)
    raise ValueError(f"unknown pooling mode {mode!r}")


def mean_pool(hidden: Tensor, attention_mask: Tensor) -> Tensor:
    """Mean over real tokens only: (batch, seq, dim) -> (batch, dim)."""
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (batch, seq, 1)
    counts = weights.sum(dim=1).clamp(min=1.0)  # (batch, 1); clamp guards all-padding rows
    return (hidden * weights).sum(dim=1) / counts


def gather_positions(hidden: Tensor, positions: Tensor) -> Tensor:
    """The hidden state at one position per row: (batch, seq, dim), (batch,) -> (batch, dim)."""
    index = positions.view(-1, 1, 1).expand(-1, 1, hidden.shape[-1])  # (batch, 1, dim)
    return hidden.gather(1, index).squeeze(1)


def l2_normalize(embeddings: Tensor) -> Tensor:
    """Rows scaled to unit length; zero rows stay zero. (batch, dim) -> (batch, dim)."""
    norms: Tensor = embeddings.norm(dim=-1, keepdim=True).clamp(min=1e-12)  # (batch, 1)
    unit: Tensor = embeddings / norms
    return unit
