"""Reading a repository's files: regular files only, no link followed, size-capped (Hostile input, rows 4 and 13).

Real files, links and FIFOs under tmp_path. Races are made deterministic by swapping a file or a
folder right after the helper has opened a folder on its way to it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from codesearch.errors import SourceFileError
from codesearch.repository_files import (
    NOT_REGULAR,
    SYMLINK_IN_PATH,
    TOO_LARGE,
    UNREADABLE,
    VANISHED,
    open_repository_file,
    read_repository_file,
)

MARKER = b"OUTSIDE-MARKER-7d1e"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_bytes(b"def app():\n    return 1\n")
    outside = tmp_path / "outside"
    (outside / "src").mkdir(parents=True)
    (outside / "src" / "app.py").write_bytes(MARKER)
    (outside / "secret").write_bytes(MARKER)
    return root


def reason_of(call: Callable[[], object]) -> str:
    with pytest.raises(SourceFileError) as caught:
        call()
    assert MARKER not in str(caught.value).encode()
    return caught.value.reason


def test_a_regular_file_is_read_by_relative_or_absolute_path(repo: Path) -> None:
    assert read_repository_file(repo, "src/app.py", 100) == b"def app():\n    return 1\n"
    assert read_repository_file(repo, repo / "src" / "app.py", 100) == b"def app():\n    return 1\n"
    with open_repository_file(repo, "src/app.py") as (fd, status):
        assert status.st_size == 24 and os.read(fd, 3) == b"def"


def test_the_size_cap_holds(repo: Path) -> None:
    assert reason_of(lambda: read_repository_file(repo, "src/app.py", 23)) == TOO_LARGE
    assert read_repository_file(repo, "src/app.py", 24)


def test_a_link_is_never_followed_wherever_it_points(repo: Path, tmp_path: Path) -> None:
    (repo / "zero").symlink_to("/dev/zero")
    (repo / "secret").symlink_to(tmp_path / "outside" / "secret")
    (repo / "inside").symlink_to(repo / "src" / "app.py")
    (repo / "dir_link").symlink_to(tmp_path / "outside" / "src", target_is_directory=True)
    for name in ("zero", "secret", "inside", "dir_link/app.py"):
        assert reason_of(lambda name=name: read_repository_file(repo, name, 1 << 30)) == SYMLINK_IN_PATH, name


def test_a_fifo_is_refused_at_once(repo: Path) -> None:
    os.mkfifo(repo / "pipe")
    reasons: list[str] = []
    reader = threading.Thread(target=lambda: reasons.append(reason_of(lambda: read_repository_file(repo, "pipe", 9))))
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert reasons == [NOT_REGULAR]


def test_folders_devices_missing_files_and_paths_outside(repo: Path) -> None:
    assert reason_of(lambda: read_repository_file(repo, "src", 9)) == NOT_REGULAR
    assert reason_of(lambda: read_repository_file("/dev", "null", 9)) == NOT_REGULAR
    assert reason_of(lambda: read_repository_file(repo, "gone.py", 9)) == VANISHED
    assert reason_of(lambda: read_repository_file(repo, "src/app.py/x", 9)) == VANISHED
    assert reason_of(lambda: read_repository_file(repo, "../outside/secret", 9)) == UNREADABLE
    assert reason_of(lambda: read_repository_file(repo, repo.parent / "outside" / "secret", 9)) == UNREADABLE


def swap_after_opening(monkeypatch: pytest.MonkeyPatch, name: str, swap: Callable[[], None]) -> None:
    """Run ``swap`` right after the helper opens the folder ``name`` on its way: a race made deterministic."""
    real_open = os.open

    def open_then_swap(path: str, flags: int, *args: object, **kwargs: object) -> int:
        fd = real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]
        if os.path.basename(path) == name and flags & os.O_DIRECTORY:
            monkeypatch.setattr(os, "open", real_open)
            swap()
        return fd

    monkeypatch.setattr(os, "open", open_then_swap)


@pytest.mark.parametrize("swapped_in", ["link to a file outside", "fifo"])
def test_a_file_swapped_while_its_path_is_walked_is_not_read(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swapped_in: str
) -> None:
    target = repo / "src" / "app.py"

    def swap() -> None:
        target.unlink()
        if swapped_in == "fifo":
            os.mkfifo(target)
        else:
            target.symlink_to(tmp_path / "outside" / "secret")

    swap_after_opening(monkeypatch, "src", swap)
    expected = NOT_REGULAR if swapped_in == "fifo" else SYMLINK_IN_PATH
    assert reason_of(lambda: read_repository_file(repo, target, 1 << 20)) == expected


def test_a_folder_swapped_for_a_link_while_the_path_is_walked_is_not_followed(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def swap() -> None:
        os.rename(repo / "src", tmp_path / "src-away")
        (repo / "src").symlink_to(tmp_path / "outside" / "src", target_is_directory=True)

    swap_after_opening(monkeypatch, repo.name, swap)  # after the repository folder itself is opened
    assert reason_of(lambda: read_repository_file(repo, repo / "src" / "app.py", 1 << 20)) == SYMLINK_IN_PATH


def test_a_folder_swapped_for_a_link_on_the_way_is_not_followed(repo: Path, tmp_path: Path) -> None:
    """A folder of the path replaced by a link to a folder outside holding a file of the same name."""
    os.rename(repo / "src", tmp_path / "src-away")
    (repo / "src").symlink_to(tmp_path / "outside" / "src", target_is_directory=True)
    assert reason_of(lambda: read_repository_file(repo, repo / "src" / "app.py", 1 << 20)) == SYMLINK_IN_PATH
