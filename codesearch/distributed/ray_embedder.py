"""A pool of Ray actors, each holding one encoder, that embeds what the index sends it.

``RayEmbedder`` satisfies the embedding stage's ``CodeEmbedder``: the stage hands it the texts of
one round, it cuts them into slices of ``slice_texts``, and ``ray.util.ActorPool`` spreads the
slices over the actors and returns the vectors in order. The stage then commits the round
through the same store as a local build, so rounds, crash safety and the embeddings cache are the
same. A killed actor is Ray's to handle: the actor restarts (``max_restarts``, loading its
encoder again) and the slice it held is retried (``max_task_retries``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np

from codesearch.distributed.cluster import RayConnection
from codesearch.distributed.encoder_worker import EncoderWorker, describe_worker
from codesearch.errors import ClusterError

logger = logging.getLogger(__name__)

RESTARTS = 3  # per actor: a worker killed more often than this fails the run (finished rounds stay)
TASK_RETRIES = 3  # per slice, across restarts


@dataclass(frozen=True, slots=True)
class PoolPlan:
    """How many actors, and what each asks of the cluster."""

    workers: int
    cpus_per_worker: int
    gpus_per_worker: int

    @property
    def device(self) -> str:
        return "cuda" if self.gpus_per_worker else "cpu"


def plan_pool(cpus: int, gpus: int, workers: int = 0, threads: int = 0) -> PoolPlan:
    """One actor per GPU when the cluster has GPUs, else one per ``threads`` CPUs (default 1).

    ``workers`` (when positive) overrides the count; Ray queues actors the cluster cannot place yet.
    """
    threads_per_worker = max(1, threads)
    if gpus > 0:
        return PoolPlan(workers or gpus, 1, 1)
    return PoolPlan(workers or max(1, cpus // threads_per_worker), threads_per_worker, 0)


class RayEmbedder:
    """Embeds code texts on a pool of Ray actors; a context manager that kills them on close."""

    def __init__(self, connection: RayConnection, actors: list[Any], identities: list[tuple[str, str, int]],
                 slice_texts: int) -> None:
        from ray.util import ActorPool

        self._ray = connection.ray
        self._actors = actors
        self._pool = ActorPool(actors)
        self._backend = identities[0][0]
        self._slice_texts = slice_texts

    @classmethod
    def start(cls, connection: RayConnection, model: str, model_hash: str, plan: PoolPlan, *,
              slice_texts: int = 128, start_timeout_s: float = 600.0) -> RayEmbedder:
        """Check the workers see ``model`` as ``model_hash``, then start ``plan.workers`` actors.

        Returns once every actor has loaded its encoder. Raises ClusterError when the workers
        cannot import codesearch, see another model, or fail to load it.
        """
        check_workers(connection, model, model_hash, start_timeout_s)
        ray = connection.ray
        worker_class = ray.remote(EncoderWorker).options(
            num_cpus=plan.cpus_per_worker, num_gpus=plan.gpus_per_worker,
            max_restarts=RESTARTS, max_task_retries=TASK_RETRIES,
        )
        threads = plan.cpus_per_worker if plan.device == "cpu" else 0
        actors = [worker_class.remote(model, threads, plan.device) for _ in range(plan.workers)]
        try:
            identities = ray.get([actor.identity.remote() for actor in actors], timeout=start_timeout_s)
        except (ray.exceptions.RayError, TimeoutError) as exc:
            for actor in actors:
                ray.kill(actor)
            raise ClusterError(f"the Ray workers could not load the model {model}: {_cause(exc)}") from exc
        return cls(connection, actors, identities, slice_texts)

    @property
    def backend(self) -> str:
        """What the actors compute with, e.g. "torch-float32" (the index records it per vector)."""
        return self._backend

    def worker_pids(self) -> tuple[int, ...]:
        """The actors' process ids now (a restarted actor has a new one)."""
        return tuple(pid for _, _, pid in self._ray.get([actor.identity.remote() for actor in self._actors]))

    def embed_code(
        self, texts: Sequence[str], *, batch_size: int = 32, on_progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        """The vectors of ``texts`` in order, computed by the actors. (n, dim) float32."""
        slices = [list(texts[i:i + self._slice_texts]) for i in range(0, len(texts), self._slice_texts)]
        parts: list[np.ndarray] = []
        done = 0
        try:
            for vectors in self._pool.map(lambda actor, part: actor.embed.remote(part, batch_size), slices):
                parts.append(vectors)
                done += len(vectors)
                if on_progress is not None:
                    on_progress(done, len(texts))
        except self._ray.exceptions.RayError as exc:
            raise ClusterError(f"a Ray worker failed past its {TASK_RETRIES} retries: {_cause(exc)} "
                               "(finished rounds are committed; run index again to carry on)") from exc
        return np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)

    def __enter__(self) -> RayEmbedder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def check_workers(connection: RayConnection, model: str, model_hash: str, timeout_s: float) -> None:
    """Run one small task on the cluster: can a worker import codesearch and see ``model`` as we do?"""
    ray = connection.ray
    probe = ray.remote(describe_worker).options(num_cpus=0, max_retries=0)  # runs beside busy actors
    try:
        version, seen_hash = ray.get(probe.remote(model), timeout=timeout_s)
    except (ray.exceptions.RayError, TimeoutError) as exc:
        raise ClusterError(f"the Ray cluster's workers cannot load the model {model}: {_cause(exc)} "
                           '(install "codesearch[ray]" and the model on every node)') from exc
    if seen_hash != model_hash:
        raise ClusterError(f"the Ray cluster's workers (codesearch {version}) see another model under {model}: "
                           f"hash {seen_hash[:12]}, here {model_hash[:12]}")


def _cause(exc: BaseException) -> str:
    """The last line of what went wrong on the worker (Ray wraps it in a traceback)."""
    cause = getattr(exc, "cause", None) or exc
    lines = [line for line in str(cause).strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(cause).__name__
