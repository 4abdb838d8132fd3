"""End to end: `codesearch ask --repo A --repo B` over two indexed fixture repositories, real encoder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "repos"


@pytest.fixture(scope="module")
def two_repos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("multi")
    repos = (root / "shop", root / "tearoom")
    for repo in repos:
        shutil.copytree(FIXTURES / repo.name, repo)
        result = CliRunner().invoke(cli, ["index", str(repo)])
        assert result.exit_code == 0, result.output
    return repos


@pytest.mark.parametrize(("query", "repository", "name"), [
    ("hash a password with a random salt", "shop", "hash_password"),
    ("split the bill between several people", "tearoom", "split_bill"),
])
def test_one_ranking_over_two_repositories_names_each_hit_s_repository(
    two_repos: tuple[Path, Path], query: str, repository: str, name: str
) -> None:
    shop, tearoom = two_repos
    result = CliRunner().invoke(cli, ["ask", query, "--repo", str(shop), "--repo", str(tearoom), "--json", "-k", "60"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert (hits[0]["repository"], hits[0]["qualified_name"]) == (repository, name)
    assert {hit["repository"] for hit in hits} == {"shop", "tearoom"}
    # The repository that answers the query comes first (search/multi_repository.py), each in its own order.
    repositories = [hit["repository"] for hit in hits]
    assert repositories[:5] == [repository] * 5
    for each in ("shop", "tearoom"):
        scores = [hit["score"] for hit in hits if hit["repository"] == each]
        assert scores == sorted(scores, reverse=True)


def test_the_terminal_answer_heads_each_hit_with_its_repository(two_repos: tuple[Path, Path]) -> None:
    shop, tearoom = two_repos
    result = CliRunner().invoke(cli, ["ask", "split the bill", "--repo", str(shop), "--repo", str(tearoom), "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "[tearoom] tearoom/orders.py:17-" in result.stdout.splitlines()[0]
