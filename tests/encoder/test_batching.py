from __future__ import annotations

import doctest

from hypothesis import given
from hypothesis import strategies as st

from codesearch.encoder import batching
from codesearch.encoder.batching import MIN_BATCH_TOKENS, plan_batches


def test_docstring_examples() -> None:
    assert doctest.testmod(batching).failed == 0


def test_longest_first_and_ties_in_input_order() -> None:
    assert plan_batches([5, 9, 5, 1], max_batch_size=2, token_budget=1000) == [[1, 0], [2, 3]]


def test_token_budget_shrinks_batches_of_long_inputs() -> None:
    lengths = [100] * 4 + [10] * 6
    batches = plan_batches(lengths, max_batch_size=8, token_budget=200)
    assert [len(b) for b in batches] == [2, 2, 6]


def test_an_input_longer_than_the_budget_still_gets_a_batch() -> None:
    assert plan_batches([500, 3], max_batch_size=4, token_budget=100) == [[0], [1]]


def test_min_fill_splits_off_inputs_that_would_be_mostly_padding() -> None:
    lengths = [256, 250, 240, 60, 50, 40, 10]
    batches = plan_batches(lengths, max_batch_size=32, token_budget=8192, min_fill=0.8)
    assert batches == [[0, 1, 2], [3, 4, 5, 6]]  # the short ones are below MIN_BATCH_TOKENS together


@given(
    lengths=st.lists(st.integers(min_value=1, max_value=300), max_size=80),
    max_batch_size=st.integers(min_value=1, max_value=40),
    token_budget=st.integers(min_value=1, max_value=5000),
    min_fill=st.sampled_from([0.0, 0.5, 0.8, 1.0]),
)
def test_every_input_once_within_limits(
    lengths: list[int], max_batch_size: int, token_budget: int, min_fill: float
) -> None:
    batches = plan_batches(lengths, max_batch_size, token_budget, min_fill)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        width = lengths[batch[0]]
        assert width == max(lengths[i] for i in batch)
        assert len(batch) <= max_batch_size
        assert len(batch) == 1 or len(batch) * width <= token_budget
        for rows, index in enumerate(batch[1:], start=1):
            assert rows * width < MIN_BATCH_TOKENS or lengths[index] >= min_fill * width
