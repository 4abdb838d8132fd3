"""End to end: module-level code and documentation are found like definitions (real encoder)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli

pytestmark = pytest.mark.e2e
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "repos" / "tearoom"


@pytest.fixture(scope="module")
def indexed_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("coverage") / "tearoom"
    shutil.copytree(FIXTURE, repo)
    result = CliRunner().invoke(cli, ["index", str(repo)])
    assert result.exit_code == 0, result.output
    assert "5 files" in result.output, result.output
    return repo


def ask(repo: Path, *args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["ask", "--repo", str(repo), "--json", *args])
    assert result.exit_code == 0, result.output
    hits: list[dict[str, object]] = json.loads(result.stdout)
    return hits


@pytest.mark.parametrize(
    ("query", "path", "kind", "within"),
    [
        ("what time does the tearoom open on weekends", "README.md", "section", 1),
        ("price of a cup of darjeeling", "tearoom/menu.py", "block", 2),
        ("url routes of the http api and their handlers", "tearoom/routes.js", "block", 2),
        ("docker image of the service", "deploy/Dockerfile", "window", 2),
    ],
)
def test_records_outside_definitions_are_found(indexed_repo: Path, query: str, path: str, kind: str,
                                               within: int) -> None:
    hits = ask(indexed_repo, query, "-k", "5")
    found = [(hit["path"], hit["kind"]) for hit in hits]
    assert (path, kind) in found[:within], found


def test_a_section_hit_names_its_heading_and_exact_lines(indexed_repo: Path) -> None:
    (hit,) = ask(indexed_repo, "opening hours", "--lang", "markdown", "-k", "1")
    assert {k: hit[k] for k in ("path", "start_line", "end_line", "name", "qualified_name", "kind", "language")} == {
        "path": "README.md", "start_line": 5, "end_line": 8, "name": "## Opening hours",
        "qualified_name": "README.md > Tearoom > Opening hours", "kind": "section", "language": "markdown",
    }


def test_definitions_keep_winning_their_own_queries(indexed_repo: Path) -> None:
    assert ask(indexed_repo, "split the bill evenly between people", "-k", "1")[0]["qualified_name"] == "split_bill"
    assert ask(indexed_repo, "add_stamp", "-k", "1")[0]["qualified_name"] == "add_stamp"


def test_the_terminal_shows_a_block_by_its_location(indexed_repo: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", "--repo", str(indexed_repo), "teas on the menu and their prices",
                                      "--lang", "python", "-k", "1"])
    assert result.exit_code == 0, result.output
    assert "tearoom/menu.py:1-16" in result.stdout and "(python block)" in result.stdout
