"""Held-out sources joined into one blocklist: the file, the evaluation manifests, the repo-level dev set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.held_out import held_out_blocklist, repo_level_names

MANIFEST = (
    '[[package]]\nname = "rich"\nversion = "1"\nlanguage = "python"\nsource = "pypi"\n'
    'upstream = "Textualize/rich"\n'
)
REPOS = [
    {"name": "tokio", "language": "rust", "url": "https://github.com/tokio-rs/tokio.git"},
    {"name": "telescope.nvim", "language": "lua", "url": "https://github.com/nvim-telescope/telescope.nvim.git"},
]


def test_all_three_lists_are_held_out(tmp_path: Path) -> None:
    (tmp_path / "block.txt").write_text("requests\n")
    (tmp_path / "corpora.toml").write_text(MANIFEST)
    (tmp_path / "repos.json").write_text(json.dumps(REPOS))
    blocklist = held_out_blocklist(tmp_path / "block.txt", [tmp_path / "corpora.toml"], [tmp_path / "repos.json"])
    for name in ("requests", "rich", "Textualize/rich", "tokio-rs/tokio", "librust-tokio-dev", "telescope.nvim"):
        assert blocklist.is_blocked(name), name
    assert not blocklist.is_blocked("tracing")


def test_without_extra_lists_only_the_file_counts(tmp_path: Path) -> None:
    (tmp_path / "block.txt").write_text("requests\n")
    blocklist = held_out_blocklist(tmp_path / "block.txt")
    assert blocklist.is_blocked("requests") and not blocklist.is_blocked("tokio")


def test_repo_level_names_are_the_name_and_the_url_owner_and_repository() -> None:
    assert repo_level_names(json.dumps(REPOS)) == [
        "tokio", "tokio-rs/tokio", "telescope.nvim", "nvim-telescope/telescope.nvim",
    ]


@pytest.mark.parametrize("text", ["{", '{"name": "x"}', '[{"url": "https://github.com/a/b"}]'])
def test_a_malformed_repository_list_is_a_data_error(text: str) -> None:
    with pytest.raises(DataError):
        repo_level_names(text)


def test_a_missing_repository_list_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "block.txt").write_text("requests\n")
    with pytest.raises(DataError, match="repository list"):
        held_out_blocklist(tmp_path / "block.txt", repo_lists=[tmp_path / "none.json"])
