"""The contrastive loss: symmetric InfoNCE over in-batch negatives with a learned temperature.

Neelakantan et al. 2022 ("Text and Code Embeddings by Contrastive Pre-Training", cpt-code): for a
batch of N (query, code) pairs, the logits are the N x N cosine similarities scaled by 1 /
temperature; row i's positive is column i and every other code is a negative, and the same holds
for columns (code -> query). The loss is the mean of the two cross-entropies. Scale =
1 / temperature, as in sentence-transformers' MultipleNegativesRankingLoss (which is the one-sided
version) and CLIP (whose clamp this copies: the scale never exceeds 100).

See ``grad_cache.py`` for the same loss over batches larger than memory allows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import torch
import torch.nn.functional as F
from torch import Tensor, nn

MAX_SCALE = 100.0  # CLIP's clamp: temperature >= 0.01

Gather = Callable[[Tensor], Tensor]  # local (n, dim) -> global (N, dim); gradients reach the local part


class LearnedTemperature(nn.Module):
    """The temperature as a learned log-scale parameter: ``scale = exp(log_scale) = 1 / temperature``.

    Call ``clamp_()`` after each optimizer step (CLIP does the same), so the scale stays in
    [1, MAX_SCALE] without a clamp in the forward pass that would zero its gradient at the bound.
    """

    def __init__(self, initial_temperature: float = 0.05, max_scale: float = MAX_SCALE) -> None:
        super().__init__()
        if not 1.0 / max_scale <= initial_temperature <= 1.0:
            low = 1.0 / max_scale
            raise ValueError(f"initial temperature must be in [{low}, 1], got {initial_temperature}")
        self.max_scale = max_scale
        self.log_scale = nn.Parameter(torch.tensor(math.log(1.0 / initial_temperature)))

    def forward(self) -> Tensor:
        """The scale, a 0-d tensor."""
        return self.log_scale.exp()

    @torch.no_grad()
    def clamp_(self) -> None:
        self.log_scale.clamp_(0.0, math.log(self.max_scale))

    @property
    def temperature(self) -> float:
        return float(torch.exp(-self.log_scale.detach()).item())


def symmetric_info_nce(queries: Tensor, codes: Tensor, scale: Tensor, same: Tensor | None = None) -> Tensor:
    """Mean of query->code and code->query cross-entropy over in-batch negatives.

    Args:
        queries: (N, dim) L2-normalised query embeddings.
        codes: (N, dim) L2-normalised code embeddings; row i is query i's positive.
        scale: 0-d tensor, 1 / temperature.
        same: optional (N, N) bool, symmetric, False on the diagonal: True where pairs i and j have the
            same query text, so code j is no negative of query i (nor code i of query j). Batches drawn
            from one repository hold such pairs ("Returns the name." above many getters); they are
            left out of both softmaxes rather than pushed apart.

    Returns:
        0-d float32 loss.
    """
    logits = scale * (queries.float() @ codes.float().T)  # (N, N)
    if same is not None:
        logits = logits.masked_fill(same, float("-inf"))
    labels = torch.arange(len(queries), device=queries.device)  # (N,)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def in_batch_loss(
    queries: Tensor, codes: Tensor, temperature: LearnedTemperature, gather: Gather, same: Tensor | None = None
) -> Tensor:
    """The loss over the global batch, from this process's (n, dim) embeddings of each side;
    ``same`` is the global batch's (N, N) mask of ``symmetric_info_nce``."""
    return symmetric_info_nce(gather(queries), gather(codes), temperature(), same)


def same_query_mask(queries: list[str]) -> Tensor:
    """(N, N) bool: True where two different rows have the same query text (case and spaces folded)."""
    keys = [" ".join(query.lower().split()) for query in queries]
    ids = {key: number for number, key in enumerate(dict.fromkeys(keys))}
    codes = torch.tensor([ids[key] for key in keys])  # (N,)
    same = codes[:, None] == codes[None, :]  # (N, N)
    return same & ~torch.eye(len(keys), dtype=torch.bool)


Autocast = Callable[[], AbstractContextManager[object]]  # mixed precision context factory


def batch_loss(
    model: nn.Module,
    temperature: LearnedTemperature,
    queries: object,
    codes: object,
    gather: Gather,
    autocast: Autocast = nullcontext,
    same: Tensor | None = None,
) -> Tensor:
    """The plain (graph-keeping) loss: both sides through ``model`` in one forward call.

    ``model`` maps token batches to one (n, dim) embedding tensor each (a DualEncoder or DDP
    around one); the loss itself runs in float32 outside autocast.
    """
    with autocast():
        query_embeddings, code_embeddings = model(queries, codes)
    return in_batch_loss(query_embeddings, code_embeddings, temperature, gather, same)
