"""Values read back from an index's meta table are range-checked (Hostile input, row 5; row 3's ranges).

An index made by an older version, or one that came with a checkout, may record ``hnsw_m = 0``
(hnswlib segfaults on it) or no number at all: opening it is a one-line IndexCorruptError, never a
crash or a traceback, and a writer's open (what ``codesearch index`` does) is what repairs it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codesearch.errors import IndexCorruptError
from codesearch.index.store import IndexStore
from tests.index.fakes import PARAMS


@pytest.mark.parametrize(
    ("key", "value"),
    [("hnsw_m", "0"), ("hnsw_m", "-1"), ("hnsw_m", "101"), ("hnsw_ef_construction", "-3"), ("dim", "0"),
     ("dim", "x"), ("vectors_generation", "-1"), ("created_at_s", "nan"), ("lexical_version", "1e9"),
     ("updated_at_s", "-9223372036854775808"), ("created_at_s", "1e300")],  # (tests/fuzz/index_files.py)
)
def test_an_index_recording_a_value_out_of_range_is_damage(tmp_path: Path, key: str, value: str) -> None:
    with IndexStore.open(tmp_path, expected=PARAMS, create=True):
        pass
    with sqlite3.connect(tmp_path / "index.sqlite3") as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    conn.close()
    for readonly in (True, False):  # `ask` and `status`; `index`, which then sets the index aside and rebuilds
        with pytest.raises(IndexCorruptError, match=rf"^the index records {key} = '{value}', not a"):
            IndexStore.open(tmp_path, readonly=readonly, expected=None if readonly else PARAMS)
