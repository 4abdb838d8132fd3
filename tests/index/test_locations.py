"""Which repository an index indexes: never moved by what is written inside the index folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codesearch.errors import ConfigError, IndexNotFoundError
from codesearch.index.locations import (
    INDEX_DIR_NAME,
    find_index_dir,
    index_dir_for,
    record_repo_root,
    repo_root_of,
)
from codesearch.index.store import IndexStore
from tests.index.fakes import PARAMS

NOBODY_UID = 65534


def test_the_default_index_indexes_the_folder_that_holds_it(tmp_path: Path) -> None:
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    (repo / INDEX_DIR_NAME).mkdir(parents=True)
    elsewhere.mkdir()
    index_dir = repo / INDEX_DIR_NAME
    assert repo_root_of(index_dir) == repo
    (index_dir / "repo_root").write_text(f"{elsewhere}\n")  # as a checkout that commits its index could
    assert repo_root_of(index_dir) == repo
    record_repo_root(index_dir, repo)  # and the next `index` writes the truth back
    assert (index_dir / "repo_root").read_text().strip() == str(repo)


def test_an_index_kept_elsewhere_names_its_repository(tmp_path: Path) -> None:
    repo, index_dir = tmp_path / "repo", tmp_path / "indexes" / "repo-index"
    repo.mkdir()
    index_dir.mkdir(parents=True)
    assert index_dir_for(repo, str(index_dir)) == index_dir
    with pytest.raises(IndexNotFoundError, match="does not say which repository it indexes"):
        repo_root_of(index_dir)
    record_repo_root(index_dir, repo)
    assert repo_root_of(index_dir) == repo


@pytest.mark.parametrize(
    ("recorded", "reason"),
    [("relative/path", "does not name an existing folder"), ("/no/such/folder", "existing folder you can read"),
     ("", "does not name an existing folder")],
)
def test_a_record_that_names_no_folder_is_refused(tmp_path: Path, recorded: str, reason: str) -> None:
    index_dir = tmp_path / "idx"
    index_dir.mkdir()
    (index_dir / "repo_root").write_text(recorded + "\n")
    with pytest.raises(IndexNotFoundError, match=reason):
        repo_root_of(index_dir)


def test_a_record_others_could_write_is_not_believed(tmp_path: Path) -> None:
    repo, index_dir = tmp_path / "repo", tmp_path / "idx"
    repo.mkdir()
    index_dir.mkdir()
    record_repo_root(index_dir, repo)
    (index_dir / "repo_root").chmod(0o666)
    with pytest.raises(IndexNotFoundError, match="writable by every user"):
        repo_root_of(index_dir)
    (index_dir / "repo_root").chmod(0o644)
    index_dir.chmod(0o777)
    with pytest.raises(IndexNotFoundError, match="writable by every user"):
        repo_root_of(index_dir)
    index_dir.chmod(0o755)
    (index_dir / "repo_root").unlink()
    (index_dir / "repo_root").symlink_to(tmp_path / "planted")
    with pytest.raises(IndexNotFoundError, match="a symbolic link"):
        repo_root_of(index_dir)


def test_a_record_of_another_user_is_not_believed(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a file owned by another user needs root (chown)")
    repo, index_dir = tmp_path / "repo", tmp_path / "idx"
    repo.mkdir()
    index_dir.mkdir()
    record_repo_root(index_dir, repo)
    os.chown(index_dir / "repo_root", NOBODY_UID, NOBODY_UID)
    with pytest.raises(IndexNotFoundError, match=f"owned by user {NOBODY_UID}, not by you"):
        repo_root_of(index_dir)


def test_a_folder_named_codesearch_is_only_its_parents_index(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    assert index_dir_for(repo, str(repo / INDEX_DIR_NAME)) == repo / INDEX_DIR_NAME
    with pytest.raises(ConfigError, match="is the index of the folder that holds it"):
        index_dir_for(repo, str(tmp_path / "other" / INDEX_DIR_NAME))


def test_an_index_kept_elsewhere_is_not_the_repository_or_above_it(tmp_path: Path) -> None:
    """Found by tests/fuzz/live_socket.py: ``reindex`` with ``indexDir`` the served repository itself wrote the
    index's ``.gitignore`` of ``*`` there, and the next update of the repository's index found no file."""
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    for folder in (repo, tmp_path, Path("/"), repo / "sub" / ".."):
        with pytest.raises(ConfigError, match="cannot be the repository's own folder or a folder above it"):
            index_dir_for(repo, str(folder))
    assert index_dir_for(repo, str(repo / "sub")) == repo / "sub"  # inside it, or beside it: as before
    assert index_dir_for(repo, str(tmp_path / "repo-index")) == tmp_path / "repo-index"


def test_a_codesearch_folder_that_is_a_link_is_no_index(tmp_path: Path) -> None:
    """Found by tests/fuzz/index_files.py: a checkout's ``.codesearch`` linked to another repository's index
    answered `ask` with that repository's code, and `index` rewrote that index with this checkout's files."""
    other, checkout = tmp_path / "other", tmp_path / "checkout"
    with IndexStore.open(other / INDEX_DIR_NAME, expected=PARAMS, create=True):
        pass
    before = sorted(path.name for path in (other / INDEX_DIR_NAME).iterdir())
    (checkout / "sub").mkdir(parents=True)
    (checkout / INDEX_DIR_NAME).symlink_to(other / INDEX_DIR_NAME)
    refused = r"checkout/\.codesearch is a symbolic link, not an index folder of .*checkout; remove it"
    for find in (lambda: find_index_dir(checkout / "sub", None), lambda: index_dir_for(checkout, None),
                 lambda: IndexStore.open(checkout / INDEX_DIR_NAME, readonly=True),
                 lambda: IndexStore.open(checkout / INDEX_DIR_NAME, expected=PARAMS, create=True)):
        with pytest.raises(IndexNotFoundError, match=refused):
            find()
    assert sorted(path.name for path in (other / INDEX_DIR_NAME).iterdir()) == before
    (checkout / INDEX_DIR_NAME).unlink()
    (checkout / INDEX_DIR_NAME).symlink_to(tmp_path / "absent")  # a link to nothing: refused, not walked past
    with pytest.raises(IndexNotFoundError, match=refused):
        find_index_dir(checkout, None)


def test_a_name_too_long_for_the_system_is_no_index(tmp_path: Path) -> None:
    """Found by tests/fuzz/: `--index-dir` of 300 characters raised OSError (ENAMETOOLONG) from is_file()."""
    with pytest.raises(IndexNotFoundError, match=r"cannot look for an index in .*: File name too long"):
        find_index_dir(tmp_path, "x" * 300)
    with pytest.raises(IndexNotFoundError, match="no index found"):
        find_index_dir(tmp_path / ("x" * 300), None)
