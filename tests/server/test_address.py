"""The token file and the private runtime folder."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pytest

from codesearch.errors import ConfigError
from codesearch.server.address import prepare_private_dir, read_or_create_token, read_token


def test_a_missing_token_file_is_created_private_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "token"
    token = read_or_create_token(path)
    assert len(token) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create_token(path) == token == read_token(path)


@pytest.mark.parametrize(
    ("mode", "text", "message"), [(0o644, "abc\n", "readable by others"), (0o600, "\n", "empty")]
)
def test_token_files_others_can_read_or_empty_ones_are_refused(
    tmp_path: Path, mode: int, text: str, message: str
) -> None:
    path = tmp_path / "token"
    path.write_text(text)
    os.chmod(path, mode)
    with pytest.raises(ConfigError, match=message):
        read_or_create_token(path)


def test_a_new_socket_folder_is_made_private_and_an_existing_one_of_ours_is_left_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "run" / "codesearch"
    prepare_private_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    os.chmod(folder, 0o755)  # readable by others, writable only by us: the socket (0600) is still private
    prepare_private_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


@pytest.mark.parametrize("mode", [0o1777, 0o777, 0o775, 0o1770])
def test_a_socket_folder_others_may_write_is_refused_and_never_chmod_ed(tmp_path: Path, mode: int) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, mode)
    with pytest.raises(ConfigError, match="writable by other users"):
        prepare_private_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == mode  # the sticky bit included


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to user nobody needs root")
def test_a_socket_folder_of_another_user_is_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    nobody = pwd.getpwnam("nobody")
    os.chown(theirs, nobody.pw_uid, nobody.pw_gid)
    with pytest.raises(ConfigError, match="belongs to another user"):
        prepare_private_dir(theirs)
    assert theirs.stat().st_uid == nobody.pw_uid and stat.S_IMODE(theirs.stat().st_mode) == 0o700
