"""kill -9 of a real ``codesearch serve`` while its watcher applies updates; after each, check and converge.

The server is the one writer of the indexes it serves, so its watcher rounds are the other way
an index gets written. Three kills, each in a different round:
- the catch-up round at start-up (files came back while nobody watched), at a crash point;
- a round of edits made while it serves, at a random instant (SIGKILL from here, a seeded delay
  after the round's first commit);
- a round that embeds a new file with the model, inside the transaction that stores its vectors.
After each: ``status --check`` passes, and ``codesearch index`` converges to the clean build.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.reliability.conftest import Reference, StartState
from tests.reliability.harness import (
    TIMEOUT_S,
    Cli,
    IndexContents,
    assert_ok,
    assert_same_index,
    assert_same_results,
    check_passes,
    copy_tree,
    crash_points_of,
    read_index,
    record,
    search_results,
    shift_lines,
    source_files,
    wait_for_line,
)

pytestmark = pytest.mark.e2e
SEED = 20240612
NEW_MODULE = '''\
"""A module the watcher sees appear while the server runs."""


def checksum_of_lines(path):
    """Add up the CRC-32 of every line of a text file."""
    import zlib

    with open(path, "rb") as handle:
        return sum(zlib.crc32(line) for line in handle)


class RingBuffer:
    """A fixed-size buffer that overwrites its oldest item."""

    def __init__(self, size):
        self.items = [None] * size
        self.next = 0

    def push(self, item):
        self.items[self.next % len(self.items)] = item
        self.next += 1
'''


def serve(cli: Cli, repo: Path, index_dir: Path, crash_at: str) -> subprocess.Popen[str]:
    """A ``codesearch serve`` of ``repo``, its index in ``index_dir`` (a copy made for another folder)."""
    from codesearch.index.locations import record_repo_root

    record_repo_root(index_dir, repo.resolve())  # the server serves an index only for its own repository
    process = cli.start("serve", repo, crash_at=crash_at, CODESEARCH_INDEX_DIR=str(index_dir),
                        CODESEARCH_LOG_LEVEL="INFO")
    return process


def wait_for_death(process: subprocess.Popen[str]) -> str:
    """Wait for the server to die (of the planned SIGKILL); its stderr."""
    _, stderr = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode == -signal.SIGKILL, (process.returncode, stderr[-3000:])
    return stderr


def converges_to(cli: Cli, repo: Path, index_dir: Path, expected: IndexContents) -> None:
    check_passes(cli, repo, index_dir)
    assert_ok(cli.run("index", repo, "--index-dir", index_dir))
    assert_same_index(read_index(index_dir), expected)


def test_kill_in_the_catch_up_round(
    cli: Cli, reference: Reference, start_states: dict[str, StartState], query_vectors: dict[str, np.ndarray],
    tmp_path: Path,
) -> None:
    repo = copy_tree(reference.repo, tmp_path / "repo")
    index_dir = copy_tree(start_states["half"].index_dir, tmp_path / "index")  # half the files missing
    stderr = wait_for_death(serve(cli, repo, index_dir, "batch:committed:2"))
    assert crash_points_of(stderr)[-1] == "batch:committed"
    converges_to(cli, repo, index_dir, reference.contents)
    assert_same_results(search_results(index_dir, query_vectors), reference.results)
    record("serve kills survived")


def test_kill_at_a_random_instant_of_an_edit_round(
    cli: Cli, reference: Reference, start_states: dict[str, StartState], query_vectors: dict[str, np.ndarray],
    tmp_path: Path,
) -> None:
    repo = copy_tree(reference.repo, tmp_path / "repo")
    shift_lines(source_files(repo))  # the repository as the "shifted" index has it
    index_dir = copy_tree(start_states["shifted"].index_dir, tmp_path / "index")
    process = serve(cli, repo, index_dir, "trace")
    try:
        wait_for_line(process, "serving on")
        for path in source_files(repo):  # the edits: every file back to its original text
            shutil.copy2(reference.repo / path.relative_to(repo), path)
        wait_for_line(process, "crash point batch:applied")  # the edit round's first commit
        time.sleep(random.Random(SEED).uniform(0.0, 0.05))  # the seeded instant
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    converges_to(cli, repo, index_dir, reference.contents)
    assert_same_results(search_results(index_dir, query_vectors), reference.results)
    record("serve kills survived")


def test_kill_while_a_round_stores_new_vectors(cli: Cli, reference: Reference, tmp_path: Path) -> None:
    from codesearch.encoder.embedding_text import chunk_text
    from codesearch.encoder.model import Encoder
    from codesearch.parsing.file_records import extract_records

    repo = copy_tree(reference.repo, tmp_path / "repo")
    index_dir = copy_tree(reference.index_dir, tmp_path / "index")
    process = serve(cli, repo, index_dir, "batch:written:1")  # the catch-up round commits nothing
    try:
        wait_for_line(process, "serving on")
        (repo / "json" / "ring.py").write_text(NEW_MODULE)
        stderr = wait_for_death(process)
    finally:
        process.kill()
    assert crash_points_of(stderr)[-1] == "batch:written"
    check_passes(cli, repo, index_dir)
    assert read_index(index_dir).files == reference.contents.files  # the round that died left no trace
    assert_ok(cli.run("index", repo, "--index-dir", index_dir))
    chunks = extract_records("json/ring.py", NEW_MODULE.encode(), "python").chunks  # definitions and blocks
    with Encoder.load("default", threads=1) as encoder:
        vectors = encoder.embed_code([chunk_text(chunk) for chunk in chunks])  # (n, dim)
    got = read_index(index_dir)
    expected_functions = dict(reference.contents.functions)
    for chunk, vector in zip(chunks, vectors, strict=True):
        key = (chunk.path, chunk.qualified_name, chunk.kind, chunk.start_line, chunk.end_line)
        expected_functions[key] = (got.functions[key][0], vector)
    expected_files = {**reference.contents.files, "json/ring.py": got.files["json/ring.py"]}
    assert_same_index(got, IndexContents(expected_functions, expected_files))
    record("serve kills survived")
