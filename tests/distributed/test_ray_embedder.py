"""A real local Ray instance embeds like a local build, and survives a worker killed mid-run."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from codesearch.config import Settings
from codesearch.distributed.cluster import RayConnection
from codesearch.distributed.ray_embedder import RayEmbedder, check_workers, plan_pool
from codesearch.errors import ClusterError
from codesearch.index.store import IndexStore
from codesearch.indexer.updates import index_repository
from codesearch.records import IndexProgress
from tests.distributed.conftest import copy_fixture_repo

pytestmark = pytest.mark.ray


def stored_vectors(index_dir: Path) -> dict[str, np.ndarray]:
    """embed hash -> (dim,) float32 of every definition of the index."""
    with sqlite3.connect(index_dir / "index.sqlite3") as conn:
        rows = conn.execute(
            "SELECT c.embed_hash, e.vector FROM chunks c JOIN embeddings e ON e.embed_hash = c.embed_hash"
        ).fetchall()
    return {h: np.frombuffer(blob, dtype="<f4") for h, blob in rows}


def test_vectors_equal_a_local_build(ray_embedder: RayEmbedder, tmp_path: Path) -> None:
    repo = copy_fixture_repo("shop", tmp_path)
    local = Settings(index_dir=str(tmp_path / "local"))
    # Other batches and slices than local, and no machine-wide cache handing back the local vectors.
    on_ray = Settings(index_dir=str(tmp_path / "ray"), batch_size=3, embedding_cache=False)
    index_repository(repo, local)
    summary = index_repository(repo, on_ray, embedder=ray_embedder)

    expected, got = stored_vectors(tmp_path / "local"), stored_vectors(tmp_path / "ray")
    assert summary.chunks_embedded == len(expected) > 10
    assert got.keys() == expected.keys()
    cosines = [float(np.dot(got[h], expected[h]) / np.linalg.norm(got[h]) / np.linalg.norm(expected[h]))
               for h in expected]
    assert min(cosines) >= 0.9999
    with IndexStore.open(tmp_path / "ray", readonly=True) as store:
        assert store.check_integrity().is_ok


def test_a_worker_killed_mid_run_costs_a_retry_not_a_definition(ray_embedder: RayEmbedder, tmp_path: Path) -> None:
    repo = copy_fixture_repo("tearoom", tmp_path)
    victim = ray_embedder.worker_pids()[0]
    killed: list[int] = []

    def kill_once(state: IndexProgress) -> None:
        if state.chunks_embedded > 0 and not killed:  # the first slice is back: the rest are in flight
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    settings = Settings(index_dir=str(tmp_path / "ray"), round_chunks=8, batch_size=2)  # several rounds
    summary = index_repository(repo, settings, on_progress=kill_once, embedder=ray_embedder)
    index_repository(repo, Settings(index_dir=str(tmp_path / "local")))

    assert killed == [victim]
    assert victim not in ray_embedder.worker_pids()  # Ray restarted the actor, which loaded the model again
    with IndexStore.open(tmp_path / "ray", readonly=True) as store:
        report = store.check_integrity()
        coverage = store.semantic_coverage()
    with IndexStore.open(tmp_path / "local", readonly=True) as store:
        expected = store.counts()
    assert report.is_ok, report.problems
    assert (report.counts.files, report.counts.chunks) == (expected.files, expected.chunks)
    assert coverage.embedded == coverage.definitions == expected.chunks == summary.chunks_total
    assert stored_vectors(tmp_path / "ray").keys() == stored_vectors(tmp_path / "local").keys()


def test_workers_without_the_model_are_refused_before_any_actor(ray_connection: RayConnection) -> None:
    with pytest.raises(ClusterError, match=r"workers cannot load the model /nowhere/model: .*does not exist"):
        check_workers(ray_connection, "/nowhere/model", "0" * 64, timeout_s=60)


def test_workers_seeing_another_model_are_refused(ray_connection: RayConnection) -> None:
    with pytest.raises(ClusterError, match="see another model"):
        check_workers(ray_connection, "default", "f" * 64, timeout_s=60)


@pytest.mark.parametrize(("cpus", "gpus", "workers", "threads", "expected"), [
    (8, 0, 0, 0, (8, 1, 0)),  # one single-threaded actor per CPU
    (8, 0, 0, 4, (2, 4, 0)),  # fewer, fatter actors
    (64, 4, 0, 0, (4, 1, 1)),  # one per GPU
    (2, 0, 1, 0, (1, 1, 0)),  # --ray-workers
])
def test_the_pool_is_planned_from_the_cluster(cpus: int, gpus: int, workers: int, threads: int,
                                              expected: tuple[int, int, int]) -> None:
    assert dataclasses.astuple(plan_pool(cpus, gpus, workers, threads)) == expected
