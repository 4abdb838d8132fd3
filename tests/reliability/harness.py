"""Machinery of the reliability suite: real ``codesearch`` processes, index contents, recorded figures.

Every command runs as its own process (``python -m codesearch``) in a private HOME and runtime
folder, so no real server or cache is touched. What a suite wants reported (kills survived,
inputs tried, errors seen) goes through ``record``; conftest.py prints the totals at the end of
the run, and docs/reliability.md "Reliability" quotes them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 600.0  # per command; a loaded 2-core machine takes ~20 s to load the model and embed
STDLIB_PACKAGES = ("json", "tomllib", "concurrent")  # 14 files, ~200 definitions, every CPython >= 3.11
ROUND_CHUNKS = 24  # small rounds: a run over the repository commits ~10 times
QUERIES = (
    "parse a TOML document into a dict",
    "serialize a python object to a JSON formatted string",
    "wait until the futures complete",
    "shut down the thread pool and free its resources",
    "decode a JSON document that starts somewhere in a string",
    "escape non-ASCII characters in a string",
    "cancel a future that has not started running",
    "raise an error for an invalid value",
)
VECTOR_TOLERANCE = 1e-4  # largest difference per component between two builds' vectors
SCORE_TOLERANCE = 1e-4

FIGURES: Counter[str] = Counter()  # name -> count, printed by conftest.pytest_terminal_summary
_FIGURES_LOCK = threading.Lock()
_CRASH_LINE = re.compile(r"crash point (\S+) #(\d+)")


def record(name: str, amount: int = 1) -> None:
    """Add ``amount`` to the figure ``name`` (e.g. "index kills survived")."""
    with _FIGURES_LOCK:
        FIGURES[name] += amount


# -- processes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cli:
    """Runs ``codesearch`` in child processes with a fixed environment."""

    env: Mapping[str, str]

    @classmethod
    def in_home(cls, home: Path) -> Cli:
        (home / "run").mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith("CODESEARCH_")}
        env.update(
            HOME=str(home),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_RUNTIME_DIR=str(home / "run"),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
            PYTHONUNBUFFERED="1",
            CODESEARCH_THREADS="1",  # the model shares 2 cores with everything else
            CODESEARCH_ROUND_CHUNKS=str(ROUND_CHUNKS),
            # Kills must land while vectors are computed and written: no machine-wide cache hands them
            # back (its own crash tests: tests/index/test_machine_cache.py, tests/e2e/test_damaged_index.py).
            CODESEARCH_EMBEDDING_CACHE="false",
        )
        return cls(env)

    def command(self, args: Sequence[str | Path]) -> list[str]:
        return [sys.executable, "-m", "codesearch", *map(str, args)]

    def environment(self, crash_at: str | None = None, **extra: str) -> dict[str, str]:
        env = {**self.env, **extra}
        if crash_at is not None:
            env["CODESEARCH_TEST_CRASH_AT"] = crash_at
        return env

    def run(
        self,
        *args: str | Path,
        crash_at: str | None = None,
        timeout_s: float = TIMEOUT_S,
        preexec: Callable[[], None] | None = None,
        **extra: str,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(args), env=self.environment(crash_at, **extra), capture_output=True, text=True,
            timeout=timeout_s, check=False, preexec_fn=preexec,
        )

    def start(self, *args: str | Path, crash_at: str | None = None, **extra: str) -> subprocess.Popen[str]:
        """A running command; stdout and stderr are pipes (read stderr to follow crash points)."""
        return subprocess.Popen(
            self.command(args), env=self.environment(crash_at, **extra), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )


def crash_points_of(stderr: str) -> list[str]:
    """The crash point names a traced (or killed) run passed, in order."""
    return [match.group(1) for match in _CRASH_LINE.finditer(stderr)]


def assert_killed(result: subprocess.CompletedProcess[str]) -> str:
    """Check the run died of SIGKILL at a crash point; the point's name."""
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stderr[-2000:])
    points = crash_points_of(result.stderr)
    assert points, result.stderr[-2000:]
    return points[-1]


def assert_ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (result.returncode, result.stdout[-2000:], result.stderr[-3000:])
    return result


def check_passes(cli: Cli, repo: Path, index_dir: Path) -> None:
    """``codesearch status --check`` exits 0 and reports integrity ok."""
    result = assert_ok(cli.run("status", repo, "--index-dir", index_dir, "--check"))
    assert "integrity:    ok" in result.stdout, result.stdout


def wait_for_line(process: subprocess.Popen[str], pattern: str, timeout_s: float = TIMEOUT_S) -> str:
    """Read the process's stderr until a line contains ``pattern``; that line."""
    assert process.stderr is not None
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            raise AssertionError(f"the process ended before {pattern!r}: {''.join(seen)[-2000:]}")
        seen.append(line)
        if pattern in line:
            return line
    raise AssertionError(f"no {pattern!r} within {timeout_s} s")


# -- repositories --------------------------------------------------------------------------------


def copy_stdlib_subset(dest: Path) -> Path:
    """A repository made of a few CPython standard library packages (real, varied Python code)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    dest.mkdir(parents=True)
    for package in STDLIB_PACKAGES:
        shutil.copytree(stdlib / package, dest / package, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def source_files(repo: Path) -> list[Path]:
    return sorted(path for path in repo.rglob("*.py") if ".codesearch" not in path.parts)


def copy_tree(source: Path, dest: Path) -> Path:
    """A copy with the same mtimes, so an index of ``source`` sees ``dest`` as unchanged."""
    shutil.copytree(source, dest, symlinks=True)
    return dest


def shift_lines(paths: Iterable[Path]) -> None:
    """Prepend a blank line: every definition moves down one line, its text (and vector) stays."""
    for path in paths:
        path.write_bytes(b"\n" + path.read_bytes())


# -- index contents ------------------------------------------------------------------------------


FunctionKey = tuple[str, str, str, int, int]  # path, qualified name, kind, start line, end line


@dataclass(frozen=True)
class IndexContents:
    """What an index holds, independent of row ids: functions with their vectors, and files."""

    functions: dict[FunctionKey, tuple[str, np.ndarray]]  # -> (embed hash, vector (dim,) float32)
    files: dict[str, str]  # path -> content hash


def read_index(index_dir: Path) -> IndexContents:
    uri = f"file:{index_dir / 'index.sqlite3'}?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        (model_hash,) = conn.execute("SELECT value FROM meta WHERE key = 'model_hash'").fetchone()
        rows = conn.execute(
            "SELECT c.path, c.qualified_name, c.kind, c.start_line, c.end_line, c.embed_hash, e.vector "
            "FROM chunks AS c LEFT JOIN embeddings AS e ON e.embed_hash = c.embed_hash AND e.model_hash = ?",
            (model_hash,),
        ).fetchall()
        files = dict(conn.execute("SELECT path, content_hash FROM files").fetchall())
    functions: dict[FunctionKey, tuple[str, np.ndarray]] = {}
    for path, name, kind, start, end, embed_hash, blob in rows:
        assert blob is not None, f"{path}:{name} has no vector"
        key = (path, name, kind, start, end)
        assert key not in functions, f"{key} is stored twice"
        functions[key] = (embed_hash, np.frombuffer(blob, dtype="<f4"))
    return IndexContents(functions, files)


def assert_same_index(actual: IndexContents, expected: IndexContents) -> None:
    """Same files, same functions, same vectors to VECTOR_TOLERANCE."""
    assert actual.files == expected.files
    missing = sorted(set(expected.functions) - set(actual.functions))[:5]
    extra = sorted(set(actual.functions) - set(expected.functions))[:5]
    assert not missing and not extra, f"missing {missing}, extra {extra}"
    for key, (embed_hash, vector) in expected.functions.items():
        got_hash, got_vector = actual.functions[key]
        assert got_hash == embed_hash, key
        assert float(np.max(np.abs(got_vector - vector))) <= VECTOR_TOLERANCE, key


Ranking = tuple[tuple[str, str, float], ...]  # (path, qualified name, score) best first


def search_results(index_dir: Path, query_vectors: Mapping[str, np.ndarray], k: int = 10) -> list[Ranking]:
    """The hybrid search answers to QUERIES, read the way ``codesearch ask`` reads them."""
    from codesearch.index.hybrid_search import SearchRequest, search
    from codesearch.index.store import IndexStore

    answers = []
    with IndexStore.open(index_dir, readonly=True) as store:
        for query in QUERIES:
            with store.reading():
                hits = search(store, lambda texts: query_vectors[texts[0]][np.newaxis, :], SearchRequest(query, k))
            answers.append(tuple((hit.path, hit.qualified_name, hit.score) for hit in hits))
    return answers


def assert_same_results(actual: list[Ranking], expected: list[Ranking]) -> None:
    for query, got, want in zip(QUERIES, actual, expected, strict=True):
        assert [hit[:2] for hit in got] == [hit[:2] for hit in want], query
        assert all(abs(g[2] - w[2]) <= SCORE_TOLERANCE for g, w in zip(got, want, strict=True)), query
