"""The ``meta`` table as an ``IndexMeta`` record, and its check against what a caller expects.

Values read back are range-checked as settings are when read (``config.setting_range``): an index
made by an older version, or one that came with a checkout, may hold ``hnsw_m = 0``, on which hnswlib
segfaults. A value out of range or not a number is damage (``IndexCorruptError``), which ``index``
repairs by setting the index aside and building it again.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from codesearch.config import setting_range
from codesearch.errors import IndexCorruptError, IndexMismatchError
from codesearch.index.database import REBUILD_HINT
from codesearch.index.records import IndexMeta, IndexParams

_GENERATION = "vectors_generation"
_MAX_DIM = 1 << 16  # the widest embedding models give 4,096 dimensions
_MAX_COUNTER = 1 << 62  # generations and versions: sqlite's INTEGER, with room to count up
_MAX_SECONDS = 253_402_300_799  # 9999-12-31 23:59:59 UTC, the last second datetime can show


def read_meta(conn: sqlite3.Connection, schema_version: int) -> IndexMeta | None:
    """The index's meta, or None if the parameters were never written (an index still being created)."""
    values = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if "model_hash" not in values:
        return None
    params = IndexParams(
        model_id=str(values.get("model_id")),
        model_hash=str(values["model_hash"]),
        dim=_number(values, "dim", 1, _MAX_DIM),
        hnsw_m=_number(values, "hnsw_m", *setting_range("hnsw_m")),
        hnsw_ef_construction=_number(values, "hnsw_ef_construction", *setting_range("hnsw_ef_construction")),
    )
    return IndexMeta(
        params=params,
        schema_version=schema_version,
        created_at_s=_seconds(values, "created_at_s"),
        updated_at_s=_seconds(values, "updated_at_s"),
        vectors_generation=_number(values, _GENERATION, 0, _MAX_COUNTER),
        lexical_version=_number(values, "lexical_version", 0, _MAX_COUNTER, default="0"),
        records_version=_number(values, "records_version", 0, _MAX_COUNTER, default="0"),
    )


def _number(values: Mapping[str, object], key: str, low: float, high: float, default: str | None = None) -> int:
    """The integer ``values[key]`` if it lies in ``low..high``; else IndexCorruptError."""
    raw = values.get(key, default)
    try:
        number = int(str(raw))
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise _out_of_range(key, raw, f"a whole number from {low:g} to {high:g}")
    return number


def _seconds(values: Mapping[str, object], key: str) -> float:
    """A time ``status`` can show: from 1970 to the end of the year 9999 (a time of -2^63 seconds was an
    OSError traceback of `status`)."""
    raw = values.get(key)
    try:
        seconds = float(str(raw))
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= _MAX_SECONDS:
        raise _out_of_range(key, raw, "a time in seconds since 1970, before the year 10000")
    return seconds


def _out_of_range(key: str, raw: object, wanted: str) -> IndexCorruptError:
    return IndexCorruptError(
        f"the index records {key} = {raw!r}, not {wanted} (made by another version, or altered); {REBUILD_HINT}"
    )


def write_meta(conn: sqlite3.Connection, params: IndexParams, lexical_version: int, now_s: float) -> None:
    """Record a new index's parameters (inside the creating transaction)."""
    _put(
        conn,
        model_id=params.model_id,
        model_hash=params.model_hash,
        dim=params.dim,
        hnsw_m=params.hnsw_m,
        hnsw_ef_construction=params.hnsw_ef_construction,
        created_at_s=now_s,
        updated_at_s=now_s,
        lexical_version=lexical_version,
        **{_GENERATION: 0},
    )


def set_lexical_version(conn: sqlite3.Connection, version: int) -> None:
    _put(conn, lexical_version=version)


def set_records_version(conn: sqlite3.Connection, version: int) -> None:
    """Record that every file's rows were made by extraction version ``version``."""
    _put(conn, records_version=version)


def record_batch(conn: sqlite3.Connection, now_s: float, *, vectors_changed: bool) -> None:
    """Stamp a committed batch; bump the generation when chunk rows (hence vectors) came or went."""
    _put(conn, updated_at_s=now_s)
    if vectors_changed:
        conn.execute(f"UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = '{_GENERATION}'")


def read_generation(conn: sqlite3.Connection) -> int:
    row = conn.execute(f"SELECT value FROM meta WHERE key = '{_GENERATION}'").fetchone()
    return int(row[0]) if row else 0


def _put(conn: sqlite3.Connection, **values: object) -> None:
    conn.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [(key, str(value)) for key, value in values.items()],
    )


def check_compatible(meta: IndexMeta, expected: IndexParams, index_dir: Path) -> None:
    """Raise IndexMismatchError if the index was built with other parameters than ``expected``."""
    have, want = meta.params, expected
    differences = [
        f"{label}: index has {a}, requested {b}"
        for label, a, b in (
            (
                "model",
                f"{have.model_id} ({have.model_hash[:12]})",
                f"{want.model_id} ({want.model_hash[:12]})",
            ),
            ("dimension", have.dim, want.dim),
            ("HNSW M", have.hnsw_m, want.hnsw_m),
            ("HNSW ef_construction", have.hnsw_ef_construction, want.hnsw_ef_construction),
        )
        if (label == "model" and have.model_hash != want.model_hash) or (label != "model" and a != b)
    ]
    if differences:
        raise IndexMismatchError(
            f"the index in {index_dir} was built with different settings ({'; '.join(differences)}). "
            f"Re-run `codesearch index --full` to rebuild it, or pass --model {have.model_id} "
            "(and the same HNSW settings) to use it as it is."
        )
