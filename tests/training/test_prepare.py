"""``python -m training.prepare``: --repo, --clone URL@COMMIT and --jsonl into a saved data set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.training.conftest import write_repo
from tests.training.test_mining import git, needs_git
from training.data import load_dataset
from training.prepare import main, source_specs


@needs_git
def test_repos_and_clones_become_a_saved_data_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blocklist.txt").write_text("requests\n")
    origin = write_repo(tmp_path / "origin", 20, 8)
    git(origin, "init", "-q")
    git(origin, "add", ".")
    git(origin, "commit", "-qm", "one")
    commit = git(origin, "rev-parse", "HEAD")
    local = write_repo(tmp_path / "local", 0, 8)
    argv = [
        "--repo",
        str(local),
        "--clone",
        f"{origin.as_uri()}@{commit}",
        "--blocklist",
        str(tmp_path / "blocklist.txt"),
        "--validation-fraction",
        "0.4",
        "--out",
        str(tmp_path / "data"),
    ]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    dataset = load_dataset(tmp_path / "data")
    assert report["fingerprint"] == dataset.fingerprint
    assert len(dataset.train) + len(dataset.validation) == 16
    assert report["source_pins"][1][1] == commit


def test_a_clone_without_a_commit_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blocklist.txt").write_text("requests\n")
    argv = [
        "--clone",
        "https://example.com/a/b.git",
        "--blocklist",
        str(tmp_path / "blocklist.txt"),
        "--out",
        str(tmp_path / "data"),
    ]
    assert main(argv) == 1
    assert "URL@COMMIT" in capsys.readouterr().err


def test_held_out_repositories_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blocklist.txt").write_text("requests\n")
    write_repo(tmp_path / "requests", 0, 3)
    argv = [
        "--repo",
        str(tmp_path / "requests"),
        "--blocklist",
        str(tmp_path / "blocklist.txt"),
        "--out",
        str(tmp_path / "data"),
    ]
    assert main(argv) == 1
    assert "held out for evaluation" in capsys.readouterr().err


def test_specs_keep_flag_order() -> None:
    specs = source_specs(["a"], ["https://x/y.git@abcdef1"], ["p.jsonl"])
    assert [spec.kind for spec in specs] == ["dir", "git", "jsonl"] and specs[1].rev == "abcdef1"
