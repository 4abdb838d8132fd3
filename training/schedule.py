"""The schedule of a run: the learning rate at each step and the pairs in each step's batch.

Both depend only on the step (and the config and seed), so a resumed run continues exactly.
"""

from __future__ import annotations

import math

import torch

from training.config import TrainConfig


def learning_rate_at(step: int, config: TrainConfig) -> float:
    """Linear warm-up to ``learning_rate``, then cosine or linear decay to ``min_learning_rate``."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    if config.schedule == "constant":
        return config.learning_rate
    progress = min(1.0, (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps))
    decay = 0.5 * (1.0 + math.cos(math.pi * progress)) if config.schedule == "cosine" else 1.0 - progress
    return config.min_learning_rate + decay * (config.learning_rate - config.min_learning_rate)


def batch_indices(step: int, train_size: int, batch_size: int, seed: int) -> list[int]:
    """The global batch of ``step``: a slice of a seeded permutation per epoch (so a resumed run
    sees the same batches); the last incomplete batch of an epoch is dropped."""
    per_epoch = train_size // batch_size
    epoch, position = divmod(step, per_epoch)
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(train_size, generator=generator)
    return order[position * batch_size : (position + 1) * batch_size].tolist()
