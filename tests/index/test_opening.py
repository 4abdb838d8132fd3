"""An index folder's SQLite files must be regular files: a checkout may commit links or FIFOs in their place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codesearch.errors import IndexCorruptError
from codesearch.index.store import IndexStore
from tests.index.fakes import PARAMS


@pytest.mark.parametrize(("name", "kind"), [("index.sqlite3", "fifo"), ("index.sqlite3", "link"),
                                            ("index.sqlite3-wal", "link"), ("index.sqlite3-shm", "fifo")])
def test_a_database_file_that_is_no_regular_file_is_damage(tmp_path: Path, name: str, kind: str) -> None:
    """SQLite follows a link (a WAL file linked to a user's file) and waits on a FIFO: refused before it opens."""
    with IndexStore.open(tmp_path, expected=PARAMS, create=True):
        pass
    victim = tmp_path.parent / f"{tmp_path.name}-victim"
    victim.write_text("the user's own file\n")
    (tmp_path / name).unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(tmp_path / name)
    else:
        (tmp_path / name).symlink_to(victim)
    for readonly in (True, False):
        with pytest.raises(IndexCorruptError, match=rf"^the index file .*{name} is not a regular file"):
            IndexStore.open(tmp_path, readonly=readonly, expected=None if readonly else PARAMS)
    assert victim.read_text() == "the user's own file\n"


def test_a_schema_that_sqlite_quotes_in_bytes_that_are_not_utf8_is_damage(tmp_path: Path) -> None:
    """Found by tests/fuzz/index_files.py: a byte of the schema crafted to 0xd8 made SQLite's error message
    quote it, Python's sqlite3 raised UnicodeDecodeError decoding that message, and `ask` and `status`
    printed a traceback."""
    with IndexStore.open(tmp_path, expected=PARAMS, create=True):
        pass
    database = tmp_path / "index.sqlite3"
    data = database.read_bytes()
    at = data.index(b"REFERENCES")
    database.write_bytes(data[: at + 3] + b"\xd8" + data[at + 4 :])  # REF\xd8RENCES: a syntax error, quoted
    for readonly in (True, False):
        with pytest.raises(IndexCorruptError, match=r"is corrupt \(malformed database schema .*REF\ufffd"):
            IndexStore.open(tmp_path, readonly=readonly, expected=None if readonly else PARAMS)


def test_the_index_gitignore_is_only_ever_created(tmp_path: Path) -> None:
    """Found by tests/fuzz/index_files.py: a checkout's ``.codesearch/.gitignore`` linked to a file that was
    not there had that file created by `index`; a link to a file that is there is left alone, as before."""
    absent = tmp_path / "absent.txt"
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (index_dir / ".gitignore").symlink_to(absent)
    with IndexStore.open(index_dir, expected=PARAMS, create=True):
        pass
    assert not absent.exists() and (index_dir / ".gitignore").is_symlink()
    fresh = tmp_path / "fresh"
    with IndexStore.open(fresh, expected=PARAMS, create=True):
        pass
    assert (fresh / ".gitignore").read_text().endswith("*\n")
