"""Finding the CoSQA folder for ``codesearch eval --cosqa`` (scoring: tests/training/test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.model_scoring import find_cosqa_dir


def test_the_cosqa_folder_is_found_here_or_above(tmp_path: Path) -> None:
    cosqa = tmp_path / "shared" / "benchmarks" / "cosqa"
    cosqa.mkdir(parents=True)
    (tmp_path / "work" / "repo").mkdir(parents=True)
    assert find_cosqa_dir(tmp_path / "work" / "repo") == cosqa
    assert find_cosqa_dir(tmp_path) == cosqa


def test_a_missing_cosqa_folder_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="pass --cosqa DIR"):
        find_cosqa_dir(tmp_path / "repo", stop_at=tmp_path)
