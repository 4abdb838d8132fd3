"""Random and repository batches: coverage of an epoch, determinism, and sibling-only pieces."""

from __future__ import annotations

from collections import Counter

import pytest

from training.batching import batch_schedule, random_batch, repository_batch, repository_plan

REPOS = ["a"] * 10 + ["b"] * 7 + ["c"] * 13 + ["d"] * 2


def test_random_batches_cover_an_epoch_without_repeats_and_depend_only_on_the_step() -> None:
    epoch = [i for step in range(4) for i in random_batch(step, 10, 2, seed=1)]
    assert len(set(epoch)) == 8
    assert random_batch(5, 10, 2, seed=1) == random_batch(5, 10, 2, seed=1) != random_batch(1, 10, 2, seed=1)


def test_a_repository_batch_is_one_repository_when_it_can_be() -> None:
    plan = repository_plan(REPOS, batch_size=4, repos_per_batch=1, seed=0)
    batches = plan.batches(0)
    assert len(batches) == plan.batches_per_epoch == 8  # 32 pairs in pieces of 4
    every = [index for batch in batches for index in batch]
    assert len(every) == len(set(every)) == 32  # an epoch shows each pair at most once
    single = [batch for batch in batches if len({REPOS[i] for i in batch}) == 1]
    # a: 2 pieces, b: 1, c: 3 are whole pieces of one repository; 2+3+1+2 leftovers make 2 mixed pieces
    assert len(single) == 6
    assert Counter(REPOS[batch[0]] for batch in single) == Counter({"a": 2, "b": 1, "c": 3})


def test_several_repositories_per_batch_come_in_equal_pieces() -> None:
    plan = repository_plan(REPOS, batch_size=4, repos_per_batch=2, seed=3)
    batches = plan.batches(1)
    assert len(batches) == 8 and all(len(batch) == 4 for batch in batches)
    pieces = [batch[start : start + 2] for batch in batches for start in (0, 2)]
    # 10/2 + 7//2 + 13//2 + 2/2 = 15 pieces of one repository; b's and c's odd pairs make the 16th
    assert sum(len({REPOS[i] for i in piece}) == 1 for piece in pieces) >= 15


def test_repository_batches_depend_only_on_the_step_and_change_between_epochs() -> None:
    plan = repository_plan(REPOS, batch_size=4, repos_per_batch=1, seed=0)
    again = repository_plan(list(REPOS), batch_size=4, repos_per_batch=1, seed=0)
    steps = [repository_batch(step, plan) for step in range(16)]
    assert steps == [repository_batch(step, again) for step in range(16)]
    assert steps[:8] != steps[8:]  # epoch 2 is another draw


def test_bad_plans_are_refused() -> None:
    with pytest.raises(ValueError, match="multiple"):
        repository_plan(REPOS, batch_size=6, repos_per_batch=4, seed=0)
    with pytest.raises(ValueError, match="do not fill"):
        repository_plan(["a", "b"], batch_size=4, repos_per_batch=1, seed=0)
    with pytest.raises(ValueError, match="batch mode"):
        batch_schedule("shuffled", REPOS, 4, 1, 0)


def test_the_schedule_selects_the_mode() -> None:
    random_mode = batch_schedule("random", REPOS, 4, 1, seed=2)
    assert random_mode(3) == random_batch(3, len(REPOS), 4, seed=2)
    grouped = batch_schedule("repository", REPOS, 4, 1, seed=2)
    mixed = sum(len({REPOS[i] for i in grouped(step)}) > 1 for step in range(8))
    assert mixed <= 2 < sum(len({REPOS[i] for i in random_mode(step)}) > 1 for step in range(8))
