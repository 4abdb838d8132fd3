"""Records the training loop hands out: progress for a display, and the result of a run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TrainProgress:
    """Where a run stands after one optimizer step (passed to ``on_progress``)."""

    step: int
    max_steps: int
    loss: float
    temperature: float
    learning_rate: float
    pairs_per_s: float  # global batch pairs per second over the last step
    validation_mrr: float | None  # the latest evaluation's MRR, None before the first


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Validation scores at one step."""

    step: int
    protocol: str
    pairs: int
    mrr: float
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    ndcg_at_10: float

    def as_metrics(self) -> dict[str, float]:
        """The numbers by name, as the exported metadata stores them."""
        return {
            "mrr": self.mrr,
            "recall@1": self.recall_at_1,
            "recall@5": self.recall_at_5,
            "recall@10": self.recall_at_10,
            "ndcg@10": self.ndcg_at_10,
        }


@dataclass(frozen=True, slots=True)
class TrainResult:
    """What a run did."""

    out_dir: Path
    steps: int  # optimizer steps taken in total (resumed ones included)
    last_loss: float | None
    evaluations: tuple[Evaluation, ...]  # in step order, this process's run only
    checkpoint_step: int | None  # step of the checkpoint on disk
    stopped_reason: str | None  # None when the run finished and the model was exported
    mean_pairs_per_s: float

    @property
    def is_complete(self) -> bool:
        return self.stopped_reason is None
