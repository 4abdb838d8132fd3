"""The learning rate at each step of a run (the pairs of each step's batch: ``batching.py``).

It depends only on the step and the config, so a resumed run continues exactly; except under a time
budget (``time_budget_s``), where the decay follows the run's elapsed time instead of its steps, so a run
on shared cores still ends its schedule, and on time, however many steps the time held.
"""

from __future__ import annotations

import math

from training.config import TrainConfig


def learning_rate_at(step: int, config: TrainConfig, elapsed_s: float = 0.0) -> float:
    """Linear warm-up to ``learning_rate``, then cosine or linear decay to ``min_learning_rate``: over the
    steps, or over ``config.time_budget_s`` when it is set (``elapsed_s``: the run's training time so far)."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    if config.schedule == "constant":
        return config.learning_rate
    if config.time_budget_s:
        progress = min(1.0, elapsed_s / config.time_budget_s)
    else:
        progress = min(1.0, (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps))
    decay = 0.5 * (1.0 + math.cos(math.pi * progress)) if config.schedule == "cosine" else 1.0 - progress
    return config.min_learning_rate + decay * (config.learning_rate - config.min_learning_rate)

