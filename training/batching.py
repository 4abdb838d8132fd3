"""Which training pairs make up each step's batch: a random draw, or a few repositories' pairs.

With in-batch negatives, a batch's other pairs are the negatives. In a random batch they come from
other projects, often other languages, and are easy to tell apart. Search inside one repository has to
separate sibling functions: same vocabulary, same helpers, same style. ``repository`` batches put
those siblings in one batch: each batch is ``repos_per_batch`` pieces of ``batch_size /
repos_per_batch`` pairs, each piece from one repository (Gao et al. 2021 and Neelakantan et al. 2022
use in-batch negatives only; grouping by source is a cheap way to make them hard).

Both plans depend only on (seed, epoch) and the training set, so a resumed run sees the same batches.
An epoch is every pair at most once; pairs that do not fill a batch are left for the next epoch's draw.

>>> plan = repository_plan(["a"] * 4 + ["b"] * 4, batch_size=4, repos_per_batch=1, seed=0)
>>> [sorted(batch) for batch in plan.batches(0)]
[[4, 5, 6, 7], [0, 1, 2, 3]]
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import torch

BATCH_MODES = ("random", "repository")
BatchOf = Callable[[int], list[int]]  # step -> the global batch's training-pair indices


def batch_schedule(mode: str, repos: Sequence[str], batch_size: int, repos_per_batch: int, seed: int) -> BatchOf:
    """Step -> batch for ``mode`` (one of BATCH_MODES), over training pairs whose repositories are ``repos``."""
    if mode == "random":
        return lambda step: random_batch(step, len(repos), batch_size, seed)
    if mode == "repository":
        plan = repository_plan(repos, batch_size, repos_per_batch, seed)
        return lambda step: repository_batch(step, plan)
    raise ValueError(f"batch mode must be one of {', '.join(BATCH_MODES)}, got {mode!r}")


def random_batch(step: int, train_size: int, batch_size: int, seed: int) -> list[int]:
    """The batch of ``step``: a slice of a seeded permutation per epoch; the last incomplete batch of
    an epoch is dropped."""
    per_epoch = train_size // batch_size
    epoch, position = divmod(step, per_epoch)
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(train_size, generator=generator)
    return order[position * batch_size : (position + 1) * batch_size].tolist()


@dataclass(frozen=True, slots=True)
class RepositoryPlan:
    """Batches made of repository pieces (see the module docstring)."""

    groups: tuple[tuple[int, ...], ...]  # pair indices of each repository, in a fixed order
    batch_size: int
    piece_size: int
    seed: int

    @property
    def batches_per_epoch(self) -> int:
        pieces = sum(len(group) for group in self.groups) // self.piece_size
        return pieces // (self.batch_size // self.piece_size)

    def batches(self, epoch: int) -> list[list[int]]:
        """Every batch of ``epoch``, in order."""
        rng = random.Random(f"{self.seed}/{epoch}")
        pieces: list[list[int]] = []
        leftover: list[int] = []
        for group in self.groups:
            indices = list(group)
            rng.shuffle(indices)
            whole = len(indices) - len(indices) % self.piece_size
            pieces += [indices[i : i + self.piece_size] for i in range(0, whole, self.piece_size)]
            leftover += indices[whole:]
        rng.shuffle(leftover)  # a repository's remainder mixes with others' into pieces of their own
        whole = len(leftover) - len(leftover) % self.piece_size
        pieces += [leftover[i : i + self.piece_size] for i in range(0, whole, self.piece_size)]
        rng.shuffle(pieces)
        per_batch = self.batch_size // self.piece_size
        return [
            [index for piece in pieces[start : start + per_batch] for index in piece]
            for start in range(0, self.batches_per_epoch * per_batch, per_batch)
        ]


def repository_plan(repos: Sequence[str], batch_size: int, repos_per_batch: int, seed: int) -> RepositoryPlan:
    """The plan for pairs whose repositories are ``repos`` (one name per training pair)."""
    if repos_per_batch < 1 or batch_size % repos_per_batch:
        raise ValueError(f"batch_size {batch_size} must be a multiple of repos_per_batch {repos_per_batch}")
    by_repo: defaultdict[str, list[int]] = defaultdict(list)
    for index, repo in enumerate(repos):
        by_repo[repo].append(index)
    groups = tuple(tuple(by_repo[name]) for name in sorted(by_repo))
    plan = RepositoryPlan(groups, batch_size, batch_size // repos_per_batch, seed)
    if plan.batches_per_epoch < 1:
        raise ValueError(f"{len(repos)} pairs do not fill one batch of {batch_size}")
    return plan


def repository_batch(step: int, plan: RepositoryPlan) -> list[int]:
    """The batch of ``step`` under ``plan``."""
    epoch, position = divmod(step, plan.batches_per_epoch)
    return _epoch_batches(plan, epoch)[position]


@lru_cache(maxsize=2)
def _epoch_batches(plan: RepositoryPlan, epoch: int) -> list[list[int]]:
    return plan.batches(epoch)  # once per epoch, not per step
