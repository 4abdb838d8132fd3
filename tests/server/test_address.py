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
    ("mode", "text", "message"),
    [
        (0o644, "abc\n", "open to other users"),
        (0o620, "abc\n", "open to other users"),  # others may write it: they could set the token
        (0o600, "\n", "empty"),
        (0o600, "x" * 5000, "over 4096 bytes"),
        (0o600, "t\u00f6ken\n", "not ASCII"),
    ],
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


def test_a_token_file_that_is_a_link_or_a_fifo_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.write_text("s3cret\n")
    mine.chmod(0o600)
    link = tmp_path / "link"
    link.symlink_to(mine)
    with pytest.raises(ConfigError, match="it is a link"):
        read_or_create_token(link)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(ConfigError, match="not a regular file"):  # at once: nobody ever writes to it
        read_or_create_token(fifo)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to user nobody needs root")
def test_a_token_file_of_another_user_is_refused_though_private(tmp_path: Path) -> None:
    theirs = tmp_path / "token"
    theirs.write_text("theirs\n")
    theirs.chmod(0o600)
    nobody = pwd.getpwnam("nobody")
    os.chown(theirs, nobody.pw_uid, nobody.pw_gid)
    with pytest.raises(ConfigError, match="belongs to another user"):
        read_token(theirs)
