"""GradCache: the in-batch contrastive loss for batches larger than activation memory allows.

Gao et al. 2021 ("Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup"); the
same idea as sentence-transformers' CachedMultipleNegativesRankingLoss. The loss depends on the
network only through the embeddings, so:

1. embed every chunk of queries and of code without building a graph (little memory);
2. compute the loss on those embeddings and its gradient with respect to each embedding;
3. re-run each chunk with a graph and back-propagate the cached gradient into the weights.

Step 3 replays each chunk's random state, so dropout masks match step 1 and the result equals the
plain loss's gradient (tests/training/test_losses.py checks this to float tolerance). Under DDP
only the last chunk's backward synchronises gradients.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import cast

import torch
from torch import Tensor, nn

from training.losses import Autocast, Gather, LearnedTemperature, in_batch_loss
from training.model import DualEncoder, TokenBatch


@dataclass(frozen=True, slots=True)
class _Chunk:
    batch: TokenBatch
    rng: tuple[Tensor, Tensor | None]  # CPU generator state, CUDA generator state (or None)
    rows: tuple[int, int]  # where its embeddings sit in the side's (n, dim) matrix


def grad_cache_backward(
    model: nn.Module,
    temperature: LearnedTemperature,
    queries: TokenBatch,
    codes: TokenBatch,
    chunk_size: int,
    gather: Gather,
    autocast: Autocast = nullcontext,
    same: Tensor | None = None,
) -> Tensor:
    """Accumulate the loss's gradients into ``model`` and ``temperature``; return the detached loss.

    Args:
        model: the DualEncoder, or DDP around it.
        queries, codes: this process's share of the global batch, already on the model's device.
        chunk_size: rows per forward pass.
        gather: local -> global embeddings (identity in a single process).
        autocast: context manager factory for mixed precision (the same in both passes).
        same: the global batch's (N, N) same-query mask (``losses.symmetric_info_nce``), or None.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    encoder = cast(DualEncoder, getattr(model, "module", model))
    device = queries.input_ids.device
    sides = [_embed_without_graph(encoder, batch, chunk_size, device, autocast) for batch in (queries, codes)]
    cached = [embeddings.detach().requires_grad_() for embeddings, _ in sides]  # 2 x (n, dim)
    loss = in_batch_loss(cached[0], cached[1], temperature, gather, same)
    loss.backward()  # type: ignore[no-untyped-call]  # fills cached[i].grad and the temperature's gradient
    chunks = [(chunk, side.grad) for (_, parts), side in zip(sides, cached, strict=True) for chunk in parts]
    for number, (chunk, grad) in enumerate(chunks):
        assert grad is not None
        is_last = number == len(chunks) - 1
        with _sync_unless(model, not is_last), _replayed(chunk.rng, device), autocast():
            (embeddings,) = model(chunk.batch)  # (rows, dim)
        start, stop = chunk.rows
        torch.sum(embeddings * grad[start:stop]).backward()  # type: ignore[no-untyped-call]  # d(surrogate)/dθ = dLoss/dθ through this chunk
    return loss.detach()


def _embed_without_graph(
    encoder: DualEncoder, batch: TokenBatch, chunk_size: int, device: torch.device, autocast: Autocast
) -> tuple[Tensor, list[_Chunk]]:
    pieces: list[Tensor] = []
    chunks: list[_Chunk] = []
    for start in range(0, len(batch.input_ids), chunk_size):
        stop = min(start + chunk_size, len(batch.input_ids))
        chunk = batch.rows(start, stop)
        chunks.append(_Chunk(chunk, _rng_state(device), (start, stop)))
        with torch.no_grad(), autocast():
            pieces.append(encoder.embed(chunk))
    return torch.cat(pieces), chunks  # (n, dim)


def _rng_state(device: torch.device) -> tuple[Tensor, Tensor | None]:
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return torch.get_rng_state(), cuda


@contextmanager
def _replayed(state: tuple[Tensor, Tensor | None], device: torch.device) -> Iterator[None]:
    """Run with the random state of the first pass; the outer state is restored afterwards."""
    cpu, cuda = state
    with torch.random.fork_rng(devices=[device] if cuda is not None else []):
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state(cuda, device)
        yield


def _sync_unless(model: nn.Module, skip_sync: bool) -> AbstractContextManager[object]:
    no_sync = getattr(model, "no_sync", None)
    if skip_sync and no_sync is not None:
        return cast(AbstractContextManager[object], no_sync())
    return nullcontext()
