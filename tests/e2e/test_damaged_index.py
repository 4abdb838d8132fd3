"""An index damaged the way disks, copies and crashes do is detected, moved aside and rebuilt by `index`.

Real files, the real encoder: a clean build of the shop fixture, then one damage at a time to its
database (bytes flipped inside a stored path and inside a stored vector, the file truncated or
deleted) and to its vectors file. Every time ``ask`` and ``status --check`` answer with one line or
with the clean build's answers, never wrong ones; a plain ``index`` repairs it re-embedding nothing
(the machine-wide cache gives every vector back), and the answers equal the clean build's.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli

pytestmark = pytest.mark.e2e
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "repos" / "shop"
QUERIES = ("hash a password with a salt", "retry a request with backoff", "multiply two matrices")


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def answers(repo: Path) -> list[list[tuple[Any, ...]]]:
    found = answers_or_refusal(repo)
    assert found is not None
    return found


def answers_or_refusal(repo: Path, *, scored: bool = False) -> list[list[tuple[Any, ...]]] | None:
    """The answers to QUERIES (``scored``: with their scores and ranks, for two copies of one index), or
    None where ``ask`` refused in one line (exit 1), never a traceback."""
    found = []
    for query in QUERIES:
        result = run("ask", "--repo", str(repo), "--json", "-k", "5", query)
        if result.exit_code == 1 and isinstance(result.exception, SystemExit):
            assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1, result.output
            return None
        assert result.exit_code == 0, result.output
        keys = ("path", "start_line", "qualified_name", *(("score", "dense_rank") if scored else ()))
        found.append([tuple(hit[key] for key in keys) for hit in json.loads(result.stdout)])
    return found


def flip_inside(path: Path, needle: bytes) -> None:
    """Flip 16 bytes of ``path`` where ``needle`` is stored (a page that holds that value)."""
    data = bytearray(path.read_bytes())
    at = data.find(needle)
    assert at >= 0, needle
    data[at : at + 16] = bytes(b ^ 0xFF for b in data[at : at + 16])
    path.write_bytes(bytes(data))


def stored_vector(db: Path) -> bytes:
    with sqlite3.connect(db) as conn:
        (blob,) = conn.execute("SELECT vector FROM embeddings ORDER BY embed_hash LIMIT 1").fetchone()
    return bytes(blob[:32])


def damages(index_dir: Path) -> dict[str, Callable[[], None]]:
    db = index_dir / "index.sqlite3"
    return {
        "a stored path flipped": lambda: flip_inside(db, b"server/passwords.py"),
        "a stored vector flipped": lambda: flip_inside(db, stored_vector(db)),
        "the database truncated to 70%": lambda: db.write_bytes(db.read_bytes()[: int(db.stat().st_size * 0.7)]),
        "the database deleted": lambda: db.unlink(),
        "the vectors file flipped": lambda: flip_inside(next(index_dir.glob("vectors.*.hnsw")),
                                                        next(index_dir.glob("vectors.*.hnsw")).read_bytes()[4096:4112]),
        "the vectors file deleted": lambda: next(index_dir.glob("vectors.*.hnsw")).unlink(),
    }


def test_every_damage_is_repaired_by_index_with_nothing_re_embedded(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    shutil.copytree(FIXTURE, repo)
    built = run("index", str(repo))
    assert built.exit_code == 0, built.output
    clean = answers(repo)
    clean_scored = answers_or_refusal(repo, scored=True)
    clean_index = tmp_path / "clean-index"
    shutil.copytree(repo / ".codesearch", clean_index)
    for name, damage in damages(repo / ".codesearch").items():
        shutil.rmtree(repo / ".codesearch")
        shutil.copytree(clean_index, repo / ".codesearch")
        damage()
        before = run("status", str(repo), "--check")
        assert ("Traceback" not in before.output and before.exception is None) or isinstance(
            before.exception, SystemExit), (name, before.output)
        assert answers_or_refusal(repo, scored=True) in (None, clean_scored), name  # never silently wrong
        repaired = run("index", str(repo))
        assert repaired.exit_code == 0, (name, repaired.output)
        assert "records: 0 embedded" in repaired.output, (name, repaired.output)
        check = run("status", str(repo), "--check")
        assert check.exit_code == 0 and "integrity:    ok" in check.output, (name, check.output)
        assert answers(repo) == clean, name
        if "stored" in name or "truncated" in name:
            assert list((repo / ".codesearch").glob("damaged-*")), name  # kept for inspection


def test_a_server_repairs_a_damaged_index_it_opens_and_says_so(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import tempfile

    from codesearch.server.client import ServerConnection

    repo = tmp_path / "shop"
    shutil.copytree(FIXTURE, repo)
    assert run("index", str(repo)).exit_code == 0
    clean = answers(repo)
    flip_inside(repo / ".codesearch" / "index.sqlite3", stored_vector(repo / ".codesearch" / "index.sqlite3"))
    runtime = Path(tempfile.mkdtemp(prefix="cs-heal-"))  # Unix socket paths are limited to ~104 bytes
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(FIXTURE.parents[3]), os.environ.get("PYTHONPATH")]))}
    server = subprocess.Popen([sys.executable, "-m", "codesearch", "serve", str(repo)], env=env,
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert server.stderr is not None
    try:
        log = []
        while "serving on" not in (line := server.stderr.readline()):
            assert line, f"the server exited with {server.wait()}: {log}"
            log.append(line)
        assert any("moved the damaged index to" in line for line in log), log  # said in its log
        with ServerConnection.connect(runtime / "codesearch" / "server.sock") as connection:
            connection.call("initialize", {"rootUri": repo.resolve().as_uri(), "create": False})
            while not connection.call("status")["repos"][0]["generation"]:
                connection.next_notification(120)
            (state,) = connection.call("status")["repos"]
        assert "checksum" in state["repaired"]  # and in status
        assert state["lastUpdate"]["chunks_embedded"] == 0, state["lastUpdate"]
    finally:
        server.terminate()
        server.wait(60)
        shutil.rmtree(runtime, ignore_errors=True)
    assert answers(repo) == clean
