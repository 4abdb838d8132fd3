"""`codesearch index --ray REPO REPO` and `--repos-file`: several repositories on one pool of actors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli
from codesearch.distributed.cluster import RayConnection
from codesearch.distributed.many_repositories import read_repository_list
from codesearch.errors import ConfigError
from codesearch.index.store import IndexStore
from tests.distributed.conftest import copy_fixture_repo

pytestmark = pytest.mark.ray


def test_several_repositories_are_indexed_on_one_pool(ray_connection: RayConnection, tmp_path: Path) -> None:
    shop, tearoom = copy_fixture_repo("shop", tmp_path), copy_fixture_repo("tearoom", tmp_path)
    listed = tmp_path / "repos.txt"
    listed.write_text("# the second repository\ntearoom\n\n")
    result = CliRunner().invoke(cli, ["index", str(shop), "--ray", "--ray-workers", "1", "--repos-file", str(listed)])
    assert result.exit_code == 0, result.output
    assert "embedding on Ray (local, 1 node(s), 2 CPUs, 0 GPUs): 1 actor(s) on cpu" in result.output
    for repo in (shop, tearoom):
        assert f"{repo}:\n" in result.output
        with IndexStore.open(repo / ".codesearch", readonly=True) as store:
            coverage = store.semantic_coverage()
            assert store.check_integrity().is_ok
        assert coverage.embedded == coverage.definitions > 0
    asked = CliRunner().invoke(cli, ["ask", "hash a password with a random salt", "--repo", str(shop), "--json"])
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.output)[0]["path"] == "server/passwords.py"


def test_the_repository_list_skips_comments_and_resolves_beside_itself(tmp_path: Path) -> None:
    listed = tmp_path / "lists" / "repos.txt"
    listed.parent.mkdir()
    listed.write_text("  ../a  \n# not this\n\n/abs/b\n")
    assert read_repository_list(listed) == [(tmp_path / "a").resolve(), Path("/abs/b")]
    with pytest.raises(ConfigError, match="cannot read the repository list"):
        read_repository_list(tmp_path / "missing.txt")
