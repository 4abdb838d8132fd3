"""The machine-wide embedding cache under real ``codesearch index`` processes: two sharing it at once, and
one killed with SIGKILL while it writes it.

Real processes and the real encoder over copies of the shop fixture; small rounds, so that each run
writes the cache several times. Every run ends with ``status --check`` passing, the clean build's
answers, and a cache that passes its own checks (SQLite's integrity_check, every row's checksum).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from codesearch.index.machine_cache import FILE_NAME, MachineCache
from tests.e2e.test_damaged_index import FIXTURE, answers, run

pytestmark = pytest.mark.e2e
ROUND_CHUNKS = "4"  # the shop's records in several rounds: several writes to the cache per run
TIMEOUT_S = 600


def index_process(repo: Path, cache: Path, crash_at: str | None = None) -> subprocess.Popen[str]:
    """A real ``codesearch index`` of ``repo`` with ``cache`` as its machine-wide cache (HOME is the test's)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESEARCH_")}
    env.update(CODESEARCH_EMBEDDING_CACHE_DIR=str(cache), CODESEARCH_ROUND_CHUNKS=ROUND_CHUNKS,
               CODESEARCH_THREADS="1", PYTHONPATH=os.pathsep.join(filter(None, [str(FIXTURE.parents[3]),
                                                                                 env.get("PYTHONPATH")])))
    if crash_at is not None:
        env["CODESEARCH_TEST_CRASH_AT"] = crash_at
    return subprocess.Popen([sys.executable, "-m", "codesearch", "index", str(repo)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=TIMEOUT_S)
    assert "Traceback" not in stderr, stderr
    return process.returncode, stderr


def stored_vectors(repo: Path) -> tuple[str, dict[str, np.ndarray]]:
    """The index's model hash and its vectors by embed hash, (dim,) float32 each."""
    with sqlite3.connect(repo / ".codesearch" / "index.sqlite3") as conn:
        (model_hash,) = conn.execute("SELECT value FROM meta WHERE key = 'model_hash'").fetchone()
        rows = conn.execute("SELECT embed_hash, vector FROM embeddings").fetchall()
    return model_hash, {embed_hash: np.frombuffer(blob, dtype="<f4") for embed_hash, blob in rows}


def sound_cache(cache: Path, model_hash: str, wanted: dict[str, np.ndarray]) -> set[str]:
    """Check the cache as it checks itself (integrity_check, every row's checksum, nothing dropped) and that
    each vector it holds is the clean build's; the embed hashes of ``wanted`` it holds."""
    with sqlite3.connect(cache / FILE_NAME) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        (rows,) = conn.execute("SELECT count(*) FROM vectors").fetchone()
    with MachineCache(cache, max_bytes=1 << 30) as opened:
        found = opened.get(model_hash, wanted)
        assert opened.dropped == 0 and len(found) == rows
    for embed_hash, cached in found.items():
        cosine = float(cached.vector @ wanted[embed_hash]) / float(np.linalg.norm(wanted[embed_hash]))
        assert cosine > 0.999, embed_hash
    return set(found)


def clean_build(tmp_path: Path) -> tuple[list[list[tuple[Any, ...]]], str, dict[str, np.ndarray]]:
    """Answers, model hash and vectors of a build that shares nothing with the runs under test."""
    repo = shutil.copytree(FIXTURE, tmp_path / "clean")
    assert run("index", str(repo)).exit_code == 0
    return answers(repo), *stored_vectors(repo)


def assert_like_the_clean_build(repo: Path, clean: list[list[tuple[Any, ...]]]) -> None:
    check = run("status", str(repo), "--check")
    assert check.exit_code == 0 and "integrity:    ok" in check.output, check.output
    assert answers(repo) == clean


def test_two_index_processes_at_once_share_one_cache(tmp_path: Path) -> None:
    clean, model_hash, vectors = clean_build(tmp_path)
    cache = tmp_path / "shared-cache"
    clones = [shutil.copytree(FIXTURE, tmp_path / name) for name in ("a", "b")]
    processes = [index_process(clone, cache) for clone in clones]  # started together, both embedding
    for process in processes:
        code, stderr = finished(process)
        assert code == 0, stderr
    for clone in clones:
        assert_like_the_clean_build(clone, clean)
    assert sound_cache(cache, model_hash, vectors) == set(vectors)  # every text, once
    third = shutil.copytree(FIXTURE, tmp_path / "c")
    code, stderr = finished(index_process(third, cache))
    assert code == 0 and "records: 0 embedded" in stderr, stderr  # the cache gave every vector
    assert_like_the_clean_build(third, clean)


@pytest.mark.parametrize("write", [1, 3])
def test_an_index_killed_while_it_writes_the_cache_leaves_it_sound(tmp_path: Path, write: int) -> None:
    clean, model_hash, vectors = clean_build(tmp_path)
    cache = tmp_path / "cache"
    repo = shutil.copytree(FIXTURE, tmp_path / "repo")
    code, stderr = finished(index_process(repo, cache, crash_at=f"cache:written:{write}"))
    assert code == -signal.SIGKILL and f"crash point cache:written #{write}" in stderr, (code, stderr)
    held = sound_cache(cache, model_hash, vectors)  # the rows of the commits before the kill, and no others
    assert len(held) < len(vectors) and (write == 1) == (not held)
    code, stderr = finished(index_process(repo, cache))
    assert code == 0, stderr
    assert_like_the_clean_build(repo, clean)
    assert sound_cache(cache, model_hash, vectors) == set(vectors)
