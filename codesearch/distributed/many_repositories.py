"""``codesearch index --ray``: one or many repositories, their embedding on one pool of Ray actors.

Everything that can fail on the cluster's side (no ``ray`` extra, no cluster at the address,
workers without codesearch or without the model) fails here before any index is opened, so a
refused run writes nothing. Repositories are then indexed one after another on this machine
(walk, hash, extract, embeddings cache, commits), sharing the actors: extraction is a small part
of the time next to embedding, and it reads files that only this machine is sure to see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from codesearch.config import Settings
from codesearch.distributed.cluster import LOCAL, ClusterShape, RayConnection
from codesearch.distributed.ray_embedder import PoolPlan, RayEmbedder, plan_pool
from codesearch.errors import CodesearchError, ConfigError
from codesearch.indexer.updates import ProgressCallback, index_repository
from codesearch.records import IndexSummary


@dataclass(frozen=True, slots=True)
class RayRun:
    """Where a ``--ray`` run embedded: the cluster it found and the pool it started."""

    address: str
    shape: ClusterShape
    plan: PoolPlan
    backend: str


def index_on_ray(
    repo_roots: Sequence[Path],
    settings_for: Callable[[Path], Settings],
    address: str = LOCAL,
    *,
    workers: int = 0,
    full: bool = False,
    lock_wait: bool = False,
    on_start: Callable[[RayRun], None] | None = None,
    on_repository: Callable[[Path], ProgressCallback | None] | None = None,
    on_summary: Callable[[Path, IndexSummary], None] | None = None,
) -> list[IndexSummary]:
    """Index every repository of ``repo_roots`` in turn, embedding on Ray actors at ``address``.

    ``settings_for`` resolves each repository's settings (its codesearch.toml); they must all
    name the same model, the one the actors load. Raises ClusterError (see cluster.py and
    ray_embedder.py), ConfigError, and whatever ``index_repository`` raises.
    """
    from codesearch.encoder.identity import describe_model

    settings = [settings_for(root) for root in repo_roots]
    for root, each in zip(repo_roots, settings, strict=True):
        if not root.is_dir():
            raise CodesearchError(f"{root} is not a folder")
        if each.model != settings[0].model:
            raise ConfigError(f"{root} asks for model {each.model}, {repo_roots[0]} for {settings[0].model}: "
                              "one --ray run embeds with one model")
    identity = describe_model(settings[0].model)
    summaries = []
    with RayConnection.connect(address) as connection:
        shape = connection.shape()
        plan = plan_pool(shape.cpus, shape.gpus, workers, settings[0].threads)
        with RayEmbedder.start(connection, settings[0].model, identity.model_hash, plan) as embedder:
            if on_start is not None:
                on_start(RayRun(address or "local", shape, plan, embedder.backend))
            for root, each in zip(repo_roots, settings, strict=True):
                progress = on_repository(root) if on_repository is not None else None
                summary = index_repository(root, each, full=full, on_progress=progress, lock_wait=lock_wait,
                                           embedder=embedder)
                summaries.append(summary)
                if on_summary is not None:
                    on_summary(root, summary)
    return summaries


def read_repository_list(path: Path) -> list[Path]:
    """The repositories listed in ``path``, one folder a line; blank lines and ``#`` comments skipped.

    Relative folders are relative to the list's own folder.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the repository list {path}: {exc}") from exc
    entries = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    return [(path.parent / entry).resolve() for entry in entries]
