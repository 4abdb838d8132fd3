"""The training-pair filters keep real documented functions and drop boilerplate."""

from __future__ import annotations

import dataclasses

import pytest

from codesearch.parsing.pairs import is_training_pair
from codesearch.records import Chunk

BASE = Chunk(
    path="a.py", language="python", kind="function", name="load_config", qualified_name="load_config",
    start_line=1, end_line=6, signature_line=1, start_byte=0, end_byte=100, signature="def load_config(p):",
    docstring_raw='"""Load the configuration file from disk."""',
    docstring="Load the configuration file from disk.",
    docstring_summary="Load the configuration file from disk.",
    code="...", code_without_docstring="def load_config(p):\n    with open(p) as f:\n        return f.read()",
    content_hash="0" * 64,
)


def test_documented_function_is_a_pair() -> None:
    assert is_training_pair(BASE)


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "class"},
        {"name": "test_load"},
        {"docstring_summary": "Loads it."},
        {"docstring_summary": "TODO write this properly later"},
        {"docstring_summary": "Constructor for the config loader."},
        {"docstring_summary": "== 1 2 3 4 5 6 7 8 =="},
        {"code_without_docstring": "def f(): pass"},
    ],
)
def test_filters_drop(change: dict[str, str]) -> None:
    assert not is_training_pair(dataclasses.replace(BASE, **change))  # type: ignore[arg-type]
