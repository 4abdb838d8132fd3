"""One small real Ray instance (2 CPUs) for the Ray tests, and a pool of 2 actors with the real encoder.

Tests that use them skip when the ``ray`` extra is not installed; .ci/run installs it, so the skip
only spares a checkout installed without it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from codesearch.distributed.cluster import RayConnection
from codesearch.distributed.ray_embedder import PoolPlan, RayEmbedder

FIXTURE_REPOS = Path(__file__).resolve().parents[1] / "fixtures" / "repos"


@pytest.fixture(scope="session")
def ray_connection() -> Iterator[RayConnection]:
    ray = pytest.importorskip("ray", reason='the ray extra is not installed (pip install -e ".[ray]")')
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        with RayConnection.connect() as connection:  # reuses the session started above
            yield connection
    finally:
        ray.shutdown()


@pytest.fixture(scope="session")
def model_hash() -> str:
    from codesearch.encoder.identity import describe_model

    return describe_model("default").model_hash


@pytest.fixture(scope="session")
def ray_embedder(ray_connection: RayConnection, model_hash: str) -> Iterator[RayEmbedder]:
    """Two CPU actors; small slices so that even the fixture repositories make several per round."""
    with RayEmbedder.start(ray_connection, "default", model_hash, PoolPlan(2, 1, 0), slice_texts=4) as embedder:
        yield embedder


def copy_fixture_repo(name: str, into: Path) -> Path:
    target = into / name
    shutil.copytree(FIXTURE_REPOS / name, target)
    return target
