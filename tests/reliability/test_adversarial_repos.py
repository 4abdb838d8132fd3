"""Adversarial repositories: every hostile file is skipped or handled with a counted reason, nothing crashes.

One repository holds them all and goes through the real ``codesearch index`` (real encoder): a
50 MB single-line file, a 900 KB one-line file, 10,000 levels of nesting, symlink loops, a link
cycle, a named pipe, file names with a newline and with invalid UTF-8, a ``.gitignore`` with
thousands of patterns. Permission-denied files and folders are indexed by a process that has
dropped root (root reads everything), and a file rewritten while it is being indexed must end
up indexed as its last version.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from codesearch.config import Settings
from codesearch.index.store import IndexStore
from codesearch.indexer.updates import update_repository
from codesearch.records import IndexSummary
from tests.fakes import HashingEncoder, hashing_params
from tests.reliability.harness import Cli, assert_ok, check_passes, record, source_files

NOBODY = 65534
DEPTH = 10_000


def write_hostile_repo(root: Path) -> None:
    (root / "src").mkdir(parents=True)
    (root / "src" / "normal.py").write_text("def parse_config(path):\n    return open(path).read()\n")
    with (root / "huge_line.js").open("w") as handle:  # 50 MB, one line
        handle.write("var blob = '")
        for _ in range(50):
            handle.write("x" * (1 << 20))
        handle.write("';\n")
    (root / "wide.js").write_text("var a = [" + "1," * 450_000 + "];\n")  # under the size limit, one line
    (root / "deep.js").write_text("function f() {\n" * DEPTH + "}\n" * DEPTH)
    (root / "deep_parens.py").write_text("x = " + "(\n" * DEPTH + "1" + ")\n" * DEPTH)
    os.symlink(".", root / "src" / "loop")  # a folder link to its own parent
    os.symlink("cycle_b.py", root / "cycle_a.py")
    os.symlink("cycle_a.py", root / "cycle_b.py")  # a cycle of links that resolves to nothing
    os.symlink("nowhere.py", root / "dangling.py")
    os.mkfifo(root / "src" / "pipe.py")
    (root / "src" / "new\nline.py").write_text("def odd_name():\n    return 1\n")
    (root / os.fsdecode(b"caf\xe9.py")).write_text("def undecodable_name():\n    return 2\n")
    patterns = "".join(f"generated_{i}/\n*.out{i}\n!keep_{i}.py\n" for i in range(3000))
    (root / ".gitignore").write_text(patterns + "ignored_*.py\n")
    (root / "ignored_a.py").write_text("def hidden():\n    return 3\n")


def skipped_counts(stderr: str) -> dict[str, int]:
    """The ``skipped:`` line of an index summary as {reason: count}."""
    line = next(line for line in stderr.splitlines() if line.strip().startswith("skipped:"))
    pairs = (item.rsplit(" ", 1) for item in line.split(":", 1)[1].split(","))
    return {reason.strip(): int(count) for reason, count in pairs}


def test_a_hostile_repository_through_the_real_cli(cli: Cli, tmp_path: Path) -> None:
    repo = tmp_path / "hostile"
    write_hostile_repo(repo)
    result = assert_ok(cli.run("index", repo, timeout_s=900))
    skipped = skipped_counts(result.stderr)
    expected = {"too_large": 1, "minified": 1, "nested_too_deep": 1, "symlink_loop": 3, "broken_symlink": 1,
                "not_regular": 1, "undecodable_name": 1, "ignored": 1}
    assert {reason: skipped.get(reason) for reason in expected} == expected, result.stderr
    assert "indexed 4 files" in result.stderr  # normal.py, the newline name, deep.js, deep_parens.py
    check_passes(cli, repo, repo / ".codesearch")
    again = assert_ok(cli.run("index", repo))
    assert "0 new, 0 changed, 0 deleted, 4 unchanged" in again.stderr  # handled files are not retried
    for reason, count in skipped.items():
        record(f"adversarial skips: {reason}", count)


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder outside tmp_path (whose parents are private to root) that user nobody may enter."""
    folder = Path(tempfile.mkdtemp(prefix="codesearch-adversarial-"))
    folder.chmod(0o777)
    yield folder
    for path in (folder, *folder.rglob("*")):
        if not path.is_symlink():
            path.chmod(0o777)
    shutil.rmtree(folder)


def as_nobody(work: Callable[[], Any]) -> Any:
    """Run ``work`` where permission bits apply: here when not root, else in a forked child as nobody."""
    if os.geteuid() != 0:
        return work()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child drops root for good, sends its pickled outcome, and leaves without pytest
        os.close(read_end)
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            payload = pickle.dumps(("ok", work()))
        except BaseException as exc:
            payload = pickle.dumps(("error", repr(exc)))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        status, value = pickle.loads(pipe.read())
    os.waitpid(pid, 0)
    assert status == "ok", value
    return value


def test_permission_denied_files_and_folders(shared_folder: Path) -> None:
    repo = shared_folder / "repo"
    (repo / "locked").mkdir(parents=True)
    (repo / "ok.py").write_text("def readable():\n    return 1\n")
    (repo / "secret.py").write_text("def secret():\n    return 2\n")
    (repo / "locked" / "inner.py").write_text("def inner():\n    return 3\n")
    for path in (repo, *repo.rglob("*")):
        path.chmod(0o777 if path.is_dir() else 0o666)
    (repo / "secret.py").chmod(0o000)
    (repo / "locked").chmod(0o000)

    def index() -> tuple[IndexSummary, list[str], tuple[str, ...]]:
        with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store:
            summary = update_repository(store, repo, Settings(), HashingEncoder)
            return summary, sorted(store.all_file_states()), store.check_integrity().problems

    summary, indexed, problems = as_nobody(index)
    assert indexed == ["ok.py"] and problems == ()
    assert dict(summary.skipped_by_reason)["unreadable"] == 2  # secret.py and locked/
    assert summary.failures == ()
    record("adversarial skips: unreadable", 2)


VERSIONS = [
    "def first_version(a):\n    return a\n",
    "def second_version(a, b):\n    '''A longer version of the file.'''\n    return a + b\n\n\n"
    "def extra():\n    return 0\n",
    "",
]


def test_a_file_rewritten_while_it_is_indexed_ends_up_as_its_last_version(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    target = repo / "churn.py"
    target.write_text(VERSIONS[0])
    for i in range(30):
        (repo / f"other_{i}.py").write_text(f"def other_{i}():\n    return {i}\n")
    stop = threading.Event()
    rewrites = 0

    def churn() -> None:  # truncate-and-write, so readers also see torn and empty files
        nonlocal rewrites
        while not stop.is_set():
            target.write_text(VERSIONS[rewrites % len(VERSIONS)])
            rewrites += 1

    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store:
        writer = threading.Thread(target=churn)
        writer.start()
        try:
            for _ in range(5):
                update_repository(store, repo, Settings(), HashingEncoder)
                assert store.check_integrity().problems == ()
        finally:
            stop.set()
            writer.join()
        target.write_text(VERSIONS[1])
        update_repository(store, repo, Settings(), HashingEncoder)
        names = {s.chunk.name for s in store.get_chunks(list(range(1, 10_000))) if s.chunk.path == "churn.py"}
        assert names == {"second_version", "extra"}
        assert len(source_files(repo)) == 31 == store.counts().files
    assert rewrites > 5
    record("adversarial file rewrites during indexing", rewrites)
