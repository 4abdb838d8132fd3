"""Session fixtures of the reliability suite: the repository, its clean reference build, start states.

The model is slow on CPU, so it runs as little as possible: one clean build of the reference
(the truth every crash must converge to), the query embeddings (in this process, once), and a
few runs that are killed while embedding. Every other killed run starts from an index whose
embeddings cache already holds every vector (a "start state" below), so it writes for real,
commit after commit, without loading the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.reliability.harness import (
    FIGURES,
    QUERIES,
    Cli,
    IndexContents,
    Ranking,
    assert_ok,
    check_passes,
    copy_stdlib_subset,
    copy_tree,
    crash_points_of,
    read_index,
    search_results,
    shift_lines,
    source_files,
)


@dataclass(frozen=True)
class Reference:
    """A clean full build of the repository: what every run after a crash must converge to."""

    repo: Path
    index_dir: Path
    contents: IndexContents
    results: list[Ranking]
    crash_points: list[str]  # the points the clean build passed (it ran with the trace hook)


@dataclass(frozen=True)
class StartState:
    """An index that differs from the repository, and what re-indexing the repository passes."""

    index_dir: Path
    crash_points: list[str]  # of a run from this state back to the reference


@pytest.fixture(scope="session")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli.in_home(tmp_path_factory.mktemp("cli-home"))


@pytest.fixture(scope="session")
def query_vectors() -> dict[str, np.ndarray]:
    """The real encoder's vectors of QUERIES, (dim,) float32 each."""
    from codesearch.encoder.model import Encoder

    with Encoder.load("default", threads=1) as encoder:
        vectors = encoder.embed_queries(list(QUERIES))  # (len(QUERIES), dim)
    return dict(zip(QUERIES, vectors, strict=True))


@pytest.fixture(scope="session")
def reference(cli: Cli, tmp_path_factory: pytest.TempPathFactory, query_vectors: dict[str, np.ndarray]) -> Reference:
    base = tmp_path_factory.mktemp("reference")
    repo = copy_stdlib_subset(base / "repo")
    index_dir = base / "index"
    built = assert_ok(cli.run("index", repo, "--index-dir", index_dir, crash_at="trace"))
    check_passes(cli, repo, index_dir)
    contents = read_index(index_dir)
    assert len(contents.functions) > 150, "the stdlib subset should give a few hundred definitions"
    return Reference(repo, index_dir, contents, search_results(index_dir, query_vectors),
                     crash_points_of(built.stderr))


def _prepare(cli: Cli, reference: Reference, base: Path, change: Callable[[Path], None]) -> StartState:
    """Index a changed copy of the repository from the reference's cache, then trace the way back."""
    variant = copy_tree(reference.repo, base / "variant")
    change(variant)
    index_dir = copy_tree(reference.index_dir, base / "index")
    made = assert_ok(cli.run("index", variant, "--index-dir", index_dir))
    assert "0 embedded" in made.stderr, made.stderr  # everything came from the cache
    trace_index = copy_tree(index_dir, base / "trace-index")
    trace_repo = copy_tree(reference.repo, base / "trace-repo")
    back = assert_ok(cli.run("index", trace_repo, "--index-dir", trace_index, crash_at="trace"))
    assert "0 embedded" in back.stderr, back.stderr
    return StartState(index_dir, crash_points_of(back.stderr))


def _drop_every_other(repo: Path) -> None:
    for path in source_files(repo)[::2]:
        path.unlink()


def _shift_all(repo: Path) -> None:
    shift_lines(source_files(repo))


def _mix(repo: Path) -> None:
    files = source_files(repo)
    for path in files[::3]:
        path.unlink()
    shift_lines(files[1::3])


@pytest.fixture(scope="session")
def start_states(cli: Cli, reference: Reference, tmp_path_factory: pytest.TempPathFactory) -> dict[str, StartState]:
    """half: every other file missing from the index (the way back adds them, from the cache);
    shifted: every file one line lower (the way back rewrites every row, keeping the vectors);
    mixed: a third missing and a third shifted."""
    changes = {"half": _drop_every_other, "shifted": _shift_all, "mixed": _mix}
    return {name: _prepare(cli, reference, tmp_path_factory.mktemp(f"state-{name}"), change)
            for name, change in changes.items()}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for name, count in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name}: {count}")
