"""A checkout's own files cannot hang, exhaust or crash codesearch (docs/threat-model.md; Hostile input rows 4, 5, 13).

Real processes, real files and the real encoder, on copies of the shop fixture:

- row 4: a ``.gitignore`` linked to ``/dev/zero`` (read without a cap: MemoryError), a ``.gitignore``
  that is a FIFO and a source file that is a FIFO (``index`` waited for a writer for ever, and a
  server serving the checkout could not be stopped): ``index`` finishes and counts each one, a
  server answers and ``serve --stop`` ends it;
- row 13: a source file swapped for a link to a file outside the repository between discovery and
  the read: the read refuses the link, nothing of that file is indexed;
- row 5: a vectors file whose header says ``max_elements = 1``, its sidecar's size and CRC
  recomputed (hnswlib aborted in malloc, exit 134), and an index recording ``hnsw_m = 0``: ``ask``
  and ``status --check`` answer in one line or repair in memory, ``index`` repairs the index on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli
from codesearch.server.client import ServerConnection

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repos" / "shop"
TIMEOUT_S = 180.0
CRASHES = {134, 139, -signal.SIGABRT, -signal.SIGSEGV}
MARKER = "OUTSIDE_SECRET_5c2d"


@dataclass
class Checkout:
    repo: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "codesearch", *args], cwd=self.repo, env=self.env, capture_output=True,
            text=True, timeout=TIMEOUT_S, check=False,
        )
        assert done.returncode not in CRASHES and "Traceback" not in done.stderr, (args, done.returncode, done.stderr)
        return done


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One home for the module: its machine-wide embedding cache spares re-embedding the fixture."""
    return tmp_path_factory.mktemp("hostile-files-home")


@pytest.fixture
def checkout(tmp_path: Path, home: Path) -> Iterator[Checkout]:
    repo = (tmp_path / "shop").resolve()
    shutil.copytree(FIXTURE, repo)
    runtime = Path(tempfile.mkdtemp(prefix="cs-files-"))  # Unix socket paths are limited to ~104 bytes
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESEARCH_")}
    env.update(
        HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), XDG_RUNTIME_DIR=str(runtime),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        CODESEARCH_DEBOUNCE_S="0.1",
    )
    try:
        yield Checkout(repo, env)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def make_hostile(repo: Path) -> None:
    """A root .gitignore linked to /dev/zero, a nested .gitignore and a source file that are FIFOs."""
    (repo / ".gitignore").unlink(missing_ok=True)
    (repo / ".gitignore").symlink_to("/dev/zero")
    os.mkfifo(repo / "server" / ".gitignore")
    os.mkfifo(repo / "server" / "pipe.py")


def paths_of(asked: subprocess.CompletedProcess[str]) -> set[str]:
    assert asked.returncode == 0, asked.stderr
    return {hit["path"] for hit in json.loads(asked.stdout)}


def test_index_counts_pattern_and_source_files_that_are_no_regular_files(checkout: Checkout) -> None:
    make_hostile(checkout.repo)
    built = checkout.run("index", ".")  # before: MemoryError, or no end at all (the timeout fails it)
    assert built.returncode == 0, built.stderr
    warnings = [line for line in built.stderr.splitlines() if "WARNING: skipped" in line]
    assert any(".gitignore: symlink_in_path pattern file not read" in line for line in warnings), warnings
    assert any("server/.gitignore: not_regular pattern file not read" in line for line in warnings), warnings
    assert any("server/pipe.py: not_regular" in line for line in warnings), warnings
    assert "server/passwords.py" in paths_of(checkout.run("ask", "--json", "hash a password with a salt"))


def test_a_server_serves_such_a_checkout_and_stops(checkout: Checkout) -> None:
    make_hostile(checkout.repo)
    server = subprocess.Popen([sys.executable, "-m", "codesearch", "serve", str(checkout.repo)], env=checkout.env,
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert server.stderr is not None
    try:
        while "serving on" not in (line := server.stderr.readline()):
            assert line, f"the server exited with {server.wait()}"
        socket = Path(checkout.env["XDG_RUNTIME_DIR"]) / "codesearch" / "server.sock"
        with ServerConnection.connect(socket) as connection:
            connection.call("initialize", {"rootUri": checkout.repo.as_uri(), "create": False})
            while not connection.call("status")["repos"][0]["generation"]:  # its first round: the index built
                connection.next_notification(TIMEOUT_S)
        assert "server/passwords.py" in paths_of(checkout.run("ask", "--json", "hash a password with a salt"))
        stopped = checkout.run("serve", "--stop")
        assert stopped.returncode == 0, stopped.stderr
        assert server.wait(TIMEOUT_S) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(TIMEOUT_S)


def test_a_file_swapped_for_a_link_after_discovery_is_not_indexed(
    checkout: Checkout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row 13, in process so the swap lands exactly between discovery and the read."""
    from codesearch.indexer import updates

    outside = tmp_path / "outside.py"
    outside.write_text(f'def read_private_key():\n    """Read the deploy key."""\n    return "{MARKER}"\n')
    discover = updates.plan_files

    def discover_then_swap(*args: object, **kwargs: object) -> object:
        plan = discover(*args, **kwargs)  # type: ignore[arg-type]
        target = checkout.repo / "server" / "passwords.py"
        target.unlink()
        target.symlink_to(outside)
        return plan

    monkeypatch.setattr(updates, "plan_files", discover_then_swap)
    monkeypatch.setenv("XDG_CACHE_HOME", checkout.env["XDG_CACHE_HOME"])
    built = CliRunner().invoke(cli, ["index", str(checkout.repo)])
    assert built.exit_code == 1, built.output  # a file that could not be read is a failure, as ever
    assert "failed: server/passwords.py: unreadable:" in built.output
    assert "server/passwords.py: a symbolic link (not followed)" in built.output
    assert "files: 6 new" in built.output
    index_files = [path for path in (checkout.repo / ".codesearch").rglob("*") if path.is_file()]
    assert index_files and not any(MARKER.encode() in path.read_bytes() for path in index_files)


def craft_max_elements(index_dir: Path, max_elements: int) -> None:
    """Write ``max_elements`` into the vectors file's header and vouch for it again, as a checkout could."""
    sidecar = json.loads((index_dir / "vectors.json").read_text())
    vectors = index_dir / f"vectors.{sidecar['generation']}.hnsw"
    data = bytearray(vectors.read_bytes())
    struct.pack_into("<Q", data, 8, max_elements)
    vectors.write_bytes(bytes(data))
    sidecar.update(size_bytes=len(data), crc32=zlib.crc32(bytes(data)))
    (index_dir / "vectors.json").write_text(json.dumps(sidecar))


def record_in_meta(index_dir: Path, key: str, value: str) -> None:
    import sqlite3

    with sqlite3.connect(index_dir / "index.sqlite3") as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    conn.close()


def test_crafted_index_files_are_one_line_or_repaired_never_a_crash(checkout: Checkout) -> None:
    assert checkout.run("index", ".").returncode == 0
    index_dir = checkout.repo / ".codesearch"
    craft_max_elements(index_dir, 1)
    asked = checkout.run("ask", "--json", "hash a password with a salt")  # before: exit 134, malloc(): invalid size
    assert "server/passwords.py" in paths_of(asked)  # the vectors are rebuilt in memory from the database
    assert [line for line in asked.stderr.splitlines() if "damaged" in line] == [
        f"codesearch: WARNING: the vector file {index_dir}/vectors.2.hnsw is damaged: max_elements = 1 for 29 "
        "elements; rebuilding the vectors from the database"
    ]
    checked = checkout.run("status", ".", "--check")
    assert checked.returncode == 1 and "vectors file: unloadable" in checked.stdout
    repaired = checkout.run("index", ".")
    assert repaired.returncode == 0, repaired.stderr
    checked = checkout.run("status", ".", "--check")
    assert checked.returncode == 0 and "integrity:    ok" in checked.stdout

    record_in_meta(index_dir, "hnsw_m", "0")  # before: a segfault in hnswlib (exit 139)
    asked = checkout.run("ask", "--json", "hash a password with a salt")
    assert asked.returncode == 1
    assert asked.stderr.strip().splitlines() == [
        "Error: the index records hnsw_m = '0', not a whole number from 2 to 100 (made by another version, or "
        "altered); rebuild it with `codesearch index --full`"
    ]
    assert checkout.run("status", ".", "--check").returncode == 1
    repaired = checkout.run("index", ".")
    assert repaired.returncode == 0 and "moved the damaged index to" in repaired.stderr
    assert "server/passwords.py" in paths_of(checkout.run("ask", "--json", "hash a password with a salt"))
