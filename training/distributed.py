"""Data-parallel training across processes: who this process is, and gathering embeddings.

Runs under ``torchrun`` (which sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT; torch reads
them through ``init_method="env://"``), or as a single process when WORLD_SIZE is unset.

Every rank computes the full loss over the global batch, so each sees all N negatives. The
gather keeps gradients for the local rows: its backward sums the gradient of the gathered matrix
over ranks and returns this rank's slice. Since every rank's loss is the same function of the same
gathered matrix, that slice is world_size x dLoss/dlocal, and DDP's gradient *averaging* over ranks
then yields exactly the single-process gradient of the global batch (tests/training/test_distributed.py).
The temperature sits outside DDP: every rank computes the same gradient for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor


@dataclass(frozen=True, slots=True)
class ProcessGroup:
    """This process's place in the job."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 writes logs, checkpoints and the exported model."""
        return self.rank == 0


def start_process_group(device: str) -> ProcessGroup:
    """Join the torchrun job when there is one (gloo on CPU, nccl on CUDA), else a group of one."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    torch_device = torch.device(device)
    if torch_device.type == "cuda" and torch_device.index is None:
        torch_device = torch.device("cuda", local_rank)
    if world_size == 1:
        return ProcessGroup(0, 1, 0, torch_device)
    if not dist.is_initialized():
        if torch_device.type == "cuda":
            torch.cuda.set_device(torch_device)
        dist.init_process_group(
            backend="nccl" if torch_device.type == "cuda" else "gloo", init_method="env://"
        )
    return ProcessGroup(dist.get_rank(), dist.get_world_size(), local_rank, torch_device)


def stop_process_group() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


class _GatherWithGrad(torch.autograd.Function):
    """all_gather whose backward sends each rank the summed gradient of its own rows."""

    @staticmethod
    def forward(ctx: Any, local: Tensor) -> Tensor:
        world_size, rank = dist.get_world_size(), dist.get_rank()
        parts = [torch.empty_like(local) for _ in range(world_size)]
        dist.all_gather(parts, local.contiguous())
        ctx.rows = (rank * len(local), (rank + 1) * len(local))
        return torch.cat(parts)  # (world_size * n, dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        total = grad.contiguous().clone()  # (world_size * n, dim)
        dist.all_reduce(total, op=dist.ReduceOp.SUM)
        start, stop = ctx.rows
        return total[start:stop]


def gather_with_grad(local: Tensor) -> Tensor:
    """(n, dim) on each rank -> (world_size * n, dim) in rank order; every rank must pass the same n."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return local
    gathered: Tensor = _GatherWithGrad.apply(local)  # type: ignore[no-untyped-call]
    return gathered


def all_ranks_agree(flag: bool, device: torch.device) -> bool:
    """True when ``flag`` holds on every rank (used so that all ranks stop together)."""
    if not dist.is_initialized():
        return flag
    value = torch.tensor([1 if flag else 0], dtype=torch.int64, device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item())
