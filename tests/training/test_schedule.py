"""The learning-rate schedule and the batches of each step."""

from __future__ import annotations

import dataclasses
import math

import pytest

from training.config import TrainConfig
from training.schedule import batch_indices, learning_rate_at


def test_the_schedule_warms_up_then_decays() -> None:
    config = TrainConfig(learning_rate=1.0, min_learning_rate=0.1, warmup_steps=10, max_steps=110)
    assert learning_rate_at(0, config) == pytest.approx(0.1)
    assert learning_rate_at(9, config) == pytest.approx(1.0)
    assert learning_rate_at(60, config) == pytest.approx(0.55)
    assert learning_rate_at(110, config) == pytest.approx(0.1)
    linear = dataclasses.replace(config, schedule="linear")
    assert learning_rate_at(35, linear) == pytest.approx(1.0 - 0.9 * 0.25)
    assert math.isclose(learning_rate_at(50, dataclasses.replace(config, schedule="constant")), 1.0)


def test_batches_cover_an_epoch_without_repeats_and_depend_only_on_the_step() -> None:
    epoch = [i for step in range(4) for i in batch_indices(step, 10, 2, seed=1)]
    assert len(set(epoch)) == 8
    assert (
        batch_indices(5, 10, 2, seed=1) == batch_indices(5, 10, 2, seed=1) != batch_indices(1, 10, 2, seed=1)
    )
