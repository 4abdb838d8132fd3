"""A full disk and a read-only index folder: one clear line and exit 1, the old index still whole.

The disk is a small tmpfs mounted for the test (``mount -t tmpfs -o size=...``, as root); where
mounting is not permitted, each ``codesearch`` process gets RLIMIT_FSIZE instead, so a file
cannot grow past the limit (EFBIG rather than ENOSPC; the test records which medium ran). The
update that fails is a real one: the "half" start state brought back to the whole repository
from the embeddings cache, so it writes chunk rows, keyword rows and vectors round after round.
A read-only folder is a read-only remount of the tmpfs, or, without mounting, a folder without
write permission and a process that has dropped root.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.reliability.conftest import Reference, StartState
from tests.reliability.harness import (
    Cli,
    assert_ok,
    assert_same_index,
    assert_same_results,
    check_passes,
    copy_tree,
    read_index,
    record,
    search_results,
)

pytestmark = pytest.mark.e2e
MIB = 1 << 20


@contextlib.contextmanager
def tmpfs(folder: Path, size_bytes: int) -> Iterator[bool]:
    """Mount a tmpfs of ``size_bytes`` on ``folder``; yields False (and mounts nothing) if not permitted."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(folder)], capture_output=True, check=False
    ).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=True)


def limit_file_size(limit_bytes: int) -> Callable[[], None]:
    """A preexec_fn: no file may grow past ``limit_bytes`` (writes past it fail with EFBIG)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the writer
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return apply


def fill(folder: Path, leave_bytes: int) -> Path:
    """Write a filler file so that only about ``leave_bytes`` stay free on ``folder``'s filesystem."""
    stats = os.statvfs(folder)
    filler = folder / "filler"
    with filler.open("wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * max(0, stats.f_bavail * stats.f_frsize - leave_bytes))
    return filler


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and all(word in errors[0] for word in words), result.stderr[-3000:]
    return errors[0]


def assert_nothing_half_written(index_dir: Path) -> None:
    leftovers = [p.name for p in index_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], leftovers
    assert len(list(index_dir.glob("vectors.*.hnsw"))) == 1  # exactly the one the sidecar vouches for


def still_usable(cli: Cli, repo: Path, index_dir: Path, query_vectors: dict[str, np.ndarray]) -> None:
    """The failed update left an index that passes the check and answers every query."""
    check_passes(cli, repo, index_dir)
    assert_nothing_half_written(index_dir)
    answers = search_results(index_dir, query_vectors)
    assert all(len(hits) == 10 for hits in answers)


@pytest.mark.parametrize(("medium", "free_bytes"), [
    ("tmpfs", 16 * 1024), ("tmpfs", 200 * 1024), ("tmpfs", 600 * 1024), ("tmpfs", 1200 * 1024),
    ("rlimit", 64 * 1024), ("rlimit", 512 * 1024),
])
def test_a_full_disk_fails_cleanly_and_keeps_the_old_index(
    medium: str,
    free_bytes: int,
    cli: Cli,
    reference: Reference,
    start_states: dict[str, StartState],
    query_vectors: dict[str, np.ndarray],
    tmp_path: Path,
) -> None:
    repo = copy_tree(reference.repo, tmp_path / "repo")
    start = start_states["half"]
    size = sum(p.stat().st_size for p in start.index_dir.iterdir()) + 2 * MIB
    disk = tmp_path / "disk"
    with tmpfs(disk, size) if medium == "tmpfs" else contextlib.nullcontext(False) as mounted:
        used = "tmpfs" if mounted else "rlimit"
        index_dir = copy_tree(start.index_dir, disk / "index")
        limit = None
        if used == "tmpfs":
            filler = fill(disk, free_bytes)
        else:
            limit = limit_file_size(free_bytes)  # a new file (the WAL, a vectors file) cannot outgrow it
        failed = cli.run("index", repo, "--index-dir", index_dir, preexec=limit)
        if failed.returncode == 0:
            record(f"full disk ({used}): update fitted")
        else:
            line = assert_one_line_error(failed, "cannot write the index")
            record(f"full disk ({used}): clean failures")
            detail = line.split(" (", 1)[1].rsplit("). It still", 1)[0]
            record(f"full disk errors: {'incomplete vectors file' if 'hnswlib' in detail else 'SQLite: ' + detail}")
        still_usable(cli, repo, index_dir, query_vectors)
        if used == "tmpfs":
            filler.unlink()
        assert_ok(cli.run("index", repo, "--index-dir", index_dir))
        assert_same_index(read_index(index_dir), reference.contents)
        assert_same_results(search_results(index_dir, query_vectors), reference.results)


@pytest.mark.parametrize("means", ["read-only mount", "no write permission"])
def test_a_read_only_index_folder(
    means: str, cli: Cli, reference: Reference, start_states: dict[str, StartState],
    query_vectors: dict[str, np.ndarray], tmp_path: Path,
) -> None:
    repo = copy_tree(reference.repo, tmp_path / "repo")
    start = start_states["half"]
    size = sum(p.stat().st_size for p in start.index_dir.iterdir()) + 2 * MIB
    disk = tmp_path / "disk"
    with tmpfs(disk, size) if means == "read-only mount" else contextlib.nullcontext(False) as mounted:
        index_dir = copy_tree(start.index_dir, disk / "index")
        if not mounted:  # also where mounting is not permitted
            refuse_as_nobody(repo, index_dir)
            record("read-only folder (no write permission): clean refusals")
            return
        before = {p.name: p.read_bytes() for p in index_dir.iterdir()}
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        assert_one_line_error(cli.run("index", repo, "--index-dir", index_dir), "read-only")
        record("read-only folder (read-only tmpfs): clean refusals")
        still_usable(cli, repo, index_dir, query_vectors)
        assert {p.name: p.read_bytes() for p in index_dir.iterdir()} == before  # not one byte changed


def _unexpected(exception: BaseException | None) -> str:
    if exception is None or isinstance(exception, SystemExit):
        return ""
    return "".join(traceback.format_exception(exception))


def refuse_as_nobody(repo: Path, index_dir: Path) -> None:
    """Without mounting: the folder loses its write bits and ``index`` runs in a child that dropped root."""
    from click.testing import CliRunner

    import codesearch.cli.summaries
    import codesearch.indexer.status  # imported here: the child cannot read a Python installed under /root
    from codesearch.cli.commands import cli as command
    from codesearch.index.locations import record_repo_root
    from tests.reliability.test_adversarial_repos import as_nobody

    assert codesearch.indexer.status and codesearch.cli.summaries

    shared = Path(tempfile.mkdtemp(prefix="cs-ro-"))  # /tmp: reachable by nobody, unlike tmp_path
    try:
        shared_repo = copy_tree(repo, shared / "repo")
        shared_index = copy_tree(index_dir, shared / "index")
        record_repo_root(shared_index, shared_repo)  # an index kept elsewhere names its repository
        for path in (shared, *shared.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        for path in (shared_index, *shared_index.iterdir()):
            path.chmod(0o555 if path.is_dir() else 0o444)

        before = {p.name: p.read_bytes() for p in shared_index.iterdir()}

        def run() -> list[tuple[int, str]]:
            runner = CliRunner()
            return [(result.exit_code, result.output + _unexpected(result.exception)) for result in (
                runner.invoke(command, ["index", str(shared_repo), "--index-dir", str(shared_index)]),
                runner.invoke(command, ["status", str(shared_repo), "--index-dir", str(shared_index), "--check"]),
            )]

        (code, output), (status_code, status) = as_nobody(run)
        assert code == 1 and "read-only" in output and len(output.strip().splitlines()) == 1, output
        assert status_code == 0 and "integrity:    ok" in status, status  # searching it still works
        assert {p.name: p.read_bytes() for p in shared_index.iterdir()} == before
    finally:
        for path in (shared, *shared.rglob("*")):
            path.chmod(0o755)
        shutil.rmtree(shared)
