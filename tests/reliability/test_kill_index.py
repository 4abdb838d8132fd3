"""kill -9 of real ``codesearch index`` processes at seeded points; after each, check and converge.

Three ways to land the kill:
- at a crash point (``CODESEARCH_TEST_CRASH_AT=N``: the process SIGKILLs itself at the N-th write
  step: inside a transaction, right after a commit, before the HNSW index follows, between
  writing a vectors file and vouching for it, ...), N seeded across the whole run;
- at a random instant: a seeded delay after a seeded crash point, then SIGKILL from here, which
  lands mid-statement, mid-insert or mid-write;
- while the model embeds, on a build from nothing.

After every kill: ``codesearch status --check`` passes (every chunk has exactly one live vector and
every live vector a chunk, keyword rows match, SQLite's integrity_check passes, the vectors file
loads), and one more ``codesearch index`` converges to exactly the clean reference build: same
files and functions, same vectors, same answers to a fixed query set.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from tests.reliability.conftest import Reference, StartState
from tests.reliability.harness import (
    Cli,
    assert_killed,
    assert_ok,
    assert_same_index,
    assert_same_results,
    check_passes,
    copy_tree,
    read_index,
    record,
    search_results,
    wait_for_line,
)

pytestmark = pytest.mark.e2e
SEED = 20240611
KILLS_PER_STATE = {"half": 8, "shifted": 10, "mixed": 8}
TIMED_KILLS = 6


def seeded_crash_number(state: str, case: int, point_count: int) -> int:
    """The crash point to die at: case i of n lands in the i-th n-th of the run, seeded within it."""
    cases = KILLS_PER_STATE[state]
    position = (case + random.Random(f"{SEED}-{state}-{case}").random()) / cases  # in [0, 1)
    return 1 + int(position * point_count)


def converges(
    cli: Cli, repo: Path, index_dir: Path, reference: Reference, query_vectors: dict[str, np.ndarray]
) -> None:
    """The checks after a kill: status --check passes, and one more index gives the reference build."""
    check_passes(cli, repo, index_dir)
    assert_ok(cli.run("index", repo, "--index-dir", index_dir))
    assert_same_index(read_index(index_dir), reference.contents)
    assert_same_results(search_results(index_dir, query_vectors), reference.results)


@pytest.mark.parametrize(
    ("state", "case"), [(state, case) for state, count in KILLS_PER_STATE.items() for case in range(count)]
)
def test_kill_at_a_crash_point(
    state: str,
    case: int,
    cli: Cli,
    reference: Reference,
    start_states: dict[str, StartState],
    query_vectors: dict[str, np.ndarray],
    tmp_path: Path,
) -> None:
    start = start_states[state]
    number = seeded_crash_number(state, case, len(start.crash_points))
    repo = copy_tree(reference.repo, tmp_path / "repo")
    index_dir = copy_tree(start.index_dir, tmp_path / "index")
    point = assert_killed(cli.run("index", repo, "--index-dir", index_dir, crash_at=str(number)))
    assert point == start.crash_points[number - 1]  # the same run, so the same sequence of points
    converges(cli, repo, index_dir, reference, query_vectors)
    record("index kills survived")
    record(f"index kills at {point}")


@pytest.mark.parametrize("case", range(TIMED_KILLS))
def test_kill_at_a_random_instant(
    case: int,
    cli: Cli,
    reference: Reference,
    start_states: dict[str, StartState],
    query_vectors: dict[str, np.ndarray],
    tmp_path: Path,
) -> None:
    start = start_states["shifted"]  # the longest way back: every row is rewritten
    rng = random.Random(f"{SEED}-timed-{case}")
    after = rng.randrange(1, len(start.crash_points) - 6)  # well before the final save
    repo = copy_tree(reference.repo, tmp_path / "repo")
    index_dir = copy_tree(start.index_dir, tmp_path / "index")
    process = cli.start("index", repo, "--index-dir", index_dir, crash_at="trace")
    try:
        wait_for_line(process, f" #{after}\n")
        time.sleep(rng.uniform(0.0, 0.05))  # the seeded instant: whatever the process is doing then
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    converges(cli, repo, index_dir, reference, query_vectors)
    record("index kills survived")
    record("index kills at a random instant")


def test_kills_while_building_from_nothing_with_the_model(
    cli: Cli, reference: Reference, query_vectors: dict[str, np.ndarray], tmp_path: Path
) -> None:
    """A first build killed at a crash point, the resumed build killed while it embeds, then a third."""
    rng = random.Random(f"{SEED}-model")
    repo = copy_tree(reference.repo, tmp_path / "repo")
    index_dir = tmp_path / "index"
    count = len(reference.crash_points)
    number = rng.randrange(count // 4, count // 2)
    point = assert_killed(cli.run("index", repo, "--index-dir", index_dir, crash_at=str(number)))
    assert point == reference.crash_points[number - 1]
    check_passes(cli, repo, index_dir)
    record("index kills survived")
    record(f"index kills at {point}")

    process = cli.start("index", repo, "--index-dir", index_dir, crash_at="trace")
    try:
        wait_for_line(process, "crash point embed:round")  # the resumed build's first round of embedding
        time.sleep(rng.uniform(0.05, 0.5))  # the seeded instant, most likely inside the encoder
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    converges(cli, repo, index_dir, reference, query_vectors)
    record("index kills survived")
    record("index kills while embedding")
