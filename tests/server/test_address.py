"""The token file and the private runtime folder."""

from __future__ import annotations

import os
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


def test_the_runtime_folder_is_made_private(tmp_path: Path) -> None:
    folder = tmp_path / "run" / "codesearch"
    prepare_private_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    os.chmod(folder, 0o755)
    prepare_private_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
