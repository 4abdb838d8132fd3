"""Training throughput: optimizer steps of the contrastive loss on the bundled encoder, in pairs/s.

    python -m bench.train_throughput [--steps 5] [--batch 32] [--length 128]

Each configuration runs ``--steps`` full steps (forward, loss, backward, AdamW) after one warm-up
step, on synthetic pairs whose code fills ``--length`` tokens and whose queries are ~20 tokens (or
also ``--length`` with ``--long-queries``). Prints one JSON line per configuration: dtype, loss
(plain or GradCache chunk), wall and CPU seconds per step, pairs per second and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from contextlib import nullcontext

import torch

from codesearch.encoder.metadata import EncoderMetadata
from codesearch.encoder.runtime import set_cpu_threads
from training.grad_cache import grad_cache_backward
from training.losses import LearnedTemperature, batch_loss
from training.model import load_base

CODE_LINE = "    total = compute_value(items[index], offset=index * 3) + helper.adjust(total)\n"


def synthetic_pairs(batch: int, long_queries: bool) -> tuple[list[str], list[str]]:
    queries = [
        f"compute the adjusted total of item number {i} with an offset and a helper" for i in range(batch)
    ]
    if long_queries:
        queries = [query + " " + CODE_LINE * 20 for query in queries]
    codes = [f"def function_{i}(items, helper):\n" + CODE_LINE * 20 for i in range(batch)]
    return queries, codes


def measure(
    steps: int, batch: int, length: int, dtype: str, chunk: int, long_queries: bool
) -> dict[str, object]:
    metadata = EncoderMetadata(pooling="mean", max_length=length)
    base = load_base("default", metadata)
    temperature = LearnedTemperature(0.05)
    optimizer = torch.optim.AdamW([*base.model.parameters(), temperature.log_scale], lr=1e-5)
    queries, codes = synthetic_pairs(batch, long_queries)
    query_batch, code_batch = base.tokenizing.queries(queries), base.tokenizing.codes(codes)
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if dtype == "bfloat16" else nullcontext
    timings, cpu_timings = [], []
    for _ in range(steps + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        if chunk:
            grad_cache_backward(
                base.model, temperature, query_batch, code_batch, chunk, lambda x: x, autocast
            )
        else:
            batch_loss(base.model, temperature, query_batch, code_batch, lambda x: x, autocast).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu_started)
    per_step = sorted(timings[1:])[len(timings[1:]) // 2]  # median; the first step warms up
    cpu_per_step = sorted(cpu_timings[1:])[len(cpu_timings[1:]) // 2]
    return {
        "dtype": dtype,
        "loss": f"gradcache/{chunk}" if chunk else "plain",
        "batch": batch,
        "code_tokens": int(code_batch.attention_mask.sum(1).float().mean()),
        "query_tokens": int(query_batch.attention_mask.sum(1).float().mean()),
        "threads": torch.get_num_threads(),
        "s_per_step": round(per_step, 3),
        "pairs_per_s": round(batch / per_step, 2),
        # CPU seconds over all threads: on a machine shared with other jobs, wall time mostly measures
        # the neighbours; cpu_s_per_step / threads is the wall time the step would take alone.
        "cpu_s_per_step": round(cpu_per_step, 3),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--long-queries", action="store_true")
    parser.add_argument("--configs", default="bfloat16:0,float32:0,bfloat16:8")
    args = parser.parse_args()
    set_cpu_threads(0)
    for config in args.configs.split(","):
        dtype, chunk = config.split(":")
        print(
            json.dumps(measure(args.steps, args.batch, args.length, dtype, int(chunk), args.long_queries)),
            flush=True,
        )


if __name__ == "__main__":
    main()
