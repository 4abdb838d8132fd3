"""Training throughput: optimizer steps of the contrastive loss on the bundled encoder, in pairs/s.

    python -m bench.train_throughput [--steps 5] [--batch 32] [--length 128] [--pairs train.jsonl.gz]
        [--configs bfloat16:0,float32:0,bfloat16:8,bfloat16:0:3:32]

Each configuration runs ``--steps`` full steps (forward, loss, backward, AdamW) after one warm-up
step. A configuration is ``dtype:chunk[:frozen_layers[:query_tokens]]``: autocast dtype, GradCache
chunk (0 = plain loss), how many of the six layers are frozen with the embeddings (0 = the word
embeddings only, as the recipes freeze them) and the training query length (0 = ``--length``).
Pairs are synthetic (code filling ``--length`` tokens, ~20-token queries, or ``--length`` with
``--long-queries``), or a seeded draw of real ones from ``--pairs`` (a prepared ``train.jsonl.gz``),
a new batch each step. Prints one JSON line per configuration: the settings, wall and CPU seconds
per step, pairs per second and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

import torch

from codesearch.encoder.metadata import EncoderMetadata
from codesearch.encoder.runtime import set_cpu_threads
from codesearch.encoder.source import BASE_MODEL_ID
from codesearch.evaluation.pairs import Pair, read_pair_file
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


def frozen_prefixes(layers: int) -> tuple[str, ...]:
    """The word embeddings (the recipes' choice), or all embeddings and the lowest ``layers`` layers."""
    if layers == 0:
        return ("embeddings.word_embeddings.",)
    return ("embeddings.", *(f"encoder.layer.{index}." for index in range(layers)))


def real_batches(pairs: Sequence[Pair], batches: int, batch: int) -> list[tuple[list[str], list[str]]]:
    """``batches`` seeded draws of ``batch`` (query, code) pairs: the same draws for every configuration."""
    drawn = random.Random(0).sample(range(len(pairs)), batches * batch)
    rows = [pairs[index] for index in drawn]
    return [
        ([pair.query for pair in rows[start : start + batch]], [pair.code for pair in rows[start : start + batch]])
        for start in range(0, len(rows), batch)
    ]


def measure(
    steps: int,
    batch: int,
    length: int,
    setting: Setting,
    long_queries: bool,
    pairs: Sequence[Pair],
) -> dict[str, object]:
    dtype, chunk, frozen_layers, query_length = setting
    metadata = EncoderMetadata(pooling="mean", max_length=length)
    base = load_base(BASE_MODEL_ID, metadata, frozen_prefixes(frozen_layers), query_length)
    temperature = LearnedTemperature(0.05)
    trained = [p for p in base.model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW([*trained, temperature.log_scale], lr=1e-5)
    texts = real_batches(pairs, steps + 1, batch) if pairs else [synthetic_pairs(batch, long_queries)] * (steps + 1)
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if dtype == "bfloat16" else nullcontext
    timings, cpu_timings, query_tokens, code_tokens = [], [], [], []
    for queries, codes in texts:
        started, cpu_started = time.perf_counter(), time.process_time()
        query_batch, code_batch = base.tokenizing.train_queries(queries), base.tokenizing.codes(codes)
        if chunk:
            grad_cache_backward(
                base.model, temperature, query_batch, code_batch, chunk, lambda x: x, autocast
            )
        else:
            loss = batch_loss(base.model, temperature, query_batch, code_batch, lambda x: x, autocast)
            loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu_started)
        query_tokens.append(query_batch.input_ids.shape[1])
        code_tokens.append(code_batch.input_ids.shape[1])
    per_step = statistics.median(timings[1:])  # the first step warms up
    cpu_per_step = statistics.median(cpu_timings[1:])
    return {
        "dtype": dtype,
        "loss": f"gradcache/{chunk}" if chunk else "plain",
        "frozen_layers": frozen_layers,
        "query_length": query_length or length,
        "batch": batch,
        "pairs": "real" if pairs else "synthetic",
        # padded widths: a batch is as wide as its longest row
        "code_width": round(statistics.mean(code_tokens[1:]), 1),
        "query_width": round(statistics.mean(query_tokens[1:]), 1),
        "threads": torch.get_num_threads(),
        "s_per_step": round(per_step, 3),
        "pairs_per_s": round(batch / per_step, 2),
        # CPU seconds over all threads: on a machine shared with other jobs, wall time mostly measures
        # the neighbours; cpu_s_per_step / threads is the wall time the step would take alone.
        "cpu_s_per_step": round(cpu_per_step, 3),
        "pairs_per_cpu_s": round(batch / cpu_per_step, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


Setting = tuple[str, int, int, int]  # dtype, GradCache chunk, frozen layers, query tokens


def parse_setting(text: str) -> Setting:
    """``dtype:chunk[:frozen_layers[:query_tokens]]``."""
    dtype, chunk, *rest = text.split(":")
    frozen_layers, query_length = ([int(value) for value in rest] + [0, 0])[:2]
    return dtype, int(chunk), frozen_layers, query_length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--long-queries", action="store_true")
    parser.add_argument("--pairs", help="a prepared train.jsonl.gz: real pairs instead of synthetic ones")
    parser.add_argument("--configs", default="bfloat16:0,float32:0,bfloat16:8")
    args = parser.parse_args()
    set_cpu_threads(0)
    pairs = read_pair_file(Path(args.pairs)).pairs if args.pairs else ()
    for text in args.configs.split(","):
        result = measure(args.steps, args.batch, args.length, parse_setting(text), args.long_queries, pairs)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
