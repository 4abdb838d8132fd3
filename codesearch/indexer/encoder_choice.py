"""Which encoder an index update embeds with: the one asked for, or the earlier shipped one the index has.

When a codesearch release ships a newer default encoder, an index built by the earlier default keeps
working: a plain ``codesearch index`` (or ``watch``) goes on embedding with the encoder the index records,
since vectors of two encoders cannot share one index. ``codesearch index --full`` rebuilds it with the new
default, and ``codesearch status`` says that a newer one exists (``encoder.source.newer_default_model``).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

from codesearch.config import DEFAULT_MODEL, Settings
from codesearch.encoder.source import newer_default_model, shipped_model_folder
from codesearch.errors import CodesearchError
from codesearch.index.opening import DB_FILE_NAME, open_database


def update_settings(settings: Settings, index_dir: Path, *, full: bool) -> Settings:
    """``settings``, with the model the index at ``index_dir`` was built with when that is an earlier
    shipped encoder, the default is asked for and the update is not a full rebuild."""
    if full or settings.model != DEFAULT_MODEL:
        return settings
    recorded = recorded_model_id(index_dir)
    if recorded is None or newer_default_model(recorded) is None or shipped_model_folder(recorded) is None:
        return settings
    return dataclasses.replace(settings, model=recorded)


def recorded_model_id(index_dir: Path) -> str | None:
    """The model id the index at ``index_dir`` records, or None when there is no readable index.

    Reads the metadata alone (not IndexStore.open, which loads the vectors too).
    """
    if not (index_dir / DB_FILE_NAME).exists():
        return None
    try:
        conn, meta = open_database(index_dir, expected=None, readonly=True, create=False)
    except (CodesearchError, sqlite3.Error, OSError):
        return None  # a damaged index: the update sets it aside and rebuilds it, as before
    conn.close()
    return meta.params.model_id
