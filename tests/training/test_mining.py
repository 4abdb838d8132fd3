"""Mining pairs from folders, git repositories and git URLs pinned to a commit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.blocklist import parse_blocklist
from tests.training.conftest import write_repo
from training.mining import clone_repository, mine_tree, repo_name_from_url

NO_BLOCKS = parse_blocklist("nothing-blocked\n")
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    command = ["git", "-C", str(cwd), "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def test_mined_pairs_have_the_summary_as_query_and_no_docstring_in_the_code(tmp_path: Path) -> None:
    tree = mine_tree(write_repo(tmp_path / "proj", 0, 3, javascript=2), "proj", NO_BLOCKS)
    assert len(tree.pairs) == 5
    first = next(pair for pair in tree.pairs if pair.name == "task_0")
    assert first.query == "Parse the config file and return the result number 0."
    assert '"""' not in first.code and "Longer notes" not in first.code
    js = next(pair for pair in tree.pairs if pair.language == "javascript")
    assert "/**" not in js.code and js.query.startswith("Parse the config file in the browser")
    assert {pair.repo for pair in tree.pairs} == {"proj"}


def test_docstrings_of_nested_definitions_are_removed_too(tmp_path: Path) -> None:
    source = (
        "def outer(items):\n"
        '    """Collect the even items of a list."""\n'
        "    def keep(item):\n"
        '        """Tell whether one item is even."""\n'
        "        return item % 2 == 0\n"
        "    return [item for item in items if keep(item)]\n"
    )
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "m.py").write_text(source, encoding="utf-8")
    outer = next(pair for pair in mine_tree(tmp_path / "p", "p", NO_BLOCKS).pairs if pair.name == "outer")
    assert "Tell whether" not in outer.code and "return item % 2 == 0" in outer.code


def test_files_in_a_folder_named_like_a_held_out_project_are_skipped(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "app", 0, 3)
    write_repo(root / "requests", 10, 3)
    tree = mine_tree(root, "app", parse_blocklist("requests\n"))
    assert all(not pair.path.startswith("requests/") for pair in tree.pairs)
    assert dict(tree.skipped) == {"blocked_folder": 1}


@needs_git
def test_a_git_repository_records_its_commit_and_a_url_clones_at_a_pinned_commit(tmp_path: Path) -> None:
    origin = write_repo(tmp_path / "origin", 0, 3)
    git(origin, "init", "-q")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "one")
    first = git(origin, "rev-parse", "HEAD")
    write_repo(origin, 3, 5)
    git(origin, "commit", "-qam", "two")
    assert mine_tree(origin, "origin", NO_BLOCKS).revision == git(origin, "rev-parse", "HEAD")
    checkout = clone_repository(origin.as_uri(), first, tmp_path / "cache")
    tree = mine_tree(checkout, "origin", NO_BLOCKS)
    assert tree.revision == first and len(tree.pairs) == 3
    assert clone_repository(origin.as_uri(), first, tmp_path / "cache") == checkout  # reused


@needs_git
def test_a_bad_revision_is_a_data_error(tmp_path: Path) -> None:
    origin = write_repo(tmp_path / "origin", 0, 1)
    git(origin, "init", "-q")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "one")
    with pytest.raises(DataError, match="rev must be a commit id"):
        clone_repository(origin.as_uri(), "main", tmp_path / "cache")
    with pytest.raises(DataError, match="git checkout failed"):
        clone_repository(origin.as_uri(), "0" * 40, tmp_path / "cache")


def test_repository_names_come_from_urls() -> None:
    assert repo_name_from_url("https://github.com/psf/black.git") == "psf/black"
    assert repo_name_from_url("git@github.com:psf/black") == "psf/black"
