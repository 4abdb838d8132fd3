"""Two processes on gloo must give the loss and gradients of one process on the same global batch.

Each rank embeds half of the batch; the embeddings are gathered (with gradient for the local rows),
every rank computes the loss over all 8 pairs, and DDP averages the weight gradients. Checked for
the plain loss and for GradCache, against a single process with the whole batch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from codesearch.encoder.metadata import EncoderMetadata
from tests.training.test_losses import CODES, QUERIES
from training.distributed import gather_with_grad
from training.grad_cache import grad_cache_backward
from training.losses import LearnedTemperature, batch_loss
from training.model import DualEncoder, LoadedBase, load_base

WORLD_SIZE = 2
METADATA = EncoderMetadata(
    pooling="end_delimiter",
    max_length=32,
    query_prefix="[",
    query_suffix="]",
    code_prefix="{",
    code_suffix="}",
)


def run_both_losses(base: LoadedBase, model: torch.nn.Module, rows: slice) -> dict[str, Any]:
    """Loss and gradients of the plain loss, then of GradCache, on this process's ``rows``."""
    queries, codes = base.tokenizing.queries(QUERIES[rows]), base.tokenizing.codes(CODES[rows])
    results: dict[str, Any] = {}
    for name in ("plain", "cached"):
        temperature = LearnedTemperature(0.07)
        if name == "plain":
            loss = batch_loss(model, temperature, queries, codes, gather_with_grad)
            loss.backward()
        else:
            loss = grad_cache_backward(model, temperature, queries, codes, 2, gather_with_grad)
        encoder: DualEncoder = getattr(model, "module", model)
        grads = {n: p.grad.clone() for n, p in encoder.named_parameters() if p.grad is not None}
        grads["temperature"] = temperature.log_scale.grad.clone()  # type: ignore[union-attr]
        results[name] = (loss.item(), grads)
        encoder.zero_grad(set_to_none=True)
    return results


def worker(rank: int, init_file: str, model_folder: str, out_folder: str) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD_SIZE)
    try:
        base = load_base(model_folder, METADATA)
        base.model.eval()  # no dropout, so the two layouts compute the same activations
        model = DistributedDataParallel(base.model)
        share = len(QUERIES) // WORLD_SIZE
        results = run_both_losses(base, model, slice(rank * share, (rank + 1) * share))
        torch.save(results, Path(out_folder) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_two_gloo_ranks_match_one_process_on_the_global_batch(tiny_bert: Path, tmp_path: Path) -> None:
    mp.start_processes(
        worker,
        args=(str(tmp_path / "init"), str(tiny_bert), str(tmp_path)),
        nprocs=WORLD_SIZE,
        start_method="spawn",
        join=True,
    )
    base = load_base(str(tiny_bert), METADATA)
    base.model.eval()
    expected = run_both_losses(base, base.model, slice(0, len(QUERIES)))
    for rank in range(WORLD_SIZE):
        found = torch.load(tmp_path / f"rank{rank}.pt", weights_only=True)
        for name in ("plain", "cached"):
            (loss, grads), (want_loss, want_grads) = found[name], expected[name]
            assert loss == pytest.approx(want_loss, rel=1e-5), (rank, name)
            assert grads.keys() == want_grads.keys()
            for key, grad in want_grads.items():
                torch.testing.assert_close(
                    grads[key], grad, rtol=1e-4, atol=1e-6, msg=f"rank {rank} {name} {key}"
                )
