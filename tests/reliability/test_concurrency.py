"""Concurrency with real processes: readers during writes, two writers, the server's watcher beside the CLI.

- Two ``codesearch index`` runs at once: the first is frozen (SIGSTOP at a crash point) while it
  holds the writer lock; a second exits at once with one line naming it, a third with ``--wait``
  waits and then finds nothing left to do.
- ``codesearch ask`` and in-process readers while ``codesearch index`` rewrites every file over
  and over: every read sees one commit whole. Each file is either entirely its old version or
  entirely its new one, every chunk has its vector, and every hit is a real function of one
  version, never a mix.
- ``codesearch serve`` watching edits while the CLI indexes the same repository: the CLI's update
  goes through the server, an in-process writer gets one line naming the server, and the
  watcher alone brings the index to exactly the clean build (no update lost).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from codesearch.index.hybrid_search import SearchRequest, search
from codesearch.index.store import IndexStore
from codesearch.records import LINE_RECORD_KINDS
from tests.reliability.conftest import Reference, StartState
from tests.reliability.harness import (
    QUERIES,
    TIMEOUT_S,
    Cli,
    FunctionKey,
    assert_ok,
    assert_same_index,
    assert_same_results,
    check_passes,
    copy_tree,
    read_index,
    record,
    search_results,
    shift_lines,
    source_files,
    wait_for_line,
)

pytestmark = pytest.mark.e2e
WRITER_RUNS = 4  # at least, and on until the ask process is done (at most MAX_WRITER_RUNS)
MAX_WRITER_RUNS = 30


def test_two_index_runs_at_once(
    cli: Cli, reference: Reference, start_states: dict[str, StartState], tmp_path: Path
) -> None:
    repo = copy_tree(reference.repo, tmp_path / "repo")
    index_dir = copy_tree(start_states["half"].index_dir, tmp_path / "index")
    first = cli.start("index", repo, "--index-dir", index_dir, crash_at="batch:committed:1/STOP")
    try:
        wait_for_line(first, "SIGSTOP")  # frozen after its first commit, holding the writer lock
        assert os.waitpid(first.pid, os.WUNTRACED)[1] & 0xFF == 0x7F  # WIFSTOPPED
        second = cli.run("index", repo, "--index-dir", index_dir)
        assert second.returncode == 1 and "Traceback" not in second.stderr
        errors = [line for line in second.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and f"being written by process {first.pid}" in errors[0], second.stderr
        check_passes(cli, repo, index_dir)  # meanwhile readers see the first run's first commit, whole
        waiting = cli.start("index", repo, "--index-dir", index_dir, "--wait")
        os.kill(first.pid, signal.SIGCONT)
        assert first.wait(TIMEOUT_S) == 0
        _, waited = waiting.communicate(timeout=TIMEOUT_S)
        assert waiting.returncode == 0, waited
        assert "0 new, 0 changed, 0 deleted" in waited  # it ran only after the first had finished
    finally:
        first.kill()
        first.communicate()
    assert_same_index(read_index(index_dir), reference.contents)
    record("concurrent index runs refused with a clear message")
    record("concurrent index runs that waited their turn")


class Versions:
    """The two versions of every file the writer alternates between, and their functions."""

    def __init__(self, reference: Reference) -> None:
        self.original = {str(p.relative_to(reference.repo)): p.read_bytes() for p in source_files(reference.repo)}
        self.hashes = {
            path: {hashlib.sha256(data).hexdigest(): 0, hashlib.sha256(b"\n" + data).hexdigest(): 1}
            for path, data in self.original.items()
        }
        self.functions: dict[str, tuple[set[FunctionKey], set[FunctionKey]]] = {
            path: (set(), set()) for path in self.original
        }
        for path, name, kind, start, end in reference.contents.functions:
            self.functions[path][0].add((path, name, kind, start, end))
            self.functions[path][1].add((path, _shifted(name, kind, start, end), kind, start + 1, end + 1))
        self.every_function = {key for pair in self.functions.values() for side in pair for key in side}

    def write(self, repo: Path, version: int) -> None:
        """Version 1 is version 0 one line lower (a blank line on top)."""
        for path, data in self.original.items():
            (repo / path).write_bytes(b"\n" + data if version else data)


def _shifted(qualified_name: str, kind: str, start: int, end: int) -> str:
    """The qualified name one line lower: a block's is its location label (``util.py:4-33``)."""
    if kind not in LINE_RECORD_KINDS or not qualified_name.endswith(f":{start}-{end}"):
        return qualified_name
    return f"{qualified_name.rpartition(':')[0]}:{start + 1}-{end + 1}"


def assert_one_commit_whole(index_dir: Path, versions: Versions) -> int:
    """Open the index as ``ask`` does and check one read snapshot; how many functions it held."""
    probe = np.ones(384, dtype=np.float32)
    with IndexStore.open(index_dir, readonly=True) as store, store.reading():
        states = store.all_file_states()
        found = store.dense_search(probe, 100_000)
        chunks = store.get_chunks([scored.chunk_id for scored in found])
        counts = store.counts()
        hits = search(store, lambda texts: probe[np.newaxis, :], SearchRequest(QUERIES[0], 10))
    assert len(chunks) == len(found) == counts.chunks == counts.live_vectors
    by_file: dict[str, set[FunctionKey]] = {path: set() for path in states}
    for stored in chunks:
        c = stored.chunk
        by_file[c.path].add((c.path, c.qualified_name, c.kind, c.start_line, c.end_line))
    for path, state in states.items():
        version = versions.hashes[path][state.content_hash]  # KeyError: a torn file
        expected = versions.functions[path][version]
        assert by_file[path] == expected, (path, version, sorted(by_file[path] ^ expected))
    assert len(hits) == 10
    assert all((h.path, h.qualified_name, h.kind, h.start_line, h.end_line) in versions.every_function for h in hits)
    return len(chunks)


def test_readers_see_one_commit_whole_while_index_rewrites_everything(
    cli: Cli, reference: Reference, tmp_path: Path
) -> None:
    versions = Versions(reference)
    repo = copy_tree(reference.repo, tmp_path / "repo")
    index_dir = copy_tree(reference.index_dir, tmp_path / "index")
    queries = tmp_path / "queries.txt"
    queries.write_text("\n".join(list(QUERIES) * 10) + "\n")
    asking = cli.start("ask", "--repo", repo, "--index-dir", index_dir, "--queries-file", queries)
    done = threading.Event()
    failures: list[BaseException] = []
    reads = [0, 0]
    runs = [0]

    def write() -> None:
        try:
            while runs[0] < WRITER_RUNS or (asking.poll() is None and runs[0] < MAX_WRITER_RUNS):
                versions.write(repo, (runs[0] + 1) % 2)
                assert_ok(cli.run("index", repo, "--index-dir", index_dir))
                runs[0] += 1
        except BaseException as exc:
            failures.append(exc)
        finally:
            done.set()

    def read(slot: int) -> None:
        try:
            while not done.is_set():
                assert_one_commit_whole(index_dir, versions)
                reads[slot] += 1
        except BaseException as exc:
            failures.append(exc)
            done.set()

    threads = [threading.Thread(target=write), *(threading.Thread(target=read, args=(i,)) for i in range(2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    answers, errors = asking.communicate(timeout=TIMEOUT_S)
    assert not failures, failures[0]
    assert asking.returncode == 0, errors[-3000:]
    lines = [json.loads(line) for line in answers.splitlines()]
    assert len(lines) == len(QUERIES) * 10 and all(len(hits) == 10 for hits in lines)
    for hit in (hit for hits in lines for hit in hits):
        key = (hit["path"], hit["qualified_name"], hit["kind"], hit["start_line"], hit["end_line"])
        assert key in versions.every_function, key
    assert runs[0] >= WRITER_RUNS and min(reads) > 0
    record("reads checked whole during writes", sum(reads) + len(lines))
    record("index runs that rewrote every file under readers", runs[0])


def test_the_servers_watcher_and_the_cli_at_once(
    cli: Cli, reference: Reference, start_states: dict[str, StartState], query_vectors: dict[str, np.ndarray],
    tmp_path: Path,
) -> None:
    from codesearch.index.locations import record_repo_root
    from codesearch.server.client import ServerConnection

    repo = copy_tree(reference.repo, tmp_path / "repo")
    shift_lines(source_files(repo))
    index_dir = copy_tree(start_states["shifted"].index_dir, tmp_path / "index")
    record_repo_root(index_dir, repo.resolve())
    server = cli.start("serve", repo, CODESEARCH_INDEX_DIR=str(index_dir))
    socket_path = Path(cli.env["XDG_RUNTIME_DIR"]) / "codesearch" / "server.sock"
    try:
        wait_for_line(server, "serving on")
        with ServerConnection.connect(socket_path) as connection:
            connection.call("initialize", {"rootUri": repo.resolve().as_uri()})
            for path in source_files(repo)[::2]:  # edits the watcher sees ...
                shutil.copy2(reference.repo / path.relative_to(repo), path)
            through_server = cli.run("index", repo, "--index-dir", index_dir)  # ... while the CLI indexes
            assert_ok(through_server)
            in_process = cli.run("index", repo, "--index-dir", index_dir, "--batch-size", "8")
            assert in_process.returncode == 1 and f"process {server.pid}" in in_process.stderr, in_process.stderr
            for path in source_files(repo)[1::2]:  # the rest, for the watcher alone
                shutil.copy2(reference.repo / path.relative_to(repo), path)
            while read_index(index_dir).files != reference.contents.files:
                message = connection.next_notification(TIMEOUT_S)  # each finished round
                assert message.method in ("codesearch/indexUpdated", "$/progress"), message
        assert subprocess.run(cli.command(["serve", "--stop"]), env=cli.environment(), check=False,
                              capture_output=True, timeout=TIMEOUT_S).returncode == 0
        server.communicate(timeout=TIMEOUT_S)
        assert server.returncode == 0
    finally:
        server.kill()
        server.communicate()
    check_passes(cli, repo, index_dir)
    assert_same_index(read_index(index_dir), reference.contents)  # no `codesearch index` since: the watcher's
    assert_same_results(search_results(index_dir, query_vectors), reference.results)
    record("server rounds beside CLI runs without a lost update")
