"""The learning-rate schedule."""

from __future__ import annotations

import dataclasses
import math

import pytest

from training.config import TrainConfig
from training.schedule import learning_rate_at


def test_the_schedule_warms_up_then_decays() -> None:
    config = TrainConfig(learning_rate=1.0, min_learning_rate=0.1, warmup_steps=10, max_steps=110)
    assert learning_rate_at(0, config) == pytest.approx(0.1)
    assert learning_rate_at(9, config) == pytest.approx(1.0)
    assert learning_rate_at(60, config) == pytest.approx(0.55)
    assert learning_rate_at(110, config) == pytest.approx(0.1)
    linear = dataclasses.replace(config, schedule="linear")
    assert learning_rate_at(35, linear) == pytest.approx(1.0 - 0.9 * 0.25)
    assert math.isclose(learning_rate_at(50, dataclasses.replace(config, schedule="constant")), 1.0)

